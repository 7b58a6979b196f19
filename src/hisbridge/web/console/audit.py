"""``/console/audit``: who viewed which records (auditor/admin): filter, CSV export, and the
hash-chain check of the whole log."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import Iterator
from datetime import tzinfo
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse

from hisbridge.ops.audit import (
    AUDIT_COLUMNS,
    AuditFilter,
    audit_installed,
    audit_rows,
    iter_audit,
    verify_audit,
)
from hisbridge.privacy import scrub
from hisbridge.store.scope import InstitutionScope
from hisbridge.web.console.common import NotConfigured, log_action, require
from hisbridge.web.console.forms import Checked
from hisbridge.web.console.render import display_zone, page
from hisbridge.web.console.scope import reader_scope

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
_FIELDS = ("action", "actor", "category", "outcome", "from", "to", "institution")


def _filter(values: Any, zone: tzinfo, scope: InstitutionScope) -> tuple[AuditFilter, Checked]:
    q = Checked(values, zone=zone)
    f = AuditFilter(q.text("action", "操作 action", 40), q.text("actor", "操作人 actor", 64),
                    q.text("category", "类别 category", 32), q.text("outcome", "结果 outcome", 32),
                    q.moment("from", "起 from"), q.moment("to", "止 to", end_of_day=True), scope)
    return f, q


def _algorithm(request: Request) -> str:
    """The audit log's hash (``gdhealth.audit_hash``: sm3 or sha256)."""
    section = getattr(request.app.state.settings, "gdhealth", None)
    return str(getattr(section, "audit_hash", None) or "sm3")


@router.get("/console/audit")
async def audit_page(request: Request) -> Response:
    who = require(request, "view_audit")
    f, q = _filter(request.query_params, display_zone(request), reader_scope(request))
    engine = request.app.state.engine
    found = await asyncio.to_thread(audit_rows, engine, f if not q.problems else AuditFilter(scope=f.scope))
    if found is None:
        raise NotConfigured("hisbridge.store.schema.audit")
    verified = None
    if request.query_params.get("verify") == "1" and f.scope.everything:  # the whole chain
        verified = await asyncio.to_thread(verify_audit, engine, _algorithm(request))
        await log_action(request, who, "audit.verify", {}, {"result": verified})
    shown = {k: request.query_params.get(k, "")[:64] for k in _FIELDS}
    export = "/console/audit.csv?" + str(request.query_params).replace("verify=1", "")
    return page(request, "audit.html", 400 if q.problems else 200, rows=found[0], total=found[1],
                verified=verified, problems=q.problems, f=shown, export=export)


def _csv(rows: Iterator[dict[str, Any]]) -> Iterator[str]:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(AUDIT_COLUMNS)
    yield "\ufeff" + out.getvalue()
    for row in rows:
        out.seek(0)
        out.truncate()
        writer.writerow([scrub(str(row[c])) if c == "detail" else row[c] for c in AUDIT_COLUMNS])
        yield out.getvalue()


@router.get("/console/audit.csv")
async def audit_csv(request: Request) -> Response:
    """The matching entries as CSV (UTF-8 with BOM so that Excel opens Chinese correctly)."""
    who = require(request, "export_audit")
    f, q = _filter(request.query_params, display_zone(request), reader_scope(request))
    if q.problems:
        return page(request, "message.html", 400, title="bad_input", detail="bad_input")
    if not audit_installed():
        raise NotConfigured("hisbridge.store.schema.audit")
    asked = {k: request.query_params.get(k, "") for k in _FIELDS}
    await log_action(request, who, "audit.export", asked, "ok")
    rows = iter_audit(request.app.state.engine, f)
    return StreamingResponse(_csv(rows), media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": 'attachment; filename="audit-log.csv"'})
