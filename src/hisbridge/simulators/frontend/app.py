"""``create_frontend_app``: the simulated front-end server as one Starlette app."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.routing import Route

from hisbridge._clock import Clock, system_clock
from hisbridge.simulators.frontend import api, inspection
from hisbridge.simulators.frontend.asgi import ASGIApp, FaultLayer, Receive, Scope, Send
from hisbridge.simulators.frontend.config import FrontendSimConfig
from hisbridge.simulators.frontend.data_api import DataApi, UnknownPath
from hisbridge.simulators.frontend.state import FrontendState

__all__ = ["FrontendApp", "create_frontend_app"]

_log = logging.getLogger(__name__)


class FrontendApp(Starlette):
    """Starlette with the fault layer outside everything else (so it can drop connections)."""

    sim: FrontendState

    def build_middleware_stack(self) -> ASGIApp:
        state = self.sim

        def log(method: str, path: str, body: Any, status: int, reply: Any) -> None:
            state.log(method, path, body, None, reply, status)

        inner = _DataFastPath(super().build_middleware_stack(), DataApi(state))
        return FaultLayer(inner, state.faults.decide, log, state.config.max_body_bytes)


class _DataFastPath:
    """Sends ``/hclient/emr/receive/<table>`` straight to the data API, skipping the router
    and Starlette's middleware on the hot path (the data API never raises)."""

    _PREFIX = "/hclient/emr/receive/"

    def __init__(self, app: ASGIApp, data_api: DataApi) -> None:
        self.app = app
        self.data_api = data_api

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")  # lifespan scopes carry no path
        if scope["type"] == "http" and path.startswith(self._PREFIX):
            table = path[len(self._PREFIX):]
            if table and "/" not in table:
                scope["path_params"] = {"table": table}
                await self.data_api(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _lifespan(state: FrontendState) -> Any:
    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        task = asyncio.create_task(_ticker(state))
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            state.close()
    return lifespan


async def _ticker(state: FrontendState) -> None:
    while True:
        await asyncio.sleep(state.config.tick_s)
        try:
            state.tick()
        except Exception:  # keep ticking; the next tick retries the same overdue visits
            _log.exception("warning engine tick failed")


def create_frontend_app(
    config: FrontendSimConfig | None = None, *, clock: Clock = system_clock,
    store_url: str | None = None,
) -> FrontendApp:
    """The simulator; its state is ``app.state.sim`` (also ``app.sim``).

    ``store_url`` defaults to an in-memory SQLite database. The warning engine runs every
    ``tick_s`` while the app's lifespan runs (under uvicorn); in-process tests call
    ``app.state.sim.tick()`` after moving their clock.
    """
    config = config or FrontendSimConfig()
    state = FrontendState(config, clock=clock, store_url=store_url)
    data_api = DataApi(state)
    routes = [
        Route("/hclient/emr/receive/{table}", data_api),
        Route(config.secret_key_path, api.secret_key, methods=["POST"]),
        Route(config.message_query_path, api.message_query, methods=["POST"]),
        Route(config.user_exists_path, api.user_exists, methods=["GET"]),
        *inspection.routes,
        Route("/hclient/{rest:path}", UnknownPath(state)),
    ]
    app = FrontendApp(routes=routes, lifespan=_lifespan(state))
    app.sim = state
    app.state.sim = state
    return app
