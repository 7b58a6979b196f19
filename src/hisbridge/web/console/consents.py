"""``/console/consents``: patients' authorizations to view their records (auditor/admin)."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import Response

from hisbridge.ops.consents import consent_rows
from hisbridge.web.console.common import NotConfigured, require
from hisbridge.web.console.forms import Checked
from hisbridge.web.console.render import display_zone, page
from hisbridge.web.console.scope import reader_scope

__all__ = ["STATUSES", "router"]

router = APIRouter(include_in_schema=False)
STATUSES = ("PENDING", "GRANTED", "DENIED", "EXPIRED", "REVOKED", "CANCELLED", "CLOSED")


@router.get("/console/consents")
async def consents_page(request: Request) -> Response:
    require(request, "view_consents")
    q = Checked(request.query_params, zone=display_zone(request))
    status = q.choice("status", "状态 status", STATUSES)
    since, until = q.moment("from", "起 from"), q.moment("to", "止 to", end_of_day=True)
    rows = await asyncio.to_thread(consent_rows, request.app.state.engine, status=status, since=since,
                                   until=until, scope=reader_scope(request))
    if rows is None:
        raise NotConfigured("hisbridge.store.schema.consent")
    shown = {k: request.query_params.get(k, "")[:32] for k in ("status", "from", "to")}
    return page(request, "consents.html", 400 if q.problems else 200, rows=rows, statuses=STATUSES,
                problems=q.problems, f=shown)
