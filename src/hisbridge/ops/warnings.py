"""The ``/console/warnings`` page's reads: the front-end's warning messages and the poller's state.

None (or an empty list) when the warnings tables are not installed, so the page says "未启用"
instead of failing. Personal data is shown only in the form the owning package stores.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select

from hisbridge.ops.optional import between, read_rows, usable_table
from hisbridge.store.scope import EVERY_INSTITUTION, InstitutionScope
from hisbridge.store.times import from_store

__all__ = ["poll_states", "warning_rows"]

LIMIT = 200
_MESSAGE_COLS = ("msg_id", "seq", "type", "level", "title", "content", "patient_id", "serial_number",
                 "dept_code", "user_id", "create_time", "polled_at")
_RECEIPT_COLS = ("msg_id", "user_id", "read_at", "read_by", "handled_at", "handled_by")
_POLL_COLS = ("name", "last_ok_at", "last_attempt_at", "failures", "last_error")


def warning_rows(engine: Engine, *, level: str | None, since: datetime | None,
                 until: datetime | None, text: str | None,
                 scope: InstitutionScope = EVERY_INSTITUTION) -> list[dict[str, Any]] | None:
    """Warning messages polled from the front-end (of the institutions in ``scope``), newest
    first, each with its receipts."""
    table = usable_table("warnings", "warning_messages", (*_MESSAGE_COLS, "institution"))
    if table is None:
        return None
    c = table.c
    query = (select(*(c[n] for n in _MESSAGE_COLS), c.institution).where(scope.where(c.institution))
             .order_by(c.seq.desc()).limit(LIMIT))
    if level:
        query = query.where(c.level == level)
    query = between(query, c.polled_at, since, until)
    if text:
        query = query.where(c.title.contains(text, autoescape=True) | (c.serial_number == text)
                            | (c.patient_id == text))
    rows = read_rows(engine, query)
    receipts = _receipts(engine, [row["msg_id"] for row in rows])
    for row in rows:
        row["polled_at"] = from_store(row["polled_at"])
        row["receipts"] = receipts.get(row["msg_id"], [])
    return rows


def _receipts(engine: Engine, msg_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Each doctor's read/handled state of the messages: who did it and when."""
    table = usable_table("warnings", "warning_receipts", _RECEIPT_COLS)
    if table is None or not msg_ids:
        return {}
    found: dict[str, list[dict[str, Any]]] = {}
    for row in read_rows(engine, select(table).where(table.c.msg_id.in_(msg_ids))
                         .order_by(table.c.read_at)):
        row["read_at"], row["handled_at"] = from_store(row["read_at"]), from_store(row["handled_at"])
        found.setdefault(row["msg_id"], []).append(row)
    return found


def poll_states(engine: Engine, scope: InstitutionScope = EVERY_INSTITUTION) -> list[dict[str, Any]]:
    """The poller's last good poll, last attempt and failures, per poll loop (each
    institution's loop is ``messages:<org_code>``; a single hospital's has no code)."""
    table = usable_table("warnings", "warning_poll_state", _POLL_COLS)
    if table is None:
        return []
    rows = [r for r in read_rows(engine, select(table))
            if scope.covers(r["name"].partition(":")[2] or None)]
    for row in rows:
        for key in ("last_ok_at", "last_attempt_at"):
            row[key] = from_store(row[key])
    return rows
