"""Console branch: what happened to each login attempt, and attempts by address.

Revision ID: console_0002_h14b
Revises: console_0001

``outcome`` tells a checked wrong password (``bad``) from an attempt refused without a check
while locked (``refused``) and an administrator's ``unlock``: the lock-out of a user name counts
only checked failures, so refused attempts from one address cannot lock a user for everyone.
Existing rows get ``ok`` or ``bad`` from their ``ok`` column; no row is removed. The index on
(remote, at) serves the per-address throttle.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "console_0002_h14b"
down_revision = "console_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("console_login_attempts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("outcome", sa.String(length=8), nullable=True))
        batch_op.create_index("ix_console_login_attempts_remote_at", ["remote", "at"], unique=False)
    attempts = sa.table("console_login_attempts", sa.column("ok", sa.Boolean()),
                        sa.column("outcome", sa.String(8)))
    op.execute(attempts.update().values(
        outcome=sa.case((attempts.c.ok.is_(True), "ok"), else_="bad")))


def downgrade() -> None:
    with op.batch_alter_table("console_login_attempts", schema=None) as batch_op:
        batch_op.drop_index("ix_console_login_attempts_remote_at")
        batch_op.drop_column("outcome")
