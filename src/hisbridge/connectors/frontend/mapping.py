"""Pure mapping between outbox items and the front-end: request bodies, replies, DB rows."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from hisbridge import _json
from hisbridge.connectors.frontend.errors import FrontendBusy, business_error
from hisbridge.delivery.outcome import DeliveryItem, Outcome
from hisbridge.dictionary import TableSpec
from hisbridge.dictionary.wire import KeyStyle, wire_body
from hisbridge.errors import RecordRejected

__all__ = ["db_row", "outcome_from_reply", "parse_retry_after", "request_body"]

_RETRY_STATUSES = frozenset({408, 425, 429})


def request_body(spec: TableSpec, item: DeliveryItem, key_style: KeyStyle) -> bytes:
    """The JSON object for one record (POST) or one delete (DELETE with the same shape).

    The body stored at intake (camelCase) goes as it is; a version stored without one, or a
    front-end configured for another key style, gets it built from the stored record.
    """
    if item.wire is not None and key_style == "camel":
        return item.wire.encode()
    return wire_body(spec, item.record, key_style).encode()


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds from a ``Retry-After`` header (delta seconds, or an HTTP date seen at ``now``)."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max((when - now).total_seconds(), 0.0)


def _reply_json(body: bytes) -> Mapping[str, Any] | None:
    try:
        value = _json.loads(body)
    except _json.JSONDecodeError:
        return None
    return value if isinstance(value, Mapping) else None


def outcome_from_reply(status: int, body: bytes, retry_after: float | None = None) -> Outcome:
    """Delivered only on a 2xx whose JSON says ``result: true``; otherwise why not."""
    reply = _reply_json(body)
    text = body[:2000].decode("utf-8", "replace")
    if reply is not None and reply.get("result") is True and 200 <= status < 300:
        return Outcome.delivered(status_code=status, reply=text)  # the common case, first
    code = str(reply.get("errorCode") or "") if reply else ""
    desc = str(reply.get("desc") or reply.get("msg") or "") if reply else ""
    if 200 <= status < 300:
        if reply is None or "result" not in reply:
            busy = FrontendBusy(f"前置软件返回无法识别的应答 unreadable reply (HTTP {status})",
                                reply=text)
            return Outcome.from_error(busy, status_code=status)
        return Outcome.from_error(business_error(code, desc, text, status), status_code=status)
    if status >= 500 or status in _RETRY_STATUSES:
        busy = FrontendBusy(f"前置软件暂时不可用 HTTP {status} {code} {desc}".strip()[:500],
                            code=code, reply=text, retry_after=retry_after)
        return Outcome.from_error(busy, status_code=status)
    rejected = RecordRejected(f"前置软件拒收 HTTP {status} {code} {desc}".strip()[:500],
                              code=code, reply=text)
    return Outcome.from_error(rejected, status_code=status)


def _typed(kind: str, text: str) -> Any:
    if kind == "datetime":
        return datetime.strptime(text[:19], "%Y-%m-%d %H:%M:%S")
    if kind == "date":
        return date.fromisoformat(text[:10])
    return text


def db_row(spec: TableSpec, record: Mapping[str, Any]) -> dict[str, Any]:
    """Every column of ``spec`` for one stored record; dates parsed, absent fields NULL.

    Raises ``ValueError`` for a value the column type cannot hold.
    """
    row: dict[str, Any] = {}
    for field in spec.fields:
        value = record.get(field.name)
        row[field.name] = None if value in (None, "") else _typed(field.type, str(value))
    return row
