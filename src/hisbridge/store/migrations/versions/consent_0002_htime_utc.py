"""Consent branch: times in UTC. Consents and encounters were written as China time, which
SQLite kept as Beijing wall time; they become UTC (PostgreSQL's timestamptz needs nothing).
Chain it after the callback ledger's revision when both exist: its times are shifted too.

Revision ID: consent_0002_htime
Revises: consent_0002_h17b
"""

from __future__ import annotations

from alembic import op

from hisbridge.store.utc_shift import CHINA_OFFSET_HOURS, shift_tables

revision = "consent_0002_htime"
down_revision = "consent_0002_h17b"
branch_labels = None
depends_on = None

TIMESTAMPS = {
    "gd_consent": ("created_at", "updated_at", "request_expires_at", "granted_at", "valid_from",
                   "valid_to", "ended_at"),
    "gd_encounter": ("slot_start", "admitted_at", "discharged_at", "updated_at"),
    "gd_callback": ("first_at", "last_at"),  # where the callback ledger exists (branch h17b)
}


def upgrade() -> None:
    shift_tables(op.get_bind(), TIMESTAMPS, hours=-CHINA_OFFSET_HOURS)


def downgrade() -> None:
    shift_tables(op.get_bind(), TIMESTAMPS, hours=CHINA_OFFSET_HOURS)
