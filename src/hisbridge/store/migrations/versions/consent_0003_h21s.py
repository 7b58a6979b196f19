"""consent: authorizations and encounters carry their institution (hospital groups, issue 21)

Revision ID: consent_0003_h21s
Revises: consent_0002_htime

Adds a nullable ``org_code`` to ``gd_consent`` and ``gd_encounter``. Rows already stored keep
NULL, which means "the gateway's original single institution": the one whose organisation code
is the top-level ``gdhealth.org_code`` (docs/gdhealth.md, 医共体 / hospital group). No row is
rewritten or lost; the downgrade drops the two columns.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "consent_0003_h21s"
down_revision = "consent_0002_htime"
branch_labels = None
depends_on = None

_TABLES = ("gd_consent", "gd_encounter")


def upgrade() -> None:
    for table in _TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("org_code", sa.String(50), nullable=True))
            batch.create_index(f"ix_{table}_org_code", ["org_code"])


def downgrade() -> None:
    for table in _TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_index(f"ix_{table}_org_code")
            batch.drop_column("org_code")
