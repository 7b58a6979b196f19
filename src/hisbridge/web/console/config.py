"""``/console/config``: the settings in force, every secret shown as ``******``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from hisbridge.ops.masking import masked_settings
from hisbridge.web.console.common import require
from hisbridge.web.console.render import page

__all__ = ["flatten", "router"]

router = APIRouter(include_in_schema=False)


def flatten(tree: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    """``{"a": {"b": 1}}`` -> ``[("a.b", 1)]``, lists shown whole."""
    rows: list[tuple[str, Any]] = []
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            rows.extend(flatten(value, name + "."))
        else:
            rows.append((name, value))
    return rows


@router.get("/console/config")
def config_view(request: Request) -> Response:
    require(request, "view_config")
    tree = masked_settings(request.app.state.settings)
    sections = [(name, flatten(value) if isinstance(value, dict) else [(name, value)])
                for name, value in tree.items()]
    return page(request, "config.html", sections=sections)
