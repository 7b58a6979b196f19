"""Deletes: from the HIS's delete flags, and from the closing sweep's key-set comparison."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from hisbridge._clock import CHINA_TZ
from hisbridge.project.example import write_example
from hisbridge.runtime.extraction import open_project
from hisbridge.settings import load_settings
from hisbridge.simulators.his import apply_corrections, build_day
from hisbridge.sources.sql_poll import SqlPoller
from hisbridge.store.engine import make_engine
from hisbridge.store.migrate import upgrade
from hisbridge.testing import ManualClock, MemoryIntake

DAY = date(2026, 3, 2)


def _keys(his: Engine, sql: str) -> set[str]:
    with his.connect() as conn:
        return {str(k) for k in conn.execute(text(sql)).scalars()}


def _check_deletes(his: Engine, his_url: str, tmp_path: Path) -> None:
    build_day(his, DAY, 120, seed=21)
    write_example(tmp_path, his_url=his_url, store_url=f"sqlite:///{tmp_path / 'store.db'}")
    config = tmp_path / "hisbridge.yaml"
    settings = load_settings(config)
    project = open_project(config, settings)
    store = make_engine(settings.store.url)
    upgrade(store)
    intake = MemoryIntake()
    clock = ManualClock(datetime(2026, 3, 3, 6, 0, tzinfo=CHINA_TZ))
    with SqlPoller(project, intake, store, clock=clock) as poller:
        assert all(r.ok for r in poller.poll_all())
        labs_before = intake.keys("emr_ex_lab_item")
        exams_before = intake.keys("emr_ex_clinical")
        done = apply_corrections(his, DAY, when=datetime(2026, 3, 3, 6, 30), share=0.05)
        clock.advance(hours=1)
        again = {r.table: r for r in poller.poll_all()}

        cancelled = _keys(his, "SELECT visit_no FROM clinic_master WHERE cancel_flag = '1'")
        assert cancelled and intake.deleted["emr_patient_info"] == cancelled
        assert again["emr_patient_info"].counts.deleted == len(cancelled)
        dropped = _keys(his, "SELECT presc_no FROM presc_master WHERE del_flag = '1'")
        assert intake.deleted.get("emr_order", set()) <= dropped
        assert not intake.keys("emr_order") & dropped
        assert again["emr_activity_info"].counts.accepted >= done["diagnosis.corrected"] // 2

        for day in (DAY, DAY + timedelta(days=1)):
            poller.sweep_deletes("emr_ex_lab_item", day)
            poller.sweep_deletes("emr_ex_clinical", day)
        gone_labs = labs_before - _keys(his, "SELECT result_id FROM lab_result")
        gone_exams = exams_before - _keys(his, "SELECT exam_no FROM exam_master")
        assert gone_labs and intake.deleted["emr_ex_lab_item"] == gone_labs
        assert gone_exams and intake.deleted["emr_ex_clinical"] == gone_exams
        # a second sweep finds nothing more, and still-present keys were never deleted
        assert poller.sweep_deletes("emr_ex_lab_item", DAY).counts.deleted == 0
        assert intake.keys("emr_ex_lab_item") == labs_before - gone_labs
    store.dispose()


def test_deletes_on_sqlite(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'his.sqlite'}"
    _check_deletes(make_engine(url), url, tmp_path)


@pytest.mark.services
def test_deletes_on_postgresql(tmp_path: Path, pg_url: str) -> None:
    his = make_engine(pg_url)
    try:
        _check_deletes(his, pg_url, tmp_path)
    finally:
        his.dispose()


def test_source_keys_are_the_days_sendable_keys(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'his.sqlite'}"
    his = make_engine(url)
    build_day(his, DAY, 40, seed=3)
    write_example(tmp_path, his_url=url, store_url=f"sqlite:///{tmp_path / 's.db'}")
    config = tmp_path / "hisbridge.yaml"
    settings = load_settings(config)
    project = open_project(config, settings)
    store = make_engine(settings.store.url)
    upgrade(store)
    with SqlPoller(project, MemoryIntake(), store) as poller:
        visits = poller.source_keys("emr_patient_info", DAY)
        assert visits == _keys(his, "SELECT visit_no FROM clinic_master WHERE visit_no LIKE "
                                    "'MZ20260302%'") | _keys(his, "SELECT inp_no FROM pat_visit")
        orders = poller.source_keys("emr_order", DAY)
        assert orders and orders < _keys(his, "SELECT presc_no FROM presc_master")
        assert poller.source_keys("emr_patient_info", DAY - timedelta(days=1)) == set()
