"""consent: platform callbacks seen once (idempotent callbacks)

Revision ID: consent_0002_h17b
Revises: consent_0001

Adds ``gd_callback`` only; consents and encounters already stored are left as they are.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "consent_0002_h17b"
down_revision = "consent_0001"
branch_labels = None
depends_on = None

_TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "gd_callback",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("auth_id", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("occurred_at", sa.String(40), nullable=False),
        sa.Column("deliveries", sa.Integer, nullable=False, server_default=sa.text("1")),
        sa.Column("first_at", _TZ, nullable=False),
        sa.Column("last_at", _TZ, nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_gd_callback"),
    )
    op.create_index("ix_gd_callback_auth_id", "gd_callback", ["auth_id"])


def downgrade() -> None:
    op.drop_table("gd_callback")
