"""Sources branch: times in UTC. Runs, rejects, unmapped codes and watermark update times
written as China time on SQLite, and watermarks and poll windows (HIS wall time, assumed
Asia/Shanghai as before ``his.timezone`` existed) on every store, become UTC.

A HIS that really was in another zone only re-reads some overlap once: shifting a watermark
back never skips rows (unchanged rows are counted, not sent again).

Revision ID: sources_0003_htime
Revises: sources_0003_h15a
"""

from __future__ import annotations

from alembic import op

from hisbridge.store.utc_shift import CHINA_OFFSET_HOURS, shift_tables

revision = "sources_0003_htime"
down_revision = "sources_0003_h15a"
branch_labels = None
depends_on = None

TIMESTAMPS = {
    "source_watermarks": ("updated_at",),
    "source_runs": ("started_at", "finished_at"),
    "source_unmapped_codes": ("first_seen", "last_seen"),
    "source_rejects": ("created_at",),
}
TEXTS = {"source_watermarks": ("watermark",), "source_runs": ("since", "until")}


def upgrade() -> None:
    shift_tables(op.get_bind(), TIMESTAMPS, TEXTS, hours=-CHINA_OFFSET_HOURS)


def downgrade() -> None:
    shift_tables(op.get_bind(), TIMESTAMPS, TEXTS, hours=CHINA_OFFSET_HOURS)
