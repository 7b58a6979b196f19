"""Malformed SQL mappings and code maps are reported, not fatal: the other tables go on."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import pytest
from fault_kit import subprocess_env

from hisbridge._clock import CHINA_TZ
from hisbridge.errors import ConfigError
from hisbridge.project.example import write_example
from hisbridge.runtime.extraction import open_project
from hisbridge.settings import load_settings
from hisbridge.simulators.his import build_day
from hisbridge.sources.sql_poll import SqlPoller
from hisbridge.store.engine import make_engine
from hisbridge.store.migrate import upgrade
from hisbridge.testing import ManualClock, MemoryIntake


def _project(tmp_path: Path, *, bad_sql: bool = True, bad_codemap: bool = True) -> Path:
    url = f"sqlite:///{tmp_path / 'his.sqlite'}"
    his = make_engine(url)
    build_day(his, date(2026, 3, 2), 20, seed=5)
    his.dispose()
    write_example(tmp_path, his_url=url, store_url=f"sqlite:///{tmp_path / 'store.db'}")
    if bad_sql:
        lab = next((tmp_path / "mappings").glob("*_emr_ex_lab.sql"))
        lab.write_text(lab.read_text("utf-8").replace("SELECT", "SELEC T", 1), "utf-8")
    if bad_codemap:  # GBK bytes / garbage where UTF-8 CSV belongs
        gender = tmp_path / "codemaps" / "gender.csv"
        gender.write_bytes(b"\xff\xfe garbage;;;\n,,,,,\n\"unterminated\n")
    return tmp_path / "hisbridge.yaml"


def test_a_code_map_that_is_not_utf8_is_a_clear_config_error(tmp_path: Path) -> None:
    """Was a UnicodeDecodeError traceback (fixed in ``mapping/codemaps.py``)."""
    config = _project(tmp_path, bad_sql=False)
    with pytest.raises(ConfigError, match=r"gender\.csv.*UTF-8"):
        open_project(config)


def test_a_broken_sql_file_fails_its_table_only(tmp_path: Path) -> None:
    config = _project(tmp_path, bad_codemap=False)
    settings = load_settings(config)
    project = open_project(config, settings)
    store = make_engine(settings.store.url)
    upgrade(store)
    clock = ManualClock(datetime(2026, 3, 3, 8, 0, tzinfo=CHINA_TZ))
    with SqlPoller(project, MemoryIntake(), store, clock=clock) as poller:
        reports = {r.table: r for r in poller.poll_all()}
    assert reports["emr_ex_lab"].error, "the broken mapping must report an error"
    assert sum(1 for r in reports.values() if r.ok) >= 15
    store.dispose()


def test_hisbridge_check_reports_the_broken_files(tmp_path: Path) -> None:
    config = _project(tmp_path)
    done = subprocess.run([sys.executable, "-m", "hisbridge", "check", "-c", str(config)],
                          capture_output=True, text=True, timeout=120, env={
                              **subprocess_env(), "COLUMNS": "200"})
    out = done.stdout + done.stderr
    assert done.returncode != 0, out[-2000:]
    assert "Traceback" not in out, out[-3000:]
    assert "emr_ex_lab" in out or "gender" in out, out[-2000:]
