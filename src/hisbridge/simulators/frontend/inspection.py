"""``/sim/...``: inspection and fault control for tests and demos (not part of the real API).

``GET /sim/tables`` row counts, ``GET /sim/tables/{table}/{id}`` one stored row,
``GET /sim/requests?limit=&after=`` the request log, ``GET /sim/messages?limit=&after=`` the
messages, ``GET /sim/messages/summary`` messages per type, ``POST /sim/reset``,
``GET|POST /sim/faults``, ``POST /sim/tick`` (run the warning engine now).

Lists are pages: without ``after`` the newest ``limit`` entries, with ``after`` the first
``limit`` entries whose seq is greater (``after=0`` starts at the beginning; the next page
starts after the last seq received). ``limit`` is at most ``MAX_LIMIT``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hisbridge import _json
from hisbridge.simulators.frontend.faults import parse_fault_settings
from hisbridge.simulators.frontend.state import FrontendState
from hisbridge.simulators.frontend.warnings import to_wire

__all__ = ["MAX_LIMIT", "routes"]

_DEFAULT_LIMIT = 100
_DEFAULT_MESSAGES = 1000
MAX_LIMIT = 10_000


def _state(request: Request) -> FrontendState:
    state: FrontendState = request.app.state.sim
    return state


def _json_response(payload: Any, status: int = 200) -> Response:
    return Response(_json.dumps(payload), status, media_type="application/json")


def _error(status: int, zh: str, en: str) -> Response:
    return _json_response({"result": False, "desc": f"{zh} / {en}"}, status)


async def tables(request: Request) -> Response:
    return _json_response(_state(request).store.counts())


async def table_row(request: Request) -> Response:
    state = _state(request)
    spec = state.dictionary.get(request.path_params["table"])
    if spec is None:
        return _error(404, "未知的表", "unknown table")
    row = state.store.find(spec.name, spec.primary_key, request.path_params["id"])
    if row is None:
        return _error(404, "记录不存在", "no such record")
    return _json_response({k: _wire(v) for k, v in row.items() if v is not None})


def _wire(value: Any) -> Any:
    """Database values as the wire carries them (PostgreSQL hands back datetime objects)."""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    return value


def _page(request: Request, default: int) -> tuple[int, int | None] | None:
    """``limit`` (1..MAX_LIMIT) and ``after`` (a seq, optional), or None when malformed."""
    try:
        limit = int(request.query_params.get("limit", default))
        after = request.query_params.get("after")
        start = None if after in (None, "") else int(after)
    except ValueError:
        return None
    if not 0 < limit <= MAX_LIMIT or (start is not None and start < 0):
        return None
    return limit, start


def _bad_page() -> Response:
    return _error(400, f"limit 应为 1–{MAX_LIMIT} 的整数，after 应为非负整数",
                  f"limit must be an integer 1-{MAX_LIMIT}, after a non-negative integer")


async def requests(request: Request) -> Response:
    page = _page(request, _DEFAULT_LIMIT)
    if page is None:
        return _bad_page()
    out = []
    for row in _state(request).store.requests(*page):
        body = _json.loads(row["body"]) if row["body"] else None
        result = None if row["result"] is None else bool(row["result"])
        out.append({"seq": row["seq"], "time": row["at"], "method": row["method"],
                    "path": row["path"], "key_style": row["key_style"], "body": body,
                    "result": result, "errorCode": row["error_code"],
                    "http_status": row["http_status"]})
    return _json_response(out)


async def messages(request: Request) -> Response:
    page = _page(request, _DEFAULT_MESSAGES)
    if page is None:
        return _bad_page()
    return _json_response([to_wire(r) for r in _state(request).store.messages(*page)])


async def message_summary(request: Request) -> Response:
    return _json_response(_state(request).store.message_kinds())


async def reset(request: Request) -> Response:
    _state(request).reset()
    return _json_response({"result": True, "desc": "已清空 / reset"})


async def faults(request: Request) -> Response:
    state = _state(request)
    if request.method == "POST":
        try:
            settings = parse_fault_settings(_json.loads(await request.body() or b"{}"))
        except ValueError as exc:
            return _error(400, "故障参数无效", str(exc))
        state.faults.configure(settings)
    return _json_response(state.faults.as_dict())


async def tick(request: Request) -> Response:
    return _json_response({"result": True, "raised": _state(request).tick()})


routes = [
    Route("/sim/tables", tables),
    Route("/sim/tables/{table}/{id:path}", table_row),
    Route("/sim/requests", requests),
    Route("/sim/messages", messages),
    Route("/sim/messages/summary", message_summary),
    Route("/sim/reset", reset, methods=["POST"]),
    Route("/sim/faults", faults, methods=["GET", "POST"]),
    Route("/sim/tick", tick, methods=["POST"]),
]
