"""Outbox branch: the institution each queued entry and quarantined record belongs to.

Revision ID: outbox_0006_h21r
Revises: outbox_0005_h19q

Adds ``outbox.institution`` and ``quarantine.institution`` (organisation code, NULL for every
existing row: the single institution of a gateway configured without ``institutions``) and the
index each institution's delivery worker claims through. No queued row is touched, so an upgrade
with entries waiting delivers them as before.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "outbox_0006_h21r"
down_revision = "outbox_0005_h19q"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("outbox", sa.Column("institution", sa.String(50), nullable=True))
    op.add_column("quarantine", sa.Column("institution", sa.String(50), nullable=True))
    op.create_index("ix_outbox_institution_state_id", "outbox", ["institution", "state", "id"])


def downgrade() -> None:
    op.drop_index("ix_outbox_institution_state_id", table_name="outbox")
    # Plain DROP COLUMN (SQLite >= 3.35), not a batch table copy that would lose indexes.
    op.execute("ALTER TABLE quarantine DROP COLUMN institution")
    op.execute("ALTER TABLE outbox DROP COLUMN institution")
