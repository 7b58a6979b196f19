"""The README's two commands are what CI runs: `.ci/run` installs as the README says and then runs
exactly the README's test command, so the front door cannot drift from what is tested."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BLOCK = re.compile(r"```bash\n(.*?)\n```", re.DOTALL)


def readme_commands() -> tuple[str, str]:
    """The install command and the test command: the first two bash blocks of the README."""
    blocks = BLOCK.findall((ROOT / "README.md").read_text(encoding="utf-8"))
    return blocks[0].strip(), blocks[1].strip()


def ci_commands() -> list[str]:
    lines = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    return [ln.strip() for ln in lines
            if ln.strip() and not ln.lstrip().startswith("#")
            and not ln.startswith(("set ", "cd ", "export "))]


def test_ci_runs_exactly_the_readme_test_command() -> None:
    _, test_command = readme_commands()
    assert ci_commands()[-1] == test_command


def test_ci_installs_what_the_readme_installs() -> None:
    install, _ = readme_commands()
    readme_pip = shlex.split(install.split("&&")[0])
    ci_pip = [c for c in ci_commands() if c.startswith("pip install")]
    assert len(ci_pip) == 1
    assert [a for a in shlex.split(ci_pip[0]) if a != "-q"] == readme_pip
    assert install.endswith("hisbridge demo")


def test_the_test_command_is_the_script_that_brings_chromium() -> None:
    _, test_command = readme_commands()
    script = ROOT / test_command.split()[0]
    text = script.read_text(encoding="utf-8")
    assert script.stat().st_mode & 0o111, "scripts/test must be executable"
    assert "missing+=(chromium)" in text and "/usr/bin/chromium" in text
    assert text.rstrip().endswith('exec python -m pytest -q "$@"')
