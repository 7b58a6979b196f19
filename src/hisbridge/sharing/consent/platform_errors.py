"""Errors of the provincial platform, translated into ours (api.md A.4 and Part B).

    PlatformError(Terminal)          a business result code other than 0
    PlatformUnavailable(Transient)   connection refused, timeout, HTTP 5xx, codes 5000/5003/4003

Every error carries ``code`` (the platform's resultCode, or ``NET`` for transport failures), a
Chinese message for the doctor, and the HTTP status the gateway answers with.
"""

from __future__ import annotations

from typing import Any

from hisbridge.errors import Terminal, Transient

__all__ = [
    "MESSAGES_ZH",
    "PlatformError",
    "PlatformUnavailable",
    "http_status",
    "is_transient_code",
]

MESSAGES_ZH: dict[str, str] = {
    "1001": "平台签名校验失败",
    "1002": "请求时间戳超出允许范围",
    "1003": "重复请求(疑似重放)",
    "1004": "本机构未在平台登记或已停用",
    "1005": "调用方 IP 不在白名单",
    "1006": "操作员未在平台登记或无权限",
    "2001": "平台未找到该居民",
    "2002": "身份信息不一致(姓名与证件号不符)",
    "2003": "电子健康码无效或已过期",
    "2004": "该居民未登记实名手机号,无法使用短信验证码",
    "2005": "该居民未开通粤健通,无法使用粤健通授权",
    "2006": "未成年人或无民事行为能力人,需监护人授权",
    "3001": "该就诊已有进行中的授权",
    "3002": "授权申请已过期,请重新申请",
    "3003": "验证码不正确",
    "3004": "验证码错误次数过多,已锁定",
    "3005": "授权码无效、已使用或不属于本机构",
    "3006": "患者拒绝授权",
    "3007": "患者已撤销授权",
    "3008": "授权已过期",
    "3009": "查询范围超出授权范围",
    "4001": "文档不存在",
    "4002": "文档受限,暂不提供",
    "4003": "来源机构暂时不可用",
    "4004": "查询范围过大,请分页",
    "5000": "平台内部错误",
    "5003": "平台限流,请稍后重试",
    "5004": "平台维护中",
}

_HTTP: dict[str, int] = {
    "3002": 410,
    "3004": 429,
    "5003": 429,
    "3006": 403,
    "3007": 403,
    "3008": 403,
    "3009": 403,
    "4001": 404,
    "4002": 451,
    "3003": 422,
    "3005": 422,
    "3001": 409,
}


def http_status(code: str) -> int:
    """The gateway's HTTP status for a platform code (api.md Part B's mapping)."""
    if code in _HTTP:
        return _HTTP[code]
    if code.startswith("2"):
        return 422
    if code.startswith("1"):
        return 502
    return 503


def is_transient_code(code: str) -> bool:
    return code in {"4003", "5000", "5003", "5004"}


class PlatformError(Terminal):
    """The platform answered with a business error."""

    def __init__(self, code: str, message: str = "", *, data: Any = None) -> None:
        zh = MESSAGES_ZH.get(code, "平台返回错误")
        super().__init__(f"{zh} (平台代码 {code}{': ' + message if message else ''})")
        self.code = code
        self.message_zh = zh
        self.data = data
        self.status = http_status(code)


class PlatformUnavailable(Transient):
    """The platform could not be reached or asked us to come back later."""

    def __init__(self, message: str, *, code: str = "NET") -> None:
        super().__init__(f"省平台暂不可用 platform unavailable: {message}", hint="稍后重试 / retry later")
        self.code = code
        self.message_zh = "省平台暂不可用,请稍后重试"
        self.status = 503
