"""Build the alert rules' ``Snapshot`` from the store, reading only what is installed.

Targets: the latest attempt per target decides reachability; an attempt that failed with a
transient verdict and no HTTP status (connection refused, timeout) means unreachable.
Sources: the message poller's last attempt and, when the HIS extraction is installed,
the latest poll run (``source_runs``) of each source. The secret key: the earliest expiry
of the cached front-end keys.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, case, func, select

from hisbridge.ops.alerts.rules import Snapshot, TargetHealth
from hisbridge.ops.optional import optional_table
from hisbridge.store.times import from_store, to_store

__all__ = ["key_expiry", "last_polls", "read_snapshot", "target_health"]

_WAITING = ("pending", "retry_wait", "in_flight")


def _outbox_parts(conn: Any, now: datetime, window: timedelta) -> tuple[dict[str, int], dict[str, float]]:
    outbox = optional_table("outbox", "outbox")
    if outbox is None:
        return {}, {}
    o = outbox.c
    dead = conn.execute(select(o.table_name, func.count()).where(
        o.state == "dead", o.finished_at >= to_store(now - window)).group_by(o.table_name)).all()
    oldest = conn.execute(select(o.table_name, func.min(o.created_at))
                          .where(o.state.in_(_WAITING)).group_by(o.table_name)).all()
    ages = {t: max((to_store(now) - from_store(first)).total_seconds(), 0.0)  # type: ignore[operator]
            for t, first in oldest if first is not None}
    return {t: n for t, n in dead}, ages


def target_health(conn: Any) -> dict[str, TargetHealth]:
    """Per target: last success, last attempt, and whether the last attempt reached it."""
    attempts = optional_table("outbox", "attempts")
    if attempts is None:
        return {}
    a = attempts.c
    ok = dict(conn.execute(select(a.target, func.max(a.started_at))
                           .where(a.verdict == "delivered").group_by(a.target)).all())
    last_ids = select(func.max(a.id)).group_by(a.target).scalar_subquery()
    result = {}
    latest = select(a.target, a.started_at, a.verdict, a.status_code).where(a.id.in_(last_ids))
    for row in conn.execute(latest):
        unreachable = row.verdict == "transient" and row.status_code is None
        result[row.target] = TargetHealth(from_store(ok.get(row.target)), from_store(row.started_at),
                                          not unreachable)
    return result


def last_polls(conn: Any) -> dict[str, datetime | None]:
    """The last poll of every known source (HIS extraction runs, the message poller)."""
    polls: dict[str, datetime | None] = {}
    state = optional_table("warnings", "warning_poll_state")
    if state is not None:
        for name, last in conn.execute(select(state.c.name, state.c.last_attempt_at)):
            polls[f"frontend-messages:{name}"] = from_store(last)
    runs = optional_table("sources", "source_runs")
    if runs is not None:
        # The last *successful* run: a source whose every poll fails is as idle as a silent one.
        ok = case((runs.c.status == "ok", runs.c.started_at))
        for name, last in conn.execute(select(runs.c.source, func.max(ok))
                                       .group_by(runs.c.source)):
            polls[name] = from_store(last)
    return polls


def key_expiry(conn: Any) -> datetime | None:
    """The earliest expiry of the cached front-end secret keys, None when none is cached."""
    keys = optional_table("warnings", "frontend_secret_keys")
    if keys is None:
        return None
    first = conn.execute(select(func.min(keys.c.expires_at))).scalar()
    return datetime.fromtimestamp(float(first), UTC) if first is not None else None


def read_snapshot(engine: Engine, now: datetime, dead_window: timedelta) -> Snapshot:
    """Everything the rules need, read in one connection."""
    with engine.connect() as conn:
        dead, ages = _outbox_parts(conn, now, dead_window)
        return Snapshot(at=now, dead_recent=dead, oldest_pending_s=ages,
                        sources_last_poll=last_polls(conn), targets=target_health(conn),
                        key_expires_at=key_expiry(conn))
