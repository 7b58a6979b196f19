"""One day per table from the store's side: accepted vs delivered, what waits, what is dead.

A record version received on the day counts as delivered when an outbox entry of its record
with that version or a newer one was delivered (a newer delivered version supersedes it).
Dead = entries created that day that went dead and are not yet replayed; those are what
"resend" replays. The source side (keys in the HIS for that day) is ``hisbridge.sources.reconcile``'s;
this module reads only the store.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from sqlalchemy import Engine, case, exists, func, select

from hisbridge._clock import CHINA_TZ
from hisbridge.dictionary import load_dictionary
from hisbridge.store.scope import EVERY_INSTITUTION, InstitutionScope
from hisbridge.store.times import to_store

__all__ = ["DayLine", "day_bounds", "day_report"]


@dataclass(frozen=True, slots=True)
class DayLine:
    table: str
    title_zh: str
    accepted: int
    delivered: int
    dead: int

    @property
    def in_flight(self) -> int:
        """Accepted, not delivered yet and not dead: still on its way, not missing."""
        return max(self.accepted - self.delivered - self.dead, 0)


def day_bounds(day: date, zone: tzinfo = CHINA_TZ) -> tuple[datetime, datetime]:
    """The calendar day in ``zone`` (the hospital's: ``his.timezone``) as [start, end)."""
    start = datetime.combine(day, time.min, zone)
    return start, start + timedelta(days=1)


def _accepted(conn: Any, start: datetime, end: datetime,
              scope: InstitutionScope) -> dict[str, tuple[int, int]]:
    from hisbridge.store.schema.outbox import outbox, records

    r, o = records.c, outbox.c
    sent = exists().where(o.table_name == r.table_name, o.record_id == r.record_id,
                          o.state == "delivered", o.version >= r.version)
    delivered = func.sum(case((sent, 1), else_=0))
    rows = conn.execute(
        select(r.table_name, func.count(), delivered)
        .where(r.received_at >= to_store(start), r.received_at < to_store(end),
               scope.where_record(r.table_name, r.record_id))
        .group_by(r.table_name)).all()
    return {t: (int(n), int(d or 0)) for t, n, d in rows}


def _dead(conn: Any, start: datetime, end: datetime, scope: InstitutionScope) -> dict[str, int]:
    from hisbridge.store.schema.outbox import outbox

    o = outbox.c
    rows = conn.execute(select(o.table_name, func.count()).where(
        o.state == "dead", o.replayed.is_(False), o.created_at >= to_store(start),
        o.created_at < to_store(end), scope.where(o.institution)).group_by(o.table_name)).all()
    return {t: int(n) for t, n in rows}


def day_report(engine: Engine, day: date, zone: tzinfo = CHINA_TZ,
               scope: InstitutionScope = EVERY_INSTITUTION) -> list[DayLine]:
    """One line per table of the dictionary, for ``day`` (a calendar day in ``zone``), of the
    institutions in ``scope``."""
    start, end = day_bounds(day, zone)
    with engine.connect() as conn:
        accepted, dead = _accepted(conn, start, end, scope), _dead(conn, start, end, scope)
    lines = []
    for spec in load_dictionary():
        got, delivered = accepted.get(spec.name, (0, 0))
        lines.append(DayLine(spec.name, spec.title_zh, got, delivered, dead.get(spec.name, 0)))
    return lines
