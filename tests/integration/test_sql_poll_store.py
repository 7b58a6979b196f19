"""Polling into the durable store: records and outbox entries land, the watermark follows."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from hisbridge._clock import CHINA_TZ
from hisbridge.project.example import write_example
from hisbridge.runtime.extraction import open_project
from hisbridge.simulators.his import apply_corrections, build_day
from hisbridge.sources.sql_poll import SqlPoller
from hisbridge.store.engine import make_engine
from hisbridge.store.intake import StoreIntake
from hisbridge.store.migrate import upgrade
from hisbridge.store.schema.outbox import outbox, record_keys
from hisbridge.testing import ManualClock

DAY = date(2026, 3, 2)


def _poll_into_store(tmp_path: Path, store_url: str) -> None:
    his_url = f"sqlite:///{tmp_path / 'his.sqlite'}"
    his = make_engine(his_url)
    build_day(his, DAY, 40, seed=12)
    write_example(tmp_path, his_url=his_url, store_url=store_url)
    project = open_project(tmp_path / "hisbridge.yaml")
    store = make_engine(store_url)
    upgrade(store)
    clock = ManualClock(datetime(2026, 3, 3, 8, 0, tzinfo=CHINA_TZ))
    intake = StoreIntake(store, clock=clock)
    try:
        with SqlPoller(project, intake, store, clock=clock) as poller:
            first = {r.table: r for r in poller.poll_all()}
            assert all(r.ok and not r.counts.rejected for r in first.values())
            accepted = sum(r.counts.accepted for r in first.values())
            with store.connect() as conn:
                keys = conn.execute(select(func.count()).select_from(record_keys)).scalar_one()
                queued = conn.execute(select(func.count()).select_from(outbox)).scalar_one()
            assert keys == queued == accepted > 0
            with his.connect() as conn:
                visits = conn.execute(text("SELECT COUNT(*) FROM clinic_master")).scalar_one()
            assert first["emr_patient_info"].counts.accepted >= visits
            clock.advance(minutes=5)
            again = poller.poll_all()                      # the overlap: nothing new queued
            assert sum(r.counts.accepted for r in again) == 0
            apply_corrections(his, DAY, when=datetime(2026, 3, 3, 8, 2))
            clock.advance(minutes=5)
            third = {r.table: r for r in poller.poll_all()}
            assert third["emr_patient_info"].counts.deleted >= 1
            with store.connect() as conn:
                deletes = conn.execute(select(func.count()).select_from(outbox).where(
                    outbox.c.op == "delete")).scalar_one()
            assert deletes >= third["emr_patient_info"].counts.deleted
    finally:
        store.dispose()


def test_sqlite_store(tmp_path: Path) -> None:
    _poll_into_store(tmp_path, f"sqlite:///{tmp_path / 'store.db'}")


@pytest.mark.services
def test_postgresql_store(tmp_path: Path, pg_url: str) -> None:
    _poll_into_store(tmp_path, pg_url)
