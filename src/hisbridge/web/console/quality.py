"""``/console/quality``: violations by table/field/rule with masked examples; unmapped codes
per code set with counts, and a CSV export to fill the code maps."""

from __future__ import annotations

import asyncio
import csv
import io

from fastapi import APIRouter, Request
from fastapi.responses import Response

from hisbridge.ops.optional import optional_table
from hisbridge.ops.quality import group_violations, unmapped_codes
from hisbridge.store.held import held_records
from hisbridge.web.console.common import NotConfigured, require
from hisbridge.web.console.forms import Checked
from hisbridge.web.console.render import display_zone, page
from hisbridge.web.console.scope import reader_scope
from hisbridge.web.console.tables import table_choices, table_names

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
HELD_SHOWN = 500


@router.get("/console/quality")
async def quality_page(request: Request) -> Response:
    require(request, "view_quality")
    if optional_table("outbox", "quarantine") is None:
        raise NotConfigured("hisbridge.store.schema.outbox")
    q = Checked(request.query_params, zone=display_zone(request))
    table = q.choice("table", "表 table", table_names())
    since, until = q.moment("from", "起 from"), q.moment("to", "止 to", end_of_day=True)
    engine, scope = request.app.state.engine, reader_scope(request)
    groups, scanned = await asyncio.to_thread(group_violations, engine, table=table, since=since,
                                              until=until, scope=scope)
    codes = await asyncio.to_thread(unmapped_codes, engine)
    held = await asyncio.to_thread(held_records, engine, table, scope=scope)
    lang = request.cookies.get("hb_lang", "zh")
    shown = {k: request.query_params.get(k, "")[:32] for k in ("table", "from", "to")}
    return page(request, "quality.html", 400 if q.problems else 200, groups=groups, scanned=scanned,
                codes=codes, held=held[:HELD_SHOWN], problems=q.problems, f=shown, tables=table_choices(lang))


@router.get("/console/quality/unmapped.csv")
async def unmapped_csv(request: Request) -> Response:
    """Unmapped codes as CSV. With ``code_set``: in the code-map format
    (``codemaps/<code_set>.csv``: hospital_code, standard_code, standard_label) with the standard
    columns empty, ready to fill in and append; without: every code set with counts."""
    require(request, "export_codes")
    q = Checked(request.query_params, zone=display_zone(request))
    code_set = q.text("code_set", "值域 code set", 64)
    if q.problems:
        return page(request, "message.html", 400, title="bad_input", detail="bad_input")
    codes = await asyncio.to_thread(unmapped_codes, request.app.state.engine, code_set)
    if codes is None:
        raise NotConfigured("hisbridge.store.schema.sources")
    out = io.StringIO()
    writer = csv.writer(out)
    if code_set:
        writer.writerow(["hospital_code", "standard_code", "standard_label"])
        writer.writerows([u.code, "", ""] for u in codes if u.outcome != "generalised")
    else:
        writer.writerow(["code_set", "hospital_code", "count", "table", "column", "standard_code",
                         "standard_label", "outcome", "mapped_to"])
        writer.writerows([u.code_set, u.code, u.count, u.table or "", u.field or "", "", "",
                          u.outcome, u.mapped_to or ""] for u in codes)
    name = f"{code_set}.csv" if code_set else "unmapped-codes.csv"
    return Response("\ufeff" + out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
