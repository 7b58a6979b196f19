"""``InMemoryPlatform``: the simulated platform behind the ``ProvincialPlatform`` port, no HTTP.

A second adapter shape next to ``JsonSignedAdapter``: the consent and record services run on
it unchanged (the contract test runs the same scenarios on both). Handy for fast tests.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hisbridge.sharing.consent import platform_wire as mapping
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
from hisbridge.simulators.gdhealth.platform import SimError, SimPlatform

__all__ = ["InMemoryPlatform"]


def _call(fn: Callable[[], Any]) -> Any:
    try:
        return fn()
    except SimError as exc:
        raise PlatformError(exc.code, exc.message, data=exc.data) from exc


class InMemoryPlatform:
    """Implements ``ProvincialPlatform`` directly on a ``SimPlatform``."""

    def __init__(self, platform: SimPlatform, org_code: str, org_name: str = "") -> None:
        self.sim = platform
        self._org = org_code
        self._name = org_name

    async def resolve_person(self, patient: PatientIdentity) -> PersonInfo:
        data = _call(lambda: self.sim.resolve(patient.id_no, patient.name, patient.ehc_code))
        return mapping.parse_person(data)

    async def apply(self, request: ApplyRequest) -> PlatformAuthorization:
        data = {
            "patient": {"ehcCode": request.patient.ehc_code},
            "operator": mapping.operator_wire(request.operator),
            "grantee": mapping.grantee_wire(self._org, self._name, request.operator),
            "encounter": mapping.encounter_wire(request.encounter),
            "channel": request.channel.value,
            "requestedValidTo": request.requested_valid_to.isoformat(),
            "requestExpiresAt": (
                request.request_expires_at.isoformat() if request.request_expires_at else None
            ),
        }
        auth = _call(lambda: self.sim.apply(self._org, data, request.patient.id_no, request.patient.name))
        return mapping.parse_authorization(auth.wire())

    async def send_sms(self, auth_id: str, operator: Operator) -> PlatformAuthorization:
        auth = _call(lambda: self.sim.resend_sms(self._org, auth_id))
        return mapping.parse_authorization(auth.wire())

    async def verify_sms(self, auth_id: str, code: str, operator: Operator) -> PlatformAuthorization:
        auth = _call(lambda: self.sim.verify_sms(self._org, auth_id, code))
        return mapping.parse_authorization(auth.wire())

    async def redeem_code(
        self, code: str, patient: PatientIdentity, operator: Operator, encounter: EncounterRef
    ) -> PlatformAuthorization:
        data = {
            "authCode": code,
            "encounter": mapping.encounter_wire(encounter),
            "grantee": mapping.grantee_wire(self._org, self._name, operator),
        }
        auth = _call(lambda: self.sim.redeem(self._org, data, patient.id_no))
        return mapping.parse_authorization(auth.wire())

    async def query(self, auth_id: str) -> PlatformAuthorization:
        auth = _call(lambda: self.sim.auth(auth_id, self._org))
        return mapping.parse_authorization(auth.wire())

    async def cancel(self, auth_id: str, reason: str, operator: Operator) -> PlatformAuthorization:
        auth = _call(lambda: self.sim.cancel(self._org, auth_id, reason))
        return mapping.parse_authorization(auth.wire())

    async def index(self, auth_id: str, operator: Operator, flt: IndexFilter) -> list[IndexEntry]:
        body = mapping.index_body(auth_id, operator, flt)
        return mapping.parse_index(_call(lambda: self.sim.index(self._org, body)))

    async def document(self, auth_id: str, doc_id: str, operator: Operator) -> Document:
        data = {"authId": auth_id, "docId": doc_id}
        return mapping.parse_document(_call(lambda: self.sim.document(self._org, data)))

    async def aclose(self) -> None:
        return None
