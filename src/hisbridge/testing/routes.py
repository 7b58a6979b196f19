"""Every route of an app as (method, concrete path), for tests that walk the whole gateway."""

from __future__ import annotations

import re
from typing import Any

from starlette.routing import Mount, Route

__all__ = ["walk_routes"]


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x1", path)


def walk_routes(routes: list[Any], prefix: str = "") -> list[tuple[str, str]]:
    """(method, concrete path) of every route, descending into included routers and mounts."""
    found = []
    for route in routes:
        inner = getattr(route, "original_router", None)  # FastAPI's included routers
        if inner is not None:
            found.extend(walk_routes(inner.routes,
                                     prefix + getattr(route.include_context, "prefix", "")))
        elif isinstance(route, Mount):
            found.append(("GET", prefix + _concrete(route.path) + "/anything"))
        elif isinstance(route, Route) or hasattr(route, "methods"):
            for method in sorted(getattr(route, "methods", None) or {"GET"}):
                if method != "HEAD":
                    found.append((method, prefix + _concrete(route.path)))
    return found
