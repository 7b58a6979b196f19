"""The console's gate: an ASGI middleware in front of every route of the gateway.

Default deny: ``hisbridge.ops.access.classify`` says which paths are open; every other
request needs a live console session (cookie), or for the API a Bearer API token. Pages without
a session are redirected to the login page; everything else gets 401. A state-changing API call
made with the session cookie must also carry the session's CSRF token in ``X-CSRF-Token``.
A user scoped to institutions reaches the console pages only (which read through its scope);
the gateway's API serves every institution, so it answers 403 to such a session, logged.
"""

from __future__ import annotations

import asyncio
import hmac
import os
from typing import Any
from urllib.parse import quote

from pydantic import SecretStr
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from hisbridge.ops.access import LOGIN_PATH, classify
from hisbridge.ops.actions import record_action
from hisbridge.ops.sessions import same_token

__all__ = ["SESSION_COOKIE", "ConsoleGuard", "bearer_matches", "safe_next"]

SESSION_COOKIE = "hb_session"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def safe_next(target: str | None) -> str:
    """A local path to return to after login; anything else (other hosts, odd input) is refused."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/console/"
    if any(ord(ch) < 32 for ch in target) or len(target) > 500:
        return "/console/"
    return target


def bearer_matches(request: Request, token: SecretStr | None) -> bool:
    """True when the request carries ``Authorization: Bearer <token>`` (constant-time)."""
    given = request.headers.get("authorization", "")
    if token is None or not given.lower().startswith("bearer "):
        return False
    return hmac.compare_digest(given[7:].strip().encode(), token.get_secret_value().encode())


def _push_token(scope: Scope) -> SecretStr | None:
    """The HIS push token: set on the app by the gateway, else ``push.token``, else the
    ``HISBRIDGE_PUSH_TOKEN`` environment variable (as the push intake reads it)."""
    state = scope["app"].state
    given = getattr(state, "push_token", None)
    if isinstance(given, str) and given:
        return SecretStr(given)
    token = getattr(getattr(state.settings, "push", None), "token", None)
    if isinstance(token, SecretStr) and token.get_secret_value():
        return token
    from_env = os.environ.get("HISBRIDGE_PUSH_TOKEN")
    return SecretStr(from_env) if from_env else None


_CODES = {401: "UNAUTHORIZED", 403: "FORBIDDEN"}


def _refuse(status: int, zh: str, en: str) -> JSONResponse:
    return JSONResponse({"error": f"{zh} {en}", "code": _CODES[status]}, status,
                        headers={"WWW-Authenticate": "Bearer"} if status == 401 else None)


def _passes_without_session(request: Request, access: str, services: Any) -> bool:
    if access == "open":
        return True
    if access == "metrics":
        token = services.settings.metrics_token
        return token is None or bearer_matches(request, token)
    if access == "signed":
        return True  # the route verifies the signature itself (403 when missing or bad)
    return False  # "hospital" paths: the push token (or a console login / API token) — never open


def _machine_token(request: Request, access: str, services: Any) -> bool:
    """An API call with the console's API token, or the HIS push token where that is accepted."""
    if access == "page":
        return False
    if bearer_matches(request, services.settings.api_token):
        return True
    return access == "hospital" and bearer_matches(request, _push_token(request.scope))


def _to_login(request: Request) -> Response:
    query = request.scope["query_string"].decode("latin-1")
    here = request.scope["path"] + (f"?{query}" if query else "")
    status = 302 if request.method in _SAFE_METHODS else 303
    return RedirectResponse(f"{LOGIN_PATH}?next={quote(safe_next(here), safe='')}", status)


async def _log_scoped_api(scope: Scope, principal: Any) -> None:
    state = scope["app"].state
    client = scope.get("client")
    await asyncio.to_thread(
        record_action, state.engine, at=state.clock.now(), user_name=principal.name,
        role=principal.role, action="scope.refused",
        target={"path": scope["path"], "institutions": list(principal.institutions)},
        outcome="api", remote=client[0] if client else None)


class ConsoleGuard:
    """Let a request through only when its path is open or its caller is known."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        refusal = await self._check(scope)
        if refusal is None:
            await self.app(scope, receive, send)
        elif scope["type"] == "http":
            await refusal(scope, receive, send)
        else:
            await send({"type": "websocket.close", "code": 4401})

    async def _check(self, scope: Scope) -> Response | None:
        request = Request(scope)
        services: Any = scope["app"].state.console
        access = classify(scope["path"], services.access)
        if _passes_without_session(request, access, services):
            return None
        principal = await asyncio.to_thread(
            services.sessions.lookup, request.cookies.get(SESSION_COOKIE))
        if principal is not None:
            if principal.institutions and access != "page":
                await _log_scoped_api(scope, principal)
                return _refuse(403, "机构范围内的用户只能使用控制台页面",
                               "a user scoped to institutions may use the console pages only")
            return self._admit(scope, request, access, principal)
        if _machine_token(request, access, services):
            return None
        if access == "page":
            return _to_login(request)
        return _refuse(401, "需要登录或 API 令牌", "login or API token required")

    @staticmethod
    def _admit(scope: Scope, request: Request, access: str, principal: Any) -> Response | None:
        if access != "page" and request.method not in _SAFE_METHODS:
            if not same_token(principal.csrf_token, request.headers.get("x-csrf-token")):
                return _refuse(403, "缺少或错误的 CSRF 令牌", "missing or wrong X-CSRF-Token")
        scope.setdefault("state", {})["principal"] = principal
        return None
