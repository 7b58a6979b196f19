"""Sources branch: count the rows withheld because their parent was deleted, per poll run.

Revision ID: sources_0003_h15b
Revises: sources_0003_htime

Adds ``source_runs.withheld`` (0 for past runs); no row is removed.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "sources_0003_h15b"
down_revision = "sources_0003_htime"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("source_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("withheld", sa.Integer(), nullable=False,
                                      server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("source_runs", schema=None) as batch_op:
        batch_op.drop_column("withheld")
