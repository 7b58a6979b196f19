"""``/console/dead``: dead letters by filter, a preview count, and replay with confirmation.

Replay (operator/admin) asks the outbox to replay exactly the filter shown; the browser
confirms the previewed count first, and the request, its filter and its result are written
to the console's action log (and the outbox's own ``replays`` table).
"""

from __future__ import annotations

import asyncio
from datetime import tzinfo
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from hisbridge.ops.dead import DeadFilter, list_dead, list_dead_webhooks
from hisbridge.store import queries
from hisbridge.store.scope import InstitutionScope
from hisbridge.web.console.common import checked_form, log_action, require
from hisbridge.web.console.forms import Checked
from hisbridge.web.console.render import display_zone, page
from hisbridge.web.console.scope import reader_scope
from hisbridge.web.console.tables import table_choices, table_names

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
_FIELDS = ("table", "error_code", "from", "to")
_KEPT = (*_FIELDS, "institution")


def _filter(values: Any, zone: tzinfo, scope: InstitutionScope) -> tuple[DeadFilter, Checked]:
    q = Checked(values, zone=zone)
    f = DeadFilter(q.choice("table", "表 table", table_names()),
                   q.text("error_code", "错误码 error code", 16),
                   q.moment("from", "起 from"), q.moment("to", "止 to", end_of_day=True), scope)
    if f.since and f.until and f.since > f.until:
        q.problems.append("起始时间晚于结束时间 'from' is after 'to'")
    return f, q


def _dead_of(table: str, f: DeadFilter) -> queries.ReplayFilter:
    """The outbox's replay filter for the dead letters of ``table`` that ``f`` shows."""
    return queries.ReplayFilter(table=table, state="dead", since=f.since, until=f.until,
                                error_code=f.error_code, scope=f.scope)


def _preview(request: Request, table: str, f: DeadFilter) -> queries.ReplayResult:
    state = request.app.state
    return queries.replay(state.engine, _dead_of(table, f), state.clock.now(), dry_run=True)


@router.get("/console/dead")
async def dead_page(request: Request) -> Response:
    require(request, "view_dead")
    scope = reader_scope(request)
    f, q = _filter(request.query_params, display_zone(request), scope)
    shown = {k: request.query_params.get(k, "") for k in _FIELDS}
    if q.problems:
        f, shown = DeadFilter(scope=scope), dict.fromkeys(_FIELDS, "")
    rows, total, codes = await asyncio.to_thread(list_dead, request.app.state.engine, f)
    preview = await asyncio.to_thread(_preview, request, f.table, f) if f.table else None
    hooks = await asyncio.to_thread(list_dead_webhooks, request.app.state.engine, scope)
    done = {k: request.query_params.get(k, "") for k in ("replayed", "superseded")}
    lang = request.cookies.get("hb_lang", "zh")
    return page(request, "dead.html", 400 if q.problems else 200, rows=rows, total=total, codes=codes,
                preview=preview, problems=q.problems, f=shown, tables=table_choices(lang),
                done=done if done["replayed"].isdigit() else None, hooks=hooks)


@router.post("/console/dead/replay")
async def replay(request: Request) -> Response:
    """Replay the dead letters of the posted filter, if the previewed count still holds."""
    who, form = await checked_form(request, "replay")
    f, q = _filter(form, display_zone(request), reader_scope(request, form))
    if not f.table:
        q.problems.append("请选择要重发的表 choose the table to replay")
    if q.problems or not f.table:
        rows, total, codes = await asyncio.to_thread(list_dead, request.app.state.engine,
                                                     DeadFilter(scope=f.scope))
        return page(request, "dead.html", 400, rows=rows, total=total, codes=codes, preview=None,
                    problems=q.problems, f=dict.fromkeys(_FIELDS, ""), tables=table_choices("zh"), done=None)
    result = await asyncio.to_thread(queries.replay, request.app.state.engine, _dead_of(f.table, f),
                                     request.app.state.clock.now(), requested_by=f"console:{who.name}")
    await log_action(request, who, "dead.replay", {k: form.get(k, "") for k in _KEPT}, result.as_dict())
    back = {k: form.get(k, "") for k in _KEPT if form.get(k)}
    back.update(replayed=str(result.replayed), superseded=str(result.superseded))
    return RedirectResponse("/console/dead?" + urlencode(back), 303)
