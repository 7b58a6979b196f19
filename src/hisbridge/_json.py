"""The one seam for JSON: orjson everywhere, with the types our records carry."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import orjson

__all__ = ["JSONDecodeError", "dumps", "dumps_str", "loads"]

JSONDecodeError = orjson.JSONDecodeError


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).decode("utf-8", "replace")
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def dumps(value: Any, *, sort_keys: bool = False) -> bytes:
    """Serialise to UTF-8 JSON bytes; non-ASCII kept as is, datetimes in wire format."""
    option = orjson.OPT_NON_STR_KEYS | (orjson.OPT_SORT_KEYS if sort_keys else 0)
    return orjson.dumps(value, default=_default, option=option)


def dumps_str(value: Any, *, sort_keys: bool = False) -> str:
    return dumps(value, sort_keys=sort_keys).decode("utf-8")


def loads(data: bytes | bytearray | memoryview | str) -> Any:
    """Parse JSON; raises ``JSONDecodeError`` (a ValueError) on bad input."""
    return orjson.loads(data)
