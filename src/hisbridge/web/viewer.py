"""``/ws/shared``: the doctor's viewer of documents other institutions share with us (zh-CN).

Formerly ``/ws/records``: old links (and their ``/doc``, ``/api`` and ``/static`` paths) are
redirected here with a 308 by ``web.redirects``; the signature covers the query, not the path.

Opened from the workstation with a signed URL (``hisbridge.web.signing``, same scheme as the
other ``/ws`` pages): ``patientId``, ``encounterType``, ``encounterId``, ``userId``, ``deptCode``
(+ optional ``userName``, ``role``, and ``orgCode``: the doctor's institution, required when the
gateway serves several), ``exp``, ``sig``. A grant made to another institution is never shown.
Without a grant it shows the authorization panel (粤健通 / 短信验证码 / 授权码, live status by
polling); with one, a timeline by category and detail views under a watermark. Its
JSON/fragment calls carry the same signed query string, so every call is checked again; no data
is rendered without a current grant.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from hisbridge import _json
from hisbridge.sharing.consent.errors import ConsentProblem
from hisbridge.sharing.consent.model import Channel, Consent, EncounterType, Operator
from hisbridge.sharing.consent.platform import IndexFilter
from hisbridge.sharing.consent.service import NOT_GRANTED_ZH, ConsentService
from hisbridge.sharing.documents.viewer_model import CATEGORY_LABELS, detail_view, timeline
from hisbridge.web.consents_api import services
from hisbridge.web.documents_api import document_service
from hisbridge.web.signing import REFUSALS, SignatureError, single_values, verify

__all__ = ["mount"]

_TEMPLATES = Jinja2Templates(directory=str(resources.files("hisbridge.web") / "templates"))
_STATUS_ZH = {"GRANTED": "已授权", **NOT_GRANTED_ZH}
_CHANNEL_IDS = {"APP": "app", "SMS": "sms", "AUTH_CODE": "code"}  # data-testid suffixes
_CHANNEL_ZH = {"APP": "粤健通", "SMS": "短信验证码", "AUTH_CODE": "授权码", "BOOKING": "预约授权"}


@dataclass(frozen=True, slots=True)
class ViewerContext:
    patient_id: str
    encounter_type: EncounterType
    encounter_id: str
    operator: Operator
    query: str
    org_code: str | None = None  # the doctor's institution (hospital groups)


def _context(request: Request) -> ViewerContext:
    """The verified signed parameters, or ``SignatureError``."""
    params = single_values(request.query_params.multi_items())
    now = request.app.state.clock.now().timestamp()
    verify(params, request.app.state.settings.web.verification_keys(), now=now)
    try:
        kind = EncounterType.parse(params.get("encounterType", ""))
    except ValueError:
        raise SignatureError("bad") from None
    if not params.get("patientId") or not params.get("encounterId") or not params.get("userId"):
        raise SignatureError("missing")
    addr = request.client.host if request.client else ""
    operator = Operator(
        params["userId"],
        params.get("userName", ""),
        params.get("role", "DOCTOR"),
        params.get("deptCode", ""),
        client_addr=addr,
    )
    return ViewerContext(params["patientId"], kind, params["encounterId"], operator, request.url.query,
                         params.get("orgCode"))


def _forbidden(request: Request, reason: str) -> HTMLResponse:
    return _TEMPLATES.TemplateResponse(
        request, "viewer/forbidden.html", {"reason": REFUSALS.get(reason, reason)}, 403
    )


def _state(consents: ConsentService, ctx: ViewerContext, consent: Consent | None) -> dict[str, Any]:
    stored = consents.repo.encounter(ctx.encounter_type.value, ctx.encounter_id)
    known = stored is not None and stored.his_patient_id == ctx.patient_id
    public = consent.public() if consent else None
    return {
        "encounterKnown": known,
        "consent": public,
        "statusText": _STATUS_ZH.get(consent.status, "") if consent else "未授权",
        "channelText": _CHANNEL_ZH.get(consent.channel.value, "") if consent else "",
    }


async def _current(consents: ConsentService, ctx: ViewerContext) -> Consent | None:
    found = consents.current_for(ctx.patient_id, ctx.encounter_type, ctx.encounter_id)
    return await consents.get(found.id, ctx.operator) if found else None


def _json_error(problem: ConsentProblem) -> JSONResponse:
    return JSONResponse(problem.body(), problem.status)


def _page_routes(app: FastAPI) -> None:
    @app.get("/ws/shared", response_class=HTMLResponse, include_in_schema=False)
    async def page(request: Request) -> Response:
        try:
            ctx = _context(request)
        except SignatureError as exc:
            return _forbidden(request, exc.reason)
        try:
            consents, _ = services(request, ctx.org_code)
        except ConsentProblem as problem:
            return _refused(request, problem)
        state = _state(consents, ctx, await _current(consents, ctx))
        patient, reach = "", None
        stored = consents.repo.encounter(ctx.encounter_type.value, ctx.encounter_id)
        if state["encounterKnown"] and stored is not None:
            patient = consents.identity(stored).masked
            reach = await consents.reachable(stored)  # the person first, then channels
        return _TEMPLATES.TemplateResponse(
            request,
            "viewer/page.html",
            {
                "ctx": ctx,
                "state": state,
                "patient": patient,
                "state_json": _json.dumps_str(state).replace("<", "\\u003c"),
                "categories": CATEGORY_LABELS,
                "inpatient": ctx.encounter_type is EncounterType.INPATIENT,
                "reach": reach,
                "channel_ids": _CHANNEL_IDS,
                "recheck_s": consents.settings.viewer_recheck_s,
            },
        )

    @app.get("/ws/shared/doc/{doc_id}", response_class=HTMLResponse, include_in_schema=False)
    async def document_page(doc_id: str, request: Request) -> Response:
        try:
            ctx = _context(request)
        except SignatureError as exc:
            return _forbidden(request, exc.reason)
        return await _detail(request, ctx, doc_id, "viewer/detail_page.html")


def _refused(request: Request, problem: ConsentProblem) -> HTMLResponse:
    return _TEMPLATES.TemplateResponse(
        request, "viewer/refused.html", {"reason": problem.message_zh}, problem.status
    )


async def _detail(request: Request, ctx: ViewerContext, doc_id: str, template: str) -> Response:
    try:
        consents, _ = services(request, ctx.org_code)
        consent = consents.current_for(ctx.patient_id, ctx.encounter_type, ctx.encounter_id)
        if consent is None:
            raise ConsentProblem("NOT_GRANTED", "未授权", status=403)
        document = await document_service(request, ctx.org_code).document(consent.id, doc_id, ctx.operator)
    except ConsentProblem as problem:
        return _refused(request, problem)
    stamp = request.app.state.clock.now().strftime("%Y-%m-%d %H:%M")
    mark = f"{ctx.operator.name or ctx.operator.user_id} {ctx.operator.user_id} {stamp}"
    return _TEMPLATES.TemplateResponse(
        request, template, {"view": detail_view(document), "watermark": mark, "ctx": ctx}
    )


def _api_routes(app: FastAPI) -> None:
    async def guarded(request: Request) -> tuple[ViewerContext, ConsentService] | JSONResponse:
        try:
            ctx = _context(request)
        except SignatureError as exc:
            return JSONResponse({"error": REFUSALS[exc.reason]}, 403)
        try:
            return ctx, services(request, ctx.org_code)[0]
        except ConsentProblem as problem:
            return _json_error(problem)

    @app.get("/ws/shared/api/state", include_in_schema=False)
    async def state(request: Request) -> Response:
        got = await guarded(request)
        if isinstance(got, JSONResponse):
            return got
        ctx, consents = got
        return JSONResponse(_state(consents, ctx, await _current(consents, ctx)))

    @app.post("/ws/shared/api/{action}", include_in_schema=False)
    async def act(action: str, request: Request) -> Response:
        got = await guarded(request)
        if isinstance(got, JSONResponse):
            return got
        ctx, consents = got
        body = _json.loads(await request.body() or b"{}")
        try:
            consent = await _act(consents, ctx, action, body if isinstance(body, dict) else {})
        except ConsentProblem as problem:
            return _json_error(problem)
        return JSONResponse(_state(consents, ctx, consent))

    @app.get("/ws/shared/api/timeline", response_class=HTMLResponse, include_in_schema=False)
    async def timeline_fragment(request: Request) -> Response:
        got = await guarded(request)
        if isinstance(got, JSONResponse):
            return got
        ctx, consents = got
        consent = consents.current_for(ctx.patient_id, ctx.encounter_type, ctx.encounter_id)
        try:
            if consent is None:
                raise ConsentProblem("NOT_GRANTED", "未授权", status=403)
            entries = await document_service(request, ctx.org_code).index(consent.id, ctx.operator,
                                                                        IndexFilter())
        except ConsentProblem as problem:
            return _refused(request, problem)
        return _TEMPLATES.TemplateResponse(
            request, "viewer/timeline.html", {"groups": timeline(entries), "ctx": ctx}
        )

    @app.get("/ws/shared/api/doc/{doc_id}", response_class=HTMLResponse, include_in_schema=False)
    async def detail_fragment(doc_id: str, request: Request) -> Response:
        got = await guarded(request)
        if isinstance(got, JSONResponse):
            return got
        return await _detail(request, got[0], doc_id, "viewer/detail.html")


async def _act(consents: ConsentService, ctx: ViewerContext, action: str, body: dict[str, Any]) -> Consent:
    stored = consents.encounter(ctx.encounter_type, ctx.encounter_id)
    if stored.his_patient_id != ctx.patient_id:  # the URL's patient must own the encounter
        raise ConsentProblem("PATIENT_MISMATCH", "就诊与患者不符,请从工作站重新打开", status=403)
    current = consents.current_for(ctx.patient_id, ctx.encounter_type, ctx.encounter_id)
    if action == "apply":
        channel = Channel.parse(str(body.get("channel", "APP")))
        consent, _ = await consents.request(
            ctx.encounter_type, ctx.encounter_id, channel, ctx.operator, replace_pending=True
        )
        return consent
    if action == "redeem":
        return await consents.redeem(
            str(body.get("code", "")), ctx.encounter_type, ctx.encounter_id, ctx.operator
        )
    if current is None:
        raise ConsentProblem("NO_REQUEST", "尚未发起授权申请", status=409)
    if action == "sms":
        if body.get("resend"):
            return await consents.send_sms(current.id, ctx.operator)
        return await consents.verify_sms(current.id, str(body.get("code", "")), ctx.operator)
    if action == "cancel":
        return await consents.cancel(current.id, "OTHER", ctx.operator)
    raise ConsentProblem("UNKNOWN_ACTION", f"未知操作 {action}", status=404)


def mount(app: FastAPI) -> None:
    static = resources.files("hisbridge.web") / "static" / "viewer"
    app.mount("/ws/shared/static", StaticFiles(directory=str(static)), name="viewer-static")
    _page_routes(app)
    _api_routes(app)
