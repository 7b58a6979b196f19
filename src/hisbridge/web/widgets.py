"""Workstation widgets under ``/ws`` and the SSO endpoints they use.

- ``GET /ws/warnings?userId=&deptCode=&orgCode=&exp=&sig=``: the doctor's warnings, live (a
  signed, expiring URL the HIS builds with ``web.secret_key``; see docs/warnings-and-sso.md).
  In a hospital group ``orgCode`` names the doctor's institution: only its warnings are shown
  and SSO signs on with its licence.
  A missing, tampered or expired signature gets a 403 page in Chinese and no data. The old
  ``/ws/alerts`` (and its ``alerts.js``/``alerts.css``) redirect here (``web.redirects``).
- ``GET /ws/sso.js``: the SSO SDK (``HisBridge.sso({userId})``); ``/ws/static/...``.
- ``POST /api/v1/sso/prepare``: for a signed request, whether the doctor can sign on and what
  the browser needs to call the doctor-PC client (the licence is handed out only here).
- ``POST /api/v1/sso/launch``: the gateway itself calls the client (C/S workstations).
"""

from __future__ import annotations

import asyncio
import sys
from importlib import resources
from typing import Any, TextIO
from urllib.parse import urlencode

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from hisbridge import _json
from hisbridge._clock import Clock, system_clock
from hisbridge.connectors.frontend.sso import SSO_PROBLEMS, SsoOutcome, deep_link, with_host
from hisbridge.settings import Settings
from hisbridge.warnings.institution import InstitutionMessages
from hisbridge.warnings.notices import user_notice
from hisbridge.warnings.services import MessageServices
from hisbridge.web.signing import REFUSALS, SignatureError, signed_query
from hisbridge.web.warnings_api import IDENTITY, Reader, desk_of, reader_of

__all__ = ["mount", "print_widget_url", "widget_url"]

_WEB = resources.files("hisbridge.web")
templates = Jinja2Templates(directory=str(_WEB / "templates"))
router = APIRouter(tags=["workstation"])


def widget_url(settings: Settings, user_id: str, dept_code: str | None, *, now: float,
               base_url: str | None = None, org_code: str | None = None) -> str:
    """The signed URL of ``/ws/warnings`` for a doctor (what the HIS builds; used by the demo);
    ``org_code``: the doctor's institution in a hospital group."""
    widget = settings.interaction.widget
    query = signed_query({"userId": user_id, "deptCode": dept_code, "orgCode": org_code},
                         settings.web.secret_key.get_secret_value(), now=now,
                         ttl_s=widget.url_ttl_s)
    return f"{(base_url or widget.public_base_url).rstrip('/')}/ws/warnings?{query}"


def print_widget_url(settings: Settings, user_id: str, dept_code: str | None = None, *,
                     clock: Clock = system_clock, base_url: str | None = None,
                     file: TextIO | None = None, org_code: str | None = None) -> str:
    """Print (and return) the signed widget URL of a doctor, e.g. the demo doctor."""
    url = widget_url(settings, user_id, dept_code, now=clock.now().timestamp(), base_url=base_url,
                     org_code=org_code)
    print(f"医生 {user_id} 的预警提醒页面 / warning widget: {url}", file=file or sys.stdout)
    return url


def _forbidden(request: Request, reason: str) -> HTMLResponse:
    context = {"reason": REFUSALS.get(reason, REFUSALS["bad"])}
    return templates.TemplateResponse(request, "ws/forbidden.html", context, status_code=403)


def _known_user(desk: InstitutionMessages, user_id: str) -> bool | None:
    """True/False if the doctor's base_user row is (not) delivered; None if unknown."""
    outcome = desk.sso.check_user(user_id)
    if outcome is None:
        return True
    return None if outcome.problem == "lookup_unavailable" else False


@router.get("/ws/warnings", response_class=HTMLResponse)
async def warnings_page(request: Request) -> HTMLResponse:
    """The doctor's warning list (zh-CN), live over SSE with a polling fallback."""
    try:
        who = reader_of(request)
    except SignatureError as exc:
        return _forbidden(request, exc.reason)
    services: MessageServices = request.app.state.messages
    desk = desk_of(services, who)
    known = await asyncio.to_thread(_known_user, desk, who.user_id)
    config = {
        "auth": urlencode({k: v for k, v in request.query_params.items() if k in IDENTITY}),
        "userId": who.user_id,
        "deptCode": who.dept_code,
        "orgCode": who.org_code,
        "highLevels": services.interaction.widget.high_levels,
        "typeLabels": services.interaction.widget.type_labels,
        "knownUser": known,
        "userNotices": user_notice(known),
        "deepLink": bool(services.interaction.client.deep_link_template),
        "departmentHandling": services.interaction.department_handling,
        "problems": SSO_PROBLEMS,
    }
    # "</" would end the inline <script> early; JSON allows "<\/".
    context = {"who": who, "config_json": _json.dumps_str(config).replace("</", "<\\/")}
    return templates.TemplateResponse(request, "ws/warnings.html", context)


@router.get("/ws/sso.js")
async def sso_js() -> Response:
    """The SSO SDK; same-origin for widgets, or loaded by a HIS page from the gateway."""
    path = str(_WEB / "static" / "ws" / "sso.js")
    return FileResponse(path, media_type="application/javascript; charset=utf-8")


def _cors(request: Request, response: JSONResponse) -> JSONResponse:
    """Let a listed HIS page (``web.workstation_origins``) read the SSO API's answers.

    Only an exactly listed origin is named back; any other origin gets no CORS header at all
    (its page cannot read the answer), and credentials are never allowed: the signed query is
    the credential, not a cookie.
    """
    origin = request.headers.get("origin")
    response.headers["Vary"] = "Origin"
    services: MessageServices = request.app.state.messages
    if origin and origin in services.settings.web.workstation_origins:
        response.headers["Access-Control-Allow-Origin"] = origin
    return response


def _signed_reader(request: Request) -> tuple[Reader, InstitutionMessages] | JSONResponse:
    try:
        who = reader_of(request)
    except SignatureError as exc:
        return JSONResponse({"result": False, "problem": "forbidden",
                             "desc": REFUSALS.get(exc.reason, REFUSALS["bad"])}, 403)
    return who, desk_of(request.app.state.messages, who)


@router.post("/api/v1/sso/prepare")
async def sso_prepare(request: Request) -> JSONResponse:
    """What ``sso.js`` needs: the licence and the client's paths, if the doctor can sign on."""
    return _cors(request, await _prepare(request))


async def _prepare(request: Request) -> JSONResponse:
    signed = _signed_reader(request)
    if isinstance(signed, JSONResponse):
        return signed
    who, desk = signed
    refused = await asyncio.to_thread(desk.sso.check_user, who.user_id)
    licence = desk.licence  # the doctor's institution's (机构授权码)
    if refused is None and licence is None:
        refused = SsoOutcome.fail("not_configured")
    if refused is not None:
        return JSONResponse(refused.as_json())
    c = desk.interaction.client
    context = await _context(request, desk, who)
    client: dict[str, Any] = {
        "baseUrl": c.base_url, "secretKeyPath": c.secret_key_path, "ssoPath": c.sso_path,
        "licenseParam": c.license_param, "secretKeyParam": c.secret_key_param,
        "userParam": c.user_param, "secretKeyField": c.secret_key_field, "urlField": c.url_field,
    }
    body = {"result": True, "userId": who.user_id, "client": client, "problems": SSO_PROBLEMS,
            "license": licence.get_secret_value() if licence else None,
            "deepLink": deep_link(c.deep_link_template, {**context, "client_base_url": c.base_url,
                                                         "user_id": who.user_id})
            if context else None,
            "visitId": context.get("visit_id") if context else None}
    return JSONResponse(body, headers={"Cache-Control": "no-store"})


@router.post("/api/v1/sso/launch")
async def sso_launch(request: Request) -> JSONResponse:
    """The gateway signs the doctor on at the client on the caller's PC (or the configured one)."""
    signed = _signed_reader(request)
    if isinstance(signed, JSONResponse):
        return _cors(request, signed)
    who, desk = signed
    client = desk.interaction.client
    base = client.base_url
    if client.launch_target == "caller" and request.client is not None:
        base = with_host(base, request.client.host)
    context = await _context(request, desk, who)
    outcome = await desk.sso.launch(who.user_id, client_base_url=base, context=context)
    return _cors(request, JSONResponse(outcome.as_json()))


async def _context(request: Request, desk: InstitutionMessages,
                   who: Reader) -> dict[str, str | None] | None:
    """The patient/visit/card of the warning ``msgId`` the doctor acts on (if any, and theirs
    to see); what a deep-link template is filled with."""
    msg_id = request.query_params.get("msgId")
    if not msg_id:
        return None
    return await asyncio.to_thread(
        desk.store.context_of, msg_id, user_id=who.user_id, dept_code=who.dept_code,
        card_field=desk.interaction.server.fields.card_id)


def mount(app: FastAPI) -> None:
    """Add ``/ws`` pages and the SSO API (needs ``app.state.messages``)."""
    if getattr(app.state, "messages", None) is None:
        return
    app.include_router(router)
    app.mount("/ws/static", StaticFiles(directory=str(_WEB / "static" / "ws")), name="ws-static")
