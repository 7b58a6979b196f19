"""Sources branch: times in UTC. Runs, rejects, unmapped codes and watermark update times
written as China time on SQLite, and watermarks and poll windows (HIS wall time, assumed
Asia/Shanghai as before ``his.timezone`` existed) on every store, become UTC.

A HIS that really was in another zone only re-reads some overlap once: shifting a watermark
back never skips rows (unchanged rows are counted, not sent again).

Revision ID: sources_0003_htime
Revises: sources_0002
"""

from __future__ import annotations

from alembic import op

from hisbridge.store.utc_shift import CHINA_OFFSET_HOURS, shift_to_utc

revision = "sources_0003_htime"
down_revision = "sources_0002"
branch_labels = None
depends_on = None

TIMESTAMPS = {
    "source_watermarks": ("updated_at",),
    "source_runs": ("started_at", "finished_at"),
    "source_unmapped_codes": ("first_seen", "last_seen"),
    "source_rejects": ("created_at",),
}
TEXTS = {"source_watermarks": ("watermark",), "source_runs": ("since", "until")}


def _shift(hours: int) -> None:
    conn = op.get_bind()
    for table, columns in TIMESTAMPS.items():
        shift_to_utc(conn, table, columns, as_text=False, hours=hours)
    for table, columns in TEXTS.items():
        shift_to_utc(conn, table, columns, as_text=True, hours=hours)


def upgrade() -> None:
    _shift(-CHINA_OFFSET_HOURS)


def downgrade() -> None:
    _shift(CHINA_OFFSET_HOURS)
