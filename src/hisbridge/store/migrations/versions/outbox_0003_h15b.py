"""Outbox branch: each record's latest op and parent, for deletes that keep the front-end whole.

Revision ID: outbox_0003_h15b
Revises: outbox_0002

Adds ``record_keys.op``, ``record_keys.parent_table`` and ``record_keys.parent_id`` and fills
them from each record's latest version (its op, and the parent key its payload names), plus
indexes on the parent columns of ``record_keys`` and ``outbox``. No queued row is touched.
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "outbox_0003_h15b"
down_revision = "outbox_0002"
branch_labels = None
depends_on = None

_CHUNK = 1000


def upgrade() -> None:
    with op.batch_alter_table("record_keys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("op", sa.String(length=8), nullable=False,
                                      server_default="upsert"))
        batch_op.add_column(sa.Column("parent_table", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("parent_id", sa.String(length=128), nullable=True))
        batch_op.create_index("ix_record_keys_parent", ["parent_table", "parent_id"],
                              unique=False)
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_parent", ["parent_table", "parent_id"], unique=False)
    _fill(op.get_bind())


def _fill(conn: sa.Connection) -> None:
    """Copy each record's latest op, and its parent key (from its payload), into record_keys."""
    from hisbridge.dictionary import load_dictionary

    conn.execute(sa.text(
        "UPDATE record_keys SET op = (SELECT r.op FROM records r WHERE r.table_name = "
        "record_keys.table_name AND r.record_id = record_keys.record_id AND r.version = "
        "record_keys.version) WHERE EXISTS (SELECT 1 FROM records r WHERE r.table_name = "
        "record_keys.table_name AND r.record_id = record_keys.record_id AND r.version = "
        "record_keys.version)"))
    links = {t.name: t.parent_keys[0] for t in load_dictionary() if t.parent_keys}
    statement = sa.text("UPDATE record_keys SET parent_table = :pt, parent_id = :pi "
                        "WHERE table_name = :t AND record_id = :i")
    query = sa.text(
        "SELECT r.table_name, r.record_id, r.payload FROM records r JOIN record_keys k ON "
        "k.table_name = r.table_name AND k.record_id = r.record_id AND k.version = r.version "
        "WHERE r.table_name IN :tables").bindparams(sa.bindparam("tables", expanding=True))
    result = conn.execute(query, {"tables": sorted(links)}).partitions(_CHUNK)
    for part in result:
        updates = []
        for table, record_id, payload in part:
            parent_id = json.loads(payload).get(links[table].field)
            if parent_id:
                updates.append({"t": table, "i": record_id, "pt": links[table].table,
                                "pi": str(parent_id)})
        if updates:
            conn.execute(statement, updates)


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_parent")
    with op.batch_alter_table("record_keys", schema=None) as batch_op:
        batch_op.drop_index("ix_record_keys_parent")
        batch_op.drop_column("parent_id")
        batch_op.drop_column("parent_table")
        batch_op.drop_column("op")
