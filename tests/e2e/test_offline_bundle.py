"""The offline bundle (scripts/bundle.py) for this machine's platform and Python installs into a
fresh virtual environment with no package index, and `hisbridge demo` runs from it.

No cheating: install.sh runs with no PIP_* variable but PIP_NO_INDEX=1, with PIP_CONFIG_FILE
pointing at nothing (so /etc/pip.conf's find-links and extra indexes are not read), a HOME of its
own (no pip cache) and, where the machine allows a network namespace, no network at all.
"""

from __future__ import annotations

import importlib.util
import os
import platform
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from hisbridge.testing import free_ports

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"


def _bundle_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bundle_script", ROOT / "scripts" / "bundle.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def _no_network_prefix() -> list[str]:
    """``unshare --net`` when this machine lets us make a network namespace (root), else nothing."""
    try:
        probe = subprocess.run(["unshare", "--net", "true"], capture_output=True, timeout=10)
    except FileNotFoundError:
        return []
    return ["unshare", "--net"] if probe.returncode == 0 else []


def _install(bundle: Path, venv: Path, home: Path, python: str | None = sys.executable) -> str:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "PIP_NO_INDEX": "1", "PIP_CONFIG_FILE": os.devnull}
    if python is not None:
        env["PYTHON"] = python
    cmd = [*_no_network_prefix(), "sh", str(bundle / "install.sh"), str(venv)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env, cwd=bundle.parent)
    out = done.stdout + done.stderr
    assert done.returncode == 0, out[-3000:]
    return out


def _demo(venv: Path, data: Path) -> str:
    gateway, frontend, client, gdhealth = free_ports(4)
    done = subprocess.run(
        [str(venv / "bin" / "hisbridge"), "demo", "--duration", "20", "--data-dir", str(data),
         "--port", str(gateway), "--frontend-port", str(frontend), "--client-port", str(client),
         "--gdhealth-port", str(gdhealth)],
        capture_output=True, text=True, timeout=240, cwd=data.parent,
        env={"COLUMNS": "160", "PATH": "/usr/bin:/bin", "HOME": str(data.parent)},
    )
    out = done.stdout + done.stderr
    assert done.returncode == 0, out[-3000:]
    return out


def test_bundle_installs_with_no_index_and_runs_the_demo(tmp_path: Path) -> None:
    target = {"x86_64": "linux-x86_64", "aarch64": "linux-aarch64"}[platform.machine()]
    bundle, venv = tmp_path / "hisbridge-offline", tmp_path / "venv"
    built = subprocess.run(
        [sys.executable, "scripts/bundle.py", "--out", str(bundle), "--platform", target, "--python", PYTHON],
        cwd=ROOT, capture_output=True, text=True, timeout=400,
    )
    assert built.returncode == 0, built.stderr[-3000:]
    checked = subprocess.run(["sha256sum", "-c", "--quiet", "SHA256SUMS"], cwd=bundle, capture_output=True)
    assert checked.returncode == 0, checked.stdout
    assert {"install.sh", "install.ps1", "README.txt", "deploy", "wheels", "requirements"} <= {
        p.name for p in bundle.iterdir()}
    assert (bundle / "deploy" / "prometheus" / "hisbridge-rules.yml").is_file()

    installed = _install(bundle, venv, tmp_path)
    assert "hisbridge init" in installed and "hisbridge service systemd" in installed
    # every package came from the bundle's wheels/ (pip names each file it processes), none from elsewhere
    pins = (bundle / "requirements" / f"{target}-py{PYTHON}.txt").read_text().split()
    processed = re.findall(r"^Processing (\S+)", installed, re.M)
    assert len(processed) == len(pins) and all(p.startswith("./hisbridge-offline/wheels/") for p in processed)
    assert re.findall(r"^Looking in (.*)$", installed, re.M) == [f"links: {bundle / 'wheels'}"]
    assert re.search(r"^\s*Downloading ", installed, re.M) is None
    where = subprocess.run([str(venv / "bin" / "python"), "-c",
                            "import hisbridge; print(hisbridge.__file__)"],
                           capture_output=True, text=True, cwd=tmp_path, env={"PATH": "/usr/bin:/bin"})
    assert where.stdout.startswith(str(venv)), where  # the bundle's copy, not the source tree

    out = _demo(venv, tmp_path / "demo")
    assert "Traceback" not in out
    delivered = re.findall(r"│\s+([\d,]+) │\s+([\d,]+) │\s+([\d,]+) │", out)
    assert delivered and int(delivered[-1][1].replace(",", "")) > 0, out[-2000:]
    polled = re.search(r"polled by the gateway:\s*(\d+)", out)
    assert polled is not None and int(polled.group(1)) > 0, out[-2000:]

    # an upgrade runs the same script on the same environment, whose own Python picks the wheels
    again = _install(bundle, venv, tmp_path, python=None)
    assert f"Python {PYTHON} ({venv}/bin/python)" in again
    assert "Requirement already satisfied: hisbridge" in again


def test_each_platform_is_resolved_with_its_own_markers() -> None:
    """pip would evaluate markers for this machine; the lock for Windows has Windows' packages."""
    bundle = _bundle_script()
    windows = {pin.split("==")[0] for pin in bundle.lock("win-amd64", "3.12", [], only_binary=True)}
    linux = {pin.split("==")[0] for pin in bundle.lock("linux-aarch64", "3.11", [], only_binary=True)}
    assert "uvloop" not in windows and {"colorama", "tzdata", "psycopg-binary"} <= windows
    assert "uvloop" in linux and "colorama" not in linux and "psycopg-binary" in linux
