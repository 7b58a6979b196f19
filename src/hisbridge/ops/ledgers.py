"""Read-only views of other concepts' ledgers for the console: warnings, authorizations, audit.

Each reader returns None when the owning concept is not installed (or its table lacks the
columns read here), so the page says "未启用" instead of failing. Filters are values already
checked by the page; personal data is shown only in the masked form the owners store, and free
text is scrubbed again.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, Table, func, select

from hisbridge.audit.log import format_time  # the audit log's fixed-width text, which sorts
from hisbridge.ops.optional import optional_module, optional_table
from hisbridge.store.times import from_store, to_store

__all__ = [
    "AUDIT_COLUMNS",
    "AuditFilter",
    "audit_rows",
    "consents",
    "iter_audit",
    "poll_states",
    "verify_audit",
    "warnings",
]

LIMIT = 200
AUDIT_COLUMNS = ("seq", "occurred_at", "action", "actor_id", "actor_name", "role", "dept_code",
                 "patient_masked", "category", "doc_id", "client_addr", "outcome", "detail")


def _usable(schema: str, name: str, columns: Sequence[str]) -> Table | None:
    table = optional_table(schema, name)
    if table is None or any(c not in table.c for c in columns):
        return None
    return table


def _rows(engine: Engine, query: Any) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


_MESSAGE_COLS = ("msg_id", "seq", "type", "level", "title", "content", "patient_id", "serial_number",
                 "dept_code", "user_id", "create_time", "polled_at")
_RECEIPT_COLS = ("msg_id", "user_id", "read_at", "read_by", "handled_at", "handled_by")


def warnings(engine: Engine, *, level: str | None, since: datetime | None, until: datetime | None,
             text: str | None) -> list[dict[str, Any]] | None:
    """Warning messages polled from the front-end, newest first."""
    table = _usable("warnings", "warning_messages", _MESSAGE_COLS)
    if table is None:
        return None
    c = table.c
    query = select(*(c[n] for n in _MESSAGE_COLS)).order_by(c.seq.desc()).limit(LIMIT)
    if level:
        query = query.where(c.level == level)
    if since:
        query = query.where(c.polled_at >= to_store(since))
    if until:
        query = query.where(c.polled_at <= to_store(until))
    if text:
        query = query.where(c.title.contains(text, autoescape=True) | (c.serial_number == text)
                            | (c.patient_id == text))
    rows = _rows(engine, query)
    receipts = _receipts(engine, [row["msg_id"] for row in rows])
    for row in rows:
        row["polled_at"] = from_store(row["polled_at"])
        row["receipts"] = receipts.get(row["msg_id"], [])
    return rows


def _receipts(engine: Engine, msg_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Each doctor's read/handled state of the messages: who did it and when."""
    table = _usable("warnings", "warning_receipts", _RECEIPT_COLS)
    if table is None or not msg_ids:
        return {}
    found: dict[str, list[dict[str, Any]]] = {}
    for row in _rows(engine, select(table).where(table.c.msg_id.in_(msg_ids))
                     .order_by(table.c.read_at)):
        row["read_at"], row["handled_at"] = from_store(row["read_at"]), from_store(row["handled_at"])
        found.setdefault(row["msg_id"], []).append(row)
    return found


def poll_states(engine: Engine) -> list[dict[str, Any]]:
    table = _usable("warnings", "warning_poll_state", ("name", "last_ok_at", "last_attempt_at",
                                                         "failures", "last_error"))
    if table is None:
        return []
    rows = _rows(engine, select(table))
    for row in rows:
        for key in ("last_ok_at", "last_attempt_at"):
            row[key] = from_store(row[key])
    return rows


_CONSENT_COLS = ("id", "auth_id", "patient_masked", "encounter_type", "encounter_id", "channel", "status",
                 "operator_id", "dept_code", "created_at", "granted_at", "valid_to", "ended_at", "reason")


def consents(engine: Engine, *, status: str | None, since: datetime | None,
             until: datetime | None) -> list[dict[str, Any]] | None:
    """Patient authorizations, newest first."""
    table = _usable("consent", "gd_consent", _CONSENT_COLS)
    if table is None:
        return None
    c = table.c
    query = select(*(c[n] for n in _CONSENT_COLS)).order_by(c.created_at.desc()).limit(LIMIT)
    if status:
        query = query.where(c.status == status)
    if since:
        query = query.where(c.created_at >= to_store(since))
    if until:
        query = query.where(c.created_at <= to_store(until))
    rows = _rows(engine, query)
    for row in rows:
        for key in ("created_at", "granted_at", "valid_to", "ended_at"):
            row[key] = from_store(row[key])
    return rows


@dataclass(frozen=True, slots=True)
class AuditFilter:
    action: str | None = None
    actor: str | None = None
    category: str | None = None
    outcome: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def _audit_query(table: Table, f: AuditFilter) -> Any:
    c = table.c
    query = select(*(c[n] for n in AUDIT_COLUMNS))
    for column, value in (("action", f.action), ("category", f.category), ("outcome", f.outcome)):
        if value:
            query = query.where(c[column] == value)
    if f.actor:
        query = query.where((c.actor_id == f.actor) | (c.actor_name == f.actor))
    if f.since:
        query = query.where(c.occurred_at >= format_time(f.since))
    if f.until:
        query = query.where(c.occurred_at <= format_time(f.until))
    return query


def audit_rows(engine: Engine, f: AuditFilter) -> tuple[list[dict[str, Any]], int] | None:
    """The newest ``LIMIT`` matching audit entries and how many match in all."""
    table = _usable("audit", "audit_log", AUDIT_COLUMNS)
    if table is None:
        return None
    query = _audit_query(table, f)
    with engine.connect() as conn:
        total = int(conn.execute(select(func.count()).select_from(query.subquery())).scalar() or 0)
        rows = [dict(r._mapping) for r in conn.execute(query.order_by(table.c.seq.desc()).limit(LIMIT))]
    return rows, total


def audit_installed() -> bool:
    return _usable("audit", "audit_log", AUDIT_COLUMNS) is not None


def iter_audit(engine: Engine, f: AuditFilter, batch: int = 2000) -> Iterator[dict[str, Any]]:
    """Every matching entry in ``seq`` order, read in batches (for the CSV export)."""
    table = _usable("audit", "audit_log", AUDIT_COLUMNS)
    if table is None:
        return
    after = 0
    while True:
        query = _audit_query(table, f).where(table.c.seq > after).order_by(table.c.seq).limit(batch)
        rows = _rows(engine, query)
        yield from rows
        if len(rows) < batch:
            return
        after = rows[-1]["seq"]


def verify_audit(engine: Engine, algorithm: str = "sm3") -> tuple[int, str | None] | None:
    """(entries checked, first break described or None), or None without the audit package."""
    module: Any = optional_module("hisbridge.audit.log")
    if module is None or not hasattr(module, "AuditLog"):
        return None
    checked, broken = module.AuditLog(engine, algorithm=algorithm).verify()
    return int(checked), broken.describe() if broken is not None else None
