"""``/console/users``: the console's users; an admin adds users, changes their institution scope.

An admin scoped to institutions manages only users within its scope: it sees them, adds them
(always scoped, within its own institutions) and changes their scope; any other name answers
404 like an entry of another institution (``scope.refused`` in the action log).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from hisbridge.ops.roles import ROLE_LABELS
from hisbridge.ops.scope import OutOfScope, within
from hisbridge.ops.sessions import Principal
from hisbridge.ops.users import User, UserError
from hisbridge.web.console.common import checked_form, log_action, require
from hisbridge.web.console.render import page
from hisbridge.web.console.scope import served

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


def _codes(text: str) -> list[str]:
    return [c.strip() for c in text.replace("，", ",").split(",") if c.strip()]


async def _managed(request: Request, who: Principal) -> list[User]:
    users = await asyncio.to_thread(request.app.state.console.users.all)
    return [u for u in users if within(u.institutions, who.institutions)]


async def _page(request: Request, who: Principal, status: int = 200,
                problems: list[str] | None = None, notice: str | None = None) -> Response:
    return page(request, "users.html", status, users=await _managed(request, who), roles=ROLE_LABELS,
                problems=problems or [], notice=notice, served=served(request))


def _check_scope(request: Request, who: Principal, codes: Sequence[str]) -> None:
    """A scoped admin gives only its own institutions, and always some."""
    if not within(codes, who.institutions):
        raise OutOfScope(f"机构不在您的范围内 institutions outside your scope: {','.join(codes)}")


@router.get("/console/users")
async def users_page(request: Request) -> Response:
    who = require(request, "manage_users")
    done = request.query_params.get("added", "")
    return await _page(request, who, notice=f"已添加 added: {done}" if done.isalnum() else None)


@router.post("/console/users")
async def add_user(request: Request) -> Response:
    """Add a user (admin); problems come back on the page, the password never does."""
    who, form = await checked_form(request, "manage_users")
    name, role = form.get("name", "").strip(), form.get("role", "")
    codes = _codes(form.get("institutions", ""))
    _check_scope(request, who, codes)
    users = request.app.state.console.users
    try:
        await asyncio.to_thread(users.add, name, role, form.get("password", ""), codes)
    except UserError as exc:
        return await _page(request, who, 400, [str(exc)])
    await log_action(request, who, "users.add", {"name": name, "role": role, "institutions": codes}, "ok")
    return RedirectResponse(f"/console/users?added={name}", 303)


@router.post("/console/users/institutions")
async def set_institutions(request: Request) -> Response:
    """Change a user's institution scope (admin, within its own); its sessions end."""
    who, form = await checked_form(request, "manage_users")
    name, codes = form.get("name", "").strip(), _codes(form.get("institutions", ""))
    managed = {u.name for u in await _managed(request, who)}
    if name not in managed:
        raise OutOfScope(f"用户不在您的范围内 user outside your scope: {name}")
    _check_scope(request, who, codes)
    await asyncio.to_thread(request.app.state.console.users.set_institutions, name, codes)
    await asyncio.to_thread(request.app.state.console.sessions.end_all, name)
    await log_action(request, who, "users.institutions", {"name": name, "institutions": codes}, "ok")
    return RedirectResponse("/console/users", 303)
