"""Console branch: a user's institution scope.

Revision ID: console_0003_h21c
Revises: console_0002_h14b

``console_users.institutions``: the organisation codes (comma-separated) whose data the user
sees and acts on, for a hospital group's gateway. Existing users get NULL: every institution,
as before. No row is changed or removed.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "console_0003_h21c"
down_revision = "console_0002_h14b"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("console_users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("institutions", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("console_users", schema=None) as batch_op:
        batch_op.drop_column("institutions")
