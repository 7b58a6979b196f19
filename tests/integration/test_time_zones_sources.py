"""The HIS's zone (``his.timezone``) against the store's UTC, for SQL polling.

A HIS keeps naive wall times in its own zone; the store keeps every bookkeeping time in UTC:
the watermark is stored in UTC and turned back into the HIS's wall time when bound into the
HIS query, and quarantine and mapping rejects of one poll carry the same instant.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text

from hisbridge._clock import CHINA_TZ, time_zone
from hisbridge.mapping import load_project
from hisbridge.mapping.example import write_example
from hisbridge.settings import load_settings
from hisbridge.simulators.his import build_day
from hisbridge.simulators.his.schema import his_metadata
from hisbridge.sources.sql_poll import SqlPoller
from hisbridge.sources.watermarks import format_mark
from hisbridge.spec import Validator
from hisbridge.store.engine import make_engine
from hisbridge.store.intake import StoreIntake
from hisbridge.store.migrate import upgrade
from hisbridge.store.schema.outbox import quarantine
from hisbridge.store.schema.sources import source_rejects, source_watermarks
from hisbridge.testing import ManualClock, MemoryIntake

pytestmark = pytest.mark.services
DAY = date(2026, 3, 2)
NOON_UTC = datetime(2026, 3, 3, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize("zone", ["UTC", "+08:00"])
@pytest.mark.parametrize("kind", ["pg_url", "mysql_url"])
def test_watermark_is_utc_in_the_store_and_his_wall_time_in_the_query(
        kind: str, zone: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    url = request.getfixturevalue(kind)
    his = make_engine(url)
    build_day(his, DAY, 20, seed=3)
    write_example(tmp_path, his_url=url, store_url=f"sqlite:///{tmp_path / 'store.db'}")
    settings = load_settings(tmp_path / "hisbridge.yaml", his={"timezone": zone})
    project = load_project(tmp_path / "hisbridge.yaml", settings)
    store = make_engine(settings.store.url)
    upgrade(store)
    tz = time_zone(zone)
    clock = ManualClock(NOON_UTC)
    his_now = NOON_UTC.astimezone(tz).replace(tzinfo=None)  # 12:00 (UTC) or 20:00 (+08:00)
    with SqlPoller(project, MemoryIntake(), store, clock=clock) as poller:
        first = poller.poll_table("base_dept")
        with his.connect() as conn:
            newest = conn.execute(text("SELECT MAX(modify_time) FROM dept_dict")).scalar_one()
        assert first.ok and first.until == his_now and first.watermark == newest
        with store.connect() as conn:
            stored = conn.execute(select(source_watermarks.c.watermark)).scalar_one()
        assert stored == format_mark(newest.replace(tzinfo=tz).astimezone(UTC))
        # a change made on the HIS a minute ago, stamped in the HIS's own wall time
        changed_at = his_now - timedelta(minutes=1)
        with his.begin() as conn:
            conn.execute(text("UPDATE dept_dict SET dept_name = :n, modify_time = :t "
                              "WHERE dept_code = (SELECT MIN(dept_code) FROM dept_dict)"
                              if kind == "pg_url" else
                              "UPDATE dept_dict SET dept_name = :n, modify_time = :t "
                              "ORDER BY dept_code LIMIT 1"), {"n": "时区测试科", "t": changed_at})
        clock.advance(minutes=5)
        second = poller.poll_table("base_dept")
    overlap = timedelta(seconds=settings.his.overlap_s)
    assert second.since == newest - overlap  # the UTC watermark, back in the HIS's wall time
    assert second.until == his_now + timedelta(minutes=5)
    assert (second.counts.accepted, second.watermark) == (1, changed_at)
    store.dispose()
    his.dispose()


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
    project = load_project(tmp_path / "hisbridge.yaml")
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
