"""``/console/records``: search by patient id, visit serial number, table, state and time;
``/console/records/{table}/{id}``: a record's versions, sends with replies, and relatives."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import Response

from hisbridge.dictionary import load_dictionary
from hisbridge.errors import SpecError
from hisbridge.ops.optional import optional_table
from hisbridge.ops.records import Found, RecordQuery, find_records, read_story
from hisbridge.ops.scope import OutOfScope
from hisbridge.store.scope import InstitutionScope
from hisbridge.web.console.common import NotConfigured, require
from hisbridge.web.console.forms import Checked
from hisbridge.web.console.render import display_zone, page
from hisbridge.web.console.scope import reader_scope
from hisbridge.web.console.tables import STATES, table_choices, table_names

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
_FIELDS = ("table", "record_id", "patient_id", "serial_number", "state", "from", "to")


def _installed() -> None:
    if optional_table("outbox", "records") is None:
        raise NotConfigured("hisbridge.store.schema.outbox")


def _query(q: Checked, scope: InstitutionScope) -> RecordQuery:
    found = RecordQuery(
        table=q.choice("table", "表 table", table_names()),
        record_id=q.text("record_id", "记录 ID record id"),
        patient_id=q.text("patient_id", "患者 ID patient id", 64),
        serial_number=q.text("serial_number", "就诊流水号 visit serial number", 64),
        state=q.choice("state", "状态 state", STATES),
        since=q.moment("from", "起 from"), until=q.moment("to", "止 to", end_of_day=True),
        scope=scope)
    if found.since and found.until and found.since > found.until:
        q.problems.append("起始时间晚于结束时间 'from' is after 'to'")
    return found


@router.get("/console/records")
async def records_page(request: Request) -> Response:
    require(request, "view_records")
    _installed()
    q = Checked(request.query_params, zone=display_zone(request))
    query = _query(q, reader_scope(request))
    searched = any(request.query_params.get(k) for k in _FIELDS)
    rows: list[Found] = []
    more = False
    if searched and not q.problems:
        rows, more = await asyncio.to_thread(find_records, request.app.state.engine, query)
    lang = request.cookies.get("hb_lang", "zh")
    shown = {k: request.query_params.get(k, "")[:64] for k in _FIELDS}
    return page(request, "records.html", 400 if q.problems else 200, rows=rows, more=more,
                searched=searched and not q.problems, problems=q.problems, f=shown,
                tables=table_choices(lang), states=STATES)


@router.get("/console/records/{table}/{record_id:path}")
async def record_page(request: Request, table: str, record_id: str) -> Response:
    require(request, "view_records")
    _installed()
    if table not in table_names() or not 0 < len(record_id) <= 128:
        return page(request, "message.html", 404, title="notfound", detail="notfound")
    engine, scope = request.app.state.engine, reader_scope(request)
    try:
        story = await asyncio.to_thread(read_story, engine, table, record_id, scope)
        if story is None and not scope.everything \
                and await asyncio.to_thread(read_story, engine, table, record_id) is not None:
            raise OutOfScope(f"记录不在您的机构范围内 record outside your institutions: {table}")
    except SpecError:
        story = None
    if story is None:
        return page(request, "message.html", 404, title="notfound", detail="notfound")
    labels = {f.name: f.label_zh for f in load_dictionary().table(table).fields}
    return page(request, "record.html", story=story, labels=labels)
