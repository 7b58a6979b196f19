"""consent: cached platform authorizations and known encounters

Revision ID: consent_0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "consent_0001"
down_revision = None
branch_labels = ("consent",)
depends_on = None

_TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "gd_consent",
        sa.Column("id", sa.String(26), nullable=False),
        sa.Column("auth_id", sa.String(64), nullable=True),
        sa.Column("his_patient_id", sa.String(64), nullable=False),
        sa.Column("patient_masked", sa.String(80), nullable=False),
        sa.Column("encounter_type", sa.String(16), nullable=False),
        sa.Column("encounter_id", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("open_key", sa.String(200), nullable=True),
        sa.Column("operator_id", sa.String(64), nullable=False, server_default=""),
        sa.Column("dept_code", sa.String(64), nullable=False, server_default=""),
        sa.Column("created_at", _TZ, nullable=False),
        sa.Column("updated_at", _TZ, nullable=False),
        sa.Column("request_expires_at", _TZ, nullable=True),
        sa.Column("granted_at", _TZ, nullable=True),
        sa.Column("valid_from", _TZ, nullable=True),
        sa.Column("valid_to", _TZ, nullable=True),
        sa.Column("ended_at", _TZ, nullable=True),
        sa.Column("reason", sa.String(64), nullable=True),
        sa.Column("sms_attempts", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("channel_info", sa.Text, nullable=False, server_default="{}"),
        sa.CheckConstraint(
            "status IN ('PENDING','GRANTED','DENIED','EXPIRED','REVOKED','CANCELLED','CLOSED')",
            name="ck_gd_consent_status",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_gd_consent"),
        sa.UniqueConstraint("open_key", name="uq_gd_consent_open_key"),
    )
    op.create_index("ix_gd_consent_auth_id", "gd_consent", ["auth_id"])
    op.create_index(
        "ix_gd_consent_his_patient_id_encounter_id",
        "gd_consent",
        ["his_patient_id", "encounter_id"],
    )
    op.create_index("ix_gd_consent_status_valid_to", "gd_consent", ["status", "valid_to"])
    op.create_table(
        "gd_encounter",
        sa.Column("encounter_type", sa.String(16), nullable=False),
        sa.Column("encounter_id", sa.String(64), nullable=False),
        sa.Column("his_patient_id", sa.String(64), nullable=False),
        sa.Column("id_type", sa.String(4), nullable=False, server_default="01"),
        sa.Column("id_no_enc", sa.String(128), nullable=False),
        sa.Column("name_enc", sa.String(128), nullable=False),
        sa.Column("ehc_code", sa.String(128), nullable=True),
        sa.Column("dept_code", sa.String(64), nullable=False, server_default=""),
        sa.Column("visit_date", sa.Date, nullable=True),
        sa.Column("appointment_id", sa.String(64), nullable=True),
        sa.Column("slot_start", _TZ, nullable=True),
        sa.Column("admitted_at", _TZ, nullable=True),
        sa.Column("discharged_at", _TZ, nullable=True),
        sa.Column("state", sa.String(16), nullable=False, server_default="OPEN"),
        sa.Column("updated_at", _TZ, nullable=False),
        sa.CheckConstraint("state IN ('OPEN','CLOSED','CANCELLED')", name="ck_gd_encounter_state"),
        sa.PrimaryKeyConstraint("encounter_type", "encounter_id", name="pk_gd_encounter"),
    )
    op.create_index("ix_gd_encounter_his_patient_id", "gd_encounter", ["his_patient_id"])
    op.create_index("ix_gd_encounter_appointment_id", "gd_encounter", ["appointment_id"])


def downgrade() -> None:
    op.drop_table("gd_encounter")
    op.drop_table("gd_consent")
