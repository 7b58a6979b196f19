"""Sources branch: watermarks, runs, unmapped codes, rejects, seen keys.

Revision ID: sources_0001
Revises: (none; first revision of the sources branch)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "sources_0001"
down_revision = None
branch_labels = ("sources",)
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "source_watermarks",
        sa.Column("source", sa.String(40), nullable=False),
        sa.Column("table_name", sa.String(64), nullable=False),
        sa.Column("watermark", sa.String(40), nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("source", "table_name", name=op.f("pk_source_watermarks")),
    )
    op.create_table(
        "source_runs",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("source", sa.String(40), nullable=False),
        sa.Column("table_name", sa.String(64), nullable=False),
        sa.Column("started_at", _TS, nullable=False),
        sa.Column("finished_at", _TS, nullable=True),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("since", sa.String(40), nullable=True),
        sa.Column("until", sa.String(40), nullable=True),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in (
            "rows_read", "accepted", "unchanged", "rejected", "filtered", "deleted", "unmapped")),
        sa.Column("error", sa.Text(), nullable=True),
        sa.CheckConstraint("status IN ('running', 'ok', 'failed')",
                           name=op.f("ck_source_runs_status")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_source_runs")),
    )
    op.create_index("ix_source_runs_source_table_name_started_at", "source_runs",
                    ["source", "table_name", "started_at"])
    op.create_table(
        "source_unmapped_codes",
        sa.Column("source", sa.String(40), nullable=False),
        sa.Column("table_name", sa.String(64), nullable=False),
        sa.Column("column_name", sa.String(64), nullable=False),
        sa.Column("hospital_code", sa.String(100), nullable=False),
        sa.Column("code_set", sa.String(64), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("first_seen", _TS, nullable=False),
        sa.Column("last_seen", _TS, nullable=False),
        sa.PrimaryKeyConstraint("source", "table_name", "column_name", "hospital_code",
                                name=op.f("pk_source_unmapped_codes")),
    )
    op.create_table(
        "source_rejects",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("source", sa.String(40), nullable=False),
        sa.Column("table_name", sa.String(64), nullable=False),
        sa.Column("record_id", sa.String(128), nullable=True),
        sa.Column("stage", sa.String(8), nullable=False),
        sa.Column("violations", sa.Text(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.CheckConstraint("stage IN ('mapping', 'intake')", name=op.f("ck_source_rejects_stage")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_source_rejects")),
    )
    op.create_index("ix_source_rejects_source_table_name_created_at", "source_rejects",
                    ["source", "table_name", "created_at"])
    op.create_table(
        "source_seen_keys",
        sa.Column("source", sa.String(40), nullable=False),
        sa.Column("table_name", sa.String(64), nullable=False),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("record_key", sa.String(128), nullable=False),
        sa.PrimaryKeyConstraint("source", "table_name", "day", "record_key",
                                name=op.f("pk_source_seen_keys")),
    )


def downgrade() -> None:
    op.drop_table("source_seen_keys")
    op.drop_index("ix_source_rejects_source_table_name_created_at", table_name="source_rejects")
    op.drop_table("source_rejects")
    op.drop_table("source_unmapped_codes")
    op.drop_index("ix_source_runs_source_table_name_started_at", table_name="source_runs")
    op.drop_table("source_runs")
    op.drop_table("source_watermarks")
