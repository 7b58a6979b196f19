"""The provisional server-to-server contract: secret key, message query and user lookup.

No public text describes these APIs (protocol.md §4); paths and field names are settings
(``FrontendSimConfig``) and the contract is written down in docs/frontend-simulator.md.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from hisbridge import _json
from hisbridge.simulators.frontend import protocol as p
from hisbridge.simulators.frontend.state import FrontendState
from hisbridge.simulators.frontend.warnings import MessageQueryError, next_page

__all__ = ["message_query", "secret_key", "user_exists"]

_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def _state(request: Request) -> FrontendState:
    state: FrontendState = request.app.state.sim
    return state


def _reply(request: Request, body: Any, reply: dict[str, Any]) -> Response:
    _state(request).log(request.method, request.url.path, body, None, reply, 200)
    return Response(_json.dumps(reply), media_type="application/json;charset=UTF-8")


async def _json_body(request: Request) -> tuple[Any, dict[str, Any] | None]:
    """The JSON object sent, or a 05 reply saying why it is not one."""
    raw = await request.body()
    try:
        body = _json.loads(raw) if raw.strip() else {}
    except _json.JSONDecodeError:
        return None, p.failure(p.PAYLOAD, "请求体不是合法的 UTF-8 JSON / not UTF-8 JSON")
    if not isinstance(body, dict):
        return body, p.failure(p.PAYLOAD, "请求体应为 JSON 对象 / the body must be an object")
    return body, None


def _system_failure(exc: Exception) -> dict[str, Any]:
    return p.failure(p.SYSTEM, f"系统异常：{type(exc).__name__}")


def _auth_failure(state: FrontendState, desc: str) -> dict[str, Any]:
    return p.failure(p.AUTH, desc)


async def secret_key(request: Request) -> Response:
    """``POST {license}`` -> ``{result, secretKey, expireTime}`` (valid ``key_ttl_s``)."""
    state = _state(request)
    body, problem = await _json_body(request)
    if problem is not None:
        return _reply(request, body, problem)
    try:
        issued = state.keys.issue(str(body.get(state.name("license")) or ""))
    except Exception as exc:  # its store failed: the protocol's 99, as the data API answers
        return _reply(request, {**body, state.name("license"): "***"}, _system_failure(exc))
    if issued is None:
        return _reply(request, body, _auth_failure(state, "机构授权码无效 / unknown licence code"))
    reply = {
        "result": True, "desc": "获取成功", "errorCode": "", "errorName": "",
        state.name("secretKey"): issued.key,
        state.name("expireTime"): issued.expires_at.strftime(_TIME_FORMAT),
    }
    return _reply(request, {**body, state.name("license"): "***"}, reply)


async def message_query(request: Request) -> Response:
    """``POST {secretKey, orgCode, cursor?, limit?, ...}`` -> ``{result, messages, nextCursor}``."""
    state = _state(request)
    body, problem = await _json_body(request)
    if problem is not None:
        return _reply(request, body, problem)
    key = state.keys.check(str(body.get(state.name("secretKey")) or ""))
    if key is None:
        return _reply(request, body, _auth_failure(
            state, "secretKey 无效或已过期，请重新获取 / unknown or expired secret key"))
    query = {wire: body.get(state.name(wire)) for wire in (
        "orgCode", "cursor", "limit", "startTime", "endTime", "deptCode", "userId")}
    try:
        messages, cursor = await next_page(
            state.store, state.keys, key, query, state.config.page_limit)
    except MessageQueryError as exc:
        return _reply(request, body, p.failure(p.FORMAT, str(exc)))
    except Exception as exc:  # its store failed while paging or saving the cursor
        return _reply(request, body, _system_failure(exc))
    reply = {"result": True, "desc": f"共 {len(messages)} 条", "errorCode": "",
             "errorName": "", state.name("messages"): messages,
             state.name("nextCursor"): cursor}
    return _reply(request, body, reply)


async def user_exists(request: Request) -> Response:
    """``GET ?userId=&secretKey=`` -> ``{result, user}``: was this doctor sent to base_user?"""
    state = _state(request)
    params = dict(request.query_params)
    if state.keys.check(params.get(state.name("secretKey"), "")) is None:
        return _reply(request, params, _auth_failure(state, "secretKey 无效或已过期"))
    user = state.store.find("base_user", "id", params.get(state.name("userId"), ""))
    if user is None:
        reply = p.failure(p.VALIDATION, "用户未同步 / user not in base_user")
        return _reply(request, params, reply)
    dept = state.store.find("base_dept", "dept_code", user.get("dept_code") or "") or {}
    label = state.dictionary.code_set("department")
    dept_name = dept.get("dept_name") or (label.label(user.get("dept_code") or "") if label else "")
    reply = p.success(user["id"], "用户已同步")
    reply["user"] = {"id": user["id"], "userName": user.get("user_name") or "",
                     "deptCode": user.get("dept_code") or "", "deptName": dept_name or "",
                     "orgCode": user.get("org_code") or ""}
    return _reply(request, params, reply)
