"""Tables of the consent concept: cached platform authorizations and known encounters.

``gd_consent.open_key`` is set only while the consent is open (PENDING/GRANTED), and is unique:
the database itself keeps one open authorization per patient + institution + encounter.
Both carry the institution's ``org_code`` (a hospital group serves several on one gateway).
Patient identity in ``gd_encounter`` is SM4-encrypted at rest (needed to apply later).
``gd_callback`` remembers each platform callback once (its key is unique), so a callback the
platform retries changes state once; later deliveries only count up ``deliveries``.
"""

from __future__ import annotations

from sqlalchemy import (
    CheckConstraint,
    Column,
    Date,
    Index,
    Integer,
    String,
    Table,
    Text,
    text,
)

from hisbridge.store.schema import TIMESTAMP, metadata

__all__ = ["CONSENT_STATUSES", "gd_callback", "gd_consent", "gd_encounter"]

CONSENT_STATUSES = ("PENDING", "GRANTED", "DENIED", "EXPIRED", "REVOKED", "CANCELLED", "CLOSED")

gd_consent = Table(
    "gd_consent",
    metadata,
    Column("id", String(26), primary_key=True),
    Column("auth_id", String(64), nullable=True),
    Column("his_patient_id", String(64), nullable=False),
    Column("patient_masked", String(80), nullable=False),
    Column("encounter_type", String(16), nullable=False),
    Column("encounter_id", String(64), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("open_key", String(200), nullable=True, unique=True),
    Column("operator_id", String(64), nullable=False, server_default=""),
    Column("dept_code", String(64), nullable=False, server_default=""),
    Column("created_at", TIMESTAMP, nullable=False),
    Column("updated_at", TIMESTAMP, nullable=False),
    Column("request_expires_at", TIMESTAMP, nullable=True),
    Column("granted_at", TIMESTAMP, nullable=True),
    Column("valid_from", TIMESTAMP, nullable=True),
    Column("valid_to", TIMESTAMP, nullable=True),
    Column("ended_at", TIMESTAMP, nullable=True),
    Column("reason", String(64), nullable=True),
    Column("sms_attempts", Integer, nullable=False, server_default=text("0")),
    Column("channel_info", Text, nullable=False, server_default="{}"),
    # The institution the grant was made to (NULL: the original single institution, see
    # docs/gdhealth.md); only that institution may use it.
    Column("org_code", String(50), nullable=True),
    CheckConstraint(
        "status IN ('PENDING','GRANTED','DENIED','EXPIRED','REVOKED','CANCELLED','CLOSED')",
        name="status",
    ),
    Index(None, "auth_id"),
    Index(None, "his_patient_id", "encounter_id"),
    Index(None, "status", "valid_to"),
    Index(None, "org_code"),
)

gd_encounter = Table(
    "gd_encounter",
    metadata,
    Column("encounter_type", String(16), primary_key=True),
    Column("encounter_id", String(64), primary_key=True),
    Column("his_patient_id", String(64), nullable=False),
    Column("id_type", String(4), nullable=False, server_default="01"),
    Column("id_no_enc", String(128), nullable=False),
    Column("name_enc", String(128), nullable=False),
    Column("ehc_code", String(128), nullable=True),
    Column("dept_code", String(64), nullable=False, server_default=""),
    Column("visit_date", Date, nullable=True),
    Column("appointment_id", String(64), nullable=True),
    Column("slot_start", TIMESTAMP, nullable=True),
    Column("admitted_at", TIMESTAMP, nullable=True),
    Column("discharged_at", TIMESTAMP, nullable=True),
    Column("state", String(16), nullable=False, server_default="OPEN"),
    Column("updated_at", TIMESTAMP, nullable=False),
    Column("org_code", String(50), nullable=True),  # the institution of the visit (NULL: as above)
    CheckConstraint("state IN ('OPEN','CLOSED','CANCELLED')", name="state"),
    Index(None, "his_patient_id"),
    Index(None, "appointment_id"),
    Index(None, "org_code"),
)

gd_callback = Table(
    "gd_callback",
    metadata,
    Column("key", String(64), primary_key=True),  # sha256 of the platform's id or its content
    Column("auth_id", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    Column("occurred_at", String(40), nullable=False),
    Column("deliveries", Integer, nullable=False, server_default=text("1")),
    Column("first_at", TIMESTAMP, nullable=False),
    Column("last_at", TIMESTAMP, nullable=False),
    Index(None, "auth_id"),
)
