"""``/console/consents``: placeholder until its data is installed."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from hisbridge.web.console.common import NotConfigured, require

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


@router.get("/console/consents")
def consents_page(request: Request) -> Response:
    require(request, "view_consents")
    raise NotConfigured("hisbridge.store.schema.consent")
