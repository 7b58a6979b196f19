"""``/console/login`` and ``/console/logout``; ``/`` and ``/console`` lead to the dashboard."""

from __future__ import annotations

import asyncio
import secrets
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from hisbridge.ops.i18n import translator
from hisbridge.ops.sessions import same_token
from hisbridge.web.console.common import checked_form
from hisbridge.web.console.guard import SESSION_COOKIE, safe_next
from hisbridge.web.console.render import page

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
LOGIN_CSRF_COOKIE = "hb_login_csrf"


@router.get("/")
def root() -> RedirectResponse:
    return RedirectResponse("/console/", 302)


@router.get("/console")
def console_root() -> RedirectResponse:
    return RedirectResponse("/console/", 302)


def _login_page(request: Request, status: int = 200, error: str = "", name: str = "",
                next_path: str | None = None) -> Response:
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(24)
    nxt = safe_next(next_path or request.query_params.get("next"))
    response = page(request, "login.html", status, error=error, login_csrf=token, next=nxt, name=name)
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict",
                        secure=secure_cookies(request))
    return response


def secure_cookies(request: Request) -> bool:
    """Cookies are ``Secure`` when browsers come over TLS (here or at a declared proxy)."""
    return bool(request.app.state.console.settings.secure_cookies or request.app.state.settings.web.https)


def _housekeeping(services: Any) -> None:
    """Drop ended sessions and old login attempts; cheap, so done at each login."""
    services.sessions.purge_expired()
    services.users.purge_attempts()


@router.get("/console/login")
async def login_form(request: Request) -> Response:
    services = request.app.state.console
    if await asyncio.to_thread(services.sessions.lookup, request.cookies.get(SESSION_COOKIE), touch=False):
        return RedirectResponse(safe_next(request.query_params.get("next")), 302)
    return _login_page(request)


@router.post("/console/login")
async def login(request: Request) -> Response:
    """Check the form's CSRF cookie, then the password; a lock answers like a wrong password."""
    services = request.app.state.console
    t = translator(request.cookies.get("hb_lang") or services.settings.default_lang)
    try:
        form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    except Exception:
        form = {}
    back = form.get("next")
    if not same_token(request.cookies.get(LOGIN_CSRF_COOKIE) or "", form.get("csrf")):
        return _login_page(request, 400, t("csrf.bad"), next_path=back)
    name, password = form.get("user", "").strip()[:64], form.get("password", "")
    if not name or not password:
        return _login_page(request, 400, t("login.missing"), name, back)
    remote = request.client.host if request.client else None
    result = await asyncio.to_thread(services.users.authenticate, name, password[:1024], remote)
    if result.status != "ok":  # "locked" too: a lock must not tell a guesser the name exists
        return _login_page(request, 401, t("login.bad"), name, back)
    token = await asyncio.to_thread(services.sessions.create, name, remote)
    await asyncio.to_thread(_housekeeping, services)
    response = RedirectResponse(safe_next(form.get("next")), 303)
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="lax",
                        secure=secure_cookies(request), path="/")
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    return response


@router.post("/console/logout")
async def logout(request: Request) -> Response:
    """End the session (the form carries the session's CSRF token)."""
    who, _ = await checked_form(request, "view_dashboard")
    await asyncio.to_thread(request.app.state.console.sessions.end, who.token_hash)
    response = RedirectResponse("/console/login", 303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
