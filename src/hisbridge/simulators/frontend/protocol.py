"""The front-end's reply shape and error codes, and how a rejected record is worded.

Every reply of the data API is ``{result, desc, id, errorCode, errorName}`` (the last two
empty on success), sent with HTTP 200 also for business errors, as ``protocol.md`` §2.4 shows.
Pure code: values in, values out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from hisbridge.dictionary import Violation

__all__ = [
    "AUTH",
    "ERROR_NAMES",
    "FORMAT",
    "PAYLOAD",
    "STORE",
    "SYSTEM",
    "VALIDATION",
    "Reply",
    "classify",
    "describe",
    "failure",
    "success",
]

STORE, AUTH, FORMAT, VALIDATION, PAYLOAD, SYSTEM = "01", "02", "03", "04", "05", "99"

ERROR_NAMES: Mapping[str, str] = {
    STORE: "数据入库失败",
    AUTH: "授权错误",
    FORMAT: "参数格式错误",
    VALIDATION: "数据校验错误",
    PAYLOAD: "文档转换异常",
    SYSTEM: "系统异常",
}

# Rules about the shape of a value (the record cannot even be read) -> 03; the rest -> 04.
_FORMAT_RULES = frozenset({"type", "datetime", "date", "integer", "decimal", "text_encoding"})
_DESC_LIMIT = 2000

Reply = dict[str, Any]


def success(record_id: Any, desc: str = "操作成功") -> Reply:
    """The reply to a stored or deleted record."""
    return {"result": True, "desc": desc, "id": record_id, "errorCode": "", "errorName": ""}


def failure(code: str, desc: str, record_id: Any = "") -> Reply:
    """A business error: ``result`` false, the code and its Chinese name."""
    return {
        "result": False,
        "desc": desc[:_DESC_LIMIT],
        "id": "" if record_id is None else record_id,
        "errorCode": code,
        "errorName": ERROR_NAMES.get(code, ERROR_NAMES[SYSTEM]),
    }


def classify(violations: Iterable[Violation]) -> str | None:
    """The error code for a record's violations, or ``None`` when nothing is an error."""
    errors = [v for v in violations if v.severity == "error"]
    if not errors:
        return None
    return FORMAT if any(v.rule in _FORMAT_RULES for v in errors) else VALIDATION


def describe(violations: Iterable[Violation]) -> str:
    """One line per error: field, Chinese label, rule, masked value and the fix hint."""
    lines = [v.summary() for v in violations if v.severity == "error"]
    return "；".join(lines) or "数据校验错误"

