"""Dead letters for the console: list and count by filter, with the reason and the reply.

Replay itself is the outbox's (``hisbridge.store.queries.replay``): it previews, then creates
new entries linked to the dead ones. This module only reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, select

from hisbridge.store.times import from_store, to_store

__all__ = ["DeadFilter", "DeadRow", "list_dead"]

PAGE = 100


@dataclass(frozen=True, slots=True)
class DeadFilter:
    table: str | None = None
    error_code: str | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True, slots=True)
class DeadRow:
    outbox_id: int
    table: str
    record_id: str
    version: int
    attempts: int
    reason: str
    error_code: str | None
    reply: str | None
    created_at: datetime
    finished_at: datetime | None


def _where(f: DeadFilter) -> list[Any]:
    from hisbridge.store.schema.outbox import outbox

    o = outbox.c
    found = [o.state == "dead", o.replayed.is_(False)]
    if f.table:
        found.append(o.table_name == f.table)
    if f.error_code:
        found.append(o.error_code == f.error_code)
    if f.since:
        found.append(o.created_at >= to_store(f.since))
    if f.until:
        found.append(o.created_at < to_store(f.until))
    return found


def list_dead(engine: Engine, f: DeadFilter) -> tuple[list[DeadRow], int, dict[str, int]]:
    """Up to ``PAGE`` dead letters (newest first), how many match, and counts per error code."""
    from hisbridge.store.schema.outbox import outbox

    o = outbox.c
    where = _where(f)
    with engine.connect() as conn:
        rows = conn.execute(select(outbox).where(*where).order_by(o.id.desc()).limit(PAGE)).all()
        total = int(conn.execute(select(func.count()).select_from(outbox).where(*where)).scalar() or 0)
        codes = conn.execute(select(o.error_code, func.count()).where(*where).group_by(o.error_code)).all()
    shown = [DeadRow(r.id, r.table_name, r.record_id, r.version, r.attempts, r.last_error or "",
                     r.error_code, r.last_reply, from_store(r.created_at), from_store(r.finished_at))  # type: ignore[arg-type]
             for r in rows]
    return shown, total, {code or "—": int(n) for code, n in codes}
