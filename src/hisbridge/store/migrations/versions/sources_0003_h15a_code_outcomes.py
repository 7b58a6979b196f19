"""Sources branch: what happened to each counted hospital code — unmapped (sent as is or
quarantined), dropped by an optional (``?``) code map, or generalised to a broader code; and
the keys do-not-send rules kept back (``source_excluded_keys``).

Revision ID: sources_0003_h15a
Revises: sources_0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "sources_0003_h15a"
down_revision = "sources_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("source_unmapped_codes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("outcome", sa.String(12), nullable=False,
                                      server_default="unmapped"))
        batch_op.add_column(sa.Column("mapped_to", sa.String(100), nullable=True))
    op.create_table(
        "source_excluded_keys",
        sa.Column("source", sa.String(40), nullable=False),
        sa.Column("table_name", sa.String(64), nullable=False),
        sa.Column("record_key", sa.String(128), nullable=False),
        sa.Column("rule", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("source", "table_name", "record_key",
                                name=op.f("pk_source_excluded_keys")),
    )


def downgrade() -> None:
    op.drop_table("source_excluded_keys")
    with op.batch_alter_table("source_unmapped_codes", schema=None) as batch_op:
        batch_op.drop_column("mapped_to")
        batch_op.drop_column("outcome")
