"""The optional HIS webhook: every new message POSTed to a configured URL, signed, retried.

Each stored message gets an entry in ``warning_webhook_deliveries`` in the same transaction (so
none is lost), on the same durable queue as the outbox (``hisbridge.store.queue``). A sender
claims due entries one at a time under a lease (several nodes never send the same one), POSTs
the public message JSON and records the outcome: 2xx is delivered; anything else is retried by
the delivery retry policy (exponential back-off) and is dead, with its reason, after
``max_attempts``. A sender that dies mid-send loses its lease; the entry is sent again.

Signature: ``X-HisBridge-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>``
with ``X-HisBridge-Timestamp`` (Unix seconds); the HIS recomputes it and rejects old stamps.
"""

from __future__ import annotations

import asyncio
import logging
from random import Random
from typing import Any

import httpx
from sqlalchemy import Engine, select

from hisbridge import _json
from hisbridge._clock import Clock
from hisbridge._signature import signature, signed_headers
from hisbridge.connectors.frontend.interaction_config import WebhookSettings
from hisbridge.delivery.outcome import Outcome
from hisbridge.delivery.retry import RetryPolicy
from hisbridge.store.queue import Finished
from hisbridge.store.schema.warnings import warning_messages
from hisbridge.store.webhooks import webhook_queue
from hisbridge.warnings import metrics
from hisbridge.warnings.store import public_message

__all__ = ["WebhookSender", "retry_policy", "signature"]

log = logging.getLogger("hisbridge.warnings.webhook")


def retry_policy(settings: WebhookSettings) -> RetryPolicy:
    """The delivery retry policy with the webhook's settings and no jitter."""
    return RetryPolicy(base_s=settings.backoff_base_s, cap_s=settings.backoff_cap_s,
                       max_attempts=settings.max_attempts, jitter=0.0)


_STATES = {"delivered": "delivered", "retry": "retry_wait", "dead": "dead"}


class WebhookSender:
    """Sends due webhook deliveries; safe to run on several nodes at once."""

    def __init__(self, engine: Engine, http: httpx.AsyncClient, settings: WebhookSettings,
                 clock: Clock, *, worker: str = "webhook") -> None:
        if not settings.url:
            raise ValueError("webhook url not configured")
        self._engine = engine
        self._queue = webhook_queue(engine, clock)
        self._http = http
        self._settings = settings
        self._retry = retry_policy(settings)
        self._rng = Random()
        self._clock = clock
        self._worker = worker
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
        await asyncio.to_thread(self._queue.reclaim_expired)
        attempted = 0
        for _ in range(limit):
            claimed = await asyncio.to_thread(self._claim)
            if claimed is None:
                break
            entry, message = claimed
            outcome = await self._post(message)
            decision = self._retry.decide(outcome, entry.attempts, self._clock.now(), self._rng)
            await asyncio.to_thread(self._queue.complete, self._worker,
                                    [Finished(entry.id, outcome, decision)])
            self._count(entry, outcome, decision.action)
            attempted += 1
        return attempted

    def _claim(self) -> tuple[Any, dict[str, Any]] | None:
        """One due delivery under a lease that outlasts its POST, and its message."""
        rows = self._queue.claim(self._worker, 1, self._settings.timeout_s + 5)
        if not rows:
            return None
        m = warning_messages.c
        with self._engine.connect() as conn:
            message = conn.execute(select(warning_messages).where(m.msg_id == rows[0].msg_id)).one()
        return rows[0], public_message(message)

    async def _post(self, message: dict[str, Any]) -> Outcome:
        body = _json.dumps(message)
        headers = {"Content-Type": "application/json", "X-HisBridge-Event": "message",
                   "X-HisBridge-Message-Id": message["id"],
                   **signed_headers(self._secret, int(self._clock.now().timestamp()), body)}
        try:
            response = await self._http.post(self._settings.url or "", content=body,
                                             headers=headers, timeout=self._settings.timeout_s)
        except httpx.HTTPError as exc:
            return Outcome("transient", f"{type(exc).__name__}: HIS webhook unreachable",
                           error_code="unreachable", reachable=False)
        status = response.status_code
        if 200 <= status < 300:
            return Outcome.delivered(status_code=status)
        return Outcome("transient", f"HTTP {status}", status, str(status), response.text[:2000])

    def _count(self, entry: Any, outcome: Outcome, action: str) -> None:
        metrics.WEBHOOK_RESULTS.labels(outcome=_STATES[action]).inc()
        if not outcome.ok:
            log.warning("webhook attempt failed", extra={
                "delivery": entry.id, "attempts": entry.attempts, "error": outcome.reason})
