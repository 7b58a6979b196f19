"""Accepting records: validate, quarantine what fails, write versions + outbox entries.

Implements ``hisbridge.store.ports.Intake``. One call is one transaction: the record versions,
their outbox entries, the latest-version index and the quarantined rows commit together, so a
source may move its watermark as soon as ``accept`` returns. A record whose content hash equals
its latest version's enqueues nothing. Each version is stored with the body the data API is
sent (``records.wire``), built here once so that delivery sends it without re-encoding.
Writes are batched (executemany) so a day of a large hospital (about a million rows) is
accepted in minutes.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, select, update

from hisbridge import _ids, _json
from hisbridge._clock import Clock, system_clock
from hisbridge.dictionary import TableSpec, Validator, Violation, has_errors, load_dictionary
from hisbridge.dictionary.wire import from_wire, wire_body, wire_value
from hisbridge.errors import OperationRefused
from hisbridge.store.cascade import (
    CASCADE_SOURCE,
    HELD_FOR_CHILDREN,
    OnParentDelete,
    cascade_deletes,
    delete_hash,
    deleted_parents,
    drop_obsolete,
    live_children,
)
from hisbridge.store.errors import INTEGRITY_ERRORS
from hisbridge.store.institution_keys import ORG_KEYS, Routing, carried_org, qualified
from hisbridge.store.ports import AcceptResult, Op, Rejected
from hisbridge.store.schema.outbox import outbox, quarantine, record_keys, records
from hisbridge.store.times import to_store

__all__ = ["Prepared", "StoreIntake", "check_record", "normalize_record", "prepare_records"]

_CHUNK = 500
_KEY_CHARS = 128  # records.record_id


@dataclass(slots=True)
class Prepared:
    """A valid record ready to store: its stored key, JSON text, content hash, parent key, the
    data API body (``wire``, when the intake builds one) and, in a hospital group, the
    institution it goes to and its HIS ``key`` (``record_id`` is then qualified by the
    institution: ``hisbridge.store.institution_keys``)."""

    index: int
    record_id: str
    payload: str
    content_hash: str
    parent: tuple[str, str] | None
    wire: str | None = None
    institution: str | None = None
    key: str | None = None  # the HIS key, when ``record_id`` is qualified

    @property
    def his_key(self) -> str:
        return self.key if self.key is not None else self.record_id


def normalize_record(spec: TableSpec, raw: Mapping[str, Any]) -> dict[str, str]:
    """The stored form: snake_case keys of known fields, every value a wire string, no empties."""
    out: dict[str, str] = {}
    for name, value in from_wire(spec, raw).record.items():
        field = spec.field(name)
        text = wire_value(field, value) if field is not None else None
        if text is not None:
            out[name] = text
    return out


def _bad_key(spec: TableSpec, chars: int = _KEY_CHARS) -> Violation:
    field = spec.field(spec.primary_key)
    return Violation(spec.name, spec.primary_key, field.label_zh if field else "", "key", "error",
                     None, f"主键应为不超过 {chars} 个可打印字符",
                     f"the key must be at most {chars} printable characters")


def _missing_key(spec: TableSpec) -> Violation:
    field = spec.field(spec.primary_key)
    return Violation(spec.name, spec.primary_key, field.label_zh if field else "", "required",
                     "error", None,
                     f"缺少主键 {spec.primary_key}（或去掉空白后为空），无法按主键更新或删除",
                     f"the primary key {spec.primary_key} is missing or blank once trimmed")


def check_record(validator: Validator, spec: TableSpec, raw: Any, op: Op
                 ) -> tuple[list[Violation], Mapping[str, str] | None]:
    """Violations of one incoming record (the full rules for upserts, the key for deletes) and,
    when there is no error, its stored form — normalised here once, or not at all when the
    validator vouched for every field."""
    fields = None
    if op == "upsert" or not isinstance(raw, Mapping):
        found, fields = validator.check(spec.name, raw)
    else:
        found = []
    if not isinstance(raw, Mapping) or has_errors(found):
        return found, None
    record = fields if fields is not None else normalize_record(spec, raw)
    key = record.get(spec.primary_key)
    if not key or not key.strip():
        found.append(_missing_key(spec))
    elif len(key) > _KEY_CHARS or not key.isprintable():
        found.append(_bad_key(spec))
    return found, None if has_errors(found) else record


def prepare_records(validator: Validator, spec: TableSpec, raws: Sequence[Any], op: Op,
                    result: AcceptResult, *, wire: bool = False, routing: Routing | None = None
                    ) -> tuple[list[Prepared], list[dict[str, Any]]]:
    """Records ready to store (normalised, hashed, with their API body when ``wire``) and
    quarantine rows for the rejected; with a group's ``routing``, each routed to its
    institution (keys qualified) or held with the reason it cannot be."""
    prepared: list[Prepared] = []
    parked: list[dict[str, Any]] = []
    parent_key = spec.parent_keys[0] if spec.parent_keys and op == "upsert" else None
    carries_org = spec.field(ORG_KEYS[0]) is not None
    for index, raw in enumerate(raws):
        org = ""
        if routing is not None and isinstance(raw, Mapping):
            org = carried_org(raw)
            if not carries_org and org:  # a routing column only: not one of the table's fields
                raw = {k: v for k, v in raw.items() if k not in ORG_KEYS}
        violations, record = check_record(validator, spec, raw, op)
        if record is None:
            _reject(spec, raw, index, violations, result, parked, routing, org)
            continue
        payload = _json.dumps_str(record, sort_keys=True)
        parent_id = record.get(parent_key.field) if parent_key else None
        parent = (parent_key.table, parent_id) if parent_key and parent_id else None
        digest = _ids.content_hash(f"{op}\n{payload}".encode())
        body = wire_body(spec, record) if wire else None
        item = Prepared(index, record[spec.primary_key], payload, digest, parent, body)
        if routing is not None and not (op == "delete" and not org):
            refused = _route(spec, item, routing, org)  # a key-only delete: _everywhere
            if refused is not None:
                _reject(spec, raw, index, [refused], result, parked, routing, org)
                continue
        prepared.append(item)
    return prepared, parked


def _route(spec: TableSpec, item: Prepared, routing: Routing, org: str) -> Violation | None:
    """Send ``item`` to the institution of ``org`` (its keys qualified), or why it cannot go."""
    target = routing.route(spec.name, org)
    if isinstance(target, Violation):
        return target
    record_id = qualified(target, item.record_id)
    if len(record_id) > _KEY_CHARS:
        return _bad_key(spec, _KEY_CHARS - len(target) - 1)
    item.key, item.record_id, item.institution = item.record_id, record_id, target
    if item.parent is not None:
        item.parent = (item.parent[0], qualified(target, item.parent[1]))
    return None


def _reject(spec: TableSpec, raw: Any, index: int, violations: list[Violation],
            result: AcceptResult, parked: list[dict[str, Any]], routing: Routing | None,
            org: str) -> None:
    """Hold a record: a rejection for the caller (its HIS key) and a quarantine row (in a
    group, keyed as a valid version of it would be stored, so that one releases it)."""
    record_id = _raw_id(spec, raw)
    result.rejected.append(Rejected(index, record_id, tuple(violations)))
    row = _quarantine_row(spec, raw, record_id, violations)
    if routing is not None:  # every row of a group's batch has the column
        if record_id is not None and org:
            row["record_id"] = qualified(org, record_id)[:_KEY_CHARS]
        row["institution"] = org if org in routing.codes else None
    parked.append(row)


class StoreIntake:
    """The durable intake over a migrated store (SQLite or PostgreSQL)."""

    def __init__(self, engine: Engine, validator: Validator | None = None, *,
                 clock: Clock = system_clock, on_parent_delete: OnParentDelete = "cascade",
                 wire: bool = True, routing: Routing | None = None) -> None:
        self.engine = engine
        self.routing = routing  # a hospital group's: records routed per institution
        self.wire = wire  # store the data API body (camelCase) with each version
        self.on_parent_delete = on_parent_delete
        self.validator = validator or Validator("lenient")
        self.dictionary = load_dictionary()
        self.clock = clock

    def accept(self, table: str, records: Sequence[Mapping[str, Any]], *, op: Op = "upsert",
               source: str = "") -> AcceptResult:
        """Validate and store ``records`` with their outbox entries in one transaction."""
        spec = self.dictionary.table(table)
        if op == "delete" and not spec.can_delete:
            raise OperationRefused(f"{spec.name}（{spec.title_zh}）不允许删除 deletes are refused",
                                   hint="规范规定该表只支持新增和修改；请改为更新记录")
        if op not in ("upsert", "delete"):
            raise OperationRefused(f"未知的操作 unknown op: {op!r}",
                                   hint="op 只能是 upsert 或 delete")
        now = to_store(self.clock.now())
        result = AcceptResult()
        prepared, parked = prepare_records(self.validator, spec, records, op, result,
                                           wire=self.wire, routing=self.routing)
        if self.routing is not None and op == "delete":
            prepared = self._everywhere(spec, prepared, parked, result)
        for attempt in (1, 2):
            try:
                with self.engine.begin() as conn:
                    self._write(conn, spec, op, source, now, prepared, parked, result)
                return result
            except INTEGRITY_ERRORS:
                if attempt == 2:  # another writer raced us twice on the same keys
                    raise
                result.accepted = result.unchanged = result.withheld = 0
                result.unchanged_ids.clear()
        return result

    def _write(self, conn: Connection, spec: TableSpec, op: Op, source: str, now: datetime,
               prepared: list[Prepared], parked: list[dict[str, Any]],
               result: AcceptResult) -> None:
        latest = _latest(conn, spec.name, {p.record_id for p in prepared})
        known = set(latest)
        cascade = op == "upsert" and self.on_parent_delete == "cascade"
        gone = deleted_parents(conn, {p.parent for p in prepared if p.parent}) if cascade else set()
        version_rows: list[dict[str, Any]] = []
        entry_rows: list[dict[str, Any]] = []
        for item in prepared:
            current = latest.get(item.record_id)
            item_op = _next_op(spec, op, item, current, gone, result)
            if item_op is None:
                continue
            version = (current.version if current else 0) + 1
            latest[item.record_id] = _Latest(version, item.content_hash, item_op, item.parent)
            withheld_from = item.parent[0] if item_op != op and item.parent else ""
            version_rows.append({"table_name": spec.name, "record_id": item.record_id,
                                 "version": version, "op": item_op,
                                 "content_hash": item.content_hash, "payload": item.payload,
                                 **({"wire": item.wire} if self.wire else {}),
                                 "source": (f"{CASCADE_SOURCE}{withheld_from}" if withheld_from
                                            else source)[:200], "received_at": now})
            if item_op == op or current is not None:  # a withheld new record sends nothing
                entry_rows.append(_entry_row(spec.name, item, version, item_op, now,
                                             self.routing is not None))
        result.accepted = sum(e["op"] == op for e in entry_rows)
        if version_rows:
            if op == "delete":
                gone |= self._before_parent_deletes(conn, spec.name, entry_rows, now)
            conn.execute(records.insert(), version_rows)
            if entry_rows:
                conn.execute(outbox.insert(), entry_rows)
            _save_latest(conn, spec.name, latest, known, {r["record_id"] for r in version_rows})
            if self.on_parent_delete == "cascade":
                drop_obsolete(conn, gone)
        if parked:
            for row in parked:
                row.update(source=source[:200], received_at=now, op=op)
            conn.execute(quarantine.insert(), parked)

    def _everywhere(self, spec: TableSpec, prepared: list[Prepared],
                    parked: list[dict[str, Any]], result: AcceptResult) -> list[Prepared]:
        """A group's deletes naming only their key (the HIS row is gone): one per institution
        that has the record (and one of the record stored under its bare key before the group,
        if any); held (``missing_org``) when none has it."""
        assert self.routing is not None
        codes = self.routing.codes
        bare = [p for p in prepared if p.institution is None]
        if not bare:
            return prepared
        wanted = {qualified(c, p.record_id) for p in bare for c in codes}
        with self.engine.connect() as conn:
            known = _latest(conn, spec.name, wanted | {p.record_id for p in bare})
        out = [p for p in prepared if p.institution is not None]
        for item in bare:
            found = [c for c in codes if qualified(c, item.record_id) in known]
            for code in found:
                out.append(Prepared(item.index, qualified(code, item.record_id), item.payload,
                                    item.content_hash, None, item.wire, code, item.record_id))
            if item.record_id in known:  # queued before the group: the legacy owner sends it
                out.append(item)
            elif not found:
                refused = self.routing.route(spec.name, "")
                assert isinstance(refused, Violation)
                _reject(spec, {spec.primary_key: item.record_id}, item.index, [refused],
                        result, parked, self.routing, "")
        return sorted(out, key=lambda p: p.index)

    def _before_parent_deletes(self, conn: Connection, table: str,
                               entries: list[dict[str, Any]], now: datetime
                               ) -> set[tuple[str, str]]:
        """Cascade to the children of the deleted records, or hold the deletes (by setting);
        the keys deleted here and by the cascade."""
        deleted = [(table, e["record_id"]) for e in entries]
        if self.on_parent_delete == "cascade":
            codes = self.routing.codes if self.routing is not None else ()
            return set(deleted) | cascade_deletes(conn, self.dictionary, deleted, now, codes)
        held = {child.parent[1] for child in live_children(conn, deleted)}
        for entry in entries:
            if entry["record_id"] in held:
                entry["note"] = HELD_FOR_CHILDREN
        return set(deleted)


def _next_op(spec: TableSpec, op: Op, item: Prepared, current: _Latest | None,
             gone: set[tuple[str, str]], result: AcceptResult) -> Op | None:
    """The op to store for ``item``: ``op``; a delete when its parent was deleted (withheld, it
    must not reach the front-end); None when there is nothing new to store."""
    if current is not None and current.content_hash == item.content_hash:
        result.unchanged += 1
        result.unchanged_ids.add(item.his_key)
        return None
    if item.parent in gone:
        result.withheld += 1
        if current is not None and current.op == "delete":
            result.unchanged_ids.add(item.his_key)  # withheld again: nothing new stored
            return None
        key = {spec.primary_key: item.his_key}
        item.payload = _json.dumps_str(key, sort_keys=True)
        item.content_hash = delete_hash(item.payload)
        item.wire = wire_body(spec, key) if item.wire is not None else None
        return "delete"
    if op == "delete" and current is not None:
        item.parent = current.parent  # a delete names only its key: keep the link
    return op


def _raw_id(spec: TableSpec, raw: Any) -> str | None:
    if not isinstance(raw, Mapping):
        return None
    value = normalize_record(spec, raw).get(spec.primary_key)
    if not value:
        return None
    return "".join(c if c.isprintable() else "\ufffd" for c in value[:_KEY_CHARS])


def _quarantine_row(spec: TableSpec, raw: Any, record_id: str | None,
                    violations: list[Violation]) -> dict[str, Any]:
    try:
        payload = _json.dumps_str(raw)
    except TypeError:
        payload = _json.dumps_str(repr(raw))
    return {"table_name": spec.name, "record_id": record_id, "payload": payload,
            "violations": _json.dumps_str([v.as_dict() for v in violations])}


def _entry_row(table: str, item: Prepared, version: int, op: Op, now: datetime,
               grouped: bool) -> dict[str, Any]:
    """The outbox entry; a group's with its institution (a single hospital's leaves the column
    out, so a store's schema from before groups takes it too)."""
    parent_table, parent_id = item.parent if item.parent else (None, None)
    return {"table_name": table, "record_id": item.record_id, "version": version, "op": op,
            "parent_table": parent_table, "parent_id": parent_id, "state": "pending",
            "attempts": 0, "created_at": now, "next_attempt_at": now, "replayed": False,
            "note": None, **({"institution": item.institution} if grouped else {})}


def _chunks(values: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start:start + _CHUNK]


@dataclass(frozen=True, slots=True)
class _Latest:
    """A record's latest version as ``record_keys`` holds it."""

    version: int
    content_hash: str
    op: str
    parent: tuple[str, str] | None


def _latest(conn: Connection, table: str, ids: set[str]) -> dict[str, _Latest]:
    k = record_keys.c
    found: dict[str, _Latest] = {}
    for chunk in _chunks(sorted(ids)):
        query = select(k.record_id, k.version, k.content_hash, k.op, k.parent_table,
                       k.parent_id).where(k.table_name == table, k.record_id.in_(chunk))
        if conn.dialect.name == "postgresql":
            query = query.with_for_update()
        for record_id, version, digest, op, parent_table, parent_id in conn.execute(query):
            parent = (parent_table, parent_id) if parent_table and parent_id else None
            found[record_id] = _Latest(version, digest, op, parent)
    return found


def _save_latest(conn: Connection, table: str, latest: dict[str, _Latest],
                 known: set[str], changed: set[str]) -> None:
    rows = []
    for rid in changed:
        now = latest[rid]
        parent_table, parent_id = now.parent or (None, None)
        rows.append({"table_name": table, "record_id": rid, "version": now.version,
                     "content_hash": now.content_hash, "op": now.op,
                     "parent_table": parent_table, "parent_id": parent_id})
    new = [row for row in rows if row["record_id"] not in known]
    old = [{f"b_{k}": v for k, v in row.items()} for row in rows if row["record_id"] in known]
    if new:
        conn.execute(record_keys.insert(), new)
    if old:
        k = record_keys.c
        conn.execute(
            update(record_keys)
            .where(k.table_name == bindparam("b_table_name"),
                   k.record_id == bindparam("b_record_id"))
            .values(version=bindparam("b_version"), content_hash=bindparam("b_content_hash"),
                    op=bindparam("b_op"), parent_table=bindparam("b_parent_table"),
                    parent_id=bindparam("b_parent_id")), old)
