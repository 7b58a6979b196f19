"""Old route names, answered with a permanent redirect to the new one (308: method, body and
query kept), so a HIS, a bookmark or a link already handed out keeps working.

One name per concept: the front-end's warning messages are ``warnings`` (``alerts`` is only the
operators' health alerts, ``/console/alerts``), other institutions' documents shared with us
under a patient's consent are ``shared`` (``records`` is only our own outgoing records, the
``records`` table and ``/console/records``).

A renamed prefix covers the path itself and everything under it: ``/api/v1/records/C1/index``
goes to ``/api/v1/shared/C1/index``. The query string is passed on untouched: a signed
workstation link (``hisbridge.web.signing``) signs the query only, not the path, so a link
signed for the old path verifies after the redirect. The ``Location`` is relative, so it stays
right behind a reverse proxy that serves the gateway under a sub-path. The console's gate treats
an old path as its new one (``with_old_names``): it is refused or let through exactly as the
new path would be, and only then redirected.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse

__all__ = ["RENAMED", "mount", "new_path", "with_old_names"]

RENAMED: tuple[tuple[str, str], ...] = (
    ("/api/v1/messages", "/api/v1/warnings"),
    ("/api/v1/records", "/api/v1/shared"),
    ("/ws/alerts", "/ws/warnings"),
    ("/ws/static/alerts.js", "/ws/static/warnings.js"),
    ("/ws/static/alerts.css", "/ws/static/warnings.css"),
    ("/ws/records", "/ws/shared"),
)
"""(old prefix, new prefix), each a whole path or the start of one (up to a ``/``)."""

_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + "/")


def new_path(path: str) -> str | None:
    """The current name of an old ``path`` (raw or decoded), or None if it was not renamed."""
    for old, new in RENAMED:
        if _under(path, old):
            return new + path[len(old):]
    return None


def with_old_names(prefixes: Iterable[str]) -> tuple[str, ...]:
    """``prefixes`` plus the other name of each renamed one, so that a setting listing either
    name guards both (a hospital's own list may still name the old routes)."""
    given = [p.rstrip("/") or p for p in prefixes]
    more = [b for a, b in RENAMED + tuple((n, o) for o, n in RENAMED) if a in given]
    return tuple(dict.fromkeys([*given, *more]))


def relative_location(path: str, target: str) -> str:
    """``target`` (an absolute path) as a reference relative to ``path``."""
    return "../" * (path.count("/") - 1) + target.lstrip("/")


async def _redirect(request: Request) -> RedirectResponse:
    raw = request.scope.get("raw_path")
    path = raw.decode("latin-1") if isinstance(raw, bytes) else quote(request.url.path)
    path = path.split("?", 1)[0]
    target = new_path(path) or request.url.path
    query = request.url.query
    location = relative_location(path, target) + (f"?{query}" if query else "")
    return RedirectResponse(location, status_code=308)


def mount(app: FastAPI) -> None:
    """Add a redirect for each old name (before the routes and static mounts of the new ones)."""
    for old, _ in RENAMED:
        for route in (old, old + "/{rest:path}"):
            app.add_api_route(route, _redirect, methods=_METHODS, include_in_schema=False)
