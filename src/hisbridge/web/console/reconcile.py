"""``/console/reconcile``: pick a day; per table accepted vs delivered, waiting and dead, with
the dead ones resent through the dead-letter page (preview, confirmation, action log).

The HIS side of the comparison (source keys for the day) needs ``hisbridge.reconcile``; until
it is installed that column says "未启用".
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import Response

from hisbridge._clock import CHINA_TZ
from hisbridge.console.optional import optional_module, optional_table
from hisbridge.console.reconcile import day_report
from hisbridge.web.console.common import NotConfigured, require
from hisbridge.web.console.forms import Checked
from hisbridge.web.console.render import page

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


@router.get("/console/reconcile")
async def reconcile_page(request: Request) -> Response:
    require(request, "view_reconcile")
    if optional_table("outbox", "records") is None:
        raise NotConfigured("hisbridge.store.schema.outbox")
    q = Checked(request.query_params)
    day = q.day("date", "日期 date") or request.app.state.clock.now().astimezone(CHINA_TZ).date()
    lines = await asyncio.to_thread(day_report, request.app.state.engine, day)
    totals = {k: sum(getattr(ln, k) for ln in lines) for k in ("accepted", "delivered", "missing", "dead")}
    return page(request, "reconcile.html", 400 if q.problems else 200, problems=q.problems,
                day=day.isoformat(), lines=lines, totals=totals,
                source_side=optional_module("hisbridge.reconcile") is not None)
