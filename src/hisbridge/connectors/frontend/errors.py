"""Translate what the front-end (or the network, or its database) says into our two verdicts.

Business replies (protocol.md 2.4): ``01`` 数据入库失败 and ``99`` 系统异常 are transient; ``02``
授权错误, ``03`` 参数格式错误, ``04`` 数据校验错误 and ``05`` 文档转换异常 are terminal. An unknown
code with ``result: false`` is terminal too: retrying an answer we do not understand would only
repeat it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from hisbridge.errors import HisbridgeError, RecordRejected, TargetUnavailable, Transient

__all__ = ["ERROR_NAMES", "TRANSIENT_CODES", "FrontendBusy", "business_error", "network_error"]

ERROR_NAMES: Mapping[str, str] = {
    "01": "数据入库失败",
    "02": "授权错误",
    "03": "参数格式错误",
    "04": "数据校验错误",
    "05": "文档转换异常",
    "99": "系统异常",
}
TRANSIENT_CODES = frozenset({"01", "99"})


class FrontendBusy(Transient):
    """The front-end answered but could not take the record now (errorCode 01/99, HTTP 5xx)."""

    def __init__(self, message: str, *, code: str = "", reply: str = "",
                 retry_after: float | None = None) -> None:
        super().__init__(message, retry_after=retry_after)
        self.code = code
        self.reply = reply


def business_error(code: str, desc: str, reply: str, status: int) -> HisbridgeError:
    """The error for a ``result: false`` reply with ``errorCode`` ``code``."""
    name = ERROR_NAMES.get(code, "未知错误码 unknown code")
    message = f"前置软件拒收 front-end said no: errorCode {code or '-'} {name}: {desc}"[:500]
    if code in TRANSIENT_CODES:
        return FrontendBusy(message, code=code, reply=reply)
    return RecordRejected(message, code=code, reply=reply,
                          hint="修正数据后用 hisbridge outbox replay 重发" if code else "")


def network_error(exc: BaseException, url: str) -> Transient:
    """Connection refused/reset and timeouts: the record may or may not have arrived; retry."""
    if isinstance(exc, (asyncio.TimeoutError, TimeoutError)):
        return Transient(f"前置软件响应超时 timeout calling {url}")
    kind = type(exc).__name__
    return TargetUnavailable(f"无法连接前置软件 cannot reach {url}: {kind}: {exc}"[:500])
