"""Read and repair the outbox: counts per table x state, dead letters, replay by filter.

Used by ``hisbridge outbox ...``, ``/api/v1/outbox``, ``/metrics`` and (later) the console and
reconciliation. Replay never edits history: it creates new outbox entries that point to the
entry they replay (``replay_of``) and to the replay request (``replay_id``), and marks the old
entry ``replayed``. A dead version that a newer version of the same record has overtaken is not
replayed (it would overwrite newer data); it is counted as ``superseded``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Engine, and_, func, select, update

from hisbridge import _json
from hisbridge.privacy import scrub
from hisbridge.store.schema.outbox import outbox, quarantine, record_keys, replays
from hisbridge.store.times import from_store, to_store

__all__ = ["DeadEntry", "DeadFilter", "OutboxStatus", "ReplayFilter", "ReplayResult",
           "dead_counts", "dead_dict", "dead_entries", "dead_letters", "outbox_status", "replay"]


@dataclass(slots=True)
class OutboxStatus:
    """Counts per (table, state), the oldest due entry's age per table, quarantine per table."""

    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    oldest_pending_s: dict[str, float] = field(default_factory=dict)
    quarantined: dict[str, int] = field(default_factory=dict)
    replayed: dict[str, int] = field(default_factory=dict)

    def total(self, state: str) -> int:
        return sum(states.get(state, 0) for states in self.counts.values())

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def outbox_status(engine: Engine, now: datetime) -> OutboxStatus:
    """The queue at a glance; ``dead`` excludes entries already replayed (see ``replayed``)."""
    o = outbox.c
    status = OutboxStatus()
    waiting = ("pending", "retry_wait", "in_flight")
    with engine.connect() as conn:
        rows = conn.execute(select(o.table_name, o.state, o.replayed, func.count())
                            .group_by(o.table_name, o.state, o.replayed)).all()
        oldest = conn.execute(select(o.table_name, func.min(o.created_at))
                              .where(o.state.in_(waiting)).group_by(o.table_name)).all()
        parked = conn.execute(select(quarantine.c.table_name, func.count())
                              .group_by(quarantine.c.table_name)).all()
    for table, state, was_replayed, count in rows:
        if state == "dead" and was_replayed:
            status.replayed[table] = status.replayed.get(table, 0) + count
            continue
        status.counts.setdefault(table, {})[state] = count
    stamp = to_store(now)
    for table, first in oldest:
        status.oldest_pending_s[table] = max((stamp - from_store(first)).total_seconds(), 0.0)  # type: ignore[operator]
    status.quarantined = {table: count for table, count in parked}
    return status


@dataclass(frozen=True, slots=True)
class DeadEntry:
    outbox_id: int
    table: str
    record_id: str
    version: int
    op: str
    attempts: int
    reason: str
    error_code: str | None
    reply: str | None
    finished_at: datetime | None

    def as_dict(self) -> dict[str, Any]:
        return dead_dict(self)


def dead_dict(dead: Any) -> dict[str, Any]:
    """A dead letter's fields for ``--json`` and the console, its finish time in ISO 8601."""
    return {**asdict(dead), "finished_at": dead.finished_at.isoformat() if dead.finished_at else None}


@dataclass(frozen=True, slots=True)
class DeadFilter:
    """Which dead letters: a table, an error code and a creation-time range, each optional."""

    table: str | None = None
    error_code: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def _unreplayed(state: str, f: DeadFilter) -> list[Any]:
    """The one WHERE clause for dead letters (and replay's entries): state, not yet replayed."""
    o = outbox.c
    where = [o.state == state, o.replayed.is_(False)]
    if f.table:
        where.append(o.table_name == f.table)
    if f.error_code:
        where.append(o.error_code == f.error_code)
    if f.since is not None:
        where.append(o.created_at >= to_store(f.since))
    if f.until is not None:
        where.append(o.created_at < to_store(f.until))
    return where


def dead_letters(engine: Engine, f: DeadFilter, limit: int = 100) -> list[DeadEntry]:
    """The one dead-letter query: not yet replayed, newest first, with reason and reply (masked).

    Used by ``hisbridge outbox dead``, ``/api/v1/outbox/dead`` and the console's dead letters.
    """
    o = outbox.c
    query = (select(o.id, o.table_name, o.record_id, o.version, o.op, o.attempts, o.last_error,
                    o.error_code, o.last_reply, o.finished_at)
             .where(*_unreplayed("dead", f)).order_by(o.id.desc()).limit(limit))
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    # the receiver's refusal may quote the record: ID numbers and phones masked for every reader
    return [DeadEntry(r.id, r.table_name, r.record_id, r.version, r.op, r.attempts,
                      scrub(r.last_error or ""), r.error_code,
                      scrub(r.last_reply) if r.last_reply else r.last_reply,
                      from_store(r.finished_at))
            for r in rows]


def dead_entries(engine: Engine, table: str | None = None, limit: int = 100) -> list[DeadEntry]:
    """Dead letters not yet replayed, newest first, optionally of one table."""
    return dead_letters(engine, DeadFilter(table), limit)


def dead_counts(engine: Engine, f: DeadFilter) -> tuple[int, dict[str, int]]:
    """How many dead letters match ``f``, and how many per error code (``—`` for none)."""
    o = outbox.c
    where = _unreplayed("dead", f)
    with engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(outbox).where(*where)).scalar()
        codes = conn.execute(select(o.error_code, func.count()).where(*where)
                             .group_by(o.error_code)).all()
    return int(total or 0), {code or "—": int(n) for code, n in codes}


@dataclass(frozen=True, slots=True)
class ReplayFilter:
    """Which entries to replay: a table, a state, and optionally a time range and error code."""

    table: str
    state: Literal["dead", "retry_wait"] = "dead"
    since: datetime | None = None
    until: datetime | None = None
    error_code: str | None = None

    def as_json(self) -> str:
        values = asdict(self)
        for key in ("since", "until"):
            values[key] = values[key].isoformat() if values[key] else None
        return _json.dumps_str(values)


@dataclass(frozen=True, slots=True)
class ReplayResult:
    matched: int
    superseded: int
    replayed: int
    replay_id: int | None
    dry_run: bool

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _matching(flt: ReplayFilter) -> Any:
    o, k = outbox.c, record_keys.c
    query = (select(o.id, o.table_name, o.record_id, o.version, o.op, o.parent_table,
                    o.parent_id, o.created_at, o.institution,
                    (k.version > o.version).label("superseded"))
             .join(record_keys, and_(k.table_name == o.table_name, k.record_id == o.record_id))
             .where(o.table_name == flt.table,
                    *_unreplayed(flt.state, DeadFilter(flt.table, flt.error_code, flt.since,
                                                       flt.until)))
             .order_by(o.id))
    return query


def replay(engine: Engine, flt: ReplayFilter, now: datetime, *, dry_run: bool = False,
           requested_by: str = "cli") -> ReplayResult:
    """Preview (``dry_run``) or perform a replay; one transaction."""
    stamp = to_store(now)
    with engine.begin() as conn:
        rows = conn.execute(_matching(flt)).all()
        todo = [r for r in rows if not r.superseded]
        superseded = len(rows) - len(todo)
        if dry_run or not todo:
            return ReplayResult(len(rows), superseded, 0, None, dry_run)
        if flt.state == "retry_wait":
            conn.execute(update(outbox).where(outbox.c.id.in_([r.id for r in todo]))
                         .values(next_attempt_at=stamp))
            return ReplayResult(len(rows), superseded, len(todo), None, False)
        inserted = conn.execute(replays.insert().values(
            created_at=stamp, filter=flt.as_json(), entries=len(todo),
            requested_by=requested_by[:200])).inserted_primary_key
        replay_id = int(inserted[0]) if inserted else 0
        conn.execute(outbox.insert(), [_again(r, replay_id, stamp) for r in todo])
        conn.execute(update(outbox).where(outbox.c.id.in_([r.id for r in todo]))
                     .values(replayed=True))
    return ReplayResult(len(rows), superseded, len(todo), int(replay_id), False)


def _again(row: Any, replay_id: int, now: datetime) -> dict[str, Any]:
    return {"table_name": row.table_name, "record_id": row.record_id, "version": row.version,
            "op": row.op, "parent_table": row.parent_table, "parent_id": row.parent_id,
            "state": "pending", "attempts": 0, "created_at": row.created_at,
            "next_attempt_at": now, "replay_of": row.id, "replay_id": replay_id,
            "replayed": False, "note": "replay", "institution": row.institution}
