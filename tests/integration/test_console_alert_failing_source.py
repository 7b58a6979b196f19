"""A HIS source whose every poll fails raises the idle alert (found by the reliability suite)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import insert

from hisbridge._clock import system_clock
from hisbridge.ops.alerts.rules import Thresholds, evaluate
from hisbridge.ops.alerts.snapshot import read_snapshot
from hisbridge.store.engine import make_engine
from hisbridge.store.migrate import upgrade
from hisbridge.store.schema.sources import source_runs
from hisbridge.store.times import to_store


def _run(source: str, status: str, minutes_ago: float) -> dict[str, object]:
    at = to_store(system_clock.now() - timedelta(minutes=minutes_ago))
    return {"source": source, "table_name": "emr_activity_info", "started_at": at,
            "finished_at": at, "status": status, "rows_read": 0, "accepted": 0, "unchanged": 0,
            "rejected": 0, "filtered": 0, "deleted": 0, "unmapped": 0}


def test_failing_source_is_idle_healthy_source_is_not(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    upgrade(engine)
    columns = {c.name for c in source_runs.columns}
    rows = [_run("his-broken", "failed", m) for m in (1, 2, 3)]
    rows += [_run("his-ok", "ok", 2), _run("his-ok", "failed", 1)]
    with engine.begin() as conn:
        conn.execute(insert(source_runs), [{k: v for k, v in r.items() if k in columns} for r in rows])
    snapshot = read_snapshot(engine, system_clock.now(), timedelta(hours=1))
    idle = {a.subject for a in evaluate(snapshot, Thresholds()) if a.rule == "source_idle"}
    assert idle == {"his-broken"}
    engine.dispose()
