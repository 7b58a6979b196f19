"""Every bookkeeping time of the store is UTC, and people see it in the display zone.

Before, the sources' tables (runs, rejects) were written as China time while quarantine was
UTC, so on SQLite one poll left two different times and some console pages showed them 8 hours
off; both are checked here through the real poll and the real pages.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, select, text

from hisbridge._clock import CHINA_TZ
from hisbridge.audit.log import AuditLog
from hisbridge.dictionary import Validator
from hisbridge.project.example import write_example
from hisbridge.runtime.extraction import open_project
from hisbridge.settings import load_settings
from hisbridge.simulators.his import build_day
from hisbridge.simulators.his.schema import his_metadata
from hisbridge.sources.sql_poll import SqlPoller
from hisbridge.store.engine import make_engine
from hisbridge.store.intake import StoreIntake
from hisbridge.store.migrate import upgrade
from hisbridge.store.schema.outbox import quarantine
from hisbridge.store.schema.sources import source_rejects
from hisbridge.testing import ManualClock, MemoryIntake
from hisbridge.testing.console import FAST_ARGON2, add_role_users, login
from hisbridge.web.app import create_app

DAY = date(2026, 3, 2)


def test_quarantine_and_mapping_rejects_of_one_poll_carry_the_same_utc_instant(
        store_engine: Engine, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'his.sqlite'}"
    his = make_engine(url)
    build_day(his, DAY, 5, seed=5)
    with his.begin() as conn:  # a patient whose ID number has a wrong check digit
        row = dict(conn.execute(select(his_metadata.tables["pat_master_index"])).mappings().first()
                   or {})
        conn.execute(his_metadata.tables["pat_master_index"].insert(), [
            {**row, "patient_id": "BAD1", "id_no": "440106199005170010"}])
        visit = dict(conn.execute(select(his_metadata.tables["clinic_master"])).mappings().first()
                     or {})
        conn.execute(his_metadata.tables["clinic_master"].insert(), [
            {**visit, "visit_no": "MZBAD1", "patient_id": "BAD1"}])
    write_example(tmp_path, his_url=url, store_url=f"sqlite:///{tmp_path / 'unused.db'}")
    project = open_project(tmp_path / "hisbridge.yaml")
    clock = ManualClock(datetime(2026, 3, 3, 8, 0, tzinfo=CHINA_TZ))  # 00:00 UTC
    intake = StoreIntake(store_engine, Validator("strict"), clock=clock)
    with SqlPoller(project, intake, store_engine, clock=clock) as poller:
        report = poller.poll_table("emr_patient_info")
    assert report.counts.rejected >= 1
    with store_engine.connect() as conn:
        quarantined = conn.execute(select(quarantine.c.received_at)).scalars().all()
        rejected = conn.execute(select(source_rejects.c.created_at).where(
            source_rejects.c.stage == "intake")).scalars().all()
        raw = conn.execute(text("SELECT created_at FROM source_rejects")).scalars().first()
    expected = datetime(2026, 3, 3, 0, 0, tzinfo=UTC)
    assert quarantined and set(quarantined) == set(rejected) == {expected}
    if store_engine.dialect.name == "sqlite":  # the text itself is UTC, as for quarantine
        assert str(raw).startswith("2026-03-03 00:00:00")
    his.dispose()


def _polled_store(tmp_path: Path) -> Engine:
    """A SQLite store after one poll of base_dept at 08:00 Beijing time (00:00 UTC)."""
    url = f"sqlite:///{tmp_path / 'his.sqlite'}"
    his = make_engine(url)
    build_day(his, DAY, 5, seed=6)
    write_example(tmp_path, his_url=url, store_url=f"sqlite:///{tmp_path / 'store.db'}")
    config = tmp_path / "hisbridge.yaml"
    settings = load_settings(config)
    project = open_project(config, settings)
    store = make_engine(settings.store.url)
    upgrade(store)
    add_role_users(store)
    clock = ManualClock(datetime(2026, 3, 3, 8, 0, tzinfo=CHINA_TZ))
    with SqlPoller(project, MemoryIntake(), store, clock=clock) as poller:
        assert poller.poll_table("base_dept").ok
    his.dispose()
    return store


async def _dashboard(store: Engine, path: str = "/console/", user: str = "operator1",
                     **settings: Any) -> str:
    app = create_app(load_settings(console={"argon2": FAST_ARGON2}, **settings), store)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://c.test") as client:
        await login(client, user)
        return (await client.get(path)).text


async def test_the_dashboard_shows_the_last_poll_in_beijing_time_not_8_hours_off(
        tmp_path: Path) -> None:
    store = _polled_store(tmp_path)
    page = await _dashboard(store)
    assert "2026-03-03 08:00:00" in page and "2026-03-03 16:00:00" not in page
    assert "2026-03-03 08:00:00 +08:00" in page  # with its zone
    store.dispose()


async def test_a_display_zone_of_its_own_shows_the_same_instant_there(tmp_path: Path) -> None:
    store = _polled_store(tmp_path)
    page = await _dashboard(store, web={"display_timezone": "UTC"})
    assert "2026-03-03 00:00:00 +00:00" in page and "2026-03-03 08:00:00" not in page
    page = await _dashboard(store, his={"timezone": "UTC"})  # the HIS's zone by default
    assert "2026-03-03 00:00:00 +00:00" in page
    store.dispose()


async def test_audit_entries_show_in_the_display_zone_with_their_offset(tmp_path: Path) -> None:
    """The audit log keeps its hashed +08:00 text; the page shows it like every other time."""
    store = _polled_store(tmp_path)
    clock = ManualClock(datetime(2026, 3, 3, 8, 0, tzinfo=CHINA_TZ))
    AuditLog(store, clock=clock).append("RECORD_VIEW", "D0001", role="DOCTOR")
    page = await _dashboard(store, "/console/audit", "auditor1")
    assert "2026-03-03 08:00:00 +08:00" in page
    page = await _dashboard(store, "/console/audit", "auditor1", web={"display_timezone": "UTC"})
    assert "2026-03-03 00:00:00 +00:00" in page and "2026-03-03 08:00:00" not in page
    store.dispose()
