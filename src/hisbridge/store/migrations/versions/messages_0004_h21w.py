"""messages branch: each stored warning names its institution; keys and seqs per institution

Revision ID: messages_0004_h21w
Revises: messages_0003_h18a

A hospital group (医共体) polls one front-end licence per institution, each with its own
``seq``. ``warning_messages`` gains ``institution`` (the organisation code of the institution
whose poller stored it) and ``seq`` is unique per institution instead of overall.
``frontend_secret_keys.purpose`` widens to 64 characters for ``message:<org_code>``.

Every row is kept. A migration cannot read the settings, so existing rows take the
organisation code the message itself carried (``warning_messages.org_code``); a row without one
keeps ``institution`` NULL, which means "the single institution" (a single-hospital gateway
shows it as before; in a group it is shown to no institution's doctors, see
docs/warnings-and-sso.md).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "messages_0004_h21w"
down_revision = "messages_0003_h18a"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("warning_messages") as batch:
        batch.add_column(sa.Column("institution", sa.String(length=50), nullable=True))
        batch.drop_index("ix_warning_messages_seq")
    messages = sa.table("warning_messages", sa.column("org_code", sa.String),
                        sa.column("institution", sa.String))
    op.execute(messages.update().where(messages.c.org_code != "")
               .values(institution=sa.func.substr(messages.c.org_code, 1, 50)))
    op.create_index("ix_warning_messages_institution_seq", "warning_messages",
                    ["institution", "seq"], unique=True)
    with op.batch_alter_table("frontend_secret_keys") as batch:
        batch.alter_column("purpose", existing_type=sa.String(length=32),
                           type_=sa.String(length=64), existing_nullable=False)


def downgrade() -> None:
    """Back to one institution: needs ``seq`` unique over the whole table again (true of a
    single hospital's store). The per-institution cached keys go (a cache: one renewal)."""
    keys = sa.table("frontend_secret_keys", sa.column("purpose", sa.String))
    op.execute(keys.delete().where(keys.c.purpose != "message"))
    with op.batch_alter_table("frontend_secret_keys") as batch:
        batch.alter_column("purpose", existing_type=sa.String(length=64),
                           type_=sa.String(length=32), existing_nullable=False)
    op.drop_index("ix_warning_messages_institution_seq", table_name="warning_messages")
    # In place, also on SQLite (3.35+): a batch copy would drop the table its receipts and
    # webhook deliveries refer to.
    op.drop_column("warning_messages", "institution")
    op.create_index("ix_warning_messages_seq", "warning_messages", ["seq"], unique=True)
