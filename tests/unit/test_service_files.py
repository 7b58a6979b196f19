"""`hisbridge service systemd|windows`: the unit is hardened and verified by systemd where the
machine has ``systemd-analyze``; the WinSW XML rolls its logs and restarts on failure.

The content is always asserted. ``systemd-analyze verify`` runs when the binary exists; with
HISBRIDGE_REQUIRE_SERVICES=1 (CI) its absence fails the test instead of being passed over.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from typer.testing import CliRunner

from hisbridge.cli import _register, app
from hisbridge.errors import ConfigError

if not any(group.name == "service" for group in app.registered_groups):
    _register()
runner = CliRunner()


def _unit(*args: str) -> str:
    result = runner.invoke(app, ["service", "systemd", *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def _directives(unit: str) -> dict[str, dict[str, list[str]]]:
    """section -> key -> every value given (systemd allows repeating a key)."""
    found: dict[str, dict[str, list[str]]] = {}
    section = ""
    for line in unit.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, _, value = line.partition("=")
        found.setdefault(section, {}).setdefault(key, []).append(value)
    return found


def test_the_unit_is_hardened_for_the_given_user_and_folders() -> None:
    unit = _unit("--user", "gw", "--data-dir", "/srv/gw", "--config", "/etc/gw/gw.yaml",
                 "--exec", "/opt/gw/bin/hisbridge")
    service = _directives(unit)["Service"]
    one = {key: values[0] for key, values in service.items()}
    assert (one["User"], one["Group"]) == ("gw", "gw")
    assert one["ExecStart"] == "/opt/gw/bin/hisbridge run -c /etc/gw/gw.yaml"
    assert one["WorkingDirectory"] == "/srv/gw"
    assert service["ReadWritePaths"] == ["/srv/gw"]  # the data folder and nothing else
    for key, value in {"ProtectSystem": "strict", "NoNewPrivileges": "yes", "PrivateTmp": "yes",
                       "ProtectHome": "yes", "Restart": "on-failure", "StandardOutput": "journal",
                       "StandardError": "journal", "CapabilityBoundingSet": "",
                       "UMask": "0077"}.items():
        assert one[key] == value, key
    assert _directives(unit)["Install"]["WantedBy"] == ["multi-user.target"]
    # the config holds secrets: root owns it, only the service's group may read it
    assert "chown root:gw /etc/gw/gw.yaml && chmod 0640 /etc/gw/gw.yaml" in unit
    assert "install -d -o gw -g gw -m 0750 /srv/gw" in unit


def test_defaults_are_the_documented_layout_and_this_environment() -> None:
    service = _directives(_unit())["Service"]
    assert service["ReadWritePaths"] == ["/var/lib/hisbridge"]
    here = str(Path(sys.executable).parent / "hisbridge")
    assert service["ExecStart"] == [f"{here} run -c /etc/hisbridge/hisbridge.yaml"]


def test_a_relative_folder_is_refused() -> None:
    result = runner.invoke(app, ["service", "systemd", "--data-dir", "data"])
    assert isinstance(result.exception, ConfigError)
    assert "--data-dir" in str(result.exception)


def test_systemd_analyze_verifies_the_unit(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        assert os.environ.get("HISBRIDGE_REQUIRE_SERVICES") != "1", \
            "systemd-analyze not found: apt-get install systemd (CI verifies the unit with it)"
        return  # the content tests above still hold the unit
    executable = shutil.which("hisbridge") or sys.executable  # ExecStart must exist to verify
    unit = tmp_path / "hisbridge.service"
    unit.write_text(_unit("--exec", executable, "--data-dir", str(tmp_path)), "utf-8")
    done = subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True,
                          timeout=60)
    about_ours = [line for line in (done.stdout + done.stderr).splitlines()
                  if "hisbridge.service" in line]
    assert done.returncode == 0 and about_ours == [], done.stdout + done.stderr


def test_systemd_analyze_would_catch_a_broken_unit(tmp_path: Path) -> None:
    """The check above can fail: a value systemd cannot parse is reported."""
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        return
    unit = tmp_path / "hisbridge.service"
    text = _unit("--exec", sys.executable, "--data-dir", str(tmp_path))
    unit.write_text(text.replace("ProtectSystem=strict", "ProtectSystem=strictly"), "utf-8")
    done = subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True,
                          timeout=60)
    assert "ProtectSystem" in done.stderr or "protect system" in done.stderr.lower()


def test_the_winsw_xml_rolls_logs_restarts_and_runs_as_its_own_account(tmp_path: Path) -> None:
    out = tmp_path / "hisbridge-service.xml"
    result = runner.invoke(app, ["service", "windows", "--base-dir", r"D:\hb", "--out", str(out)])
    assert result.exit_code == 0, result.output
    root = ET.fromstring(out.read_text("utf-8"))
    assert root.tag == "service" and root.findtext("id") == "hisbridge"
    assert root.findtext("executable") == r"D:\hb\venv\Scripts\hisbridge.exe"
    assert root.findtext("arguments") == r'run -c "D:\hb\config\hisbridge.yaml"'
    assert root.findtext("workingdirectory") == r"D:\hb\data"
    assert root.findtext("startmode") == "Automatic"
    assert [f.get("action") for f in root.findall("onfailure")] == ["restart"] * 3
    log = root.find("log")
    assert log is not None and log.get("mode") == "roll-by-size"
    assert (log.findtext("sizeThreshold"), log.findtext("keepFiles")) == ("10240", "30")
    assert root.findtext("logpath") == r"D:\hb\logs"
    assert (root.findtext("serviceaccount/domain"), root.findtext("serviceaccount/user")) == (
        "NT SERVICE", "hisbridge")
    steps = result.stderr
    assert r'& "D:\hb\hisbridge-service.exe" install' in steps
    assert r'"NT SERVICE\hisbridge:(OI)(CI)R"' in steps  # the config: read only, this account
    assert "WinSW-x64.exe 2.12.0" in steps
