"""Finding records and reading one record's story: versions, sends, replies, relatives.

Records are stored as JSON text (``records.payload``); a search by patient id or visit serial
number compares that payload field through its expression index (``store.json_field``), so it
costs a lookup, not a scan of every stored version. Every value shown is masked with
``hisbridge.privacy``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Engine, and_, func, or_, select

from hisbridge import _json
from hisbridge.dictionary import load_dictionary
from hisbridge.privacy import mask_field
from hisbridge.store.json_field import field_is, like_pair
from hisbridge.store.scope import EVERY_INSTITUTION, InstitutionScope
from hisbridge.store.times import from_store, to_store

__all__ = ["Found", "RecordQuery", "RecordStory", "find_records", "masked", "read_story"]

PAGE = 50


@dataclass(frozen=True, slots=True)
class RecordQuery:
    table: str | None = None
    record_id: str | None = None
    patient_id: str | None = None
    serial_number: str | None = None
    state: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    scope: InstitutionScope = EVERY_INSTITUTION


@dataclass(frozen=True, slots=True)
class Found:
    table: str
    record_id: str
    version: int
    op: str
    received_at: datetime
    state: str | None
    patient_id: str | None
    serial_number: str | None


def masked(payload: str) -> dict[str, Any]:
    """A stored payload with every personal field masked."""
    try:
        record = _json.loads(payload)
    except ValueError:
        return {"payload": "（无法解析 unreadable）"}
    if not isinstance(record, dict):
        return {"payload": mask_field("payload", str(record))}
    return {k: mask_field(k, v) for k, v in record.items()}


def _raw(payload: str) -> dict[str, Any]:
    try:
        record = _json.loads(payload)
    except ValueError:
        return {}
    return record if isinstance(record, dict) else {}


def _field_is(field: str, value: str, dialect: str) -> ColumnElement[bool]:
    """The payload's ``field`` is ``value``: through its index when it has one, else the
    serialized ``"field":"value"`` pair anywhere in the payload (a scan)."""
    from hisbridge.store.schema.outbox import SEARCHED_FIELDS, records

    if field in SEARCHED_FIELDS:
        return field_is(records.c.payload, field, value, dialect)
    return records.c.payload.like(like_pair(field, value), escape="\\")


def _search(q: RecordQuery, dialect: str) -> Any:
    from hisbridge.store.schema.outbox import outbox, records

    r, o = records.c, outbox.c
    last_entry = (select(o.state).where(o.table_name == r.table_name, o.record_id == r.record_id,
                                        o.version == r.version)
                  .order_by(o.id.desc()).limit(1).correlate(records).scalar_subquery())
    query = select(r.table_name, r.record_id, r.version, r.op, r.received_at, r.payload,
                   last_entry.label("state"))
    conditions = [q.scope.where_record(r.table_name, r.record_id)]
    if q.table:
        conditions.append(r.table_name == q.table)
    if q.record_id:
        conditions.append(r.record_id == q.record_id)
    if q.patient_id:
        conditions.append(_field_is("patient_id", q.patient_id, dialect))
    if q.serial_number:
        conditions.append(_field_is("serial_number", q.serial_number, dialect))
    if q.since:
        conditions.append(r.received_at >= to_store(q.since))
    if q.until:
        conditions.append(r.received_at <= to_store(q.until))
    if q.state:
        conditions.append(last_entry == q.state)
    return query.where(and_(True, *conditions)).order_by(r.received_at.desc()).limit(PAGE + 1)


def find_records(engine: Engine, q: RecordQuery) -> tuple[list[Found], bool]:
    """Up to ``PAGE`` matching record versions, newest first, and whether there are more."""
    with engine.connect() as conn:
        rows = conn.execute(_search(q, engine.dialect.name)).all()
    found = []
    for row in rows[:PAGE]:
        shown = masked(row.payload)
        found.append(Found(row.table_name, row.record_id, row.version, row.op,
                           from_store(row.received_at), row.state,  # type: ignore[arg-type]
                           shown.get("patient_id"), shown.get("serial_number")))
    return found, len(rows) > PAGE


@dataclass(slots=True)
class RecordStory:
    table: str
    record_id: str
    versions: list[dict[str, Any]]
    entries: list[dict[str, Any]]
    parents: list[tuple[str, str, str]]  # (field, table, id)
    children: list[tuple[str, str, int]]  # (table, id, version)


def _children(conn: Any, table: str, record_id: str,
              scope: InstitutionScope) -> list[tuple[str, str, int]]:
    from hisbridge.store.schema.outbox import records

    r = records.c
    found: list[tuple[str, str, int]] = []
    for spec in load_dictionary():
        for parent in spec.parent_keys:
            if parent.table != table:
                continue
            rows = conn.execute(select(r.record_id, func.max(r.version)).where(
                r.table_name == spec.name, _field_is(parent.field, record_id, conn.dialect.name),
                scope.where_record(r.table_name, r.record_id))
                .group_by(r.record_id).limit(50)).all()
            found.extend((spec.name, rid, int(v)) for rid, v in rows)
    return found


def _entries(conn: Any, table: str, record_id: str) -> list[dict[str, Any]]:
    from hisbridge.store.schema.outbox import attempts, outbox

    o, a = outbox.c, attempts.c
    rows = conn.execute(select(outbox).where(o.table_name == table, o.record_id == record_id)
                        .order_by(o.id)).all()
    result = []
    for row in rows:
        # Its failed attempts, and the row of the batch that delivered it (shared, numbered 0
        # when the batch mixed attempt numbers: then this entry's is its attempt count).
        mine = or_(a.outbox_id == row.id, a.id == row.attempt_id)
        tries = conn.execute(select(attempts).where(mine).order_by(a.id)).all()
        entry = dict(row._mapping)
        entry["attempt_rows"] = [{**t._mapping, "attempt_no": t.attempt_no or row.attempts}
                                 for t in tries]
        result.append(entry)
    return result


def read_story(engine: Engine, table: str, record_id: str,
               scope: InstitutionScope = EVERY_INSTITUTION) -> RecordStory | None:
    """Everything known about one record, or None when it was never accepted (or is an
    institution's outside ``scope``)."""
    from hisbridge.store.schema.outbox import records

    r = records.c
    spec = load_dictionary().table(table)
    with engine.connect() as conn:
        rows = conn.execute(select(records).where(r.table_name == spec.name, r.record_id == record_id,
                                                  scope.where_record(r.table_name, r.record_id))
                            .order_by(r.version.desc())).all()
        if not rows:
            return None
        versions = [{**dict(row._mapping), "shown": masked(row.payload)} for row in rows]
        latest = _raw(rows[0].payload)
        parents = [(p.field, p.table, str(latest[p.field])) for p in spec.parent_keys
                   if latest.get(p.field)]
        return RecordStory(spec.name, record_id, versions, _entries(conn, spec.name, record_id),
                           parents, _children(conn, spec.name, record_id, scope))
