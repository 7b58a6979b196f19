"""The per-table data API, ``POST``/``DELETE /hclient/emr/receive/{camelTable}``: the hot path.

A raw ASGI endpoint: read the body (bounded), hand it to the intake, log, reply. Every input,
however broken, gets a protocol reply; an unexpected exception becomes errorCode 99 with
HTTP 200, never a 500.
"""

from __future__ import annotations

from hisbridge.simulators.frontend import protocol as p
from hisbridge.simulators.frontend.asgi import (
    BodyTooLarge,
    Receive,
    Scope,
    Send,
    read_body,
    send_json,
)
from hisbridge.simulators.frontend.intake import Outcome
from hisbridge.simulators.frontend.state import FrontendState

__all__ = ["DataApi", "UnknownPath"]

_METHODS = ("POST", "DELETE")


class DataApi:
    """ASGI app for one mounted path pattern with a ``table`` path parameter."""

    def __init__(self, state: FrontendState) -> None:
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        state = self.state
        method, path = scope["method"], scope["path"]
        table = state.tables.get(scope["path_params"]["table"])
        status = 200
        try:
            raw = await read_body(receive, state.config.max_body_bytes)
        except BodyTooLarge as exc:
            outcome = Outcome(p.failure(p.PAYLOAD, (
                f"请求体过大（{exc.args[0]} 字节，上限 {state.config.max_body_bytes}）"
                " / body too large")))
        else:
            if table is None:
                status, outcome = 404, Outcome(_unknown_table(state, path))
            elif method not in _METHODS:
                status, outcome = 405, Outcome(p.failure(p.FORMAT, (
                    f"不支持的请求方法 {method}，请用 POST（新增/修改）或 DELETE（删除）")))
            else:
                outcome = self._handle(table, method, raw)
        state.log(method, path, outcome.body, outcome.key_style, outcome.reply, status)
        await send_json(send, status, outcome.reply)

    def _handle(self, table: object, method: str, raw: bytes) -> Outcome:
        try:
            return self.state.intake.handle(table, method, raw)  # type: ignore[arg-type]
        except Exception as exc:  # the simulator keeps serving whatever happens
            return Outcome(p.failure(p.SYSTEM, f"系统异常：{type(exc).__name__}"))


def _unknown_table(state: FrontendState, path: str) -> p.Reply:
    known = ", ".join(state.tables)
    return p.failure(p.FORMAT, f"未知的数据接口 {path[:200]}；可用的表路径：{known}")


class UnknownPath:
    """Any other ``/hclient`` path: 404 with a protocol body."""

    def __init__(self, state: FrontendState) -> None:
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        reply = p.failure(p.FORMAT, f"未知的接口路径 {scope['path'][:200]} / unknown path")
        self.state.log(scope["method"], scope["path"], None, None, reply, 404)
        await send_json(send, 404, reply)
