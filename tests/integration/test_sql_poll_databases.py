"""A synthetic HIS day on SQLite, PostgreSQL and MariaDB, polled end to end.

Counts per national table must equal what the HIS holds; only the wanted drug classes reach
emr_order_item; the clean synthetic data passes lenient and strict validation.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from hisbridge._clock import CHINA_TZ
from hisbridge.dictionary import Validator
from hisbridge.project import Project
from hisbridge.project.example import write_example
from hisbridge.runtime.extraction import open_project
from hisbridge.simulators.his import build_day
from hisbridge.sources.sql_poll import SqlPoller
from hisbridge.store.engine import make_engine
from hisbridge.store.migrate import upgrade
from hisbridge.testing import ManualClock, MemoryIntake

DAY = date(2026, 3, 2)
WANTED = ("Y0101", "Y0102", "Y0103", "Y0104", "Y0105", "Y0201", "Y0202", "Y0203", "Y0204",
          "Y0205", "Y0206", "Y0207", "Y0301", "Y0302", "Y0303", "Y0304", "Y0401", "Y0402",
          "Y0403", "Y0501", "Y0601", "Y0602", "Y0603", "Y0701", "Y0702", "Y0703")
_IN = "(" + ", ".join(f"'{c}'" for c in WANTED) + ")"
# national table -> the HIS query that counts what it must hold
EXPECTED = {
    "emr_patient_info": "SELECT (SELECT COUNT(*) FROM clinic_master)"
                        " + (SELECT COUNT(*) FROM pat_visit)",
    "emr_activity_info": "SELECT COUNT(*) FROM diagnosis WHERE diag_type IN ('1', '2')",
    "emr_inf_report": "SELECT COUNT(*) FROM infect_report",
    "emr_outpatient_record": "SELECT COUNT(*) FROM emr_note WHERE note_type = 'MZBL'",
    "emr_outpatient_obs": "SELECT COUNT(*) FROM emr_note WHERE note_type = 'LGJL'",
    "emr_admission_info": "SELECT COUNT(*) FROM emr_note WHERE note_type = 'RYJL'",
    "emr_first_course": "SELECT COUNT(*) FROM emr_note WHERE note_type = 'SCBC'",
    "emr_daily_course": "SELECT COUNT(*) FROM emr_note WHERE note_type = 'RCBC'",
    "emr_discharge_info": "SELECT COUNT(*) FROM emr_note WHERE note_type = 'CYJL'",
    "emr_admission_record": "SELECT COUNT(*) FROM pat_visit WHERE discharge_time IS NOT NULL",
    "emr_ex_clinical": "SELECT COUNT(*) FROM exam_master",
    "emr_ex_clinical_item": "SELECT COUNT(*) FROM exam_master",
    "emr_ex_lab": "SELECT COUNT(*) FROM lab_test_master",
    "emr_ex_lab_item": "SELECT COUNT(*) FROM lab_result",
    "emr_order": f"SELECT COUNT(DISTINCT presc_no) FROM presc_detail WHERE drug_code IN {_IN}",
    "emr_order_item": f"SELECT COUNT(*) FROM presc_detail WHERE drug_code IN {_IN}",
    "emr_death_info": "SELECT COUNT(*) FROM death_record",
    "emr_vital_signs_record": "SELECT COUNT(*) FROM vital_signs_rec",
    "base_user": "SELECT COUNT(*) FROM staff_dept",
    "base_dept": "SELECT COUNT(*) FROM dept_dict",
}


def _project(tmp_path: Path, his_url: str) -> Project:
    write_example(tmp_path, his_url=his_url, store_url=f"sqlite:///{tmp_path / 'store.db'}")
    return open_project(tmp_path / "hisbridge.yaml")


def _poll(project: Project, mode: str) -> tuple[MemoryIntake, list[str]]:
    store = make_engine(f"sqlite:///{project.root / mode}.db")  # fresh watermarks per mode
    upgrade(store)
    intake = MemoryIntake(validator=Validator(mode))  # type: ignore[arg-type]
    clock = ManualClock(datetime(2026, 3, 3, 8, 0, tzinfo=CHINA_TZ))
    with SqlPoller(project, intake, store, clock=clock) as poller:
        reports = poller.poll_all()
    problems = [f"{r.table}: {r.error or r.examples}" for r in reports
                if r.error or r.counts.rejected]
    store.dispose()
    return intake, problems


def _check_day(his: Engine, tmp_path: Path, url: str) -> None:
    build_day(his, DAY, 150, seed=4)
    project = _project(tmp_path, url)
    for mode in ("lenient", "strict"):
        intake, problems = _poll(project, mode)
        assert problems == [], f"{mode}: {problems}"
        with his.connect() as conn:
            expected = {t: conn.execute(text(q)).scalar_one() for t, q in EXPECTED.items()}
        assert {t: intake.count(t) for t in EXPECTED} == expected
        assert expected["emr_order_item"] < conn_count(his, "presc_detail")
        drugs = {r["drug_code"] for r in intake.current["emr_order_item"].values()}
        assert drugs and drugs <= set(project.dictionary.code_set("drug").codes)  # type: ignore[union-attr]


def conn_count(engine: Engine, table: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one())


def test_sqlite_day(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'his.sqlite'}"
    _check_day(make_engine(url), tmp_path, url)


@pytest.mark.services
def test_postgresql_day(tmp_path: Path, pg_url: str) -> None:
    engine = make_engine(pg_url)
    try:
        _check_day(engine, tmp_path, pg_url)
    finally:
        engine.dispose()


@pytest.mark.services
def test_mariadb_day(tmp_path: Path, mysql_url: str) -> None:
    engine = make_engine(mysql_url)
    try:
        _check_day(engine, tmp_path, mysql_url)
    finally:
        engine.dispose()
