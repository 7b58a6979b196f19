"""The HIS's zone (``his.timezone``) against the store's UTC, for SQL polling.

A HIS keeps naive wall times in its own zone; the store keeps every bookkeeping time in UTC:
the watermark is stored in UTC and turned back into the HIS's wall time when bound into the
HIS query, and quarantine and mapping rejects of one poll carry the same instant.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text

from hisbridge._clock import time_zone
from hisbridge.project.example import write_example
from hisbridge.runtime.extraction import open_project
from hisbridge.settings import load_settings
from hisbridge.simulators.his import build_day
from hisbridge.sources.sql_poll import SqlPoller
from hisbridge.sources.watermarks import format_mark
from hisbridge.store.engine import make_engine
from hisbridge.store.migrate import upgrade
from hisbridge.store.schema.sources import source_watermarks
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
    project = open_project(tmp_path / "hisbridge.yaml", settings)
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
