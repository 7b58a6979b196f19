"""The optional HIS webhook: every new message POSTed to a configured URL, signed, retried.

Each stored message gets a row in ``message_webhook_deliveries`` in the same transaction (so
none is lost). A sender claims due rows one at a time (an UPDATE that only one node can win),
POSTs the public message JSON and records the outcome: 2xx is delivered; anything else waits
with exponential back-off and is dead after ``max_attempts``.

Signature: ``X-HisBridge-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>``
with ``X-HisBridge-Timestamp`` (Unix seconds); the HIS recomputes it and rejects old stamps.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httpx
from sqlalchemy import Engine, or_, select, update

from hisbridge import _json
from hisbridge._clock import Clock
from hisbridge._signature import signature, signed_headers
from hisbridge.connectors.frontend.interaction_config import WebhookSettings
from hisbridge.delivery.retry import RetryPolicy
from hisbridge.store.schema.warnings import message_webhook_deliveries as deliveries
from hisbridge.store.schema.warnings import messages as messages_table
from hisbridge.warnings import metrics
from hisbridge.warnings.store import public_message

__all__ = ["WebhookSender", "retry_policy", "signature"]

log = logging.getLogger("hisbridge.warnings.webhook")


def retry_policy(settings: WebhookSettings) -> RetryPolicy:
    """The delivery retry policy with the webhook's settings and no jitter."""
    return RetryPolicy(base_s=settings.backoff_base_s, cap_s=settings.backoff_cap_s,
                       max_attempts=settings.max_attempts, jitter=0.0)


class WebhookSender:
    """Sends due webhook deliveries; safe to run on several nodes at once."""

    def __init__(self, engine: Engine, http: httpx.AsyncClient, settings: WebhookSettings,
                 clock: Clock) -> None:
        if not settings.url:
            raise ValueError("webhook url not configured")
        self._engine = engine
        self._http = http
        self._settings = settings
        self._retry = retry_policy(settings)
        self._clock = clock
        self._secret = settings.secret.get_secret_value() if settings.secret else ""

    async def run(self, stop: asyncio.Event) -> None:
        """Send due deliveries until ``stop`` is set."""
        while not stop.is_set():
            sent = await self.send_due()
            if not sent:
                try:
                    await asyncio.wait_for(stop.wait(), timeout=self._settings.check_s)
                except TimeoutError:
                    pass

    async def send_due(self, limit: int = 50) -> int:
        """Attempt every due delivery (up to ``limit``); how many were attempted."""
        attempted = 0
        for _ in range(limit):
            claimed = await asyncio.to_thread(self._claim)
            if claimed is None:
                break
            delivery_id, attempts, message = claimed
            status, error = await self._post(message)
            await asyncio.to_thread(self._finish, delivery_id, attempts + 1, status, error)
            attempted += 1
        return attempted

    def _claim(self) -> tuple[int, int, dict[str, Any]] | None:
        now = self._clock.now().timestamp()
        d = deliveries.c
        due = or_(d.state.in_(("pending", "retry_wait")),
                  (d.state == "sending") & (d.claimed_until < now))
        with self._engine.begin() as conn:
            row = conn.execute(select(d.id, d.attempts, d.msg_id).where(due)
                               .where(d.next_attempt_at <= now).order_by(d.id).limit(1)).first()
            if row is None:
                return None
            won = conn.execute(update(deliveries).where(d.id == row.id, due).values(
                state="sending", claimed_until=now + self._settings.timeout_s + 5)).rowcount
            message = conn.execute(select(messages_table)
                                   .where(messages_table.c.msg_id == row.msg_id)).one()
        return (row.id, row.attempts, public_message(message)) if won == 1 else None

    async def _post(self, message: dict[str, Any]) -> tuple[int | None, str | None]:
        body = _json.dumps(message)
        headers = {"Content-Type": "application/json", "X-HisBridge-Event": "message",
                   "X-HisBridge-Message-Id": message["id"],
                   **signed_headers(self._secret, int(self._clock.now().timestamp()), body)}
        try:
            response = await self._http.post(self._settings.url or "", content=body,
                                             headers=headers, timeout=self._settings.timeout_s)
        except httpx.HTTPError as exc:
            return None, f"{type(exc).__name__}: HIS webhook unreachable"
        ok = 200 <= response.status_code < 300
        return response.status_code, None if ok else f"HTTP {response.status_code}"

    def _finish(self, delivery_id: int, attempts: int, status: int | None,
                error: str | None) -> None:
        now = self._clock.now()
        values: dict[str, Any] = {"attempts": attempts, "last_status": status,
                                  "last_error": error, "claimed_until": None}
        if error is None:
            values |= {"state": "delivered", "delivered_at": now}
        elif attempts >= self._settings.max_attempts:
            values |= {"state": "dead"}
        else:
            delay = self._retry.backoff(attempts)
            values |= {"state": "retry_wait", "next_attempt_at": now.timestamp() + delay}
        metrics.WEBHOOK_RESULTS.labels(outcome=values["state"]).inc()
        with self._engine.begin() as conn:
            conn.execute(update(deliveries).where(deliveries.c.id == delivery_id).values(**values))
        if error is not None:
            log.warning("webhook attempt failed",
                        extra={"delivery": delivery_id, "attempts": attempts, "error": error})
