"""A hospital day end to end: synthetic HIS -> mappings -> store -> front-end simulator.

The HIS lives in MariaDB (a medium day), PostgreSQL or SQLite (small days); the gateway's store
in PostgreSQL or SQLite. After the day is extracted and delivered, the day's corrections
(cancelled visits, deleted prescriptions and results) are applied in the HIS and a second pass
must carry them as deletes. Reconciliation then reports nothing missing, dead or quarantined,
the simulator holds only the wanted drug classes, and base_dept never received a delete.
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from hisbridge._clock import CHINA_TZ
from hisbridge.project.example import write_example
from hisbridge.runtime.extraction import Pipeline, extract, open_pipeline
from hisbridge.simulators.frontend import create_frontend_app
from hisbridge.simulators.his import apply_corrections, build_day
from hisbridge.sources.reconcile import TableReconciliation, reconcile_day
from hisbridge.testing import serve_app


def _yesterday() -> date:
    return (datetime.now(CHINA_TZ) - timedelta(days=1)).date()


def _run_day(tmp_path: Path, his_url: str, store_url: str, scale: str,
             monkeypatch: pytest.MonkeyPatch) -> None:
    day = _yesterday()
    his = create_engine(his_url)
    build_day(his, day, scale, seed=5, reset=True)  # type: ignore[arg-type]
    sim_db = f"sqlite:///{tmp_path / 'frontend.db'}"
    with serve_app(create_frontend_app(store_url=sim_db)) as url:
        config = write_example(tmp_path / "proj", his_url=his_url, frontend_url=url,
                               store_url=store_url)[0]
        monkeypatch.setenv("HISBRIDGE_HIS__INITIAL_SINCE", f"{day.isoformat()}T00:00:00")
        with open_pipeline(config) as pipe:
            lines = asyncio.run(_two_passes(pipe, his, day))
            drugs = pipe.project.drugs
    problems = [x.as_dict() for x in lines if not x.complete]
    assert problems == []
    assert sum(x.source for x in lines) > 0
    assert sum(x.withdrawn for x in lines) > 0, "no cancelled visit took its children along"
    _check_simulator(sim_db, lines, drugs)
    his.dispose()


async def _two_passes(pipe: Pipeline, his: Engine, day: date) -> list[TableReconciliation]:
    """Extract and deliver the day, apply its corrections, extract and deliver again."""
    try:
        first = await asyncio.to_thread(extract, pipe.poller, pipe.project.tables())
        assert all(r.error is None for r in first), [r.error for r in first if r.error]
        assert sum(r.counts.filtered for r in first) > 0, "the drug filter dropped nothing"
        assert await pipe.delivery.run_until_idle(300)
        changed = apply_corrections(his, day, when=pipe.poller.now() - timedelta(seconds=5))
        assert sum(changed.values()) > 0
        second = await asyncio.to_thread(extract, pipe.poller, pipe.project.tables())
        today = pipe.poller.now().date()
        swept = [await asyncio.to_thread(pipe.poller.sweep_deletes, t, d)
                 for t in pipe.project.tables() for d in (day, today)]
        assert sum(r.counts.deleted for r in second + swept) > 0
        assert await pipe.delivery.run_until_idle(300)
        # Corrections are stamped today, so their rows count in today's reconciliation.
        return [line for d in (day, today)
                for line in await asyncio.to_thread(reconcile_day, pipe.poller, pipe.engine, d)]
    finally:
        await pipe.delivery.stop()


def _check_simulator(sim_db: str, lines: list[object], drugs: object) -> None:
    sim = create_engine(sim_db)
    with sim.connect() as conn:
        held = {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()
                for t in {x.table for x in lines}}  # type: ignore[attr-defined]
        order_drugs = [r[0] for r in conn.execute(text("SELECT drug_code FROM emr_order_item"))]
        deletes = conn.execute(text("SELECT path FROM sim_request WHERE method = 'DELETE'")).all()
    sim.dispose()
    expected: dict[str, int] = {}
    for line in lines:  # the front-end holds exactly the HIS's current rows (day + corrections)
        # but for the children of cancelled visits, deleted with their visit (no orphans)
        kept = line.source - line.withdrawn  # type: ignore[attr-defined]
        expected[line.table] = expected.get(line.table, 0) + kept
    assert held == expected
    assert order_drugs, "no order items reached the front-end"
    assert deletes, "no delete reached the front-end"
    assert not [p for (p,) in deletes if p.endswith("/baseDept")]
    assert drugs is not None


@pytest.mark.services
@pytest.mark.slow
def test_medium_day_mariadb_his_postgres_store(tmp_path: Path, mysql_url: str, pg_url: str,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    _run_day(tmp_path, mysql_url, pg_url, "medium", monkeypatch)


@pytest.mark.services
def test_small_day_postgres_his_sqlite_store(tmp_path: Path, pg_url: str,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    _run_day(tmp_path, pg_url, f"sqlite:///{tmp_path / 'store.db'}", "small", monkeypatch)


def test_small_day_sqlite_his_sqlite_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _run_day(tmp_path, f"sqlite:///{tmp_path / 'his.db'}", f"sqlite:///{tmp_path / 'store.db'}",
             "small", monkeypatch)
