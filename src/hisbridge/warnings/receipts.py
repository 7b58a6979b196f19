"""Each doctor's own state of a warning in the store (``warning_receipts``), and doctor names.

A state change is written once per (message, owner): the first read and the first handling are
kept with who did it and when; repeating an action changes nothing. Handling implies reading.
Doctor names come from the newest ``base_user`` record the gateway accepted, masked (张**).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from hisbridge import _json
from hisbridge.privacy import mask_name
from hisbridge.store.errors import INTEGRITY_ERRORS
from hisbridge.store.schema.outbox import records
from hisbridge.store.schema.warnings import warning_receipts as receipts
from hisbridge.warnings.addressee import StateChange

__all__ = ["apply_change", "doctor_names"]


def _values(change: StateChange, at: datetime, old: Any | None) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if old is None or old.read_at is None:
        values |= {"read_at": at, "read_by": change.actor}
    if change.action == "handled" and (old is None or old.handled_at is None):
        values |= {"handled_at": at, "handled_by": change.actor}
    return values


def apply_change(conn: Connection, change: StateChange, at: datetime) -> None:
    """Record ``change`` at ``at`` unless the owner's state already has it."""
    r = receipts.c
    where = (r.msg_id == change.msg_id) & (r.user_id == change.owner)
    old = conn.execute(select(receipts).where(where)).first()
    values = _values(change, at, old)
    if not values:
        return
    if old is not None:
        conn.execute(update(receipts).where(where).values(**values))
        return
    try:
        with conn.begin_nested():
            conn.execute(insert(receipts).values(msg_id=change.msg_id, user_id=change.owner,
                                                 **values))
    except INTEGRITY_ERRORS:  # another request wrote the row first: fill in what is missing
        apply_change(conn, change, at)


def doctor_names(conn: Connection, user_ids: Iterable[str | None]) -> dict[str, str]:
    """Masked names of the doctors ``user_ids`` from their newest accepted base_user record."""
    wanted = sorted({u for u in user_ids if u})
    if not wanted:
        return {}
    c = records.c
    rows = conn.execute(select(c.record_id, c.payload).where(
        c.table_name == "base_user", c.record_id.in_(wanted)).order_by(c.version))
    names: dict[str, str] = {}
    for record_id, payload in rows:
        data = _json.loads(payload) if payload else None
        name = data.get("user_name") if isinstance(data, dict) else None
        if isinstance(name, str) and name.strip():
            names[record_id] = mask_name(name)
    return names
