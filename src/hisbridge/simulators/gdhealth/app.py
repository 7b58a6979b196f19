"""The provincial platform simulator as an ASGI app (api.md Part A plus ``/sim/...``).

Platform endpoints check the signed headers (SM3 or HMAC-SHA256, timestamp window, nonce
replay) and answer in the ``{resultCode, resultMessage, data}`` envelope. It serves one
partner, or several (a hospital group's institutions, each with its own partner id, secrets,
SM4 key and org code): a request is checked with the secret of the partner id it names, acts
for that partner's org, and is noted in ``partner_calls``; callbacks are signed per partner.
``/sim/...`` lets a test or a demo act as the patient: read the SMS, get a third-party
authorization code, approve, deny or revoke in "粤健通", and see the callbacks sent to the hospital.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from hisbridge import _ids, _json
from hisbridge._clock import Clock, system_clock
from hisbridge._gm import FieldCipher
from hisbridge.connectors.gdhealth.client import signed_headers
from hisbridge.connectors.gdhealth.signing import NonceLedger, SignedHeaders, check_signed
from hisbridge.sharing.consent.config import GdHealthSettings
from hisbridge.sharing.consent.platform_errors import MESSAGES_ZH
from hisbridge.simulators.gdhealth.platform import Recent, SimError, SimPlatform

__all__ = ["SIM_ORG_NAME", "create_gdhealth_sim_app"]

SIM_ORG_NAME = "示例市第一人民医院"  # synthetic: the simulated hospital's registered name

log = logging.getLogger("hisbridge.sim.gdhealth")

Handler = Callable[[GdHealthSettings, dict[str, Any]], Any]


class _Sim:
    def __init__(
        self,
        config: GdHealthSettings,
        platform: SimPlatform,
        transport: httpx.AsyncBaseTransport | None,
        partners: tuple[GdHealthSettings, ...] = (),
    ) -> None:
        self.config, self.platform = config, platform
        self.partners = {p.partner_id: p for p in partners or (config,)}
        self.by_org = {p.org_code: p for p in partners or (config,)}
        self.partner_calls = Recent(platform.history)  # (endpoint, partner id, org) per request
        self.cipher = FieldCipher(config.sm4_key.get_secret_value())
        self.nonces = NonceLedger(config.timestamp_window_s * 1000)
        self.http = httpx.AsyncClient(transport=transport, timeout=5.0)
        self.refused = Recent(platform.history)

    def envelope(self, code: str, data: Any = None, message: str = "") -> dict[str, Any]:
        names = self.config.envelope
        text = message or ("success" if code == names.success_code else MESSAGES_ZH.get(code, ""))
        return {names.code: code, names.message: text, "requestId": _ids.new_id(), names.data: data}

    def authenticate(self, request: Request, body: bytes) -> tuple[str | None, GdHealthSettings]:
        """(refusal code or None, the partner the request names)."""
        names = self.config.headers
        headers = SignedHeaders(
            *(
                request.headers.get(n, "")
                for n in (names.partner_id, names.timestamp, names.nonce, names.signature)
            )
        )
        now_ms = int(self.platform.clock.now().timestamp() * 1000)
        partner = self.partners.get(headers.partner_id, self.config)
        problem = check_signed(
            headers,
            body,
            method=partner.sign_method,
            secret=partner.partner_secret.get_secret_value(),
            expected_partner=partner.partner_id,
            now_ms=now_ms,
            window_s=partner.timestamp_window_s,
            nonces=self.nonces,
        )
        if problem is None and request.headers.get(names.org_code) != partner.org_code:
            problem = "1004"
        return problem, partner

    def cipher_of(self, partner: GdHealthSettings) -> FieldCipher:
        return self.cipher if partner is self.config else FieldCipher(partner.sm4_key.get_secret_value())

    def identity(self, data: dict[str, Any], partner: GdHealthSettings | None = None
                 ) -> tuple[str | None, str | None]:
        """The patient's id number and name, decrypted with the partner's SM4 key."""
        cipher = self.cipher_of(partner or self.config)
        patient = data.get("patient") or {}
        id_no = cipher.decrypt(patient["idNo"]) if patient.get("idNo") else None
        name = cipher.decrypt(patient["name"]) if patient.get("name") else None
        return id_no, name

    async def deliver_callbacks(self) -> None:
        """POST every undelivered callback once, signed with the callback secret."""
        for item in list(self.platform.callbacks):  # a request may queue more meanwhile
            if item["delivered"] or item["attempts"] >= 5:
                continue
            item["attempts"] += 1
            partner = self.by_org.get(item.get("org", ""), self.config)
            secret = partner.callback_secret.get_secret_value()
            body = _json.dumps(item["payload"])
            now_ms = int(self.platform.clock.now().timestamp() * 1000)
            headers = signed_headers(partner, body, now_ms, _ids.new_id(), secret=secret)
            try:
                reply = await self.http.post(item["url"], content=body, headers=headers)
                item["delivered"] = reply.status_code == 200
                item["lastError"] = None if item["delivered"] else f"HTTP {reply.status_code}"
            except httpx.HTTPError as exc:
                item["lastError"] = type(exc).__name__


def _platform_routes(app: FastAPI, sim: _Sim) -> None:
    p = sim.platform
    handlers: dict[str, Handler] = {  # (the partner the request names, its data)
        "person_resolve": lambda g, d: p.resolve(*sim.identity(d, g),
                                                 (d.get("patient") or {}).get("ehcCode")),
        "apply": lambda g, d: p.apply(g.org_code, d, *sim.identity(d, g)).wire(),
        "sms_send": lambda g, d: p.resend_sms(g.org_code, str(d.get("authId"))).wire(),
        "sms_verify": lambda g, d: p.verify_sms(
            g.org_code, str(d.get("authId")), str(d.get("smsCode", ""))
        ).wire(),
        "code_redeem": lambda g, d: p.redeem(g.org_code, d, sim.identity(d, g)[0]).wire(),
        "query": lambda g, d: [p.auth(str(d.get("authId")), g.org_code).wire()],
        "cancel": lambda g, d: p.cancel(g.org_code, str(d.get("authId")),
                                        str(d.get("reason", "OTHER"))).wire(),
        "record_index": lambda g, d: p.index(g.org_code, d),
        "record_document": lambda g, d: p.document(g.org_code, d),
    }
    for name, handler in handlers.items():
        app.add_api_route(
            sim.config.path(name),
            _endpoint(sim, name, handler),
            methods=["POST"],
            include_in_schema=True,
            name=name,
        )


def _endpoint(sim: _Sim, name: str, handler: Handler) -> Callable[[Request], Awaitable[JSONResponse]]:
    async def endpoint(request: Request) -> JSONResponse:
        body = await request.body()
        problem, partner = sim.authenticate(request, body)
        sim.partner_calls.append({"endpoint": name, "partnerId": partner.partner_id,
                                  "org": partner.org_code, "code": problem})
        if problem is not None:
            sim.refused.append({"endpoint": name, "code": problem})
            return JSONResponse(sim.envelope(problem), 401)
        try:
            payload = _json.loads(body)
            data = payload.get("data") if isinstance(payload, dict) else None
            if not isinstance(data, dict):
                raise ValueError("data missing")
        except ValueError:
            return JSONResponse(sim.envelope("5000", message="malformed request body"), 400)
        try:
            result = handler(partner, data)
        except SimError as exc:
            return JSONResponse(sim.envelope(exc.code, exc.data, exc.message))
        await sim.deliver_callbacks()
        return JSONResponse(sim.envelope(sim.config.envelope.success_code, result))

    return endpoint


def _sim_routes(app: FastAPI, sim: _Sim) -> None:
    p = sim.platform

    @app.get("/sim/residents", tags=["sim"])
    def residents() -> list[dict[str, Any]]:
        return [
            {
                "personKey": r.person_key,
                "name": r.name,
                "idNo": r.id_no,
                "gender": r.gender,
                "birthDate": r.birth_date.isoformat(),
                "phone": r.phone,
                "ehcCode": r.ehc_code,
                "hasYjt": r.has_yjt,
                "abo": r.abo,
                "rh": r.rh,
                "documents": len(p.documents[r.person_key]),
            }
            for r in p.residents
        ]

    @app.get("/sim/authorizations", tags=["sim"])
    def authorizations(idNo: str | None = None, status: str | None = None) -> list[dict[str, Any]]:
        p.sweep()
        keys = {r.person_key for r in p.residents if idNo is None or r.id_no == idNo.upper()}
        return [
            a.wire()
            for a in p.auths.values()
            if a.person_key in keys and (status is None or a.status == status)
        ]

    @app.post("/sim/authorizations/{auth_id}/{decision}", tags=["sim"])
    async def decide(auth_id: str, decision: str) -> JSONResponse:
        if decision not in ("approve", "deny", "revoke"):
            return JSONResponse({"error": "decision must be approve, deny or revoke"}, 404)
        try:
            auth = p.patient_decides(auth_id, decision)
        except SimError as exc:
            return JSONResponse({"error": exc.message, "code": exc.code}, 409)
        await sim.deliver_callbacks()
        return JSONResponse(auth.wire())

    @app.get("/sim/sms", tags=["sim"])
    def sms(authId: str | None = None, phone: str | None = None) -> JSONResponse:
        found = [
            m
            for m in p.sms_outbox
            if (authId is None or m["authId"] == authId) and (phone is None or m["phone"] == phone)
        ]
        return JSONResponse(found[-1] if found else {"error": "no SMS sent"}, 200 if found else 404)

    @app.post("/sim/auth-codes", tags=["sim"])
    async def auth_code(request: Request) -> JSONResponse:
        body = _json.loads(await request.body() or b"{}")
        try:
            person = p.find_person(body.get("idNo"), body.get("ehcCode"))
        except SimError as exc:
            return JSONResponse({"error": exc.message, "code": exc.code}, 404)
        return JSONResponse(p.issue_code(person.person_key))

    @app.get("/sim/auth-codes", tags=["sim"])
    def pushed_codes(authId: str | None = None, idNo: str | None = None) -> JSONResponse:
        """The codes a third-party app shows the patient (pushed for ``authId``, or asked for)."""
        keys = {r.person_key for r in p.residents if idNo and r.id_no == idNo.upper()}
        found = [
            {
                "authCode": e["authCode"],
                "authId": e["authId"],
                "expiresAt": e["expiresAt"].isoformat(),
                "used": e["used"],
            }
            for e in p.auth_codes.values()
            if (authId and e["authId"] == authId) or e["personKey"] in keys
        ]
        return JSONResponse(found[-1] if found else {"error": "no code"}, 200 if found else 404)

    @app.get("/sim/notices", tags=["sim"])
    def notices(authId: str | None = None) -> list[dict[str, Any]]:
        """The 粤健通 messages and pushed authorization codes, as the patient reads them."""
        return [n for n in p.notices if authId is None or n["authId"] == authId]

    @app.get("/sim/callbacks", tags=["sim"])
    def callbacks() -> list[dict[str, Any]]:
        return list(p.callbacks)

    @app.get("/sim/refused", tags=["sim"])
    def refused() -> list[dict[str, Any]]:
        return list(sim.refused)

    @app.post("/sim/tick", tags=["sim"])
    async def tick() -> dict[str, int]:
        ended = p.sweep()
        await sim.deliver_callbacks()
        return {"ended": ended}


def create_gdhealth_sim_app(
    config: GdHealthSettings,
    *,
    clock: Clock = system_clock,
    seed: int = 20260101,
    residents: int = 12,
    callback_transport: httpx.AsyncBaseTransport | None = None,
    history: int = 1000,
    partners: tuple[GdHealthSettings, ...] = (),
) -> FastAPI:
    """The simulator; ``app.state.platform`` is its ``SimPlatform`` (for in-process tests).
    ``history`` bounds what it remembers (SMS, notices, callbacks, refusals, ended requests);
    ``partners`` are the hospital group's institutions it serves (default: ``config``'s one)."""
    platform = SimPlatform(
        clock=clock,
        seed=seed,
        residents=residents,
        own_org=(config.org_code, config.org_name or SIM_ORG_NAME),
        sms_max_attempts=config.sms_max_attempts,
        history=history,
    )
    app = FastAPI(title="广东健康档案互通系统 模拟器 / provincial platform simulator")
    for partner in partners:  # the platform's register knows every institution's name
        platform.org_names.setdefault(partner.org_code, partner.org_name or partner.org_code)
    sim = _Sim(config, platform, callback_transport, partners)
    app.state.platform = platform
    app.state.sim = sim
    _platform_routes(app, sim)
    _sim_routes(app, sim)
    return app
