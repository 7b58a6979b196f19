"""Live activity for the demo: each step adds visits now, and the poller picks them up."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from sqlalchemy import text

from hisbridge._clock import CHINA_TZ
from hisbridge.project.example import write_example
from hisbridge.runtime.extraction import open_project
from hisbridge.settings import load_settings
from hisbridge.simulators.his import LiveActivity, build_day
from hisbridge.sources.sql_poll import SqlPoller
from hisbridge.store.engine import make_engine
from hisbridge.store.migrate import upgrade
from hisbridge.testing import ManualClock, MemoryIntake


def test_live_steps_are_polled_in_near_real_time(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'his.sqlite'}"
    his = make_engine(url)
    clock = ManualClock(datetime(2026, 3, 2, 10, 0, tzinfo=CHINA_TZ))
    build_day(his, date(2026, 3, 2), 30, seed=1, now=datetime(2026, 3, 2, 10, 0))
    write_example(tmp_path, his_url=url, store_url=f"sqlite:///{tmp_path / 's.db'}")
    config = tmp_path / "hisbridge.yaml"
    settings = load_settings(config)
    project = open_project(config, settings)
    store = make_engine(settings.store.url)
    upgrade(store)
    intake = MemoryIntake()
    live = LiveActivity(his, seed=3, clock=clock, visits_per_step=4, infectious_share=1.0,
                        correction_share=0.0)
    with SqlPoller(project, intake, store, clock=clock) as poller:
        poller.poll_all("realtime")
        before = intake.count("emr_activity_info")
        for _ in range(3):
            clock.advance(seconds=10)
            added = live.step()
            assert added["clinic_master"] == 4
            reports = poller.poll_all("realtime")
            assert all(r.ok and not r.counts.rejected for r in reports)
    assert intake.count("emr_activity_info") >= before + 12
    notifiable = [r for r in intake.current["emr_activity_info"].values()
                  if r.get("disease_code")]
    assert len(notifiable) >= 12
    with his.connect() as conn:
        live_visits = conn.execute(text(
            "SELECT COUNT(*) FROM clinic_master WHERE visit_no LIKE 'MZ202603028%'"))
        assert live_visits.scalar_one() == 12
    assert live.total["clinic_master"] == 12


def test_live_corrections_reach_the_front_end_as_deletes(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'his.sqlite'}"
    his = make_engine(url)
    clock = ManualClock(datetime(2026, 3, 2, 15, 0, tzinfo=CHINA_TZ))
    build_day(his, date(2026, 3, 2), 30, seed=1, now=datetime(2026, 3, 2, 15, 0))
    write_example(tmp_path, his_url=url, store_url=f"sqlite:///{tmp_path / 's.db'}")
    config = tmp_path / "hisbridge.yaml"
    settings = load_settings(config)
    project = open_project(config, settings)
    store = make_engine(settings.store.url)
    upgrade(store)
    intake = MemoryIntake()
    live = LiveActivity(his, seed=8, clock=clock, correction_share=1.0)
    with SqlPoller(project, intake, store, clock=clock) as poller:
        poller.poll_all("realtime")
        clock.advance(seconds=30)
        changed = live.step()
        assert changed["clinic_master.deleted_flag"] == 1
        assert changed["diagnosis.corrected"] == 1
        [report] = [r for r in poller.poll_all("realtime") if r.table == "emr_patient_info"]
    assert report.counts.deleted == 1 and len(intake.deleted["emr_patient_info"]) == 1
