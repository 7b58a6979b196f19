"""``/console/config``: the settings in force, every secret shown as ``******``."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from hisbridge.ops.config import config_sections
from hisbridge.web.console.common import require
from hisbridge.web.console.render import page

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


@router.get("/console/config")
def config_view(request: Request) -> Response:
    require(request, "view_config")
    return page(request, "config.html", sections=config_sections(request.app.state.settings))
