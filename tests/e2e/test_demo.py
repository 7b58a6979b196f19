"""`hisbridge demo --duration N` from the installed package runs, shows warnings polled by the
gateway and a doctor's widget URL, and exits 0."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from hisbridge.testing import free_ports


def test_demo_runs_shows_warnings_and_exits_zero(tmp_path: Path) -> None:
    gateway, frontend, client, gdhealth = free_ports(4)
    result = subprocess.run(
        [sys.executable, "-m", "hisbridge", "demo", "--duration", "40", "--data-dir",
         str(tmp_path / "demo"), "--port", str(gateway), "--frontend-port", str(frontend),
         "--client-port", str(client), "--gdhealth-port", str(gdhealth)],
        capture_output=True, text=True, timeout=240, env={"COLUMNS": "160", "PATH": "/usr/bin:/bin"},
    )
    out = result.stdout + result.stderr
    assert result.returncode == 0, out[-3000:]
    assert "Traceback" not in out
    assert f"http://127.0.0.1:{gateway}/ws/shared?" in out
    assert re.search(rf"http://127.0.0.1:{gateway}/console/\s+登录 login: demo / Hb-\S+", out)
    warnings = re.search(r"warnings from the front-end: (\d+)", out)
    assert warnings is not None and int(warnings.group(1)) > 0, out[-2000:]
    polled = re.search(r"polled by the gateway:\s*(\d+)", out)
    assert polled is not None and int(polled.group(1)) > 0, out[-2000:]
    assert f"http://127.0.0.1:{gateway}/ws/warnings?userId=" in out
    delivered = re.findall(r"│\s+([\d,]+) │\s+([\d,]+) │\s+([\d,]+) │", out)
    assert delivered and int(delivered[-1][1].replace(",", "")) > 0
    assert re.search(r"\d{17}[\dX]", out) is None  # no resident ID number on screen
