"""The ``/console/audit`` page's reads: the audit log by filter, its CSV export, its chain check.

None when the audit package or its table is not installed, so the page says "未启用" instead of
failing. Filters are values already checked by the page.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, Table, func, select

from hisbridge import _json
from hisbridge.audit.log import format_time  # the audit log's fixed-width text, which sorts
from hisbridge.ops.optional import optional_module, read_rows, usable_table
from hisbridge.store.scope import EVERY_INSTITUTION, InstitutionScope

__all__ = ["AUDIT_COLUMNS", "AuditFilter", "audit_installed", "audit_rows", "iter_audit",
           "org_code_of", "verify_audit"]

LIMIT = 200
AUDIT_COLUMNS = ("seq", "occurred_at", "action", "actor_id", "actor_name", "role", "dept_code",
                 "patient_masked", "category", "doc_id", "client_addr", "outcome", "detail")


@dataclass(frozen=True, slots=True)
class AuditFilter:
    action: str | None = None
    actor: str | None = None
    category: str | None = None
    outcome: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    scope: InstitutionScope = EVERY_INSTITUTION  # entries of these institutions (detail's orgCode)


def _table() -> Table | None:
    return usable_table("audit", "audit_log", AUDIT_COLUMNS)


def _audit_query(table: Table, f: AuditFilter) -> Any:
    c = table.c
    query = select(*(c[n] for n in AUDIT_COLUMNS)).where(f.scope.where_detail(c.detail))
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
    table = _table()
    if table is None:
        return None
    query = _audit_query(table, f)
    with engine.connect() as conn:
        total = int(conn.execute(select(func.count()).select_from(query.subquery())).scalar() or 0)
        rows = [{**r._mapping, "institution": org_code_of(r.detail)}
                for r in conn.execute(query.order_by(table.c.seq.desc()).limit(LIMIT))]
    return rows, total


def org_code_of(detail: str) -> str | None:
    """The institution an entry names in its detail (``orgCode``); None for entries without
    one (the default institution's)."""
    try:
        found = _json.loads(detail)
    except ValueError:
        return None
    code = found.get("orgCode") if isinstance(found, dict) else None
    return code if isinstance(code, str) else None


def audit_installed() -> bool:
    """Is the audit log there to export?"""
    return _table() is not None


def iter_audit(engine: Engine, f: AuditFilter, batch: int = 2000) -> Iterator[dict[str, Any]]:
    """Every matching entry in ``seq`` order, read in batches (for the CSV export)."""
    table = _table()
    if table is None:
        return
    after = 0
    while True:
        query = _audit_query(table, f).where(table.c.seq > after).order_by(table.c.seq).limit(batch)
        rows = read_rows(engine, query)
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
