"""``/console/users``: the console's users; an admin adds users and changes roles here."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from hisbridge.ops.roles import ROLE_LABELS
from hisbridge.ops.users import UserError
from hisbridge.web.console.common import checked_form, log_action, require
from hisbridge.web.console.render import page

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


async def _page(request: Request, status: int = 200, problems: list[str] | None = None,
                notice: str | None = None) -> Response:
    users = await asyncio.to_thread(request.app.state.console.users.all)
    return page(request, "users.html", status, users=users, roles=ROLE_LABELS,
                problems=problems or [], notice=notice)


@router.get("/console/users")
async def users_page(request: Request) -> Response:
    require(request, "manage_users")
    done = request.query_params.get("added", "")
    return await _page(request, notice=f"已添加 added: {done}" if done.isalnum() else None)


@router.post("/console/users")
async def add_user(request: Request) -> Response:
    """Add a user (admin); problems come back on the page, the password never does."""
    who, form = await checked_form(request, "manage_users")
    name, role = form.get("name", "").strip(), form.get("role", "")
    users = request.app.state.console.users
    try:
        await asyncio.to_thread(users.add, name, role, form.get("password", ""))
    except UserError as exc:
        return await _page(request, 400, [str(exc)])
    await log_action(request, who, "users.add", {"name": name, "role": role}, "ok")
    return RedirectResponse(f"/console/users?added={name}", 303)
