"""``/console/reconcile``: pick a day; per table what the HIS has vs what the store did, and
resend what is missing.

With the HIS extraction wired on the app (``AppServices.poller``, a ``SqlPoller``) the page
shows ``hisbridge.sources.reconcile.reconcile_day``: HIS keys, accepted, delivered, pending,
dead, quarantined, missing (with the first missing keys), and *resend* (operator/admin,
confirmed, action-logged) calls ``hisbridge.sources.reconcile.resend``: re-extract the day and
replay the dead. Without it the page shows the store's side only (``hisbridge.ops.reconcile``)
and the HIS column says "未启用"; the dead are then resent
through the dead-letter page.
"""

from __future__ import annotations

import asyncio
from datetime import date, tzinfo
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from hisbridge.ops.optional import optional_table
from hisbridge.ops.reconcile import day_report
from hisbridge.ops.scope import OutOfScope
from hisbridge.sources.reconcile import DELETES_COMMAND
from hisbridge.store.scope import InstitutionScope
from hisbridge.web.console.common import NotConfigured, checked_form, log_action, require
from hisbridge.web.console.forms import Checked
from hisbridge.web.console.render import page
from hisbridge.web.console.scope import reader_scope
from hisbridge.web.console.tables import table_names
from hisbridge.web.services import services_of

if TYPE_CHECKING:
    from hisbridge.sources.sql_poll import SqlPoller

__all__ = ["poller_of", "router"]

router = APIRouter(include_in_schema=False)


def poller_of(request: Request) -> SqlPoller | None:
    """The HIS poller the app runs with, if any."""
    return services_of(request.app).poller


def _day(request: Request, q: Checked) -> date:
    today: date = request.app.state.clock.now().astimezone(_zone(request)).date()
    return q.day("date", "日期 date") or today


def _his_side(poller: Any, engine: Any, day: date) -> tuple[list[Any], dict[str, int]]:
    from hisbridge.sources.reconcile import reconcile_day, totals

    lines = reconcile_day(poller, engine, day)
    return lines, totals(lines)


def _zone(request: Request) -> tzinfo:
    """Reconciliation days are the hospital's calendar days (``his.timezone``)."""
    return request.app.state.settings.his.zone()  # type: ignore[no-any-return]


def _store_side(engine: Any, day: date, zone: tzinfo,
                scope: InstitutionScope) -> tuple[list[Any], dict[str, int]]:
    lines = [ln for ln in day_report(engine, day, zone, scope) if ln.accepted or ln.dead]
    names = ("accepted", "delivered", "in_flight", "dead")
    return lines, {k: sum(getattr(ln, k) for ln in lines) for k in names}


@router.get("/console/reconcile")
async def reconcile_page(request: Request) -> Response:
    require(request, "view_reconcile")
    if optional_table("outbox", "records") is None:
        raise NotConfigured("hisbridge.store.schema.outbox")
    q = Checked(request.query_params)
    day, poller, engine = _day(request, q), poller_of(request), request.app.state.engine
    scope = reader_scope(request)
    if not scope.everything:
        poller = None  # the HIS side is the whole HIS's: an institution sees its store side
    if poller is not None:
        lines, sums = await asyncio.to_thread(_his_side, poller, engine, day)
    else:
        lines, sums = await asyncio.to_thread(_store_side, engine, day, _zone(request), scope)
    done = request.query_params.get("requeued", "")
    notice = f"已重新排队 re-queued: {done}" if done.isdigit() else None
    return page(request, "reconcile.html", 400 if q.problems else 200, problems=q.problems,
                day=day.isoformat(), lines=lines, totals=sums, his=poller is not None, notice=notice,
                deletes_command=DELETES_COMMAND.format(day=day.isoformat()))


@router.post("/console/reconcile/resend")
async def resend_missing(request: Request) -> Response:
    """Re-extract the day's missing keys and replay the dead of one table (operator/admin)."""
    who, form = await checked_form(request, "resend")
    if not reader_scope(request, form).everything:
        # re-extracting a day re-reads the whole HIS: only a user of every institution may
        raise OutOfScope("重新抽取涉及全部机构 resend re-extracts every institution's day")
    q = Checked(form)
    table, day = q.choice("table", "表 table", table_names()), q.day("date", "日期 date")
    poller = poller_of(request)
    if poller is None:
        raise NotConfigured("hisbridge.sources.reconcile (HIS extraction)")
    if table is None or day is None:
        q.problems.append("请选择表和日期 choose a table and a day")
        return page(request, "message.html", 400, title="bad_input", detail="bad_input")
    count = await asyncio.to_thread(_resend, poller, request.app.state.engine, day, table,
                                    request.app.state.clock.now())
    await log_action(request, who, "reconcile.resend", {"table": table, "date": day.isoformat()},
                     {"requeued": count})
    return RedirectResponse(f"/console/reconcile?date={day.isoformat()}&requeued={count}", 303)


def _resend(poller: Any, engine: Any, day: date, table: str, now: Any) -> int:
    from hisbridge.sources.reconcile import reconcile_day, resend

    line = reconcile_day(poller, engine, day, [table])[0]
    wanted = line.missing or line.dead or line.frontend_only
    return int(resend(poller, engine, day, line, now)) if wanted else 0
