"""``/sim/...``: inspection and fault control for tests and demos (not part of the real API).

``GET /sim/tables`` row counts, ``GET /sim/tables/{table}/{id}`` one stored row,
``GET /sim/requests?limit=`` the request log, ``GET /sim/messages`` every message,
``POST /sim/reset``, ``GET|POST /sim/faults``, ``POST /sim/tick`` (run the warning engine now).
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

__all__ = ["routes"]

_DEFAULT_LIMIT = 100


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


def _limit(request: Request) -> int | None:
    try:
        value = int(request.query_params.get("limit", _DEFAULT_LIMIT))
    except ValueError:
        return None
    return value if value > 0 else None


async def requests(request: Request) -> Response:
    limit = _limit(request)
    if limit is None:
        return _error(400, "limit 应为正整数", "limit must be a positive integer")
    out = []
    for row in _state(request).store.requests(limit):
        body = _json.loads(row["body"]) if row["body"] else None
        result = None if row["result"] is None else bool(row["result"])
        out.append({"seq": row["seq"], "time": row["at"], "method": row["method"],
                    "path": row["path"], "key_style": row["key_style"], "body": body,
                    "result": result, "errorCode": row["error_code"],
                    "http_status": row["http_status"]})
    return _json_response(out)


async def messages(request: Request) -> Response:
    rows = _state(request).store.query("SELECT * FROM sim_message ORDER BY seq")
    return _json_response([to_wire(r) for r in rows])


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
    Route("/sim/reset", reset, methods=["POST"]),
    Route("/sim/faults", faults, methods=["GET", "POST"]),
    Route("/sim/tick", tick, methods=["POST"]),
]
