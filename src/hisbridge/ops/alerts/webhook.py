"""Alerts to a webhook: one JSON POST per evaluation, signed with HMAC-SHA256.

Headers: ``X-HisBridge-Timestamp`` (Unix seconds) and ``X-HisBridge-Signature:
sha256=<hex>``, the HMAC of ``<timestamp>.<body>`` with the shared secret
(``hisbridge._signature``, the same signer as the HIS message webhook), so a receiver can check
both origin and freshness. A failed send is reported (False), never raised: alerts must not
break the loop that produces them.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

import httpx

from hisbridge import _json
from hisbridge._signature import signed_headers
from hisbridge.ops.alerts.cooldown import OpenAlert
from hisbridge.ops.alerts.rules import Alert

__all__ = ["Notifier", "WebhookNotifier", "payload"]

log = logging.getLogger("hisbridge.ops.alerts")


class Notifier(Protocol):
    async def send(self, body: dict[str, Any], at: datetime) -> bool: ...


def payload(firing: Sequence[Alert], resolved: Sequence[OpenAlert], at: datetime) -> dict[str, Any]:
    """The JSON body: firing alerts with both languages, and the (rule, subject) now resolved."""
    return {
        "source": "hisbridge",
        "at": at.isoformat(),
        "firing": [{"rule": a.rule, "subject": a.subject, "severity": a.severity,
                    "message_zh": a.message_zh, "message_en": a.message_en} for a in firing],
        "resolved": [{"rule": o.rule, "subject": o.subject} for o in resolved],
    }


class WebhookNotifier:
    """POST to ``url``; 2xx means delivered."""

    def __init__(self, url: str, secret: str | None, *, timeout_s: float = 5.0,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.url = url
        self.secret = secret
        self.timeout_s = timeout_s
        self.transport = transport

    async def send(self, body: dict[str, Any], at: datetime) -> bool:
        data = _json.dumps(body)
        headers = {"Content-Type": "application/json",
                   **signed_headers(self.secret or None, int(at.timestamp()), data)}
        try:
            async with httpx.AsyncClient(timeout=self.timeout_s, transport=self.transport) as client:
                reply = await client.post(self.url, content=data, headers=headers)
        except httpx.HTTPError as exc:
            log.warning("alert webhook failed", extra={"kind": type(exc).__name__})
            return False
        if reply.is_success:
            return True
        log.warning("alert webhook refused", extra={"status": reply.status_code})
        return False
