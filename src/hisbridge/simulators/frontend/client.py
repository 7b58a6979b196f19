"""``create_client_app``: the doctor-PC front-end client the HIS page calls for SSO.

The real client runs on the doctor's PC and listens on a local port; a HIS web page calls it
cross-origin (from ``http://his.hospital`` to ``http://127.0.0.1:18881``), so every reply
carries CORS headers and preflights are answered, including Chrome's Private Network Access
header. Provisional contract (docs/frontend-simulator.md):

- ``GET /client/secretKey?license=`` -> ``{result, secretKey, expireTime}`` (asks the server);
- ``GET /client/sso?secretKey=&userId=`` -> ``{result, desc, url, user}`` when the user was
  delivered to base_user (the server's user lookup), else ``result`` false, ``用户未同步``;
- ``GET /client/session/{token}`` -> a small page "已登录：<doctor>，<dept>";
- ``GET /client/session/{token}/report-card?patientId=&visitId=&cardId=&msgId=`` -> the same
  session opened at that patient's visit and report card (the deep link 去处理 uses when
  ``interaction.client.deep_link_template`` is
  ``{session_url}/report-card?patientId={patient_id}&visitId={visit_id}&cardId={card_id}``).
  **The simulator's assumption**: the real client's deep-link form is unknown
  (spec/frontend/protocol.md §4.1); this path exists so the template can be tested end to end.
"""

from __future__ import annotations

import contextlib
import html
import secrets
from collections.abc import AsyncIterator
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from hisbridge import _json
from hisbridge._clock import Clock, system_clock
from hisbridge.simulators.frontend import protocol as p
from hisbridge.simulators.frontend.asgi import ASGIApp, Message, Receive, Scope, Send
from hisbridge.simulators.frontend.config import ClientSimConfig

__all__ = ["ClientState", "CorsLayer", "create_client_app"]


class ClientState:
    """The client's connection to the server and its open SSO sessions."""

    def __init__(self, config: ClientSimConfig, clock: Clock,
                 transport: httpx.AsyncBaseTransport | None) -> None:
        self.config = config
        self.clock = clock
        self.http = httpx.AsyncClient(base_url=config.frontend_url, transport=transport,
                                      timeout=config.timeout_s)
        self.sessions: dict[str, tuple[float, dict[str, Any]]] = {}

    def name(self, key: str) -> str:
        return self.config.names.get(key, key)

    async def call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        """The server's JSON reply, or a 99 reply when it cannot be reached or read."""
        try:
            response = await self.http.request(method, path, **kwargs)
            reply = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            return p.failure(p.SYSTEM, f"无法连接前置软件服务端 / server unreachable: "
                             f"{type(exc).__name__}")
        return reply if isinstance(reply, dict) else p.failure(p.SYSTEM, "服务端回复无法解析")

    def open_session(self, user: dict[str, Any]) -> str:
        """A new SSO session; expired ones, then the oldest beyond ``sessions_keep``, go."""
        now = self.clock.monotonic()
        for token, (ends, _) in list(self.sessions.items()):
            if ends < now:
                del self.sessions[token]
        for token in list(self.sessions)[: max(len(self.sessions) - self.config.sessions_keep + 1, 0)]:
            del self.sessions[token]
        token = secrets.token_urlsafe(18)
        self.sessions[token] = (now + self.config.session_ttl_s, user)
        return token

    def session(self, token: str) -> dict[str, Any] | None:
        found = self.sessions.get(token)
        if found is None or found[0] < self.clock.monotonic():
            return None
        return found[1]


def _state(request: Request) -> ClientState:
    state: ClientState = request.app.state.client
    return state


def _json_response(payload: Any) -> Response:
    return Response(_json.dumps(payload), media_type="application/json;charset=UTF-8")


async def secret_key(request: Request) -> Response:
    state = _state(request)
    license_code = request.query_params.get("license", "")
    reply = await state.call("POST", state.config.secret_key_path,
                             json={state.name("license"): license_code})
    out = {"result": bool(reply.get("result")), "desc": reply.get("desc", ""),
           "secretKey": reply.get(state.name("secretKey"), ""),
           "expireTime": reply.get(state.name("expireTime"), ""),
           "errorCode": reply.get("errorCode", "")}
    return _json_response(out)


async def sso(request: Request) -> Response:
    state = _state(request)
    key = request.query_params.get("secretKey", "")
    user_id = request.query_params.get("userId", "")
    if not key or not user_id:
        return _json_response(p.failure(p.FORMAT, "secretKey 与 userId 均不能为空"))
    reply = await state.call("GET", state.config.user_exists_path,
                             params={state.name("secretKey"): key, state.name("userId"): user_id})
    if not reply.get("result"):
        code = reply.get("errorCode") or p.VALIDATION
        desc = "用户未同步" if code == p.VALIDATION else reply.get("desc", "")
        return _json_response({**p.failure(code, desc, user_id)})
    user = reply.get("user") or {}
    token = state.open_session(user)
    url = f"{state.config.public_url.rstrip('/')}/client/session/{token}"
    return _json_response({**p.success(user_id, "登录成功"), "url": url, "user": user})


_PAGE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<title>前置软件客户端（模拟）</title></head><body style="font-family:sans-serif;margin:2em">
<h1>国家传染病智能监测预警前置软件 · 客户端（模拟）</h1>
<p id="who">已登录：{name}，{dept}</p>
<p lang="en">logged in as {name}, {dept}</p></body></html>"""


_CARD = """<section id="report-card"><h2>传染病报告卡（模拟） report card</h2>
<p id="visit">患者 {patient} · 就诊号 {visit}</p><p id="card">报告卡 {card}</p>
<p id="patient-known">{known}</p></section>"""


def _session_user(request: Request) -> dict[str, Any] | None:
    return _state(request).session(request.path_params["token"])


def _who(user: dict[str, Any]) -> str:
    name = html.escape(str(user.get("userName") or user.get("id") or ""))
    dept = html.escape(str(user.get("deptName") or user.get("deptCode") or ""))
    return _PAGE.format(name=name, dept=dept)


_GONE = HTMLResponse("<p>会话不存在或已过期 / no such session</p>", status_code=404)


async def session_page(request: Request) -> Response:
    user = _session_user(request)
    return _GONE if user is None else HTMLResponse(_who(user))


async def report_card_page(request: Request) -> Response:
    """The session opened at a patient's visit and report card (the simulator's deep link)."""
    user = _session_user(request)
    if user is None:
        return _GONE
    q = request.query_params
    patient = q.get("patientId", "")
    found = await _state(request).call("GET", f"/sim/tables/emr_patient_info/{patient}")
    known = ("患者已在前置软件 patient known to the front-end" if found.get("id") == patient
             else "前置软件中没有该患者 patient not found")
    card = _CARD.format(patient=html.escape(patient), visit=html.escape(q.get("visitId", "")),
                        card=html.escape(q.get("cardId") or "（新建 new）"), known=known)
    return HTMLResponse(_who(user).replace("</body>", card + "</body>"))


class CorsLayer:
    """CORS for a local service called from a hospital web page (incl. Private Network Access)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        allow = _allow_headers(headers)
        if scope["method"] == "OPTIONS" and b"access-control-request-method" in headers:
            await send({"type": "http.response.start", "status": 204, "headers": [
                *allow, (b"access-control-allow-methods", b"GET, POST, OPTIONS"),
                (b"access-control-allow-headers",
                 headers.get(b"access-control-request-headers", b"content-type")),
                (b"access-control-max-age", b"600"), (b"content-length", b"0")]})
            await send({"type": "http.response.body", "body": b""})
            return

        async def with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *allow]
            await send(message)

        await self.app(scope, receive, with_cors)


def _allow_headers(headers: dict[bytes, bytes]) -> list[tuple[bytes, bytes]]:
    origin = headers.get(b"origin")
    out = [(b"access-control-allow-origin", origin or b"*"), (b"vary", b"Origin")]
    if origin:
        out.append((b"access-control-allow-credentials", b"true"))
    if headers.get(b"access-control-request-private-network") == b"true":
        out.append((b"access-control-allow-private-network", b"true"))
    return out


class ClientApp(Starlette):
    """Starlette with the CORS layer outside everything (also on error replies)."""

    def build_middleware_stack(self) -> ASGIApp:
        return CorsLayer(super().build_middleware_stack())


def create_client_app(
    config: ClientSimConfig | None = None, *, clock: Clock = system_clock,
    transport: httpx.AsyncBaseTransport | None = None,
) -> ClientApp:
    """The doctor-PC client; ``transport`` reaches the server in-process in tests."""
    state = ClientState(config or ClientSimConfig(), clock, transport)

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        await state.http.aclose()

    app = ClientApp(routes=[
        Route("/client/secretKey", secret_key),
        Route("/client/sso", sso),
        Route("/client/session/{token}", session_page),
        Route("/client/session/{token}/report-card", report_card_page),
    ], lifespan=lifespan)
    app.state.client = state
    return app
