"""Console helpers for tests and demos: one user per role, and logging in through the form."""

from __future__ import annotations

import re

import httpx
from sqlalchemy import Engine

from hisbridge._clock import Clock, system_clock
from hisbridge.ops.settings import Argon2Settings
from hisbridge.ops.users import UserStore

__all__ = ["FAST_ARGON2", "ROLE_USERS", "add_role_users", "csrf_of", "login"]

# Cheap argon2id parameters for tests: pass ``console={"argon2": FAST_ARGON2}`` to the settings
# of the app under test as well, or its first login upgrades the hash to the expensive default.
FAST_ARGON2 = {"time_cost": 1, "memory_kib": 1024, "parallelism": 1}

# name -> (role, password); synthetic, for tests and the demo only.
ROLE_USERS: dict[str, tuple[str, str]] = {
    "admin1": ("admin", "admin-pass-2026"),
    "operator1": ("operator", "operator-pass-2026"),
    "auditor1": ("auditor", "auditor-pass-2026"),
}
_CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')


def add_role_users(engine: Engine, clock: Clock = system_clock) -> dict[str, tuple[str, str]]:
    """Add ``ROLE_USERS`` to a migrated store (skipping those already there)."""
    users = UserStore(engine, clock=clock, argon2=Argon2Settings(**FAST_ARGON2))
    for name, (role, password) in ROLE_USERS.items():
        if users.get(name) is None:
            users.add(name, role, password)
    return ROLE_USERS


def csrf_of(html: str) -> str:
    """The CSRF token of the first form on a console page."""
    found = _CSRF_RE.search(html)
    if found is None:
        raise AssertionError("no CSRF token on the page")
    return found.group(1)


async def login(client: httpx.AsyncClient, name: str, password: str | None = None) -> str:
    """Log ``client`` in through the login form; returns the session's CSRF token."""
    password = password if password is not None else ROLE_USERS[name][1]
    client.cookies.clear()  # a fresh login, whoever was logged in before
    form = await client.get("/console/login")
    reply = await client.post("/console/login", data={
        "user": name, "password": password, "csrf": csrf_of(form.text), "next": "/console/"})
    if reply.status_code != 303:
        raise AssertionError(f"login of {name} failed: {reply.status_code}")
    page = await client.get("/console/config" if ROLE_USERS.get(name, ("",))[0] != "auditor"
                            else "/console/actions")
    return csrf_of(page.text)
