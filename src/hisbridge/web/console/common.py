"""What every console route needs: the user with a permission, a CSRF-checked form, the log."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from fastapi import Request

from hisbridge.errors import ConfigError, Terminal
from hisbridge.ops.actions import record_action
from hisbridge.ops.roles import GATEWAY_WIDE, Permission, allowed
from hisbridge.ops.sessions import Principal, same_token
from hisbridge.web.console.render import principal_of
from hisbridge.web.console.scope import reader_scope

__all__ = ["CsrfRejected", "Forbidden", "NotConfigured", "checked_form", "log_action", "require"]


class Forbidden(Terminal):
    """The user's role may not do this (rendered as a 403 page)."""

    def __init__(self, permission: str) -> None:
        super().__init__(str(permission))


class CsrfRejected(Terminal):
    """A form came without this session's CSRF token (rendered as a 403 page)."""


class NotConfigured(ConfigError):
    """The component a page needs is not installed (rendered as an explained page)."""


def require(request: Request, permission: Permission) -> Principal:
    """The logged-in user, if their role has ``permission`` (and, for a page about the whole
    gateway, if they see every institution); ``Forbidden`` otherwise."""
    who = principal_of(request)
    if who is None or not allowed(who.role, permission):
        raise Forbidden(permission)
    if who.institutions and permission in GATEWAY_WIDE:
        raise Forbidden(permission)
    reader_scope(request)  # a filter outside the user's institutions: OutOfScope, on every page
    return who


async def checked_form(request: Request, permission: Permission) -> tuple[Principal, Mapping[str, str]]:
    """The user (with ``permission``) and the posted form, after checking its CSRF token."""
    who = require(request, permission)
    try:
        form = await request.form()
    except Exception as exc:  # malformed multipart bodies and the like
        raise CsrfRejected("unreadable form") from exc
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    if not same_token(who.csrf_token, values.get("csrf")):
        raise CsrfRejected("csrf")
    reader_scope(request, values)
    return who, values


async def log_action(request: Request, who: Principal, action: str, target: Any, outcome: Any) -> None:
    """Write what ``who`` did to the console's action log."""
    engine = request.app.state.engine
    now = request.app.state.clock.now()
    remote = request.client.host if request.client else None
    await asyncio.to_thread(record_action, engine, at=now, user_name=who.name, role=who.role,
                            action=action, target=target, outcome=outcome, remote=remote)
