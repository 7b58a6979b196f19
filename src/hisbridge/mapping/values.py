"""Database values -> the wire's strings, by the national field's type.

Drivers hand back datetimes, Decimals, ints, bytes in a legacy encoding, or (SQLite) text that
looks like a timestamp with fractions. Each becomes the string the front-end expects, or a
reason why it cannot.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from hisbridge.dictionary import FieldSpec

__all__ = ["Converted", "converter"]

# (text or None, rule of the problem or None)
Converted = tuple[str | None, str | None]
_STAMP_RE = re.compile(r"(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(\.\d+)?([+-]\d{2}:?\d{2}|Z)?")
_DATE_RE = re.compile(r"(\d{4}-\d{2}-\d{2})(?:[ T]\d{2}:\d{2}:\d{2}(?:\.\d+)?)?")


def _decode(raw: bytes) -> Converted:
    for encoding in ("utf-8", "gb18030"):
        try:
            return raw.decode(encoding), None
        except UnicodeDecodeError:
            continue
    return None, "text_encoding"


def _scalar(raw: Any) -> Converted:
    """Numbers, booleans and bytes as text; anything else is a type problem."""
    if isinstance(raw, bool):
        return ("1" if raw else "0"), None
    if isinstance(raw, Decimal):
        return format(raw.normalize() if raw == raw.to_integral() else raw, "f"), None
    if isinstance(raw, int | float):
        return (str(int(raw)) if isinstance(raw, float) and raw.is_integer() else str(raw)), None
    if isinstance(raw, bytes | bytearray | memoryview):
        return _decode(bytes(raw))
    return None, "type"


def _as_datetime(raw: Any) -> Converted:
    if isinstance(raw, datetime):
        return raw.strftime("%Y-%m-%d %H:%M:%S"), None
    if isinstance(raw, date):
        return raw.strftime("%Y-%m-%d 00:00:00"), None
    if isinstance(raw, str):
        m = _STAMP_RE.fullmatch(raw.strip())
        return (f"{m.group(1)} {m.group(2)}" if m else raw.strip()), None
    return _scalar(raw)


def _as_date(raw: Any) -> Converted:
    if isinstance(raw, datetime | date):
        return raw.strftime("%Y-%m-%d"), None
    if isinstance(raw, str):
        m = _DATE_RE.fullmatch(raw.strip())
        return (m.group(1) if m else raw.strip()), None
    return _scalar(raw)


def _as_text(strip: bool) -> Callable[[Any], Converted]:
    def convert(raw: Any) -> Converted:
        if isinstance(raw, str):
            return (raw.strip() if strip else raw), None
        if isinstance(raw, datetime):
            return raw.strftime("%Y-%m-%d %H:%M:%S"), None
        if isinstance(raw, date):
            return raw.isoformat(), None
        text, problem = _scalar(raw)
        return (text.strip() if text and strip else text), problem
    return convert


def converter(field: FieldSpec | None) -> Callable[[Any], Converted]:
    """How to turn a driver value into the wire string for ``field`` (None: unknown column)."""
    if field is not None and field.type == "datetime":
        return _as_datetime
    if field is not None and field.type == "date":
        return _as_date
    return _as_text(strip=field is None or field.type != "text")
