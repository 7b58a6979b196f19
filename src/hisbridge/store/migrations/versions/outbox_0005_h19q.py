"""Outbox branch: the wire body stored at intake, and one attempts row per delivered batch.

Revision ID: outbox_0005_h19q
Revises: outbox_0004_h19s

Adds ``records.wire`` (the data API body, built once at intake), ``outbox.attempt_id`` (the
attempts row of the batch that delivered the entry), ``attempts.records`` (how many deliveries
a row stands for; 1 for every existing row) and lets ``attempts.outbox_id`` be NULL (a batch
row). No queued row is touched: versions stored before have no ``wire`` and are sent from their
payload as before.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "outbox_0005_h19q"
down_revision = "outbox_0004_h19s"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.add_column("records", sa.Column("wire", sa.Text(), nullable=True))
    op.add_column("outbox", sa.Column("attempt_id", _ID, nullable=True))
    with op.batch_alter_table("attempts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("records", sa.Integer(), nullable=False,
                                      server_default="1"))
        batch_op.alter_column("outbox_id", existing_type=_ID, nullable=True)


def downgrade() -> None:
    op.execute("DELETE FROM attempts WHERE outbox_id IS NULL")
    with op.batch_alter_table("attempts", schema=None) as batch_op:
        batch_op.alter_column("outbox_id", existing_type=_ID, nullable=False)
        batch_op.drop_column("records")
    op.execute("ALTER TABLE outbox DROP COLUMN attempt_id")
    # Not a batch (table copy) on SQLite: that would drop the expression indexes on records.
    op.execute("ALTER TABLE records DROP COLUMN wire")
