"""Records held back: quarantined ones not yet replaced by a valid version, and children whose
parent has not been delivered.

One query function (``held_records``) serves ``hisbridge outbox held``, the end of
``hisbridge sync once`` and the console's data-quality page. A quarantined record is released
as soon as a valid version of the same key is accepted (fix the HIS row, sync again); a waiting
child as soon as its parent is delivered.

Cost: the quarantine and the mapping rejects are read newest first up to ``SCAN_LIMIT`` rows;
waiting children through the outbox's (state, id) index; releases by the records' primary key.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Connection, Engine, and_, exists, func, null, select, tuple_

from hisbridge import _json
from hisbridge.dictionary import load_dictionary
from hisbridge.privacy import scrub
from hisbridge.store.schema.outbox import outbox, quarantine, records
from hisbridge.store.schema.sources import source_rejects
from hisbridge.store.scope import EVERY_INSTITUTION, InstitutionScope
from hisbridge.store.times import from_store

__all__ = ["SCAN_LIMIT", "HeldRecord", "held_records", "top_reasons"]

SCAN_LIMIT = 20_000
_CHUNK = 500
Kind = Literal["quarantined", "waiting"]


@dataclass(frozen=True, slots=True)
class HeldRecord:
    """One held record and why: the first error's field, rule, masked value and hints; for a
    waiting child the parent it waits for (and that parent's own reason when it is held)."""

    kind: Kind
    table: str
    record_id: str | None
    field: str
    label_zh: str
    rule: str
    value: str | None
    hint_zh: str
    hint_en: str
    since: datetime | None
    parent_table: str | None = None
    parent_id: str | None = None
    institution: str | None = None  # its organisation code (None: the single institution)

    def reason(self) -> str:
        """A short grouping key for counts: table.field rule."""
        return f"{self.table}.{self.field} [{self.rule}]"

    def as_dict(self) -> dict[str, Any]:
        found = asdict(self)
        found["since"] = self.since.isoformat() if self.since else None
        return found


def held_records(engine: Engine, table: str | None = None, tables: Sequence[str] | None = None,
                 scope: InstitutionScope = EVERY_INSTITUTION) -> list[HeldRecord]:
    """Quarantined records first (newest first), then waiting children (oldest first), of the
    institutions in ``scope`` (the mapping's rejects, which carry none, only when unscoped)."""
    wanted = [table] if table else list(tables or [])
    with engine.connect() as conn:
        parked = _quarantined(conn, wanted, scope)
        waiting = _waiting(conn, wanted, {(h.table, h.record_id): h for h in parked}, scope)
    return parked + waiting


def top_reasons(held: Iterable[HeldRecord], n: int = 5) -> list[tuple[str, int]]:
    """The most frequent reasons, quarantine reasons before the parents they hold back."""
    return Counter(h.reason() for h in held).most_common(n)


def _scan(conn: Connection, source: Any, stamp: Any, wanted: list[str], extra: Any) -> list[Any]:
    c = source.c
    owner = c.institution if "institution" in c else null()
    query = (select(c.table_name, c.record_id, c.violations, stamp.label("at"),
                    owner.label("institution"))
             .order_by(c.id.desc()).limit(SCAN_LIMIT))
    if extra is not None:
        query = query.where(extra)
    if wanted:
        query = query.where(c.table_name.in_(wanted))
    return list(conn.execute(query))


def _quarantined(conn: Connection, wanted: list[str], scope: InstitutionScope) -> list[HeldRecord]:
    rows = _scan(conn, quarantine, quarantine.c.received_at, wanted,
                 scope.where(quarantine.c.institution))
    if scope.everything:
        rows += _scan(conn, source_rejects, source_rejects.c.created_at, wanted,
                      source_rejects.c.stage == "mapping")
    newest: dict[tuple[str, str | None], Any] = {}
    for row in sorted(rows, key=lambda r: from_store(r.at), reverse=True):  # type: ignore[arg-type,return-value]
        newest.setdefault((row.table_name, row.record_id), row)
    accepted = _accepted_since(conn, [k for k in newest if k[1] is not None])
    held = []
    for key, row in newest.items():
        later = accepted.get(key)  # type: ignore[arg-type]
        if later is not None and later >= from_store(row.at):  # type: ignore[operator]
            continue
        held.append(_from_violations(row))
    return held


def _accepted_since(conn: Connection, keys: list[tuple[str, str | None]]) -> dict[
        tuple[str, str], datetime]:
    """The newest accepted version's time per key (records' primary key lookups)."""
    r = records.c
    found: dict[tuple[str, str], datetime] = {}
    for start in range(0, len(keys), _CHUNK):
        chunk = keys[start:start + _CHUNK]
        query = (select(r.table_name, r.record_id, func.max(r.received_at))
                 .where(tuple_(r.table_name, r.record_id).in_(chunk))
                 .group_by(r.table_name, r.record_id))
        for name, record_id, at in conn.execute(query):
            found[(name, record_id)] = from_store(at)  # type: ignore[assignment]
    return found


def _from_violations(row: Any) -> HeldRecord:
    try:
        found = _json.loads(row.violations)
    except ValueError:
        found = []
    items = [v for v in found if isinstance(v, dict)] if isinstance(found, list) else []
    errors = [v for v in items if v.get("severity", "error") == "error"] or items or [{}]
    v = errors[0]
    value = v.get("value")
    return HeldRecord("quarantined", row.table_name, row.record_id, str(v.get("field", "")),
                      str(v.get("label_zh", "")), str(v.get("rule", "")),
                      scrub(str(value))[:60] if value not in (None, "") else None,
                      str(v.get("hint_zh", "")), str(v.get("hint_en", "")), from_store(row.at),
                      institution=row.institution)


def _waiting(conn: Connection, wanted: list[str], parked: dict[tuple[str, str | None], HeldRecord],
             scope: InstitutionScope) -> list[HeldRecord]:
    o = outbox.alias("o")
    parent = outbox.alias("parent")
    delivered = exists().where(parent.c.table_name == o.c.parent_table,
                               parent.c.record_id == o.c.parent_id, parent.c.state == "delivered")
    query = (select(o.c.table_name, o.c.record_id, o.c.parent_table, o.c.parent_id,
                    o.c.created_at, o.c.institution)
             .where(and_(o.c.state.in_(("pending", "retry_wait")), o.c.parent_id.is_not(None),
                         ~delivered, scope.where(o.c.institution)))
             .order_by(o.c.id).limit(SCAN_LIMIT))
    if wanted:
        query = query.where(o.c.table_name.in_(wanted))
    return [_child(row, parked.get((row.parent_table, row.parent_id)))
            for row in conn.execute(query)]


def _child(row: Any, parent: HeldRecord | None) -> HeldRecord:
    where = f"{row.parent_table} {row.parent_id}"
    if parent is not None:
        zh = f"等待上级记录 {where}，它被隔离：{parent.field} [{parent.rule}] {parent.hint_zh}"
        en = f"waits for {where}, which is quarantined: {parent.field} [{parent.rule}] " \
             f"{parent.hint_en}"
    else:
        zh = f"等待上级记录 {where} 送达（尚未收到或尚未投递）；请确认 HIS 中存在该记录并已同步"
        en = f"waits for {where} to be delivered (not received or not yet sent); check that " \
             "the HIS has it and that it was synced"
    spec = load_dictionary().table(row.table_name)
    key = spec.parent_keys[0].field if spec.parent_keys else ""
    label = spec.field(key).label_zh if spec.field(key) else ""  # type: ignore[union-attr]
    return HeldRecord("waiting", row.table_name, row.record_id, key, label, "parent_wait",
                      row.parent_id, zh, en, from_store(row.created_at), row.parent_table,
                      row.parent_id, row.institution)
