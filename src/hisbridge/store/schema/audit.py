"""The audit log: append-only and hash-chained (see ``hisbridge.audit.chain``).

``seq`` is assigned by the writer (last + 1), so a deleted row leaves a visible gap. Times are
stored as fixed-format text so that the hashed serialization reads back byte for byte on every
database.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, String, Table, Text

from hisbridge.store.schema import metadata

__all__ = ["audit_log"]

audit_log = Table(
    "audit_log",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("id", String(26), nullable=False, unique=True),
    Column("occurred_at", String(32), nullable=False),
    Column("action", String(40), nullable=False),
    Column("actor_id", String(64), nullable=False),
    Column("actor_name", String(64), nullable=False),
    Column("role", String(32), nullable=False),
    Column("dept_code", String(64), nullable=False),
    Column("patient_masked", String(80), nullable=False),
    Column("patient_key", String(64), nullable=False),
    Column("consent_id", String(26), nullable=False),
    Column("auth_id", String(64), nullable=False),
    Column("category", String(32), nullable=False),
    Column("doc_id", String(128), nullable=False),
    Column("client_addr", String(64), nullable=False),
    Column("outcome", String(32), nullable=False),
    Column("detail", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Index(None, "occurred_at"),
    Index(None, "consent_id"),
    Index(None, "patient_key"),
)
