"""Values of the consent domain: who the patient is, who acts, which encounter, which consent."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from hisbridge._operator import SYSTEM, Operator
from hisbridge.privacy import mask_id_number, mask_name

__all__ = [
    "SYSTEM",
    "Channel",
    "Consent",
    "EncounterRef",
    "EncounterType",
    "Operator",
    "PatientIdentity",
]


class EncounterType(StrEnum):
    OUTPATIENT = "OUTPATIENT"
    EMERGENCY = "EMERGENCY"
    INPATIENT = "INPATIENT"
    BOOKING = "BOOKING"

    @classmethod
    def parse(cls, value: str) -> EncounterType:
        """Accept the wire form (``OUTPATIENT``) and the lower-case API form (``outpatient``)."""
        return cls(value.strip().upper())


class Channel(StrEnum):
    BOOKING = "BOOKING"
    APP = "APP"
    SMS = "SMS"
    AUTH_CODE = "AUTH_CODE"

    @classmethod
    def parse(cls, value: str) -> Channel:
        """``CODE`` is accepted as an alias of ``AUTH_CODE`` (the issue's name)."""
        text = value.strip().upper()
        return cls.AUTH_CODE if text == "CODE" else cls(text)


@dataclass(frozen=True, slots=True)
class PatientIdentity:
    """The patient as the HIS knows them; ``id_no``/``name`` leave only SM4-encrypted."""

    his_patient_id: str
    id_no: str
    name: str
    id_type: str = "01"
    ehc_code: str | None = None
    phone: str | None = None  # only if the HIS has one; the platform uses its real-name phone

    @property
    def masked(self) -> str:
        """``张* 440***********1234``: what logs, audit and pages show."""
        return f"{mask_name(self.name)} {mask_id_number(self.id_no)}"


@dataclass(frozen=True, slots=True)
class EncounterRef:
    """The visit a consent belongs to; times decide the validity window."""

    encounter_type: EncounterType
    encounter_id: str
    visit_date: date | None = None
    appointment_id: str | None = None
    admitted_at: datetime | None = None
    discharged_at: datetime | None = None
    slot_start: datetime | None = None
    dept_code: str = ""


@dataclass(slots=True)
class Consent:
    """The gateway's cached copy of one platform authorization (the platform is the truth)."""

    id: str
    his_patient_id: str
    patient_masked: str
    encounter_type: EncounterType
    encounter_id: str
    channel: Channel
    status: str
    created_at: datetime
    auth_id: str | None = None
    operator_id: str = ""
    dept_code: str = ""
    request_expires_at: datetime | None = None
    granted_at: datetime | None = None
    valid_from: datetime | None = None
    valid_to: datetime | None = None
    ended_at: datetime | None = None
    reason: str | None = None
    sms_attempts: int = 0
    updated_at: datetime | None = None
    channel_info: dict[str, object] = field(default_factory=dict)
    org_code: str | None = None  # the institution it was made to (None: stored before groups)

    def is_open(self) -> bool:
        return self.status in ("PENDING", "GRANTED")

    def public(self) -> dict[str, object]:
        """The consent as the API and the viewer show it (no personal data beyond the mask)."""

        def iso(value: datetime | None) -> str | None:
            return value.isoformat() if value else None

        return {
            "id": self.id,
            "authId": self.auth_id,
            "status": self.status,
            "channel": self.channel.value,
            "hisPatientId": self.his_patient_id,
            "patient": self.patient_masked,
            "encounterType": self.encounter_type.value,
            "encounterId": self.encounter_id,
            "createdAt": iso(self.created_at),
            "requestExpiresAt": iso(self.request_expires_at),
            "grantedAt": iso(self.granted_at),
            "validFrom": iso(self.valid_from),
            "validTo": iso(self.valid_to),
            "endedAt": iso(self.ended_at),
            "reason": self.reason,
            "smsAttempts": self.sms_attempts,
            "channelInfo": self.channel_info,
            "orgCode": self.org_code,
        }
