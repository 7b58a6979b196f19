"""Outbox branch: indexes for the console's record search by patient id and serial number.

Revision ID: outbox_0004_h19s
Revises: outbox_0003_h15b

Two expression indexes on ``records``: the payload's ``patient_id`` and ``serial_number``
(``hisbridge.store.json_field`` explains the expressions; they are written out here so that
this migration never changes when that module does). No row is touched. On PostgreSQL the
index is built in the upgrade's transaction, which holds writes to ``records`` for the build
(seconds for a million versions).
"""

from __future__ import annotations

from alembic import op

revision = "outbox_0004_h19s"
down_revision = "outbox_0003_h15b"
branch_labels = None
depends_on = None

_FIELDS = ("patient_id", "serial_number")


def _expression(field: str, dialect: str) -> str:
    if dialect == "postgresql":
        key = f'"{field}":"'
        return f"split_part(substr(payload, strpos(payload, '{key}') + {len(key)}), '\"', 1)"
    return f"json_extract(payload, '$.{field}') COLLATE NOCASE"


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for field in _FIELDS:
        op.execute(f"CREATE INDEX ix_records_{field} ON records ({_expression(field, dialect)})")


def downgrade() -> None:
    for field in _FIELDS:
        op.execute(f"DROP INDEX ix_records_{field}")
