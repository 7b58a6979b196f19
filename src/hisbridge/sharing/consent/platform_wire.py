"""Pure translation between our values and the provincial wire format (api.md A.2-A.3)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from hisbridge._gm import FieldCipher
from hisbridge.sharing.consent.config import EnvelopeFields
from hisbridge.sharing.consent.model import EncounterRef, Operator, PatientIdentity
from hisbridge.sharing.consent.platform import (
    ApplyRequest,
    Document,
    IndexEntry,
    IndexFilter,
    PersonInfo,
    PlatformAuthorization,
)
from hisbridge.sharing.consent.platform_errors import PlatformError

__all__ = [
    "apply_body",
    "encounter_wire",
    "grantee_wire",
    "index_body",
    "open_envelope",
    "operator_wire",
    "parse_authorization",
    "parse_document",
    "parse_index",
    "parse_person",
    "parse_time",
    "patient_wire",
]

SCOPE = {
    "categories": ["VISIT", "LAB", "EXAM", "PHYSICAL_EXAM", "BLOOD", "VACCINATION"],
    "lookbackMonths": None,
    "purpose": "TREATMENT",
}


def parse_time(value: Any) -> datetime | None:
    """ISO 8601 with offset (``2025-01-01T09:30:00+08:00``) or None."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None


def _iso(value: datetime | date | None) -> str | None:
    return value.isoformat() if value is not None else None


def patient_wire(patient: PatientIdentity, cipher: FieldCipher) -> dict[str, Any]:
    """Patient object with ID number and name SM4-encrypted."""
    return {
        "ehcCode": patient.ehc_code,
        "ehcCodeType": "STATIC" if patient.ehc_code else None,
        "idType": patient.id_type,
        "idNo": cipher.encrypt(patient.id_no),
        "name": cipher.encrypt(patient.name),
        "hisPatientId": patient.his_patient_id,
        "phone": cipher.encrypt(patient.phone) if patient.phone else None,
    }


def operator_wire(operator: Operator) -> dict[str, Any]:
    return {
        "userId": operator.user_id,
        "name": operator.name,
        "role": operator.role,
        "deptCode": operator.dept_code,
        "deptName": operator.dept_name,
    }


def encounter_wire(encounter: EncounterRef) -> dict[str, Any]:
    return {
        "encounterType": encounter.encounter_type.value,
        "encounterId": encounter.encounter_id,
        "appointmentId": encounter.appointment_id,
        "visitDate": _iso(encounter.visit_date),
        "slotStart": _iso(encounter.slot_start),
        "admissionNo": encounter.encounter_id if encounter.encounter_type == "INPATIENT" else None,
    }


def grantee_wire(org_code: str, org_name: str, operator: Operator) -> dict[str, Any]:
    """Who asks (proposal): the institution's code and the name patients see in messages."""
    return {
        "orgCode": org_code,
        "orgName": org_name,
        "deptCode": operator.dept_code,
        "deptName": operator.dept_name,
    }


def apply_body(
    request: ApplyRequest, cipher: FieldCipher, callback_url: str, grantee: dict[str, Any]
) -> dict[str, Any]:
    """A2 request ``data`` (``grantee`` and ``requestExpiresAt`` are our proposals)."""
    return {
        "patient": patient_wire(request.patient, cipher),
        "operator": operator_wire(request.operator),
        "grantee": grantee,
        "encounter": encounter_wire(request.encounter),
        "channel": request.channel.value,
        "scope": SCOPE,
        "requestedValidTo": request.requested_valid_to.isoformat(),
        "requestExpiresAt": _iso(request.request_expires_at),
        "callbackUrl": callback_url,
        "clientRef": request.client_ref,
    }


def index_body(auth_id: str, operator: Operator, flt: IndexFilter) -> dict[str, Any]:
    """A9 request ``data`` (own-institution data excluded, as flows.md §5.1 asks)."""
    return {
        "authId": auth_id,
        "operator": operator_wire(operator),
        "categories": list(flt.categories) or None,
        "dateFrom": _iso(flt.date_from),
        "dateTo": _iso(flt.date_to),
        "excludeOwnOrg": True,
        "page": 1,
        "pageSize": 200,
    }


def open_envelope(body: Any, fields: EnvelopeFields) -> Any:
    """The ``data`` of a successful reply; ``PlatformError`` for any other result code."""
    if not isinstance(body, Mapping):
        raise PlatformError("5000", "reply is not a JSON object")
    code = str(body.get(fields.code, ""))
    if code != fields.success_code:
        raise PlatformError(code or "5000", str(body.get(fields.message, "")), data=body.get(fields.data))
    return body.get(fields.data)


def parse_authorization(data: Any) -> PlatformAuthorization:
    """A.2 Authorization object (plus ``channelInfo``)."""
    if not isinstance(data, Mapping) or not data.get("authId"):
        raise PlatformError("5000", "authorization missing in reply")
    return PlatformAuthorization(
        auth_id=str(data["authId"]),
        status=str(data.get("status", "")),
        channel=str(data.get("channel", "")),
        request_expires_at=parse_time(data.get("requestExpiresAt")),
        granted_at=parse_time(data.get("grantedAt")),
        valid_from=parse_time(data.get("validFrom")),
        valid_to=parse_time(data.get("validTo")),
        reason=data.get("reason"),
        person_key=data.get("personKey"),
        channel_info=dict(data.get("channelInfo") or {}),
    )


def parse_index(data: Any) -> list[IndexEntry]:
    """A9 reply ``data.items``; items without id, category or time are dropped as malformed."""
    items = data.get("items", []) if isinstance(data, Mapping) else []
    entries = []
    for item in items:
        when = parse_time(item.get("effectiveTime"))
        if not item.get("docId") or not item.get("category") or when is None:
            continue
        entries.append(
            IndexEntry(
                doc_id=str(item["docId"]),
                category=str(item["category"]),
                record_type=str(item.get("recordType", "")),
                title=str(item.get("title", "")),
                org_name=str(item.get("orgName", "")),
                dept_name=str(item.get("deptName", "")),
                effective_time=when,
                summary=str(item.get("summary", "")),
                org_code=str(item.get("orgCode", "")),
                encounter_type=str(item.get("encounterType", "")),
                doc_type_code=str(item.get("docTypeCode", "")),
                sensitivity=str(item.get("sensitivity", "N")),
            )
        )
    return entries


def parse_document(data: Any) -> Document:
    """A10 reply ``data`` with ``structured`` content."""
    if not isinstance(data, Mapping) or not data.get("docId"):
        raise PlatformError("5000", "document missing in reply")
    when = parse_time(data.get("effectiveTime")) or datetime.fromtimestamp(0)
    return Document(
        doc_id=str(data["docId"]),
        category=str(data.get("category", "")),
        record_type=str(data.get("recordType", "")),
        title=str(data.get("title", "")),
        org_name=str(data.get("orgName", "")),
        effective_time=when,
        structured=dict(data.get("structured") or {}),
        format=str(data.get("format", "JSON")),
    )


def parse_person(data: Any) -> PersonInfo:
    """A1 reply ``data``."""
    if not isinstance(data, Mapping) or not data.get("personKey"):
        raise PlatformError("5000", "person missing in reply")
    return PersonInfo(
        person_key=str(data["personKey"]),
        has_app=bool(data.get("hasYjtAccount")),
        has_phone=bool(data.get("hasRealNamePhone")),
        phone_masked=data.get("phoneMasked"),
        is_minor=bool(data.get("isMinor")),
    )
