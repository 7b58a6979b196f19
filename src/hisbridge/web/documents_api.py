"""``/api/v1/shared/{consentId}/...``: documents other institutions share with us, behind a
patient's current grant (formerly ``/api/v1/records/...``, which redirects here with a 308).

Every call re-checks the grant (a revocation stops the very next fetch) and is audited. The
acting user is named in the query (``userId``, ``userName``, ``role``, ``deptCode``), and on a
gateway serving several institutions their institution (``orgCode``): a grant made to another
institution is refused with 403, and the refusal audited.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Query, Request

from hisbridge.sharing.consent.errors import ConsentProblem
from hisbridge.sharing.consent.model import Operator
from hisbridge.sharing.consent.platform import IndexFilter
from hisbridge.sharing.documents.service import DocumentService
from hisbridge.web.consents_api import require_token
from hisbridge.web.services import services_of

__all__ = ["document_service", "mount", "operator_from"]

_CATEGORIES = {"VISIT", "LAB", "EXAM", "PHYSICAL_EXAM", "BLOOD", "VACCINATION"}


def document_service(request: Request, org_code: str | None = None) -> DocumentService:
    """The record service of the institution the call names (``org_code``, else the query's
    ``orgCode``; see ``consents_api``); 503 when record sharing is not wired."""
    group = services_of(request.app).sharing
    if group is not None:
        return group.pick(org_code or request.query_params.get("orgCode")).documents
    found = getattr(request.app.state, "documents", None)
    if found is None:
        raise ConsentProblem("DISABLED", "未启用健康档案互通服务 gdhealth services not wired", status=503)
    return found  # type: ignore[no-any-return]


def operator_from(request: Request, user_id: str, user_name: str, role: str, dept_code: str) -> Operator:
    addr = request.client.host if request.client else ""
    return Operator(user_id, user_name, role, dept_code, client_addr=addr)


def parse_categories(raw: str | None) -> tuple[str, ...]:
    """``LAB,EXAM`` -> ("LAB", "EXAM"); unknown names are a 422 naming the allowed ones."""
    if not raw:
        return ()
    wanted = tuple(c.strip().upper() for c in raw.split(",") if c.strip())
    unknown = [c for c in wanted if c not in _CATEGORIES]
    if unknown:
        raise ConsentProblem(
            "BAD_CATEGORY",
            f"未知的档案类别 unknown category: {','.join(unknown)}",
            status=422,
            hint="可用 / allowed: " + ",".join(sorted(_CATEGORIES)),
        )
    return wanted


def mount(app: FastAPI) -> None:
    router = APIRouter(tags=["shared"])

    @router.get("/api/v1/shared/{consent_id}/index")
    async def index(
        consent_id: str,
        request: Request,
        userId: Annotated[str, Query(min_length=1)],
        userName: str = "",
        role: str = "DOCTOR",
        deptCode: str = "",
        category: str | None = None,
        orgCode: Annotated[str | None, Query(max_length=50)] = None,
        from_: Annotated[date | None, Query(alias="from")] = None,
        to: date | None = None,
    ) -> dict[str, Any]:
        require_token(request)
        flt = IndexFilter(parse_categories(category), from_, to)
        operator = operator_from(request, userId, userName, role, deptCode)
        entries = await document_service(request, orgCode).index(consent_id, operator, flt)
        return {
            "consentId": consent_id,
            "total": len(entries),
            "items": [e.public() for e in entries],
        }

    @router.get("/api/v1/shared/{consent_id}/documents/{doc_id}")
    async def document(
        consent_id: str,
        doc_id: str,
        request: Request,
        userId: Annotated[str, Query(min_length=1)],
        userName: str = "",
        role: str = "DOCTOR",
        deptCode: str = "",
        orgCode: Annotated[str | None, Query(max_length=50)] = None,
    ) -> dict[str, Any]:
        require_token(request)
        operator = operator_from(request, userId, userName, role, deptCode)
        found = await document_service(request, orgCode).document(consent_id, doc_id, operator)
        return found.public()

    app.include_router(router)
