"""``JsonSignedAdapter``: the provincial platform over signed JSON POSTs (api.md Part A).

The only module of the connector that does I/O. Paths, header names and envelope fields come
from ``GdHealthSettings``; a different wire shape is another class with the same methods.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx

from hisbridge import _ids, _json
from hisbridge._clock import Clock, system_clock
from hisbridge._gm import FieldCipher
from hisbridge.connectors.gdhealth.signing import sign
from hisbridge.sharing.consent import platform_wire as mapping
from hisbridge.sharing.consent.config import GdHealthSettings
from hisbridge.sharing.consent.model import EncounterRef, Operator, PatientIdentity
from hisbridge.sharing.consent.platform import (
    ApplyRequest,
    Document,
    IndexEntry,
    IndexFilter,
    PersonInfo,
    PlatformAuthorization,
)
from hisbridge.sharing.consent.platform_errors import PlatformUnavailable

__all__ = ["JsonSignedAdapter", "signed_headers"]

log = logging.getLogger("hisbridge.gdhealth")


def signed_headers(
    settings: GdHealthSettings,
    body: bytes,
    now_ms: int,
    nonce: str,
    secret: str | None = None,
    partner_id: str | None = None,
) -> dict[str, str]:
    """The A.1 header set for ``body`` (also used by the simulator to sign callbacks)."""
    names = settings.headers
    partner = partner_id or settings.partner_id
    key = secret if secret is not None else settings.partner_secret.get_secret_value()
    stamp = str(now_ms)
    return {
        "Content-Type": "application/json; charset=UTF-8",
        names.partner_id: partner,
        names.timestamp: stamp,
        names.nonce: nonce,
        names.org_code: settings.org_code,
        names.sign_method: settings.sign_method,
        names.signature: sign(settings.sign_method, partner, key, stamp, nonce, body),
    }


class JsonSignedAdapter:
    """Implements ``ProvincialPlatform`` against the A.1-style JSON API."""

    def __init__(
        self,
        settings: GdHealthSettings,
        *,
        clock: Clock = system_clock,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._s = settings
        self._clock = clock
        self._cipher = FieldCipher(settings.sm4_key.get_secret_value())
        timeout = httpx.Timeout(settings.read_timeout_s, connect=settings.connect_timeout_s)
        self._http = httpx.AsyncClient(base_url=settings.base_url, timeout=timeout, transport=transport)

    async def _call(self, endpoint: str, data: dict[str, Any], timeout: float | None = None) -> Any:
        body = _json.dumps({"data": data})
        now_ms = int(self._clock.now().timestamp() * 1000)
        headers = signed_headers(self._s, body, now_ms, _ids.new_id())
        try:
            reply = await self._http.post(
                self._s.path(endpoint),
                content=body,
                headers=headers,
                timeout=timeout or httpx.USE_CLIENT_DEFAULT,
            )
        except httpx.HTTPError as exc:
            raise PlatformUnavailable(f"{endpoint}: {type(exc).__name__}") from exc
        if reply.status_code >= 500:
            raise PlatformUnavailable(f"{endpoint}: HTTP {reply.status_code}")
        try:
            payload = _json.loads(reply.content)
        except _json.JSONDecodeError as exc:
            raise PlatformUnavailable(f"{endpoint}: reply is not JSON") from exc
        log.info("gdhealth call", extra={"endpoint": endpoint, "status": reply.status_code})
        return mapping.open_envelope(payload, self._s.envelope)

    async def resolve_person(self, patient: PatientIdentity) -> PersonInfo:
        data = {"patient": mapping.patient_wire(patient, self._cipher)}
        return mapping.parse_person(await self._call("person_resolve", data))

    def _grantee(self, operator: Operator) -> dict[str, Any]:
        return mapping.grantee_wire(self._s.org_code, self._s.org_name, operator)

    async def apply(self, request: ApplyRequest) -> PlatformAuthorization:
        grantee = self._grantee(request.operator)
        body = mapping.apply_body(request, self._cipher, self._s.callback_url, grantee)
        return mapping.parse_authorization(await self._call("apply", body))

    async def send_sms(self, auth_id: str, operator: Operator) -> PlatformAuthorization:
        data = {"authId": auth_id, "operator": mapping.operator_wire(operator)}
        return mapping.parse_authorization(await self._call("sms_send", data))

    async def verify_sms(self, auth_id: str, code: str, operator: Operator) -> PlatformAuthorization:
        data = {"authId": auth_id, "smsCode": code, "operator": mapping.operator_wire(operator)}
        return mapping.parse_authorization(await self._call("sms_verify", data))

    async def redeem_code(
        self, code: str, patient: PatientIdentity, operator: Operator, encounter: EncounterRef
    ) -> PlatformAuthorization:
        data = {
            "authCode": code,
            "patient": mapping.patient_wire(patient, self._cipher),
            "operator": mapping.operator_wire(operator),
            "grantee": self._grantee(operator),
            "encounter": mapping.encounter_wire(encounter),
            "scope": mapping.SCOPE,
            "callbackUrl": self._s.callback_url,
        }
        return mapping.parse_authorization(await self._call("code_redeem", data))

    async def query(self, auth_id: str) -> PlatformAuthorization:
        found = await self._call("query", {"authId": auth_id})
        first = found[0] if isinstance(found, list) and found else found
        return mapping.parse_authorization(first)

    async def cancel(self, auth_id: str, reason: str, operator: Operator) -> PlatformAuthorization:
        data = {"authId": auth_id, "reason": reason, "operator": mapping.operator_wire(operator)}
        return mapping.parse_authorization(await self._call("cancel", data))

    async def index(self, auth_id: str, operator: Operator, flt: IndexFilter) -> list[IndexEntry]:
        return mapping.parse_index(
            await self._call("record_index", mapping.index_body(auth_id, operator, flt))
        )

    async def document(self, auth_id: str, doc_id: str, operator: Operator) -> Document:
        data = {
            "authId": auth_id,
            "docId": doc_id,
            "format": "JSON",
            "operator": mapping.operator_wire(operator),
        }
        reply = await self._call("record_document", data, timeout=self._s.document_timeout_s)
        return mapping.parse_document(reply)

    async def aclose(self) -> None:
        await self._http.aclose()
