"""Build the offline bundle for an air-gapped hospital server (docs/deploy.md, 离线安装 Offline install).

    python scripts/bundle.py --out dist/hisbridge-offline \\
        [--platform linux-x86_64 --platform linux-aarch64 --platform win-amd64] \\
        [--python 3.11 --python 3.12] [--extras oracle,sqlserver] [--allow-missing]

On a machine that reaches the package index: hisbridge's own wheel is built, the runtime
dependencies (pyproject's [project.dependencies] and the extras asked for, never dev) are locked
for each platform and Python, and every locked wheel is fetched with ``pip download
--only-binary=:all: --platform ...``. The bundle holds:

    wheels/                         every wheel, shared by the combinations that use it
    requirements/<platform>-py<v>.txt   the exact pins for one platform and Python
    install.sh, install.ps1, README.txt, deploy/ (Prometheus, Grafana), SHA256SUMS

Why uv resolves and pip downloads: ``pip download --platform`` evaluates environment markers for
the running machine, so a Windows bundle built on Linux would ask for uvloop (no Windows wheel)
and miss colorama and tzdata. ``uv pip compile --python-platform`` resolves for the target, and
prefers the newest version that has a wheel there (e.g. psycopg-binary 3.2 for manylinux2014
aarch64); pip then downloads exactly those pins. A pin with no wheel for a platform is reported
(package, platform) and fails the build unless --allow-missing.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = Path(__file__).resolve().parent / "offline"


@dataclass(frozen=True)
class Platform:
    """A target: uv's name for resolving, pip's wheel platform tags for downloading."""

    uv: str
    pip_tags: tuple[str, ...]


# glibc 2.17 (manylinux2014) is the floor: it covers Kylin V10 / UOS 20 (glibc 2.28) and older
# RHEL-family servers alike, on x86_64 and on Kunpeng / Phytium (aarch64).
PLATFORMS = {
    "linux-x86_64": Platform(
        "x86_64-manylinux_2_17",
        (*(f"manylinux_2_{minor}_x86_64" for minor in range(17, 4, -1)),
         "manylinux2014_x86_64", "manylinux2010_x86_64", "manylinux1_x86_64"),
    ),
    "linux-aarch64": Platform("aarch64-manylinux_2_17", ("manylinux_2_17_aarch64", "manylinux2014_aarch64")),
    "win-amd64": Platform("x86_64-pc-windows-msvc", ("win_amd64",)),
}
PYTHONS = ("3.11", "3.12")


@dataclass(frozen=True)
class Missing:
    """A locked package that has no wheel for one platform and Python."""

    pin: str
    combo: str

    def __str__(self) -> str:
        return f"{self.pin}: 无 {self.combo} 的 wheel / no wheel for {self.combo}"


class BundleError(Exception):
    """The bundle cannot be built; the message says why, in Chinese and English."""


def combo_name(platform: str, python: str) -> str:
    """``linux-x86_64-py3.11``: the name of a requirements file and of the install scripts' lookup."""
    return f"{platform}-py{python}"


def _run(cmd: Sequence[str], *, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(cmd), cwd=cwd, capture_output=True, text=True, check=False)


def build_wheel(dest: Path) -> Path:
    """hisbridge's wheel, built from a copy of the tree so the work tree gets no build/ or egg-info."""
    with tempfile.TemporaryDirectory(prefix="hisbridge-wheel-") as tmp:
        src = Path(tmp) / "src-tree"
        src.mkdir()
        for name in ("pyproject.toml", "README.md", "MANIFEST.in", "LICENSE"):
            if (ROOT / name).exists():
                shutil.copy2(ROOT / name, src / name)
        ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
        shutil.copytree(ROOT / "src", src / "src", ignore=ignore)
        done = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dest), str(src)])
        if done.returncode:
            raise BundleError(f"构建 wheel 失败 / building hisbridge's wheel failed:\n{done.stderr}")
    return next(dest.glob("hisbridge-*.whl"))


def _uv() -> str:
    try:
        import uv  # the dev extra's; a uv on PATH does as well

        return str(uv.find_uv_bin())
    except ImportError:
        found = shutil.which("uv")
        if found is None:
            raise BundleError('需要 uv / uv is needed: pip install -e ".[dev]"') from None
        return found


def _pip_indexes() -> list[str]:
    """pip's configured index and extra indexes as uv options, so both ask the same places."""
    listed = _run([sys.executable, "-m", "pip", "config", "list"]).stdout
    options: list[str] = []
    for key, value in re.findall(r"^\S*?\.(index-url|extra-index-url)='(.*)'$", listed, re.M):
        for url in value.split():
            options += [f"--{key}", url]
    return [*options, "--index-strategy", "unsafe-best-match"]  # pip's way: best version over all


def lock(platform: str, python: str, extras: Sequence[str], *, only_binary: bool) -> list[str]:
    """The runtime dependencies pinned for one platform and Python (``name==version`` lines)."""
    cmd = [_uv(), "pip", "compile", "pyproject.toml", "--python-platform", PLATFORMS[platform].uv,
           "--python-version", python, "--no-header", "--no-annotate", "--quiet", *_pip_indexes()]
    cmd += [arg for extra in extras for arg in ("--extra", extra)]
    if only_binary:
        cmd += ["--only-binary", ":all:"]
    done = _run(cmd, cwd=ROOT)
    if done.returncode:
        raise BundleError(done.stderr.strip())
    return [line.strip() for line in done.stdout.splitlines() if "==" in line]


def pip_download(pins: Sequence[str], platform: str, python: str, dest: Path,
                 pip_args: Sequence[str] = ()) -> bool:
    """Download the wheels of ``pins`` (no dependencies: they are locked) for one target."""
    tags = [arg for tag in PLATFORMS[platform].pip_tags for arg in ("--platform", tag)]
    abi = "cp" + python.replace(".", "")
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", *tags,
           "--python-version", python, "--implementation", "cp", "--abi", abi, "-q", "-d", str(dest),
           *pip_args, *pins]
    return _run(cmd).returncode == 0


def fetch(pins: Sequence[str], platform: str, python: str, dest: Path,
          pip_args: Sequence[str] = ()) -> list[Missing]:
    """Download every pin; when some fail, try them one by one to name each one that has no wheel."""
    if pip_download(pins, platform, python, dest, pip_args):
        return []
    combo = combo_name(platform, python)
    return [Missing(pin, combo) for pin in pins if not pip_download([pin], platform, python, dest, pip_args)]


def lock_and_fetch(
    platform: str, python: str, extras: Sequence[str], wheels: Path
) -> tuple[list[str], list[Missing]]:
    """Pins with wheels for the target, and those without (when no wheel-only resolution exists)."""
    try:
        pins = lock(platform, python, extras, only_binary=True)
    except BundleError as only_binary_failed:
        print(f"  {combo_name(platform, python)}: {only_binary_failed}", file=sys.stderr)
        pins = lock(platform, python, extras, only_binary=False)
    missing = fetch(pins, platform, python, wheels)
    absent = {m.pin for m in missing}
    return [pin for pin in pins if pin not in absent], missing


def check_offline(out: Path, platform: str, python: str) -> None:
    """pip's resolver, with no index and no configuration, finds every requirement in wheels/.

    Only for a Linux target on a Linux machine: pip evaluates markers for the machine it runs on.
    """
    if not (platform.startswith("linux-") and sys.platform == "linux"):
        return
    combo = combo_name(platform, python)
    tags = [arg for tag in PLATFORMS[platform].pip_tags for arg in ("--platform", tag)]
    with tempfile.TemporaryDirectory(prefix="hisbridge-check-") as target:
        done = subprocess.run(
            [sys.executable, "-m", "pip", "install", "--dry-run", "-q", "--ignore-installed", "--no-index",
             "--find-links", str(out / "wheels"), "--only-binary=:all:", *tags, "--python-version", python,
             "--implementation", "cp", "--target", target, "-r", str(out / "requirements" / f"{combo}.txt")],
            capture_output=True, text=True, check=False,
            env={**{k: v for k, v in os.environ.items() if not k.startswith("PIP_")},
                 "PIP_CONFIG_FILE": os.devnull},
        )
    if done.returncode:
        raise BundleError(f"{combo}: 离线安装无法完成 / would not install offline:\n{done.stderr.strip()}")


def sha256sums(folder: Path) -> str:
    """``sha256sum -c`` format, every file under ``folder``, sorted, forward slashes."""
    lines = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.name != "SHA256SUMS"):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        lines.append(f"{digest}  {path.relative_to(folder).as_posix()}\n")
    return "".join(lines)


def _prepare(out: Path) -> None:
    if out.exists() and any(out.iterdir()):
        if not (out / "SHA256SUMS").exists() and not (out / "wheels").exists():
            raise BundleError(f"{out} 不是空目录也不是离线包 / is neither empty nor a bundle: not touched")
        shutil.rmtree(out)
    (out / "requirements").mkdir(parents=True)
    (out / "wheels").mkdir()


def _write_texts(out: Path, requirement: str, combos: Sequence[str]) -> None:
    shutil.copy2(TEMPLATES / "install.sh", out / "install.sh")
    (out / "install.sh").chmod(0o755)
    # with a BOM: Windows PowerShell 5.1 reads a script without one in the ANSI code page (GBK on a
    # Chinese server) and Notepad on older servers guesses the same
    ps1 = (TEMPLATES / "install.ps1").read_text(encoding="utf-8")
    (out / "install.ps1").write_text(ps1, encoding="utf-8-sig")
    contents = "".join(f"    requirements/{c}.txt\n" for c in combos)
    readme = (TEMPLATES / "README.txt").read_text(encoding="utf-8")
    readme = readme.replace("@REQUIREMENT@", requirement).replace("@COMBOS@", contents)
    (out / "README.txt").write_text(readme, encoding="utf-8-sig")
    shutil.copytree(ROOT / "deploy", out / "deploy")


def build(out: Path, platforms: Sequence[str], pythons: Sequence[str], extras: Sequence[str],
          *, allow_missing: bool = False) -> list[Missing]:
    """Build the whole bundle into ``out``; returns what is missing (only with allow_missing)."""
    _prepare(out)
    wheel = build_wheel(out / "wheels")
    version = wheel.name.split("-")[1]
    requirement = f"hisbridge[{','.join(extras)}]=={version}" if extras else f"hisbridge=={version}"
    all_missing: list[Missing] = []
    combos = []
    for platform in platforms:
        for python in pythons:
            combo = combo_name(platform, python)
            print(f"  {combo} ...", file=sys.stderr)
            pins, missing = lock_and_fetch(platform, python, extras, out / "wheels")
            (out / "requirements" / f"{combo}.txt").write_text("\n".join([*pins, requirement, ""]))
            if not missing:
                check_offline(out, platform, python)
            all_missing += missing
            combos.append(combo)
    if all_missing and not allow_missing:
        raise BundleError("缺少 wheel（可固定到有 wheel 的版本，或 --allow-missing）/ no wheel "
                          "(pin a version that has one, or --allow-missing):\n"
                          + "\n".join(f"  {m}" for m in all_missing))
    _write_texts(out, requirement, combos)
    (out / "SHA256SUMS").write_text(sha256sums(out))
    return all_missing


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="离线安装包 / the offline bundle for an air-gapped server")
    parser.add_argument("--out", type=Path, default=ROOT / "dist" / "hisbridge-offline")
    parser.add_argument("--platform", action="append", choices=sorted(PLATFORMS),
                        help="repeatable; default: all three")
    parser.add_argument("--python", action="append", help="repeatable; default: 3.11 and 3.12")
    parser.add_argument("--extras", default="", help="e.g. oracle,sqlserver")
    parser.add_argument("--allow-missing", action="store_true",
                        help="build even when a package has no wheel for a platform (listed)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    platforms = args.platform or list(PLATFORMS)
    pythons = args.python or list(PYTHONS)
    extras = [e.strip() for e in args.extras.split(",") if e.strip()]
    try:
        missing = build(args.out, platforms, pythons, extras, allow_missing=args.allow_missing)
    except BundleError as exc:
        print(f"scripts/bundle.py: {exc}", file=sys.stderr)
        return 1
    for item in missing:
        print(f"  缺少 missing: {item}", file=sys.stderr)
    print(f"离线包 bundle: {args.out} ({sum(1 for _ in (args.out / 'wheels').iterdir())} wheels)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
