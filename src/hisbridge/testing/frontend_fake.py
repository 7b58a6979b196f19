"""A small fake of the front-end's interaction contract, for tests (the simulator is the full one).

``fake_frontend_app(state)`` serves, as ``hisbridge simulate frontend`` / ``client`` document:
``POST /hclient/api/auth/secretKey`` {license} -> {result, secretKey, expireTime};
``POST /hclient/api/message/query`` {secretKey, orgCode, cursor, limit} -> {result, messages,
nextCursor} (unknown or expired key -> result false, errorCode 02); the doctor-PC client's
``GET /client/secretKey`` and ``GET /client/sso`` (with CORS) and a session page; and
``GET /sim/tables/base_user/{id}``. ``FakeFrontendState`` is what tests script and inspect:
messages to hand out, keys issued, delivered users, an outage switch and the in-flight count
of message queries (to prove that only one poll runs at a time).
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse

from hisbridge._clock import Clock, system_clock

if TYPE_CHECKING:
    pass

__all__ = ["FakeFrontendState", "fake_frontend_app"]

AUTH_ERROR = {
    "result": False, "errorCode": "02", "errorName": "授权错误", "desc": "secretKey 无效或已过期"
}


@dataclass
class FakeFrontendState:
    """The fake's scripted world."""

    license: str = "SIM-LICENSE-0001"
    key_ttl_s: float = 7 * 86_400.0
    clock: Clock = system_clock
    messages: list[dict[str, Any]] = field(default_factory=list)
    keys: dict[str, float] = field(default_factory=dict)
    users: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Delivered base_user rows: id -> (name, dept name)."""
    down: bool = False
    latency_s: float = 0.0
    in_flight: int = 0
    max_in_flight: int = 0
    queries: int = 0
    sessions: dict[str, str] = field(default_factory=dict)

    def add_message(self, **fields: Any) -> dict[str, Any]:
        """Append a message with the next ``seq`` (fields default to a 漏报 reminder)."""
        seq = len(self.messages) + 1
        message = {"msgId": f"M{seq:06d}", "seq": seq, "type": "传染病漏报提醒", "level": "高",
                   "title": "疑似漏报：肺结核", "content": "患者诊断肺结核，尚未填报传染病报告卡",
                   "patientId": "P001", "serialNumber": "MZ001", "orgCode": "440100001",
                   "deptCode": "A03", "userId": "D001", "createTime": "2026-01-01 08:00:00"}
        message.update(fields)
        self.messages.append(message)
        return message

    def issue_key(self) -> tuple[str, float]:
        key = secrets.token_hex(16)
        expires = self.clock.now().timestamp() + self.key_ttl_s
        self.keys[key] = expires
        return key, expires

    def key_valid(self, key: Any) -> bool:
        return isinstance(key, str) and self.keys.get(key, 0) > self.clock.now().timestamp()


def _cors(body: dict[str, Any]) -> JSONResponse:
    return JSONResponse(body, headers={"Access-Control-Allow-Origin": "*"})


def fake_frontend_app(state: FakeFrontendState) -> FastAPI:
    """The fake as an ASGI app (serve it with uvicorn or reach it through ASGITransport)."""
    app = FastAPI()

    @app.post("/hclient/api/auth/secretKey")
    async def secret_key(request: Request) -> JSONResponse:
        body = await request.json()
        if state.down:
            return JSONResponse({"result": False, "errorCode": "99"}, 503)
        if body.get("license") != state.license:
            return JSONResponse({**AUTH_ERROR, "desc": "机构授权码无效"})
        key, expires = state.issue_key()
        return JSONResponse({"result": True, "secretKey": key, "expireTime": int(expires * 1000)})

    @app.post("/hclient/api/message/query")
    async def query(request: Request) -> JSONResponse:
        body = await request.json()
        state.in_flight += 1
        state.queries += 1
        state.max_in_flight = max(state.max_in_flight, state.in_flight)
        try:
            await asyncio.sleep(state.latency_s)
            if state.down:
                return JSONResponse({"result": False, "errorCode": "99", "desc": "维护中"}, 503)
            if not state.key_valid(body.get("secretKey")):
                return JSONResponse(AUTH_ERROR)
            cursor = int(body.get("cursor") or 0)
            limit = int(body.get("limit") or 100)
            page = [m for m in state.messages if m["seq"] > cursor][:limit]
            next_cursor = str(page[-1]["seq"]) if page else str(cursor)
            return JSONResponse({"result": True, "messages": page, "nextCursor": next_cursor})
        finally:
            state.in_flight -= 1

    @app.get("/client/secretKey")
    async def client_key(license: str = "") -> JSONResponse:
        if license != state.license:
            return _cors({**AUTH_ERROR, "desc": "机构授权码无效"})
        return _cors({"result": True, "secretKey": state.issue_key()[0]})

    @app.get("/client/sso")
    async def client_sso(request: Request, secretKey: str = "", userId: str = "") -> JSONResponse:
        if not state.key_valid(secretKey):
            return _cors(AUTH_ERROR)
        if userId not in state.users:
            return _cors({"result": False, "errorCode": "04", "desc": "用户未同步"})
        token = secrets.token_hex(8)
        state.sessions[token] = userId
        return _cors({"result": True, "url": f"{request.base_url}client/session/{token}"})

    @app.get("/client/session/{token}", response_class=HTMLResponse)
    async def session(token: str) -> HTMLResponse:
        user = state.sessions.get(token)
        if user is None:
            return HTMLResponse("会话无效", 404)
        name, dept = state.users[user]
        return HTMLResponse(f"<html><body><p id='who'>已登录：{name}，{dept}</p>"
                            f"<p>logged in as {name}, {dept}</p></body></html>")

    @app.get("/sim/tables/{table}/{record_id}")
    async def table_row(table: str, record_id: str) -> JSONResponse:
        if table == "base_user" and record_id in state.users:
            return JSONResponse({"id": record_id, "user_name": state.users[record_id][0]})
        return JSONResponse({"error": "not found"}, 404)

    return app
