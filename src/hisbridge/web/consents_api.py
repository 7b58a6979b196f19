"""``/api/v1/consents``, ``/api/v1/bookings``, ``/api/v1/encounters``: authorization API.

Called by the HIS (booking, registration, admission, discharge) and by workstations, with
``Authorization: Bearer <push.token>``; without a configured token every call is refused
(401), never served openly. The platform's callback
arrives at ``/api/v1/consents/callback``, checked with the callback secret (signature,
timestamp window, nonce replay); refusals are audited.

A gateway serving a hospital group (several institutions) needs each call to name its
institution: ``orgCode`` in the body or the query (optional with one institution; with
several, missing or unknown is a 400 in Chinese and English). A grant made to one institution
is refused to the others; callbacks are checked with the secret of the partner id they carry.

Times in bodies may name their zone (``2026-11-25T03:49:45+08:00``); a time without one
(``2026-11-25 03:49:45``, as Chinese HIS systems send) is wall time in ``his.timezone``. A
malformed time (a number, ``2026-13-01``...) is refused with 422 naming the field, before
anything is written.
"""

from __future__ import annotations

import hmac
from datetime import date, datetime, tzinfo
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, BeforeValidator, Field

from hisbridge import _json
from hisbridge._clock import in_zone, parse_text
from hisbridge.connectors.gdhealth.signing import NonceLedger, SignedHeaders, check_signed
from hisbridge.sharing.consent.callbacks import parse_callback
from hisbridge.sharing.consent.encounters import EncounterHooks
from hisbridge.sharing.consent.errors import ConsentProblem
from hisbridge.sharing.consent.model import (
    SYSTEM,
    Channel,
    EncounterRef,
    EncounterType,
    Operator,
    PatientIdentity,
)
from hisbridge.sharing.consent.platform_errors import PlatformError, PlatformUnavailable
from hisbridge.sharing.consent.service import ConsentService
from hisbridge.web.services import services_of

__all__ = ["EncounterIn", "OperatorIn", "PatientIn", "mount", "require_token", "services"]


_ENCOUNTER_TYPES = "(?i)^(outpatient|emergency|inpatient|booking)$"
# A date-time as text, zoned or not (never a number taken for Unix seconds).
HisTime = Annotated[datetime, BeforeValidator(parse_text)]


def his_zone(request: Request) -> tzinfo:
    """The zone of naive times in HIS bodies (``his.timezone``)."""
    return request.app.state.settings.his.zone()  # type: ignore[no-any-return]


def _zoned(moment: datetime | None, zone: tzinfo) -> datetime | None:
    return in_zone(moment, zone) if moment is not None else None


class PatientIn(BaseModel):
    hisPatientId: str = Field(min_length=1, max_length=64)
    idNo: str = Field(min_length=6, max_length=32)
    name: str = Field(min_length=1, max_length=64)
    idType: str = "01"
    ehcCode: str | None = None

    def value(self) -> PatientIdentity:
        return PatientIdentity(
            self.hisPatientId,
            self.idNo.strip().upper(),
            self.name.strip(),
            self.idType,
            self.ehcCode,
        )


class EncounterIn(BaseModel):
    type: str = Field(pattern=_ENCOUNTER_TYPES)
    id: str = Field(min_length=1, max_length=64)
    visitDate: date | None = None
    appointmentId: str | None = None
    admittedAt: HisTime | None = None
    dischargedAt: HisTime | None = None
    slotStart: HisTime | None = None
    deptCode: str = ""

    def value(self, zone: tzinfo) -> EncounterRef:
        """The encounter, its naive times read in the HIS's ``zone``."""
        return EncounterRef(
            EncounterType.parse(self.type),
            self.id,
            self.visitDate,
            self.appointmentId,
            _zoned(self.admittedAt, zone),
            _zoned(self.dischargedAt, zone),
            _zoned(self.slotStart, zone),
            self.deptCode,
        )


class OperatorIn(BaseModel):
    userId: str = Field(min_length=1, max_length=64)
    name: str = ""
    role: str = "DOCTOR"
    deptCode: str = ""
    deptName: str = ""

    def value(self, request: Request) -> Operator:
        addr = request.client.host if request.client else ""
        return Operator(self.userId, self.name, self.role, self.deptCode, self.deptName, addr)


class ConsentIn(BaseModel):
    orgCode: str | None = Field(None, max_length=50)  # the institution (hospital groups)
    patient: PatientIn
    encounter: EncounterIn
    channel: str = Field(pattern="(?i)^(booking|app|sms|auth_code|code)$")
    operator: OperatorIn


class SmsIn(BaseModel):
    orgCode: str | None = Field(None, max_length=50)  # the institution (hospital groups)
    code: str | None = Field(None, pattern=r"^\s*\d{4,8}\s*$")
    resend: bool = False
    operator: OperatorIn


class RedeemIn(BaseModel):
    orgCode: str | None = Field(None, max_length=50)  # the institution (hospital groups)
    authCode: str = Field(min_length=4, max_length=32)
    encounter: EncounterIn
    patient: PatientIn | None = None
    operator: OperatorIn


class CancelIn(BaseModel):
    orgCode: str | None = Field(None, max_length=50)  # the institution (hospital groups)
    reason: str = Field("OTHER", pattern="^(BOOKING_CANCELLED|DISCHARGED|ENTERED_IN_ERROR|OTHER)$")
    operator: OperatorIn


class BookingIn(BaseModel):
    orgCode: str | None = Field(None, max_length=50)  # the institution (hospital groups)
    bookingId: str = Field(min_length=1, max_length=64)
    status: str = Field("BOOKED", pattern="^(BOOKED|CANCELLED)$")
    patient: PatientIn | None = None
    visitDate: date | None = None
    slotStart: HisTime | None = None
    deptCode: str = ""
    operator: OperatorIn | None = None


class EncounterEventIn(BaseModel):
    orgCode: str | None = Field(None, max_length=50)  # the institution (hospital groups)
    event: str = Field(pattern="^(REGISTERED|ADMITTED|DISCHARGED)$")
    patient: PatientIn
    encounter: EncounterIn


def services(request: Request, org_code: str | None = None) -> tuple[ConsentService, EncounterHooks]:
    """The consent service and hooks of the institution the call names (``org_code``, else the
    query's ``orgCode``); 503 when record sharing is not wired, 400 for a missing or unknown
    institution on a gateway serving several."""
    wired = services_of(request.app)
    if wired.sharing is not None:
        member = wired.sharing.pick(org_code or request.query_params.get("orgCode"))
        return member.consents, member.hooks
    consents, hooks = wired.consents, wired.encounter_hooks
    if consents is None or hooks is None:
        raise ConsentProblem("DISABLED", "未启用健康档案互通服务 gdhealth services not wired", status=503)
    return consents, hooks


def require_token(request: Request) -> None:
    """The push API's bearer token (``push.token``) guards consents and records too; with no
    token configured every call is refused — these APIs hand out patients' records."""
    from hisbridge.web.intake import push_token

    state = request.app.state
    expected = getattr(state, "push_token", None) or push_token(state.settings)
    if not expected:
        raise ConsentProblem("UNAUTHORIZED", "访问令牌未配置 push.token not configured: "
                             "在配置 push.token 或环境变量 HISBRIDGE_PUSH_TOKEN 中设置", status=401)
    given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise ConsentProblem("UNAUTHORIZED", "缺少或错误的访问令牌 missing or wrong bearer token", status=401)


def _install_errors(app: FastAPI) -> None:
    if getattr(app.state, "_gd_errors", False):
        return
    app.state._gd_errors = True

    @app.exception_handler(ConsentProblem)
    async def _problem(_: Request, exc: ConsentProblem) -> JSONResponse:
        return JSONResponse(exc.body(), exc.status)

    @app.exception_handler(PlatformError)
    async def _platform(_: Request, exc: PlatformError) -> JSONResponse:
        body = {"error": exc.message_zh, "platformCode": exc.code, "code": f"PLATFORM_{exc.code}"}
        if isinstance(exc.data, dict) and "remaining" in exc.data:
            body["remaining"] = exc.data["remaining"]
        return JSONResponse(body, exc.status)

    @app.exception_handler(PlatformUnavailable)
    async def _down(_: Request, exc: PlatformUnavailable) -> JSONResponse:
        return JSONResponse({"error": exc.message_zh, "platformCode": exc.code}, 503)



def _consent_routes(router: APIRouter) -> None:
    @router.post("/api/v1/consents", status_code=201)
    async def create(body: ConsentIn, request: Request) -> JSONResponse:
        require_token(request)
        consents, _ = services(request, body.orgCode)
        kind = EncounterType.parse(body.encounter.type)
        with consents.repo.encounter_restored_on_error(kind.value, body.encounter.id):
            consents.note_encounter(body.patient.value(), body.encounter.value(his_zone(request)))
            consent, created = await consents.request(
                kind, body.encounter.id, Channel.parse(body.channel), body.operator.value(request)
            )
        return JSONResponse({**consent.public(), "existing": not created}, 201 if created else 200)

    @router.get("/api/v1/consents")
    async def find(request: Request, hisPatientId: str, encounterId: str,
                   encounterType: str = Query(pattern=_ENCOUNTER_TYPES),
                   orgCode: str | None = Query(None, max_length=50)) -> JSONResponse:
        require_token(request)
        consents, _ = services(request, orgCode)
        found = consents.current_for(hisPatientId, EncounterType.parse(encounterType), encounterId)
        if found is None:
            return JSONResponse({"consent": None})
        return JSONResponse({"consent": (await consents.get(found.id)).public()})

    @router.get("/api/v1/consents/{consent_id}")
    async def get(consent_id: str, request: Request,
                  orgCode: str | None = Query(None, max_length=50)) -> dict[str, Any]:
        require_token(request)
        return (await services(request, orgCode)[0].get(consent_id)).public()

    @router.post("/api/v1/consents/{consent_id}/sms-code")
    async def sms(consent_id: str, body: SmsIn, request: Request) -> dict[str, Any]:
        require_token(request)
        consents, operator = services(request, body.orgCode)[0], body.operator.value(request)
        if body.resend or not body.code:
            return (await consents.send_sms(consent_id, operator)).public()
        return (await consents.verify_sms(consent_id, body.code, operator)).public()

    @router.post("/api/v1/consents/redeem")
    async def redeem(body: RedeemIn, request: Request) -> dict[str, Any]:
        require_token(request)
        consents = services(request, body.orgCode)[0]
        kind = EncounterType.parse(body.encounter.type)
        with consents.repo.encounter_restored_on_error(kind.value, body.encounter.id):
            if body.patient is not None:
                consents.note_encounter(body.patient.value(), body.encounter.value(his_zone(request)))
            consent = await consents.redeem(
                body.authCode, kind, body.encounter.id, body.operator.value(request)
            )
        return consent.public()

    @router.post("/api/v1/consents/{consent_id}/cancel")
    async def cancel(consent_id: str, body: CancelIn, request: Request) -> dict[str, Any]:
        require_token(request)
        consents = services(request, body.orgCode)[0]
        consent = await consents.cancel(consent_id, body.reason, body.operator.value(request))
        return consent.public()


def _hook_routes(router: APIRouter) -> None:
    @router.post("/api/v1/bookings")
    async def booking(body: BookingIn, request: Request) -> JSONResponse:
        require_token(request)
        _, hooks = services(request, body.orgCode)
        operator = body.operator.value(request) if body.operator else SYSTEM
        if body.status == "CANCELLED":
            consent = await hooks.booking_cancelled(body.bookingId, operator)
            return JSONResponse({"consent": consent.public() if consent else None})
        if body.patient is None:
            raise ConsentProblem("PATIENT_REQUIRED", "预约需提供患者身份信息 patient required", status=422)
        ref = EncounterRef(
            EncounterType.BOOKING,
            body.bookingId,
            body.visitDate,
            body.bookingId,
            slot_start=_zoned(body.slotStart, his_zone(request)),
            dept_code=body.deptCode,
        )
        consent = await hooks.booked(body.patient.value(), ref, operator)
        return JSONResponse({"consent": consent.public()}, 201)

    @router.post("/api/v1/encounters")
    async def encounter(body: EncounterEventIn, request: Request) -> JSONResponse:
        require_token(request)
        _, hooks = services(request, body.orgCode)
        ref = body.encounter.value(his_zone(request))
        if body.event == "DISCHARGED":
            at = ref.discharged_at
            if at is None:
                raise ConsentProblem("DISCHARGE_TIME", "出院事件需提供 dischargedAt", status=422)
            found = await hooks.discharged(ref.encounter_id, at)
        else:
            found = await hooks.opened(body.patient.value(), ref)
        return JSONResponse({"consent": found.public() if found else None}, 202)


def _callback_route(router: APIRouter) -> None:
    @router.post("/api/v1/consents/callback")
    async def callback(request: Request) -> JSONResponse:
        body = await request.body()
        consents = _callback_service(request)
        problem = _check_callback(request, consents, body)
        if problem is not None:
            consents.audit.record(
                "CALLBACK_REFUSED",
                SYSTEM,
                outcome=f"refused:{problem}",
                detail={"addr": request.client.host if request.client else ""},
            )
            return JSONResponse({"resultCode": problem, "resultMessage": "refused"}, 401)
        try:
            notice = parse_callback(_json.loads(body))
        except ValueError:
            return JSONResponse({"resultCode": "5000", "resultMessage": "malformed"}, 400)
        consent, replayed = await consents.on_callback(notice)
        return JSONResponse({"resultCode": "0", "resultMessage": "success",
                             "known": consent is not None, "duplicate": replayed})


def _callback_service(request: Request) -> ConsentService:
    """The consent service of the institution whose partner id the callback carries."""
    wired = services_of(request.app)
    if wired.sharing is None:
        return services(request)[0]
    partner = request.headers.get(wired.sharing.default.consents.settings.headers.partner_id, "")
    return wired.sharing.by_partner(partner).consents


def _check_callback(request: Request, consents: ConsentService, body: bytes) -> str | None:
    s = consents.settings
    ledger = getattr(request.app.state, "_gd_callback_nonces", None)
    if ledger is None:
        ledger = request.app.state._gd_callback_nonces = NonceLedger(s.timestamp_window_s * 1000)
    names = s.headers
    headers = SignedHeaders(
        *(
            request.headers.get(n, "")
            for n in (names.partner_id, names.timestamp, names.nonce, names.signature)
        )
    )
    return check_signed(
        headers,
        body,
        method=s.sign_method,
        secret=s.callback_secret.get_secret_value(),
        expected_partner=s.partner_id,
        now_ms=int(consents.clock.now().timestamp() * 1000),
        window_s=s.timestamp_window_s,
        nonces=ledger,
    )


def mount(app: FastAPI) -> None:
    _install_errors(app)
    router = APIRouter(tags=["consents"])
    _callback_route(router)  # before /{consent_id} routes so "callback" is not taken for an id
    _consent_routes(router)
    _hook_routes(router)
    app.include_router(router)
