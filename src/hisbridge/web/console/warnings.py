"""``/console/warnings``: warning messages polled from the front-end, and the poller's health."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import Response

from hisbridge.ops.warnings import poll_states, warning_rows
from hisbridge.web.console.common import NotConfigured, require
from hisbridge.web.console.forms import Checked
from hisbridge.web.console.render import display_zone, page
from hisbridge.web.console.scope import reader_scope

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


@router.get("/console/warnings")
async def warnings_page(request: Request) -> Response:
    require(request, "view_warnings")
    q = Checked(request.query_params, zone=display_zone(request))
    level = q.text("level", "级别 level", 32)
    text = q.text("q", "关键字 keyword", 64)
    since, until = q.moment("from", "起 from"), q.moment("to", "止 to", end_of_day=True)
    engine = request.app.state.engine
    scope = reader_scope(request)
    rows = await asyncio.to_thread(warning_rows, engine, level=level, since=since, until=until,
                                   text=text, scope=scope)
    if rows is None:
        raise NotConfigured("hisbridge.store.schema.warnings")
    states = await asyncio.to_thread(poll_states, engine, scope)
    shown = {k: request.query_params.get(k, "")[:64] for k in ("level", "q", "from", "to")}
    return page(request, "warnings.html", 400 if q.problems else 200, rows=rows, states=states,
                problems=q.problems, f=shown)
