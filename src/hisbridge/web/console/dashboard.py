"""``/console/``: today per table, queue age, 24 h throughput, sources, targets; live by SSE.

``/console/dashboard/stream`` sends the counters as server-sent events every few seconds
(``console.js`` updates the cells in place); it ends itself after a few minutes or when the
session ends, and the browser's EventSource reconnects through the login gate.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from markupsafe import Markup

from hisbridge import _json
from hisbridge.ops.alerts import store as alert_store
from hisbridge.ops.chart import throughput_svg
from hisbridge.ops.dashboard import COUNTERS, Dashboard, read_dashboard
from hisbridge.store.scope import InstitutionScope
from hisbridge.web.console.common import require
from hisbridge.web.console.render import display_zone, page, principal_of
from hisbridge.web.console.scope import reader_scope

__all__ = ["STREAM_EVERY_S", "STREAM_FOR_S", "router"]

router = APIRouter(include_in_schema=False)
STREAM_EVERY_S = 2.0
STREAM_FOR_S = 300.0


async def _read(request: Request, scope: InstitutionScope) -> Dashboard:
    now = request.app.state.clock.now().astimezone(display_zone(request))  # days and hours there
    return await asyncio.to_thread(read_dashboard, request.app.state.engine, now, scope)


@router.get("/console/")
async def dashboard_page(request: Request) -> Response:
    require(request, "view_dashboard")
    data = await _read(request, reader_scope(request))
    alerts = await asyncio.to_thread(alert_store.list_alerts, request.app.state.engine, active=True, limit=10)
    chart = Markup(throughput_svg(data.hours, "24h")) if data.installed else ""
    return page(request, "dashboard.html", data=data, counters=COUNTERS, chart=chart,
                alerts=alerts, now=request.app.state.clock.now())


@router.get("/console/dashboard.json")
async def dashboard_json(request: Request) -> JSONResponse:
    require(request, "view_dashboard")
    return JSONResponse((await _read(request, reader_scope(request))).as_json())


async def _events(request: Request, scope: InstitutionScope) -> AsyncIterator[bytes]:
    who = principal_of(request)
    loop = asyncio.get_running_loop()
    ends = loop.time() + STREAM_FOR_S
    yield b"retry: 3000\n\n"
    while loop.time() < ends and not await request.is_disconnected():
        if who is None or request.app.state.clock.now() >= who.expires_at:
            yield b"event: expired\ndata: {}\n\n"
            return
        data = await _read(request, scope)
        yield b"data: " + _json.dumps(data.as_json()) + b"\n\n"
        await asyncio.sleep(STREAM_EVERY_S)


@router.get("/console/dashboard/stream")
async def dashboard_stream(request: Request) -> StreamingResponse:
    require(request, "view_dashboard")
    return StreamingResponse(_events(request, reader_scope(request)), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})
