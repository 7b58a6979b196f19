"""Reconciliation: for one day and each table, what the HIS has versus what the store did.

Per table: the HIS's keys for the day (computed by the same mapping SQL that extracts them),
how many were accepted, delivered, are still in flight (pending), ended dead, were quarantined,
were withdrawn with their deleted parent (not a gap: the front-end must not hold children of a
deleted record), and which are missing (in the HIS, never accepted). The other way round,
``frontend_only`` counts keys delivered for the day that the HIS no longer has: rows deleted
outright in the HIS whose deletes were not sent yet (``hisbridge sync deletes`` sends them).
``compare`` is pure and table-tested; ``key_states`` reads the store; ``reconcile_day`` ties
them to a ``SqlPoller``. In a hospital group the store keys each institution's record
``<org_code>/<key>`` (docs/routing.md): a HIS key's state is then the least finished of its
institutions' records (dead, quarantined, pending before delivered).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import Engine, select, tuple_

from hisbridge.store.cascade import CASCADE_SOURCE
from hisbridge.store.institution_keys import SEPARATOR, qualified
from hisbridge.store.schema.outbox import outbox, quarantine, record_keys, records

if TYPE_CHECKING:
    from hisbridge.sources.sql_poll import DayScan, SqlPoller

__all__ = [
    "COLUMNS", "DELETES_COMMAND", "KeyState", "TableReconciliation", "compare", "day_codes",
    "group_codes", "key_states",
    "reconcile_day", "resend", "totals",
]

KeyState = Literal["delivered", "pending", "dead", "quarantined", "withdrawn", "deleted"]
DELETES_COMMAND = "hisbridge sync deletes -c hisbridge.yaml --date {day}"
_SHOWN_MISSING = 50
# The report's count columns, in the order the CLI and the console show them.
COLUMNS = ("source", "accepted", "delivered", "pending", "dead", "quarantined", "withdrawn",
           "missing", "frontend_only", "excluded")
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
    withdrawn: int = 0
    missing: int = 0
    frontend_only: int = 0
    missing_ids: list[str] = field(default_factory=list)
    excluded: int = 0  # kept back by do-not-send rules (never sent, not missing)
    frontend_only_ids: list[str] = field(default_factory=list)
    # codes an optional map left out (``dropped``) or the hierarchy generalised in the day's rows
    codes: list[dict[str, Any]] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return (self.missing == 0 and self.dead == 0 and self.quarantined == 0
                and self.frontend_only == 0)

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "complete": self.complete}


def compare(table: str, source_keys: Iterable[str], states: Mapping[str, KeyState],
            seen: Iterable[str] = ()) -> TableReconciliation:
    """Classify every HIS key by what the store knows of it (pure); ``seen`` are the keys sent
    for the day, so the ones the HIS no longer has and the store has not deleted are counted
    as held only by the front-end."""
    line = TableReconciliation(table)
    missing: list[str] = []
    wanted = set(source_keys)
    for key in sorted(wanted):
        line.source += 1
        state = states.get(key)
        if state is None or state == "deleted":
            missing.append(key)
            continue
        if state in ("quarantined", "withdrawn"):
            setattr(line, state, getattr(line, state) + 1)
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
    extra = sorted(k for k in set(seen) - wanted if states.get(k) in ("delivered", "pending"))
    line.frontend_only = len(extra)
    line.frontend_only_ids = extra[:_SHOWN_MISSING]
    return line


def _chunks(keys: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(keys), _CHUNK):
        yield keys[start:start + _CHUNK]


def key_states(engine: Engine, table: str, keys: Iterable[str],
               codes: Iterable[str] = ()) -> dict[str, KeyState]:
    """What the store knows of each key: its latest version's fate, or quarantine; a latest
    delete is ``deleted`` (``withdrawn`` when it came with its parent's), and an upsert waiting
    for a deleted parent is ``withdrawn`` too. ``codes``: a group's institutions (each HIS key
    is looked up at each of them, and bare, as stored before the group)."""
    codes = tuple(codes)
    if codes:
        return _group_states(engine, table, set(keys), codes)
    wanted = sorted(set(keys))
    states: dict[str, KeyState] = {}
    with engine.connect() as conn:
        for chunk in _chunks(wanted):
            states.update(_latest_fates(conn, table, chunk))
            parked = conn.execute(select(quarantine.c.record_id).where(
                quarantine.c.table_name == table, quarantine.c.record_id.in_(chunk))
                .group_by(quarantine.c.record_id)).all()
            for (rid,) in parked:
                states.setdefault(rid, "quarantined")
    return states


_WORST_FIRST: tuple[KeyState, ...] = ("dead", "quarantined", "pending", "delivered", "withdrawn",
                                      "deleted")


def _group_states(engine: Engine, table: str, keys: set[str],
                  codes: tuple[str, ...]) -> dict[str, KeyState]:
    """``key_states`` of a group: each HIS key's least finished state over its institutions."""
    variants = {qualified(code, key): key for key in keys for code in codes}
    variants.update({key: key for key in keys})
    found: dict[str, set[KeyState]] = {}
    for stored, state in key_states(engine, table, variants).items():
        found.setdefault(variants[stored], set()).add(state)
    for key in _held_unrouted(engine, table) & keys:  # held for a code no institution has
        found.setdefault(key, {"quarantined"})
    return {key: next(s for s in _WORST_FIRST if s in states) for key, states in found.items()}


def _held_unrouted(engine: Engine, table: str) -> set[str]:
    """The HIS keys of ``table`` held because their organisation code is no institution's
    (stored ``<code>/<key>`` with no institution; a table's quarantine is small)."""
    q = quarantine.c
    with engine.connect() as conn:
        rows = conn.execute(select(q.record_id).where(
            q.table_name == table, q.institution.is_(None), q.record_id.contains(SEPARATOR)))
        return {rid.partition(SEPARATOR)[2] for (rid,) in rows}


def _latest_fates(conn: Any, table: str, chunk: list[str]) -> dict[str, KeyState]:
    k, o, r = record_keys.c, outbox.c, records.c
    parent = record_keys.alias("parent")
    latest = conn.execute(
        select(k.record_id, k.version, k.op, r.source, parent.c.op)
        .join(records, (r.table_name == k.table_name) & (r.record_id == k.record_id)
              & (r.version == k.version), isouter=True)
        .join(parent, (parent.c.table_name == k.parent_table)
              & (parent.c.record_id == k.parent_id), isouter=True)
        .where(k.table_name == table, k.record_id.in_(chunk))).all()
    fates: dict[str, set[str]] = {rid: set() for rid, *_ in latest}
    if latest:
        entries = conn.execute(select(o.record_id, o.state, o.replayed).where(
            o.table_name == table, tuple_(o.record_id, o.version).in_(
                [(rid, version) for rid, version, *_ in latest])))
        for rid, state, replayed in entries:
            fates[rid].add("replayed" if state == "dead" and replayed else state)
    states: dict[str, KeyState] = {}
    for rid, _version, op, source, parent_op in latest:
        seen = fates[rid]
        if op == "delete":
            states[rid] = "withdrawn" if (source or "").startswith(CASCADE_SOURCE) else "deleted"
        elif parent_op == "delete" and "delivered" not in seen:
            states[rid] = "withdrawn"
        else:
            states[rid] = ("delivered" if "delivered" in seen else
                           "dead" if "dead" in seen else "pending")
    return states


def group_codes(intake: Any) -> tuple[str, ...]:
    """The institutions a group's intake routes to (none for a single hospital's);
    ``intake`` is a ``StoreIntake`` or the ``DeliveryService`` around one."""
    store_intake = getattr(intake, "intake", intake)
    routing = getattr(store_intake, "routing", None)
    return tuple(routing.codes) if routing is not None else ()


def reconcile_day(poller: SqlPoller, engine: Engine, day: date,
                  tables: Iterable[str] | None = None) -> list[TableReconciliation]:
    """The report for ``day`` (up to now, for today), one line per mapped table, parents first."""
    report = []
    until = min(datetime(day.year, day.month, day.day) + timedelta(days=1), poller.now())
    codes = group_codes(poller.intake)
    for table in tables or poller.project.tables():
        scan = poller.scan_day(table, day, until=until)
        seen = poller.state.seen_keys(table, day.isoformat())
        line = compare(table, scan.keys, key_states(engine, table, scan.keys | seen, codes), seen)
        line.excluded = scan.excluded
        line.codes = day_codes(scan)
        report.append(line)
    return report


def day_codes(scan: DayScan) -> list[dict[str, Any]]:
    """The day's dropped and generalised codes, most frequent first (never silent)."""
    dropped = [{"outcome": "dropped", "column": c, "code_set": s, "code": v, "sent": None,
                "count": n} for (c, s, v), n in scan.dropped.most_common()]
    return dropped + [{"outcome": "generalised", "column": c, "code_set": s, "code": v,
                       "sent": m, "count": n} for (c, s, v, m), n in scan.generalised.most_common()]


def resend(poller: SqlPoller, engine: Engine, day: date, line: TableReconciliation,
           now: datetime) -> int:
    """Re-queue what is missing or dead: re-extract the day, replay the day's dead entries;
    and send the deletes of what only the front-end still holds (the key-set sweep)."""
    from hisbridge.store.queries import ReplayFilter, replay

    start = datetime(day.year, day.month, day.day)
    again = 0
    if line.missing:
        result = poller.poll_table(line.table, since=start, until=start + timedelta(days=1))
        again += result.counts.accepted
    if line.dead:
        flt = ReplayFilter(table=line.table, state="dead")
        again += replay(engine, flt, now, requested_by="reconcile").replayed
    if line.frontend_only:
        again += poller.sweep_deletes(line.table, day).counts.deleted
    return again


def totals(lines: Iterable[TableReconciliation]) -> dict[str, int]:
    """Column sums for the report's last line."""
    out: dict[str, int] = {}
    for line in lines:
        for name in COLUMNS:
            out[name] = out.get(name, 0) + int(getattr(line, name))
    return out

