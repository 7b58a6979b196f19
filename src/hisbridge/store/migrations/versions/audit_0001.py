"""audit: the hash-chained audit log

Revision ID: audit_0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "audit_0001"
down_revision = None
branch_labels = ("audit",)
depends_on = None

_TEXT_COLUMNS = (
    ("action", 40),
    ("actor_id", 64),
    ("actor_name", 64),
    ("role", 32),
    ("dept_code", 64),
    ("patient_masked", 80),
    ("patient_key", 64),
    ("consent_id", 26),
    ("auth_id", 64),
    ("category", 32),
    ("doc_id", 128),
    ("client_addr", 64),
    ("outcome", 32),
)


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("seq", sa.BigInteger, nullable=False, autoincrement=False),
        sa.Column("id", sa.String(26), nullable=False),
        sa.Column("occurred_at", sa.String(32), nullable=False),
        *(sa.Column(name, sa.String(size), nullable=False) for name, size in _TEXT_COLUMNS),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_audit_log"),
        sa.UniqueConstraint("id", name="uq_audit_log_id"),
    )
    op.create_index("ix_audit_log_occurred_at", "audit_log", ["occurred_at"])
    op.create_index("ix_audit_log_consent_id", "audit_log", ["consent_id"])
    op.create_index("ix_audit_log_patient_key", "audit_log", ["patient_key"])


def downgrade() -> None:
    op.drop_table("audit_log")
