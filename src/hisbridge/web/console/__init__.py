"""The operations console under ``/console``, and the login gate in front of the whole gateway.

``mount(app)`` puts ``ConsoleServices`` on ``app.state.console``, installs the gate
(``guard.ConsoleGuard``), serves ``/console/static`` and adds one router per page.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from hisbridge.ops.access import AccessPolicy
from hisbridge.ops.alerts.service import AlertService
from hisbridge.ops.scope import OutOfScope
from hisbridge.ops.sessions import SessionPolicy, SessionStore
from hisbridge.ops.settings import ConsoleSettings
from hisbridge.ops.users import UserStore
from hisbridge.web.console.common import CsrfRejected, Forbidden, NotConfigured, log_action
from hisbridge.web.console.guard import ConsoleGuard
from hisbridge.web.console.render import page, principal_of
from hisbridge.web.redirects import with_old_names

__all__ = ["ConsoleServices", "console_settings", "mount"]

log = logging.getLogger("hisbridge.web.console")

_STATIC = Path(__file__).resolve().parent.parent / "static" / "console"

@dataclass
class ConsoleServices:
    settings: ConsoleSettings
    access: AccessPolicy
    users: UserStore
    sessions: SessionStore


def console_settings(app: FastAPI) -> ConsoleSettings:
    found = getattr(app.state.settings, "console", None)
    return found if isinstance(found, ConsoleSettings) else ConsoleSettings()


def _services(app: FastAPI) -> ConsoleServices:
    cfg = console_settings(app)
    lockout = cfg.lockout()
    sessions = SessionPolicy(timedelta(minutes=cfg.session_idle_minutes),
                             timedelta(hours=cfg.session_max_hours))
    # An old route name is guarded as its new one (web.redirects), whichever the settings list.
    access = AccessPolicy(with_old_names(cfg.open_api_prefixes),
                          with_old_names(cfg.signed_api_prefixes),
                          with_old_names(cfg.push_token_prefixes))
    engine, clock = app.state.engine, app.state.clock
    users = UserStore(engine, clock=clock, lockout=lockout, argon2=cfg.argon2)
    return ConsoleServices(cfg, access, users,
                           SessionStore(engine, clock=clock, policy=sessions))


def _message(request: Request, key: str, status: int) -> Response:
    return page(request, "message.html", status, title=key, detail=key)


def _install_handlers(app: FastAPI) -> None:
    async def forbidden(request: Request, _: Exception) -> Response:
        return _message(request, "forbidden", 403)

    async def csrf(request: Request, _: Exception) -> Response:
        return _message(request, "csrf.bad", 403)

    async def out_of_scope(request: Request, exc: Exception) -> Response:
        who = principal_of(request)
        if who is not None:
            await log_action(request, who, "scope.refused",
                             {"path": request.url.path, "institutions": list(who.institutions)},
                             str(exc)[:200])
        return _message(request, "notfound", 404)

    async def missing(request: Request, exc: Exception) -> Response:
        return page(request, "not_configured.html", 200, component=str(exc))

    previous: Any = app.exception_handlers.get(StarletteHTTPException)

    async def http_error(request: Request, exc: Exception) -> Response:
        if request.url.path.startswith("/console/") and isinstance(exc, StarletteHTTPException) \
                and exc.status_code == 404:
            return _message(request, "notfound", 404)
        return await previous(request, exc)  # type: ignore[no-any-return]

    app.add_exception_handler(Forbidden, forbidden)
    app.add_exception_handler(CsrfRejected, csrf)
    app.add_exception_handler(OutOfScope, out_of_scope)
    app.add_exception_handler(NotConfigured, missing)
    if previous is not None:
        app.add_exception_handler(StarletteHTTPException, http_error)


def _alerts_in_lifespan(app: FastAPI) -> None:
    """Evaluate the alert rules every ``interval_s`` while the app runs (under uvicorn)."""
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(application: Any) -> AsyncIterator[Any]:
        async with inner(application) as state:
            service = getattr(app.state, "alerts", None)
            if not isinstance(service, AlertService):
                service = app.state.alerts = AlertService(
                    app.state.engine, app.state.console.settings.alerts, clock=app.state.clock)
            stop = asyncio.Event()
            task = asyncio.create_task(service.run_forever(stop))
            try:
                yield state
            finally:
                stop.set()
                await task

    app.router.lifespan_context = lifespan


def _warn_open_hospital_api(app: FastAPI) -> None:
    push = getattr(app.state.settings, "push", None)
    if getattr(push, "token", None) is None and app.state.console.settings.push_token_prefixes:
        log.warning("push.token 未设置：医院接口全部拒绝 no push token: %s refuse every call",
                    ", ".join(app.state.console.settings.push_token_prefixes))


def mount(app: FastAPI) -> None:
    """Add the console pages and the gate in front of every route."""
    app.state.console = _services(app)
    _warn_open_hospital_api(app)
    if app.state.console.settings.alerts.enabled:
        _alerts_in_lifespan(app)
    app.add_middleware(ConsoleGuard)
    app.mount("/console/static", StaticFiles(directory=str(_STATIC)), name="console-static")
    _install_handlers(app)
    from hisbridge.web.console import (
        actions,
        alerts,
        audit,
        auth,
        config,
        consents,
        dashboard,
        dead,
        quality,
        reconcile,
        records,
        users,
        warnings,
    )

    # One module per page (each has ``router``), in menu order.
    pages = (auth, dashboard, quality, records, dead, reconcile, warnings, consents, audit, alerts,
             config, actions, users)
    for module in pages:
        app.include_router(module.router)
