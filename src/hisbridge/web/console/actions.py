"""``/console/actions``: who did what in the console (auditor/admin)."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import Response

from hisbridge.ops.actions import list_actions
from hisbridge.ops.scope import within
from hisbridge.web.console.common import require
from hisbridge.web.console.forms import Checked
from hisbridge.web.console.render import page

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


@router.get("/console/actions")
async def actions_page(request: Request) -> Response:
    who = require(request, "view_actions")
    q = Checked(request.query_params)
    user = q.text("user", "用户 user", 64)
    action = q.text("action", "操作 action", 64)
    names = None
    if who.institutions:  # a scoped viewer sees the actions of the users within its scope
        users = await asyncio.to_thread(request.app.state.console.users.all)
        names = [u.name for u in users if within(u.institutions, who.institutions)]
    rows = await asyncio.to_thread(list_actions, request.app.state.engine, action=action,
                                   user_name=user, user_names=names)
    return page(request, "actions.html", 400 if q.problems else 200, rows=rows,
                problems=q.problems, f={"user": user or "", "action": action or ""})
