"""No row is lost at a watermark boundary: rows stamped exactly at ``initial_since`` or exactly
at the stored watermark are read (inclusive ``>= :since``), on every table of the worked
example, and re-reading them enqueues nothing (the content hash)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import yaml
from sqlalchemy import Engine, func, insert, select, text, update

from hisbridge._clock import CHINA_TZ
from hisbridge.project.example import write_example
from hisbridge.runtime.extraction import open_project
from hisbridge.settings import load_settings
from hisbridge.simulators.his import build_day
from hisbridge.simulators.his.schema import his_metadata
from hisbridge.sources.sql_poll import SqlPoller
from hisbridge.store.engine import make_engine
from hisbridge.store.intake import StoreIntake
from hisbridge.store.migrate import upgrade
from hisbridge.store.schema.outbox import outbox
from hisbridge.testing import ManualClock, MemoryIntake

DAY = date(2026, 3, 2)
EDGE = datetime(2026, 3, 2, 0, 0, 0)


def _project(tmp_path: Path, his_url: str, **his: object) -> Path:
    config = write_example(tmp_path, his_url=his_url,
                           store_url=f"sqlite:///{tmp_path / 'store.db'}")[0]
    values = yaml.safe_load(config.read_text("utf-8"))
    values["his"].update(his)
    config.write_text(yaml.safe_dump(values, allow_unicode=True), "utf-8")
    return config


def _stamp_all(his: Engine, stamp: datetime, where: str = "") -> None:
    with his.begin() as conn:
        for table in his_metadata.sorted_tables:
            if "modify_time" in table.c:
                query = update(table).values(modify_time=stamp)  # stored as the HIS stores it
                conn.execute(query.where(text(where)) if where else query)


def _hospital(tmp_path: Path, seed: int) -> tuple[str, Engine]:
    """A day with rows in every source table (deaths are rare: one is added)."""
    url = f"sqlite:///{tmp_path / 'his.sqlite'}"
    his = make_engine(url)
    build_day(his, DAY, 300, seed=seed)
    deaths = his_metadata.tables["death_record"]
    with his.begin() as conn:
        visit = conn.execute(text("SELECT inp_no, patient_id, dept_admission_to, resident_doctor"
                                  " FROM pat_visit LIMIT 1")).one()
        conn.execute(insert(deaths).values(
            death_id="SW1", patient_id=visit.patient_id, visit_no=visit.inp_no, visit_class="I",
            death_time=EDGE, direct_cause_code="J18.9", direct_cause="肺炎",
            death_diag_code="J18.9", death_diag="肺炎", course_summary="-",
            doctor=visit.resident_doctor, dept=visit.dept_admission_to, modify_time=EDGE))
    return url, his


def _wide_keys(poller: SqlPoller, table: str) -> set[str]:
    rows = poller._rows(table, datetime(2000, 1, 1), datetime(2999, 1, 1))
    mapper = poller.project.mapper(table)
    return {m.key for m in mapper.map_rows(rows) if m.key and not m.filtered}


def test_rows_stamped_at_initial_since_are_read_on_every_table(tmp_path: Path) -> None:
    url, his = _hospital(tmp_path, seed=5)
    _stamp_all(his, EDGE)
    config = _project(tmp_path, url, initial_since=EDGE.isoformat())
    settings = load_settings(config)
    project = open_project(config, settings)
    store = make_engine(settings.store.url)
    upgrade(store)
    intake = MemoryIntake()
    clock = ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=CHINA_TZ))
    with SqlPoller(project, intake, store, clock=clock) as poller:
        reports = {r.table: r for r in poller.poll_all()}
        assert set(reports) == set(project.tables()) and len(reports) == 20
        for table, report in reports.items():
            expected = _wide_keys(poller, table)
            assert expected, table
            assert set(intake.current.get(table, {})) == expected, table
            assert report.ok and report.counts.accepted == len(expected), table


def test_rows_committed_late_at_the_watermark_are_read_once(tmp_path: Path) -> None:
    url, his = _hospital(tmp_path, seed=6)
    later = EDGE + timedelta(hours=6)
    _stamp_all(his, EDGE)
    _stamp_all(his, later, "rowid % 2 = 1")  # not yet committed at the first poll
    config = _project(tmp_path, url, overlap_s=0, initial_since="2026-03-01T00:00:00")
    settings = load_settings(config)
    project = open_project(config, settings)
    store = make_engine(settings.store.url)
    upgrade(store)
    clock = ManualClock(datetime(2026, 3, 2, 1, 0, tzinfo=CHINA_TZ))
    intake = StoreIntake(store, clock=clock)
    try:
        with SqlPoller(project, intake, store, clock=clock) as poller:
            first = {r.table: r for r in poller.poll_all()}
            assert all(r.ok and r.watermark == EDGE for r in first.values() if r.counts.rows_read)
            _stamp_all(his, EDGE, "rowid % 2 = 1")  # they commit, stamped at the mark
            clock.advance(minutes=5)
            second = {r.table: r for r in poller.poll_all()}
            for table in project.tables():
                expected = _wide_keys(poller, table)
                got = first[table].counts.accepted + second[table].counts.accepted
                assert expected and got == len(expected), table
            clock.advance(minutes=5)
            third = poller.poll_all()  # the rows at the mark are read again: nothing queued
            assert sum(r.counts.rows_read for r in third) > 0
            assert sum(r.counts.accepted for r in third) == 0
            assert all(r.counts.unchanged > 0 for r in third if r.counts.rows_read)
            with store.connect() as conn:
                queued = conn.execute(select(func.count()).select_from(outbox)).scalar_one()
            assert queued == sum(first[t].counts.accepted + second[t].counts.accepted
                                 for t in project.tables())
    finally:
        store.dispose()


def test_demo_day_sends_every_department_and_user(tmp_path: Path) -> None:
    """The demo's dictionaries are stamped 00:00:00 on the day it starts from (initial_since)."""
    url = f"sqlite:///{tmp_path / 'his.sqlite'}"
    his = make_engine(url)
    build_day(his, DAY, "small", seed=7, reset=True)
    config = _project(tmp_path, url, initial_since=EDGE.isoformat())
    settings = load_settings(config)
    project = open_project(config, settings)
    store = make_engine(settings.store.url)
    upgrade(store)
    intake = MemoryIntake()
    with his.connect() as conn:
        depts = conn.execute(text("SELECT COUNT(*) FROM dept_dict")).scalar_one()
        links = conn.execute(text("SELECT COUNT(*) FROM staff_dept")).scalar_one()
    clock = ManualClock(datetime(2026, 3, 3, 8, 0, tzinfo=CHINA_TZ))
    with SqlPoller(project, intake, store, clock=clock) as poller:
        for table in ("base_dept", "base_user"):
            poller.poll_table(table)
    assert len(intake.current["base_dept"]) == depts == 36
    assert len(intake.current["base_user"]) == links > 200
