"""Reconciliation: for one day and each table, what the HIS has versus what the store did.

Per table: the HIS's keys for the day (computed by the same mapping SQL that extracts them),
how many were accepted, delivered, are still pending, ended dead, were quarantined, and which
are missing (in the HIS, never accepted). ``compare`` is pure and table-tested; ``key_states``
reads the store; ``reconcile_day`` ties them to a ``SqlPoller``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import Engine, select, tuple_

from hisbridge.store.schema.outbox import outbox, quarantine, record_keys

if TYPE_CHECKING:
    from hisbridge.sources.sql_poll import SqlPoller

__all__ = [
    "KeyState", "TableReconciliation", "compare", "key_states", "reconcile_day", "resend", "totals",
]

KeyState = Literal["delivered", "pending", "dead", "quarantined"]
_SHOWN_MISSING = 50
_CHUNK = 500


@dataclass(slots=True)
class TableReconciliation:
    """One table's line of the report; ``missing_ids`` lists at most 50 of the missing keys."""

    table: str
    source: int = 0
    accepted: int = 0
    delivered: int = 0
    pending: int = 0
    dead: int = 0
    quarantined: int = 0
    missing: int = 0
    missing_ids: list[str] = field(default_factory=list)
    excluded: int = 0  # kept back by do-not-send rules (never sent, not missing)

    @property
    def complete(self) -> bool:
        return self.missing == 0 and self.dead == 0 and self.quarantined == 0

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "complete": self.complete}


def compare(table: str, source_keys: Iterable[str],
            states: Mapping[str, KeyState]) -> TableReconciliation:
    """Classify every HIS key by what the store knows of it (pure)."""
    line = TableReconciliation(table)
    missing: list[str] = []
    for key in sorted(set(source_keys)):
        line.source += 1
        state = states.get(key)
        if state is None:
            missing.append(key)
            continue
        if state == "quarantined":
            line.quarantined += 1
            continue
        line.accepted += 1
        if state == "delivered":
            line.delivered += 1
        elif state == "dead":
            line.dead += 1
        else:
            line.pending += 1
    line.missing = len(missing)
    line.missing_ids = missing[:_SHOWN_MISSING]
    return line


def _chunks(keys: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(keys), _CHUNK):
        yield keys[start:start + _CHUNK]


def key_states(engine: Engine, table: str, keys: Iterable[str]) -> dict[str, KeyState]:
    """What the store knows of each key: its latest version's fate, or quarantine."""
    wanted = sorted(set(keys))
    states: dict[str, KeyState] = {}
    k, o = record_keys.c, outbox.c
    with engine.connect() as conn:
        for chunk in _chunks(wanted):
            latest = conn.execute(select(k.record_id, k.version).where(
                k.table_name == table, k.record_id.in_(chunk))).all()
            fates: dict[str, set[str]] = {rid: set() for rid, _ in latest}
            if latest:
                entries = conn.execute(select(o.record_id, o.state, o.replayed).where(
                    o.table_name == table, tuple_(o.record_id, o.version).in_(latest)))
                for rid, state, replayed in entries:
                    fates[rid].add("replayed" if state == "dead" and replayed else state)
            for rid, seen in fates.items():
                states[rid] = ("delivered" if "delivered" in seen else
                               "dead" if "dead" in seen else "pending")
            parked = conn.execute(select(quarantine.c.record_id).where(
                quarantine.c.table_name == table, quarantine.c.record_id.in_(chunk))
                .group_by(quarantine.c.record_id)).all()
            for (rid,) in parked:
                states.setdefault(rid, "quarantined")
    return states


def reconcile_day(poller: SqlPoller, engine: Engine, day: date,
                  tables: Iterable[str] | None = None) -> list[TableReconciliation]:
    """The report for ``day`` (up to now, for today), one line per mapped table, parents first."""
    report = []
    until = min(datetime(day.year, day.month, day.day) + timedelta(days=1), poller.now())
    for table in tables or poller.project.tables():
        scan = poller.scan_day(table, day, until=until)
        line = compare(table, scan.keys, key_states(engine, table, scan.keys))
        line.excluded = scan.excluded
        report.append(line)
    return report


def resend(poller: SqlPoller, engine: Engine, day: date, line: TableReconciliation,
           now: datetime) -> int:
    """Re-queue what is missing or dead: re-extract the day, replay the day's dead entries."""
    from hisbridge.store.queries import ReplayFilter, replay

    start = datetime(day.year, day.month, day.day)
    again = 0
    if line.missing:
        result = poller.poll_table(line.table, since=start, until=start + timedelta(days=1))
        again += result.counts.accepted
    if line.dead:
        flt = ReplayFilter(table=line.table, state="dead")
        again += replay(engine, flt, now, requested_by="reconcile").replayed
    return again


def totals(lines: Iterable[TableReconciliation]) -> dict[str, int]:
    """Column sums for the report's last line."""
    out: dict[str, int] = {}
    for line in lines:
        for name in ("source", "accepted", "delivered", "pending", "dead", "quarantined", "missing",
                     "excluded"):
            out[name] = out.get(name, 0) + int(getattr(line, name))
    return out

