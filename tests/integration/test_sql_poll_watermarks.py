"""Watermarks: moved only after the intake commits, with an overlap for late commits."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text

from hisbridge._clock import CHINA_TZ
from hisbridge.project.example import write_example
from hisbridge.runtime.extraction import open_project
from hisbridge.settings import load_settings
from hisbridge.simulators.his import build_day
from hisbridge.sources.sql_poll import SqlPoller
from hisbridge.store.engine import make_engine
from hisbridge.store.migrate import upgrade
from hisbridge.store.schema.sources import source_runs
from hisbridge.testing import ManualClock, MemoryIntake

DAY = date(2026, 3, 2)


@dataclass
class Rig:
    his: Engine
    store: Engine
    intake: MemoryIntake
    clock: ManualClock
    poller: SqlPoller


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    url = f"sqlite:///{tmp_path / 'his.sqlite'}"
    his = make_engine(url)
    build_day(his, DAY, 60, seed=9)
    write_example(tmp_path, his_url=url, store_url=f"sqlite:///{tmp_path / 'store.db'}")
    config = tmp_path / "hisbridge.yaml"
    settings = load_settings(config)
    project = open_project(config, settings)
    store = make_engine(settings.store.url)
    upgrade(store)
    intake = MemoryIntake()
    clock = ManualClock(datetime(2026, 3, 3, 8, 0, tzinfo=CHINA_TZ))
    with SqlPoller(project, intake, store, clock=clock) as poller:
        yield Rig(his, store, intake, clock, poller)


def test_watermark_stays_when_the_intake_fails(rig: Rig) -> None:
    rig.intake.fail_tables = {"emr_ex_lab_item"}
    report = rig.poller.poll_table("emr_ex_lab_item")
    assert report.error and "store unavailable" in report.error
    assert rig.poller.state.watermark("emr_ex_lab_item") is None
    assert rig.intake.count("emr_ex_lab_item") == 0
    rig.intake.fail_tables = set()
    again = rig.poller.poll_table("emr_ex_lab_item")
    assert again.ok and again.counts.accepted == again.counts.rows_read > 0
    with rig.his.connect() as conn:
        newest = conn.execute(text("SELECT MAX(modify_time) FROM lab_result")).scalar_one()
    assert rig.poller.state.watermark("emr_ex_lab_item") == datetime.fromisoformat(str(newest))


def test_runs_are_recorded_with_status_and_counts(rig: Rig) -> None:
    rig.intake.fail_tables = {"base_dept"}
    rig.poller.poll_table("base_dept")
    rig.intake.fail_tables = set()
    rig.poller.poll_table("base_dept")
    with rig.store.connect() as conn:
        runs = conn.execute(select(source_runs.c.status, source_runs.c.accepted,
                                   source_runs.c.error).order_by(source_runs.c.id)).all()
    assert [r.status for r in runs] == ["failed", "ok"]
    assert runs[0].error and runs[1].accepted == 36 and runs[1].error is None
    assert rig.poller.state.latest_runs()[0]["status"] == "ok"


def test_second_poll_rereads_only_the_overlap_as_unchanged(rig: Rig) -> None:
    first = rig.poller.poll_table("emr_ex_lab")
    rig.clock.advance(minutes=10)
    second = rig.poller.poll_table("emr_ex_lab")
    assert second.since == first.watermark - timedelta(seconds=120)  # type: ignore[operator]
    assert second.counts.accepted == 0
    assert second.counts.unchanged == second.counts.rows_read < first.counts.rows_read


def test_a_late_commit_inside_the_overlap_is_picked_up(rig: Rig) -> None:
    rig.poller.poll_table("base_dept")
    mark = rig.poller.state.watermark("base_dept")
    assert mark is not None
    late = (mark - timedelta(seconds=60)).strftime("%Y-%m-%d %H:%M:%S.%f")
    with rig.his.begin() as conn:  # committed after the poll, stamped a minute earlier
        conn.execute(text("INSERT INTO dept_dict (dept_code, dept_name, dept_attr, input_date, "
                          "stop_flag, modify_time) VALUES ('1999', '新科室', 'C', :t, '0', :t)"),
                     {"t": late})
    report = rig.poller.poll_table("base_dept")
    assert report.counts.accepted == 1 and "1999" in rig.intake.keys("base_dept")


def test_until_bounds_the_window_and_future_rows_wait(rig: Rig) -> None:
    noon = datetime(2026, 3, 2, 12, 0)
    report = rig.poller.poll_table("emr_activity_info", until=noon)
    assert report.watermark is not None and report.watermark <= noon
    rest = rig.poller.poll_table("emr_activity_info")
    assert rest.counts.accepted > 0
    with rig.his.connect() as conn:
        total = conn.execute(text("SELECT COUNT(*) FROM diagnosis WHERE diag_type IN ('1','2')"))
        assert rig.intake.count("emr_activity_info") == total.scalar_one()


def test_poll_all_by_group(rig: Rig) -> None:
    reports = rig.poller.poll_all("realtime")
    assert [r.table for r in reports] == ["emr_patient_info", "emr_activity_info",
                                          "emr_inf_report"]
    assert all(r.ok for r in reports)


def test_an_unexpected_failure_is_recorded_as_failed_and_raised(rig: Rig) -> None:
    class Broken(MemoryIntake):
        def accept(self, *args: object, **kwargs: object) -> object:  # type: ignore[override]
            raise RuntimeError("disk full near 440106199005170029")

    rig.poller.intake = Broken()
    with pytest.raises(RuntimeError):
        rig.poller.poll_table("base_dept")
    [run] = rig.poller.state.latest_runs()
    assert run["status"] == "failed" and "RuntimeError" in run["error"]
    assert "440106199005170029" not in run["error"]          # masked
    assert rig.poller.state.watermark("base_dept") is None


def test_re_extracting_an_earlier_window_never_moves_the_watermark_back(rig: Rig) -> None:
    rig.poller.poll_table("emr_ex_lab")
    mark = rig.poller.state.watermark("emr_ex_lab")
    again = rig.poller.poll_table("emr_ex_lab", since=datetime(2026, 3, 2),
                                  until=datetime(2026, 3, 2, 12, 0))
    assert again.counts.rows_read > 0 and again.counts.unchanged == again.counts.rows_read
    assert again.watermark == mark == rig.poller.state.watermark("emr_ex_lab")
