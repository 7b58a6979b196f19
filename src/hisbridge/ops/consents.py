"""The ``/console/consents`` page's read: patients' authorizations, newest first.

None when the consent tables are not installed, so the page says "未启用" instead of failing;
patients appear only in the masked form the sharing package stores.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select

from hisbridge.ops.optional import between, read_rows, usable_table
from hisbridge.store.scope import EVERY_INSTITUTION, InstitutionScope
from hisbridge.store.times import from_store

__all__ = ["consent_rows"]

LIMIT = 200
_CONSENT_COLS = ("id", "auth_id", "patient_masked", "encounter_type", "encounter_id", "channel", "status",
                 "operator_id", "dept_code", "created_at", "granted_at", "valid_to", "ended_at", "reason")


def consent_rows(engine: Engine, *, status: str | None, since: datetime | None,
                 until: datetime | None,
                 scope: InstitutionScope = EVERY_INSTITUTION) -> list[dict[str, Any]] | None:
    """Patient authorizations made to the institutions in ``scope``, newest first (at most
    ``LIMIT``)."""
    table = usable_table("consent", "gd_consent", (*_CONSENT_COLS, "org_code"))
    if table is None:
        return None
    c = table.c
    query = (select(*(c[n] for n in _CONSENT_COLS), c.org_code).where(scope.where(c.org_code))
             .order_by(c.created_at.desc()).limit(LIMIT))
    if status:
        query = query.where(c.status == status)
    query = between(query, c.created_at, since, until)
    rows = read_rows(engine, query)
    for row in rows:
        for key in ("created_at", "granted_at", "valid_to", "ended_at"):
            row[key] = from_store(row[key])
    return rows
