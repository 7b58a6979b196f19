"""The dashboard's numbers, read from the store: today per table, queue age, 24 h throughput.

"Today" is the China calendar day. Per table: *accepted* record versions and *rejected* records
(quarantined) received today, *extracted* = their sum; *delivered* and *dead* = outbox entries
finished today in that state (dead letters already replayed are not counted); *pending* = what
waits now (pending, retry_wait, in_flight) and the age of its oldest entry.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, exists, func, or_, select

from hisbridge.dictionary import load_dictionary
from hisbridge.ops.alerts.rules import TargetHealth
from hisbridge.ops.alerts.snapshot import last_polls, target_health
from hisbridge.ops.optional import optional_table
from hisbridge.store.scope import EVERY_INSTITUTION, InstitutionScope
from hisbridge.store.times import from_store, to_store

__all__ = ["COUNTERS", "Dashboard", "HourBar", "SourceHealth", "TableLine", "read_dashboard",
           "source_health", "start_of_day"]

COUNTERS = ("extracted", "accepted", "rejected", "delivered", "dead", "pending")
_WAITING = ("pending", "retry_wait", "in_flight")


@dataclass(slots=True)
class TableLine:
    table: str
    title_zh: str
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTERS, 0))
    oldest_pending_s: float | None = None


@dataclass(frozen=True, slots=True)
class HourBar:
    start: datetime  # China time
    delivered: int
    failed: int


@dataclass(frozen=True, slots=True)
class SourceHealth:
    """A source's latest poll run: when, how it ended, the last success, the last error."""

    name: str
    last_poll: datetime | None
    status: str
    last_ok: datetime | None
    error: str | None


@dataclass(slots=True)
class Dashboard:
    installed: bool
    lines: list[TableLine]
    totals: dict[str, int]
    oldest_pending_s: float | None
    dead_outstanding: int
    hours: list[HourBar]
    sources: list[SourceHealth]
    targets: dict[str, TargetHealth]

    def as_json(self) -> dict[str, Any]:
        """What the live stream sends: counters by ``table.counter`` and the totals."""
        cells = {f"{ln.table}.{k}": v for ln in self.lines for k, v in ln.counts.items()}
        cells.update({f"total.{k}": v for k, v in self.totals.items()})
        cells["dead_outstanding"] = self.dead_outstanding
        return {"cells": cells, "oldest_pending_s": self.oldest_pending_s}


def start_of_day(now: datetime) -> datetime:
    """Midnight of ``now``'s day in ``now``'s own zone (the display zone)."""
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


def _grouped(conn: Any, query: Any) -> dict[str, int]:
    return {table: int(n) for table, n in conn.execute(query).all()}


def _today_counts(conn: Any, start: datetime, scope: InstitutionScope) -> dict[str, dict[str, int]]:
    from hisbridge.store.schema.outbox import outbox, quarantine, records

    o, r, q, since = outbox.c, records.c, quarantine.c, to_store(start)
    mine = scope.where(o.institution)
    finished = (select(o.table_name, func.count()).where(o.finished_at >= since, mine)
                .group_by(o.table_name))
    return {
        "accepted": _grouped(conn, select(r.table_name, func.count())
                             .where(r.received_at >= since, scope.where_record(r.table_name, r.record_id))
                             .group_by(r.table_name)),
        "rejected": _grouped(conn, select(q.table_name, func.count())
                             .where(q.received_at >= since, scope.where(q.institution))
                             .group_by(q.table_name)),
        "delivered": _grouped(conn, finished.where(o.state == "delivered")),
        "dead": _grouped(conn, finished.where(o.state == "dead", o.replayed.is_(False))),
        "pending": _grouped(conn, select(o.table_name, func.count())
                            .where(o.state.in_(_WAITING), mine).group_by(o.table_name)),
    }


def _oldest(conn: Any, now: datetime, scope: InstitutionScope) -> dict[str, float]:
    from hisbridge.store.schema.outbox import outbox

    o = outbox.c
    rows = conn.execute(select(o.table_name, func.min(o.created_at))
                        .where(o.state.in_(_WAITING), scope.where(o.institution))
                        .group_by(o.table_name)).all()
    return {t: max((to_store(now) - from_store(first)).total_seconds(), 0.0)  # type: ignore[operator]
            for t, first in rows if first is not None}


def _hours(conn: Any, now: datetime, scope: InstitutionScope) -> list[HourBar]:
    """Attempts of the last 24 hours per hour: delivered vs not (bucketed in Python: a row per
    failed attempt or per delivered batch, which counts its ``records``); a scoped reader's
    are the attempts of its institutions' entries."""
    from hisbridge.store.schema.outbox import attempts, outbox

    top = now.replace(minute=0, second=0, microsecond=0)
    first = top - timedelta(hours=23)
    buckets = {first + timedelta(hours=i): [0, 0] for i in range(24)}
    a, o = attempts.c, outbox.c
    query = select(a.started_at, a.verdict, a.records).where(a.started_at >= to_store(first))
    if not scope.everything:
        query = query.where(exists(select(o.id).where(
            or_(o.id == a.outbox_id, o.attempt_id == a.id), scope.where(o.institution))))
    rows = conn.execute(query)
    for started, verdict, count in rows:
        hour = from_store(started).astimezone(now.tzinfo).replace(  # type: ignore[union-attr]
            minute=0, second=0, microsecond=0)
        if hour in buckets:
            buckets[hour][0 if verdict == "delivered" else 1] += count
    return [HourBar(h, ok, bad) for h, (ok, bad) in buckets.items()]


def _dead_outstanding(conn: Any, scope: InstitutionScope) -> int:
    from hisbridge.store.schema.outbox import outbox

    o = outbox.c
    query = select(func.count()).where(o.state == "dead", o.replayed.is_(False),
                                       scope.where(o.institution))
    return int(conn.execute(query).scalar() or 0)


def _lines(counts: dict[str, dict[str, int]], oldest: dict[str, float]) -> list[TableLine]:
    lines = []
    for spec in load_dictionary():
        line = TableLine(spec.name, spec.title_zh, oldest_pending_s=oldest.get(spec.name))
        for key, per_table in counts.items():
            line.counts[key] = per_table.get(spec.name, 0)
        line.counts["extracted"] = line.counts["accepted"] + line.counts["rejected"]
        lines.append(line)
    return lines


def source_health(conn: Any) -> list[SourceHealth]:
    """Per source: the latest poll run (HIS extraction) or poll (message poller)."""
    found = {name: SourceHealth(name, last, "ok" if last else "idle", last, None)
             for name, last in last_polls(conn).items()}
    runs = optional_table("sources", "source_runs")
    if runs is not None:
        r = runs.c
        ok = dict(conn.execute(select(r.source, func.max(r.finished_at)).where(r.status == "ok")
                               .group_by(r.source)).all())
        latest = select(func.max(r.id)).group_by(r.source).scalar_subquery()
        for row in conn.execute(select(r.source, r.started_at, r.status, r.error).where(r.id.in_(latest))):
            found[row.source] = SourceHealth(row.source, from_store(row.started_at), row.status,
                                             from_store(ok.get(row.source)), row.error)
    return sorted(found.values(), key=lambda s: s.name)


def read_dashboard(engine: Engine, now: datetime,
                   scope: InstitutionScope = EVERY_INSTITUTION) -> Dashboard:
    """Everything the dashboard shows (counters of the institutions in ``scope``; sources and
    targets are the gateway's); ``installed`` is False without the outbox store.

    ``now`` is in the display zone: "today" and the hourly bars are days and hours there."""
    if optional_table("outbox", "outbox") is None:
        with engine.connect() as conn:
            return Dashboard(False, [], {}, None, 0, [], source_health(conn), {})
    with engine.connect() as conn:
        counts = _today_counts(conn, start_of_day(now), scope)
        oldest = _oldest(conn, now, scope)
        lines = _lines(counts, oldest)
        totals = {k: sum(ln.counts[k] for ln in lines) for k in COUNTERS}
        return Dashboard(True, lines, totals, max(oldest.values(), default=None),
                         _dead_outstanding(conn, scope), _hours(conn, now, scope), source_health(conn),
                         target_health(conn))
