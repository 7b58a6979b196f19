"""The front-end's message query (消息查阅): one page of warnings after a cursor.

``POST {server}{message_query_path}`` with ``{secretKey, orgCode, cursor, limit}`` answers
``{result, messages: [...], nextCursor}``, messages in strictly increasing ``seq``. A refused
key (errorCode 02) raises ``SecretKeyRejected`` so the caller renews it; everything else that
goes wrong is ``Transient`` (the poller backs off and asks again from the same cursor).
Field names come from ``interaction.server`` (``fields`` renames each message field).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx

from hisbridge.connectors.frontend.interaction_config import MessageFieldNames, ServerApiSettings
from hisbridge.connectors.frontend.keys import SecretKeyRejected, post_json
from hisbridge.errors import Transient

__all__ = [
    "FrontendMessage",
    "HttpMessageSource",
    "MessagePage",
    "MessageSource",
    "parse_message",
    "parse_page",
]


@dataclass(frozen=True, slots=True)
class FrontendMessage:
    """One warning as the front-end sent it (``raw`` keeps every field, also unknown ones)."""

    msg_id: str
    seq: int
    type: str
    level: str
    title: str
    content: str
    patient_id: str | None = None
    serial_number: str | None = None
    org_code: str | None = None
    dept_code: str | None = None
    user_id: str | None = None
    create_time: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class MessagePage:
    messages: list[FrontendMessage]
    next_cursor: str | None


class MessageSource(Protocol):
    """One page of messages after ``cursor``, read with ``secret_key``."""

    async def query(self, secret_key: str, cursor: str | None, limit: int) -> MessagePage: ...


def _text(item: Mapping[str, Any], name: str) -> str | None:
    value = item.get(name)
    return None if value is None or value == "" else str(value)


def parse_message(item: Mapping[str, Any], names: MessageFieldNames) -> FrontendMessage:
    """A ``FrontendMessage`` from one wire object; ``ValueError`` names what is missing."""
    msg_id, seq = _text(item, names.msg_id), item.get(names.seq)
    if msg_id is None:
        raise ValueError(f"message without {names.msg_id}")
    try:
        seq_number = int(seq)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise ValueError(f"message {msg_id}: {names.seq} is not an integer: {seq!r}") from exc
    return FrontendMessage(
        msg_id=msg_id,
        seq=seq_number,
        type=_text(item, names.type) or "",
        level=_text(item, names.level) or "",
        title=_text(item, names.title) or "",
        content=_text(item, names.content) or "",
        patient_id=_text(item, names.patient_id),
        serial_number=_text(item, names.serial_number),
        org_code=_text(item, names.org_code),
        dept_code=_text(item, names.dept_code),
        user_id=_text(item, names.user_id),
        create_time=_text(item, names.create_time),
        raw=dict(item),
    )


def parse_page(reply: Mapping[str, Any], settings: ServerApiSettings) -> MessagePage:
    """The page in a successful reply, sorted by ``seq``; ``Transient`` if it cannot be read."""
    items = reply.get(settings.messages_field) or []
    if not isinstance(items, list):
        raise Transient(f"消息查询回复格式无法识别: {settings.messages_field} is not a list")
    try:
        messages = [parse_message(item, settings.fields) for item in items]
    except (ValueError, AttributeError) as exc:
        raise Transient(f"消息格式无法识别 unreadable message: {exc}") from exc
    messages.sort(key=lambda m: m.seq)
    cursor = reply.get(settings.next_cursor_field)
    return MessagePage(messages, None if cursor in (None, "") else str(cursor))


class HttpMessageSource:
    """``MessageSource`` over the front-end's HTTP message query."""

    def __init__(
        self, http: httpx.AsyncClient, settings: ServerApiSettings, *, base_url: str, org_code: str
    ) -> None:
        self._http = http
        self._settings = settings
        self._url = base_url.rstrip("/") + settings.message_query_path
        self._org_code = org_code

    async def query(self, secret_key: str, cursor: str | None, limit: int) -> MessagePage:
        s = self._settings
        body: dict[str, Any] = {
            s.secret_key_field: secret_key, s.org_code_field: self._org_code, s.limit_field: limit
        }
        if cursor is not None:
            body[s.cursor_field] = cursor
        reply = await post_json(self._http, self._url, body, timeout_s=s.timeout_s)
        if reply.get("result") is not True:
            code = str(reply.get("errorCode") or "")
            desc = str(reply.get("desc") or "")
            if code in s.auth_error_codes:
                raise SecretKeyRejected(f"密钥无效或已过期 secret key refused ({code}): {desc}")
            raise Transient(f"消息查询失败 message query failed: {code} {desc}".strip())
        return parse_page(reply, s)
