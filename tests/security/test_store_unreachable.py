"""A store that cannot be reached (issue 14, item 9): every CLI command that opens it says so in
one line — the store with its password masked, the cause, a hint — and exits 2, never a traceback.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from cli_run import hisbridge_cli

from hisbridge.testing import TEST_SECRETS, free_ports

PASSWORD = "Pw-must-not-show-7731"
COMMANDS = [
    ("outbox", "status"),
    ("outbox", "dead"),
    ("outbox", "replay", "--table", "emr_patient_info"),
    ("outbox", "prune"),
    ("user", "list"),
    ("user", "add", "ops1", "--role", "operator", "--password-stdin"),
    ("audit", "verify"),
    ("audit", "prune"),
    ("run", "--port", "PORT"),
]


def _config(tmp_path: Path, store_url: str) -> Path:
    """A config with usable secrets (so ``run`` gets as far as the store) and ``store_url``."""
    values = {**TEST_SECRETS, "store": {"url": store_url},
              "frontend": {"base_url": "http://127.0.0.1:9"}}
    config = tmp_path / "hisbridge.yaml"
    config.write_text(yaml.safe_dump(values), "utf-8")
    return config


def _stores(tmp_path: Path) -> dict[str, str]:
    closed = free_ports(1)[0]  # nothing listens there
    return {"postgresql": f"postgresql://hb:{PASSWORD}@127.0.0.1:{closed}/hisbridge",
            "sqlite-under-a-file": f"sqlite:///{tmp_path / 'a-file' / 'store.db'}"}


@pytest.mark.parametrize("kind", ["postgresql", "sqlite-under-a-file"])
@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_every_command_says_the_store_is_unreachable_in_one_line(
        tmp_path: Path, kind: str, command: tuple[str, ...]) -> None:
    (tmp_path / "a-file").write_text("not a folder", "utf-8")
    config = _config(tmp_path, _stores(tmp_path)[kind])
    args = [str(free_ports(1)[0]) if a == "PORT" else a for a in command]
    done = hisbridge_cli(*args, "-c", str(config), stdin="Operator-pass-2026\n", timeout=60)
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and len(lines) == 1, done.stderr
    line = lines[0]
    assert "存储不可达 store unreachable" in line and PASSWORD not in line + done.stdout
    assert ("hb:***@127.0.0.1" in line and "Connection refused" in line) if kind == "postgresql" \
        else ("a-file" in line and "Not a directory" in line)
    assert "check the URL" in line  # the hint
