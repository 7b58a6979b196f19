"""The adapter seam (api.md Part C): what the consent and record services ask of a platform.

``JsonSignedAdapter`` (``hisbridge.connectors.gdhealth.client``) speaks api.md Part A; a SOAP
or FHIR shape would implement the same protocol without touching the services.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

from hisbridge.sharing.consent.model import Channel, EncounterRef, Operator, PatientIdentity

__all__ = [
    "ApplyRequest",
    "Document",
    "IndexEntry",
    "IndexFilter",
    "PersonInfo",
    "PlatformAuthorization",
    "ProvincialPlatform",
]


@dataclass(frozen=True, slots=True)
class ApplyRequest:
    patient: PatientIdentity
    operator: Operator
    encounter: EncounterRef
    channel: Channel
    requested_valid_to: datetime
    client_ref: str
    request_expires_at: datetime | None = None  # when an unanswered request should end


@dataclass(frozen=True, slots=True)
class PersonInfo:
    """What the platform says about a person (A1): which channels can reach them."""

    person_key: str
    has_app: bool
    has_phone: bool
    phone_masked: str | None = None
    is_minor: bool = False


@dataclass(frozen=True, slots=True)
class PlatformAuthorization:
    """One authorization as the platform reports it."""

    auth_id: str
    status: str
    channel: str
    request_expires_at: datetime | None = None
    granted_at: datetime | None = None
    valid_from: datetime | None = None
    valid_to: datetime | None = None
    reason: str | None = None
    person_key: str | None = None
    channel_info: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class IndexFilter:
    categories: tuple[str, ...] = ()
    date_from: date | None = None
    date_to: date | None = None


@dataclass(frozen=True, slots=True)
class IndexEntry:
    """One document in the patient's province-wide record (A9)."""

    doc_id: str
    category: str
    record_type: str
    title: str
    org_name: str
    dept_name: str
    effective_time: datetime
    summary: str
    org_code: str = ""
    encounter_type: str = ""
    doc_type_code: str = ""
    sensitivity: str = "N"

    def public(self) -> dict[str, Any]:
        return {
            "docId": self.doc_id,
            "category": self.category,
            "recordType": self.record_type,
            "title": self.title,
            "orgName": self.org_name,
            "orgCode": self.org_code,
            "deptName": self.dept_name,
            "effectiveTime": self.effective_time.isoformat(),
            "summary": self.summary,
            "encounterType": self.encounter_type,
            "docTypeCode": self.doc_type_code,
            "sensitivity": self.sensitivity,
        }


@dataclass(frozen=True, slots=True)
class Document:
    """One document's structured content (A10), shaped per record-types.json."""

    doc_id: str
    category: str
    record_type: str
    title: str
    org_name: str
    effective_time: datetime
    structured: dict[str, Any]
    format: str = "JSON"

    def public(self) -> dict[str, Any]:
        return {
            "docId": self.doc_id,
            "category": self.category,
            "recordType": self.record_type,
            "title": self.title,
            "orgName": self.org_name,
            "effectiveTime": self.effective_time.isoformat(),
            "format": self.format,
            "structured": self.structured,
        }


class ProvincialPlatform(Protocol):
    """The provincial platform's abilities the gateway uses."""

    async def resolve_person(self, patient: PatientIdentity) -> PersonInfo: ...

    async def apply(self, request: ApplyRequest) -> PlatformAuthorization: ...

    async def send_sms(self, auth_id: str, operator: Operator) -> PlatformAuthorization: ...

    async def verify_sms(self, auth_id: str, code: str, operator: Operator) -> PlatformAuthorization: ...

    async def redeem_code(
        self, code: str, patient: PatientIdentity, operator: Operator, encounter: EncounterRef
    ) -> PlatformAuthorization: ...

    async def query(self, auth_id: str) -> PlatformAuthorization: ...

    async def cancel(self, auth_id: str, reason: str, operator: Operator) -> PlatformAuthorization: ...

    async def index(self, auth_id: str, operator: Operator, flt: IndexFilter) -> list[IndexEntry]: ...

    async def document(self, auth_id: str, doc_id: str, operator: Operator) -> Document: ...

    async def aclose(self) -> None: ...
