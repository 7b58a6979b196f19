"""``python -m hisbridge …`` in a child process, as a user runs it (this checkout first)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import hisbridge

SRC = str(Path(hisbridge.__file__).resolve().parents[1])


def cli_env(env: dict[str, str] | None = None) -> dict[str, str]:
    """Our environment without HISBRIDGE_ variables, this checkout first, plus ``env``."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("HISBRIDGE_")}
    path = os.pathsep.join(p for p in (SRC, os.environ.get("PYTHONPATH", "")) if p)
    return {**base, "PYTHONPATH": path, "COLUMNS": "200", **(env or {})}


def hisbridge_cli(*args: str, env: dict[str, str] | None = None, stdin: str = "",
                  timeout: float = 60, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the CLI to its end, output captured."""
    return subprocess.run([sys.executable, "-m", "hisbridge", *args], input=stdin,
                          capture_output=True, text=True, timeout=timeout, cwd=cwd,
                          env=cli_env(env))


def start_cli(*args: str, log: Path) -> subprocess.Popen[bytes]:
    """Start the CLI in the background, output to ``log``."""
    with log.open("ab") as out:
        return subprocess.Popen([sys.executable, "-m", "hisbridge", *args], stdout=out,
                                stderr=out, env=cli_env())
