"""The message poller: one poll in flight across the deployment, in order, backing off on trouble.

Each step takes (or renews) the poller lease; a node without it stands by. The holder reads the
persisted cursor, asks the front-end for the next page with the current secret key (renewed and
retried once on errorCode 02), and stores the page and the new cursor in one fenced
transaction. A full page is followed at once by the next (catching up); failures are recorded
for the widget's "may be delayed" notice and back off exponentially, but while the front-end is
unreachable (a transient failure) never longer than one poll interval: one small query per
interval is the normal load anyway, and a longer wait kept the widget "delayed" for minutes
after the front-end came back. Terminal failures (licence refused) back off up to the cap.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import datetime

from hisbridge._clock import CHINA_TZ, Clock
from hisbridge.connectors.frontend.keys import SecretKeyManager, SecretKeyRejected
from hisbridge.connectors.frontend.warnings import MessagePage, MessageSource
from hisbridge.delivery.retry import RetryPolicy
from hisbridge.errors import HisbridgeError, Terminal, Transient
from hisbridge.store.errors import STORE_ERRORS
from hisbridge.warnings import metrics
from hisbridge.warnings.lease import LeaseLost, PollerLease
from hisbridge.warnings.store import MessageStore, SaveResult

__all__ = ["BackoffPolicy", "MessagePoller", "StepResult"]

_STORE_OR_LEASE: tuple[type[Exception], ...] = (*STORE_ERRORS, LeaseLost)

log = logging.getLogger("hisbridge.warnings.poller")


@dataclass(frozen=True, slots=True)
class BackoffPolicy:
    """Delay before the next poll after ``failures`` consecutive failures (pure).

    Transient failures wait at most ``interval_s`` (a recovered front-end is seen within one
    interval); terminal ones up to ``cap_s``.
    """

    interval_s: float
    base_s: float
    cap_s: float

    def delay(self, failures: int, *, more: bool = False, terminal: bool = False) -> float:
        if failures <= 0:
            return 0.0 if more else self.interval_s
        retry = RetryPolicy(base_s=self.base_s, cap_s=self.cap_s, jitter=0.0)
        return retry.backoff(failures, None if terminal else self.interval_s)


@dataclass(frozen=True, slots=True)
class StepResult:
    """What one step did: ``standby`` (lease held elsewhere), ``stored`` messages, next delay."""

    standby: bool
    stored: int
    delay_s: float
    error: str | None = None


class MessagePoller:
    """Polls the front-end's messages into the store; run one per node, lease decides who polls."""

    def __init__(self, source: MessageSource, keys: SecretKeyManager, store: MessageStore,
                 lease: PollerLease, clock: Clock, *, page_limit: int, policy: BackoffPolicy):
        self._source = source
        self._keys = keys
        self._store = store
        self._lease = lease
        self._clock = clock
        self._limit = page_limit
        self._policy = policy
        self._failures = 0
        self._holding = False

    async def run(self, stop: asyncio.Event) -> None:
        """Poll until ``stop`` is set, then release the lease."""
        try:
            while not stop.is_set():
                result = await self.step()
                try:
                    await asyncio.wait_for(stop.wait(), timeout=result.delay_s or 0.001)
                except TimeoutError:
                    pass
        finally:
            with contextlib.suppress(*STORE_ERRORS):
                await asyncio.to_thread(self._lease.release)

    async def step(self) -> StepResult:
        """One poll if this node holds the lease; never raises for front-end or store trouble."""
        try:
            held = await asyncio.to_thread(self._lease.acquire)
        except STORE_ERRORS:
            self._holding = False
            return await self._failed(Transient("网关存储不可用 store unreachable"), record=False)
        if not held:
            self._holding = False
            return StepResult(standby=True, stored=0, delay_s=self._policy.interval_s)
        try:
            if not self._holding:
                # Taking over: the front-end may count pages as consumed per key, and the last
                # holder may have fetched a page it never stored; a fresh key reads from our cursor.
                await self._keys.renew()
            self._holding = True
            page, saved = await self.poll_once()
        except HisbridgeError as exc:
            return await self._failed(exc)
        self._failures = 0
        more = len(page.messages) >= self._limit and page.next_cursor is not None
        return StepResult(False, len(saved.stored), self._policy.delay(0, more=more))

    async def poll_once(self) -> tuple[MessagePage, SaveResult]:
        """Fetch the page after the stored cursor and store it; (page, newly stored)."""
        try:
            state = await asyncio.to_thread(self._store.poll_state)
        except STORE_ERRORS as exc:
            raise Transient("网关存储不可用 store unreachable") from exc
        key = await self._keys.current()
        try:
            page = await self._source.query(key.value, state.cursor, self._limit)
        except SecretKeyRejected:
            key = await self._keys.rejected(key)
            page = await self._source.query(key.value, state.cursor, self._limit)
        try:
            saved = await asyncio.to_thread(self._store.save_page, page, self._lease)
        except _STORE_OR_LEASE as exc:
            # Fetched but not stored: under this key the page may count as consumed.
            self._holding = False
            await self._keys.renew()
            if isinstance(exc, LeaseLost):
                raise
            raise Transient("网关存储写入失败 could not store messages") from exc
        self._observe(saved)
        return page, saved

    def _observe(self, saved: SaveResult) -> None:
        now, stored = self._clock.now(), saved.stored
        metrics.LAST_OK_POLL.set(now.timestamp())
        metrics.MESSAGES_POLLED.inc(len(stored))
        metrics.OUT_OF_ORDER.inc(saved.out_of_order)
        for message in stored:
            created = _wire_time(message.create_time)
            if created is not None:
                metrics.MESSAGE_LAG.observe(max(0.0, (now - created).total_seconds()))
        if stored:
            log.info("messages stored", extra={"poller": self._store.name, "count": len(stored),
                                               "last_seq": stored[-1].seq})

    async def _failed(self, exc: HisbridgeError, *, record: bool = True) -> StepResult:
        self._failures += 1
        kind = "terminal" if isinstance(exc, Terminal) else type(exc).__name__
        metrics.POLL_FAILURES.labels(kind=kind).inc()
        log.warning("message poll failed",
                    extra={"poller": self._store.name, "kind": kind, "failures": self._failures,
                           "error": str(exc)})
        if record:
            with contextlib.suppress(*STORE_ERRORS):
                await asyncio.to_thread(self._store.record_failure, str(exc))
        delay = self._policy.delay(self._failures, terminal=isinstance(exc, Terminal))
        return StepResult(False, 0, delay, error=str(exc))


def _wire_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.strptime(value[:19], "%Y-%m-%d %H:%M:%S").replace(tzinfo=CHINA_TZ)
    except ValueError:
        return None
