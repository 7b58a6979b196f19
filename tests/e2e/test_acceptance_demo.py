"""The acceptance report over the demo's data: a short `hisbridge demo`, then
`hisbridge report acceptance` for yesterday (the synthetic hospital's full day) and today, as
HTML and PDF, against the HIS; its completeness agrees with `hisbridge reconcile`."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from hisbridge import _json
from hisbridge._clock import CHINA_TZ
from hisbridge.testing import free_ports

# the tree under test (a worktree's PYTHONPATH) when set, else the installed package
ENV = {"COLUMNS": "160", "PATH": "/usr/bin:/bin",
       **{k: v for k, v in os.environ.items() if k == "PYTHONPATH"}}


def _hisbridge(*args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hisbridge", *args], capture_output=True,
                          text=True, timeout=timeout, env=ENV)


def _demo(data: Path) -> Path:
    gateway, frontend, client, gdhealth = free_ports(4)
    ran = _hisbridge("demo", "--duration", "20", "--data-dir", str(data), "--port", str(gateway),
                     "--frontend-port", str(frontend), "--client-port", str(client),
                     "--gdhealth-port", str(gdhealth))
    assert ran.returncode == 0, (ran.stdout + ran.stderr)[-3000:]
    return data / "project" / "hisbridge.yaml"


def _report(config: Path, first: str, last: str, out: Path, fmt: str) -> dict[str, Any]:
    ran = _hisbridge("report", "acceptance", "-c", str(config), "--from", first, "--to", last,
                     "--out", str(out), "--format", fmt, "--json")
    assert ran.returncode == 0, (ran.stdout + ran.stderr)[-3000:]
    found: dict[str, Any] = _json.loads(ran.stdout)
    return found


def test_report_on_the_demo_has_every_figure(tmp_path: Path) -> None:
    config = _demo(tmp_path / "demo")
    today = datetime.now(CHINA_TZ).date()
    yesterday = (today - timedelta(days=1)).isoformat()
    html_file = tmp_path / "acceptance.html"
    report = _report(config, yesterday, today.isoformat(), html_file, "html")

    assert report["his_checked"] and report["period"]["timezone"] == "Asia/Shanghai"
    assert report["org_code"] and report["institution"] and report["version"]
    day_one = [x for x in report["completeness"] if x["day"] == yesterday]
    assert {x["table"] for x in day_one} >= {"emr_patient_info", "emr_outpatient_record"}
    assert sum(x["delivered"] for x in day_one) > 0 and report["summary"]["completeness"] > 0
    groups = {t["group"] for t in report["timeliness"]}
    assert groups == {"realtime", "t0"} and all(t["saved"] > 0 for t in report["timeliness"])
    assert report["fields"] and report["summary"]["mandatory_filled"] is not None
    assert report["warnings"] is not None and report["summary"]["warnings"] > 0
    assert set(report["rejected_by_day"]) == {yesterday, today.isoformat()}

    reconciled = _hisbridge("reconcile", "-c", str(config), "--date", yesterday, "--json")
    assert reconciled.stdout, reconciled.stderr[-2000:]
    his = {x["table"]: x for x in _json.loads(reconciled.stdout)["tables"]}
    for line in day_one:  # the report's completeness is the reconciliation's, line by line
        assert (line["his_keys"], line["delivered"], line["missing"]) == (
            his[line["table"]]["source"], his[line["table"]]["delivered"], his[line["table"]]["missing"])

    html = html_file.read_text("utf-8")
    for section in ("header", "summary", "completeness", "timeliness", "rejections", "fields",
                    "warnings", "signatures"):
        assert f'data-section="{section}"' in html, section
    assert html.count("<svg") >= 3 and "<script" not in html  # + rejections when there are some
    assert re.search(r"\d{17}[\dX]", html) is None  # no resident ID number
    assert re.search(r"1[3-9]\d{9}", html) is None  # no mobile number

    pdf = tmp_path / "acceptance.pdf"
    _report(config, yesterday, today.isoformat(), pdf, "pdf")
    assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 20_000
