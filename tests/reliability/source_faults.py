"""The HIS source database unreachable for a while: no watermark moves, errors reported, catch-up.

The synthetic HIS lives in a real PostgreSQL database reached through ``TcpProxy``; switching
the proxy off is the HIS server (or the network to it) going away: new connections are refused
and open ones are cut. Polls during the outage must fail with an error in their report and a
``failed`` run row, without moving any watermark; after the outage the next polls catch up to
exactly what a poller that never saw the outage extracts.
"""

from __future__ import annotations

import time
from datetime import date, datetime
from pathlib import Path

from fault_kit import Figures
from sqlalchemy import func, select
from tcp_proxy import TcpProxy

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
START = datetime(2026, 3, 3, 8, 0, tzinfo=CHINA_TZ)


def _extract(folder: Path, his_url: str) -> tuple[SqlPoller, MemoryIntake, ManualClock]:
    write_example(folder, his_url=his_url, store_url=f"sqlite:///{folder / 'store.db'}")
    config = folder / "hisbridge.yaml"
    settings = load_settings(config)
    project = open_project(config, settings)
    store = make_engine(settings.store.url)
    upgrade(store)
    intake, clock = MemoryIntake(), ManualClock(START)
    return SqlPoller(project, intake, store, clock=clock), intake, clock


def _reference(folder: Path, his_url: str) -> dict[str, int]:
    poller, intake, _ = _extract(folder, his_url)
    with poller:
        reports = poller.poll_all()
    assert all(r.ok for r in reports), [r.error for r in reports if not r.ok]
    return {r.table: intake.count(r.table) for r in reports}


def _watermarks(poller: SqlPoller, tables: list[str]) -> dict[str, datetime | None]:
    return {t: poller.state.watermark(t) for t in tables}


def run_source_outage(workdir: Path, pg_url: str, *, visits: int = 40,
                      outage_polls: int = 3) -> Figures:
    """Poll, cut the HIS off for ``outage_polls`` rounds, restore it, and reconcile."""
    figures = Figures(f"HIS source database unreachable ({outage_polls} poll rounds)")
    his = make_engine(pg_url)
    build_day(his, DAY, visits, seed=4)
    his.dispose()
    expected = _reference(workdir / "reference", pg_url)
    host_port = pg_url.split("@", 1)[1].split("/", 1)[0]
    proxy = TcpProxy(("127.0.0.1", int(host_port.rsplit(":", 1)[1])))
    poller, intake, clock = _extract(workdir / "outage", pg_url.replace(host_port,
                                                                        f"127.0.0.1:{proxy.port}"))
    try:
        with poller:
            first = [poller.poll_table(t) for t in ("base_dept", "base_user", "emr_patient_info")]
            assert all(r.ok for r in first), [r.error for r in first]
            tables = list(expected)
            before = _watermarks(poller, tables)
            proxy.down()
            errors = []
            for _ in range(outage_polls):
                clock.advance(minutes=1)
                errors += [r.error for r in poller.poll_all() if not r.ok]
            moved = {t for t, w in _watermarks(poller, tables).items() if w != before[t]}
            figures.notes.append(f"{len(errors)} failed polls during the outage; "
                                 f"watermarks moved: {sorted(moved) or 'none'}")
            if moved or len(errors) < outage_polls * len(tables):
                figures.lost.append(f"outage not reported everywhere: moved={sorted(moved)}")
            figures.notes.append(f"error shown: {(errors or ['-'])[0][:160]}")
            proxy.up()
            restored = time.monotonic()
            rounds = 0
            while rounds < 3:  # bounded: the first round after the outage should do it
                rounds += 1
                clock.advance(minutes=1)
                if all(r.ok for r in poller.poll_all()):
                    break
            figures.recover_s = round(time.monotonic() - restored, 1)
            figures.notes.append(f"caught up in {rounds} poll round(s)")
            with poller.state.engine.connect() as conn:
                failed = conn.execute(select(func.count()).select_from(source_runs)
                                      .where(source_runs.c.status == "failed")).scalar_one()
            figures.notes.append(f"{failed} runs recorded as failed")
    finally:
        proxy.close()
    for table, n in expected.items():
        got = intake.count(table)
        figures.records_in += n
        figures.delivered += min(n, got)
        if got != n:
            figures.lost.append(f"{table}: expected {n}, extracted {got}")
    return figures
