"""The gateway's FastAPI application, assembled from one module per concern.

Each concern (push intake, outbox, warnings, consents, shared documents, console, widgets,
redirects from old route names) is a module with ``mount(app)``; ``create_app`` calls them in
order. Shared state lives on ``app.state``: ``settings``, ``engine`` (the store), ``clock``, and
the ``AppServices`` the caller built
(``hisbridge.runtime`` assembles them; the web never builds a service itself).
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import Engine
from starlette.exceptions import HTTPException as StarletteHTTPException

from hisbridge import __version__, _ids
from hisbridge._clock import Clock, system_clock
from hisbridge.errors import HisbridgeError
from hisbridge.settings import Settings
from hisbridge.store.errors import STORE_OUTAGES, StoreIntegrityError, driver_error
from hisbridge.web.page_headers import PageHeaders
from hisbridge.web.services import NO_SERVICES, AppServices, DeliveryHandle

__all__ = ["AppServices", "DeliveryHandle", "create_app"]

log = logging.getLogger("hisbridge.web")


# Store errors that mean "not now" rather than "wrong" (``store.errors.STORE_OUTAGES``: the
# translated StoreUnavailable and the driver's own from other engines): answered 503 +
# Retry-After, logged without a traceback (the handler chain never reaches the server's logger).
STORE_RETRY_AFTER_S = 2


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            {"where": ".".join(str(p) for p in e.get("loc", ())), "problem": e.get("msg", "")}
            for e in exc.errors()[:20]
        ]
        return JSONResponse({"error": "请求参数无效 invalid request", "problems": problems}, 422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, (str, dict, list)) else str(exc.detail)
        return JSONResponse({"error": detail}, exc.status_code, headers=exc.headers)

    @app.exception_handler(HisbridgeError)
    async def _ours(_: Request, exc: HisbridgeError) -> JSONResponse:
        return JSONResponse({"error": exc.message, "hint": exc.hint}, 400)

    async def _store_down(_: Request, exc: Exception) -> JSONResponse:
        # The store is restarting, unreachable or its pool exhausted: the request was not
        # taken, and the same request sent again later is safe (intake is idempotent by id).
        driver = driver_error(exc)  # the database's own words, translated or not
        reason = str(getattr(driver, "orig", None) or driver).splitlines()[0][:200]
        log.warning("store unavailable", extra={"kind": type(exc).__name__, "reason": reason})
        return JSONResponse(
            {"error": "存储暂不可用，请稍后重试 store temporarily unavailable, retry",
             "retry_after_s": STORE_RETRY_AFTER_S},
            503, headers={"Retry-After": str(STORE_RETRY_AFTER_S)})

    for kind in STORE_OUTAGES:
        app.add_exception_handler(kind, _store_down)

    @app.exception_handler(StoreIntegrityError)  # a bug of ours, as the driver's error was: 500
    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        ref = _ids.new_id()
        log.error("unexpected error", extra={"ref": ref, "kind": type(exc).__name__})
        return JSONResponse({"error": "内部错误 internal error", "ref": ref}, 500)


def create_app(settings: Settings, engine: Engine, *, clock: Clock = system_clock,
               services: AppServices = NO_SERVICES) -> FastAPI:
    """The gateway app over ``services`` (``hisbridge.runtime`` builds them; a concern whose
    service is missing answers 503 or hides its pages)."""
    from hisbridge.web import (
        consents_api,
        console,
        documents_api,
        health,
        intake,
        metrics,
        outbox_api,
        redirects,
        viewer,
        warnings_api,
        widgets,
    )

    app = FastAPI(title="hisbridge gateway", version=__version__)
    app.state.settings = settings
    app.state.engine = engine
    app.state.clock = clock
    app.state.services = services  # read with web.services.services_of
    # warnings_api, widgets and documents_api still read these two by name.
    app.state.messages = services.messages
    app.state.documents = services.documents
    _install_error_handlers(app)
    # In the order they are mounted: the console's gate sits in front of the routes after it;
    # the old route names (redirects) come before the routes and static mounts that replace them.
    for concern in (health, redirects, console, warnings_api, widgets, consents_api, documents_api,
                    viewer, intake, outbox_api, metrics):
        concern.mount(app)
    app.add_middleware(PageHeaders, settings=settings)  # outermost: also on the guard's answers
    return app
