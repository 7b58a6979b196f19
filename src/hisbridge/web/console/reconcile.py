"""``/console/reconcile``: pick a day, see per table source keys vs accepted vs delivered, and
resend what is missing. Needs ``hisbridge.reconcile`` (reconciliation); until it is installed
the page validates the day and says "未启用"."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from hisbridge.console.optional import optional_module
from hisbridge.web.console.common import require
from hisbridge.web.console.forms import Checked
from hisbridge.web.console.render import page

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


@router.get("/console/reconcile")
def reconcile_page(request: Request) -> Response:
    require(request, "view_reconcile")
    q = Checked(request.query_params)
    day = q.day("date", "日期 date")
    installed = optional_module("hisbridge.reconcile") is not None
    return page(request, "reconcile.html", 400 if q.problems else 200, problems=q.problems,
                day=day.isoformat() if day else "", installed=installed)
