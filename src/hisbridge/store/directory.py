"""The HIS's staff as the gateway received them: a doctor's department from ``base_user``.

The newest accepted version of the doctor's ``base_user`` record (pushed or polled like any
record) is the truth; a deleted or unknown doctor has no department here.
"""

from __future__ import annotations

from sqlalchemy import Engine, select

from hisbridge import _json
from hisbridge.store.schema.outbox import records

__all__ = ["StoreDoctorDirectory"]


class StoreDoctorDirectory:
    """``dept_of(user_id)`` from the store's newest ``base_user`` version."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def dept_of(self, user_id: str) -> str | None:
        r = records.c
        query = (select(r.op, r.payload).where(r.table_name == "base_user", r.record_id == user_id)
                 .order_by(r.version.desc()).limit(1))
        with self._engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None or row.op != "upsert":
            return None
        dept = _json.loads(row.payload).get("dept_code")
        return str(dept) if dept else None
