"""The delivery worker: claim batches, send with bounded concurrency, record outcomes in batches.

Three kinds of tasks share one event loop: a *claimer* keeps a small local buffer filled from the
outbox (never more than two batches in memory, so a million queued records cost nothing), N
*senders* deliver items through the target (HTTP keep-alive, bounded by ``concurrency``), and a
*recorder* writes finished attempts to the store in batches. Store calls run on one dedicated
thread, so the event loop never blocks on the database.

Nothing is marked delivered without the receiver's success reply. On ``stop`` the claimer stops,
senders finish what they are sending (up to a grace period), and everything claimed but not
finished goes back to ``pending``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from random import Random
from typing import Any, Literal, TypeVar

from hisbridge import _ids
from hisbridge._clock import Clock, system_clock
from hisbridge.delivery.breaker import CircuitBreaker
from hisbridge.delivery.metrics import DeliveryMetrics
from hisbridge.delivery.outcome import DeliveryItem, Outcome
from hisbridge.delivery.ports import BatchTarget, Target
from hisbridge.delivery.retry import RetryPolicy
from hisbridge.store.errors import STORE_ERRORS
from hisbridge.store.outbox import PARENT_LATE, Completion, OutboxQueue

__all__ = ["DeliveryWorker", "WorkerOptions"]

log = logging.getLogger("hisbridge.delivery")
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class WorkerOptions:
    """How one worker behaves; built from ``Settings.delivery`` and ``Settings.frontend``."""

    concurrency: int = 16
    batch_size: int = 200
    lease_s: float = 120.0
    idle_poll_s: float = 0.5
    flush_s: float = 0.02
    on_parent_timeout: Literal["send", "dead"] = "send"
    shutdown_grace_s: float = 10.0
    breaker_threshold: int = 5  # consecutive unreachable outcomes that pause sending; 0 = never
    breaker_base_s: float = 1.0
    breaker_max_s: float = 15.0


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{_ids.new_id()[-6:]}"


class DeliveryWorker:
    """Moves outbox entries to the target until stopped."""

    def __init__(self, queue: OutboxQueue, target: Target, *, policy: RetryPolicy,
                 options: WorkerOptions | None = None, clock: Clock = system_clock,
                 metrics: DeliveryMetrics | None = None, worker_id: str | None = None,
                 rng: Random | None = None, target_name: str | None = None) -> None:
        self.queue = queue
        self.target = target
        # The receiver's name in metrics and attempts (a group's: with its institution).
        self.target_name = target_name or target.name
        self.policy = policy
        self.options = options or WorkerOptions()
        self.clock = clock
        self.metrics = metrics or DeliveryMetrics()
        self.worker_id = worker_id or default_worker_id()
        self.rng = rng or Random()
        self._db = ThreadPoolExecutor(1, thread_name_prefix="hisbridge-store")
        self._buffer: asyncio.Queue[DeliveryItem] = asyncio.Queue()
        self._done: list[Completion] = []
        self._sending: set[int] = set()
        self._wake = asyncio.Event()
        self._recorded = asyncio.Event()
        self._stopping = False
        self._flushing = False
        self._claimed_none = False
        self._next_reclaim = 0.0
        self._tasks: list[asyncio.Task[None]] = []
        o = self.options
        self.breaker = CircuitBreaker(o.breaker_threshold, o.breaker_base_s, o.breaker_max_s)
        self._retry_now = False
        self._probe_id: int | None = None
        self._unsent: list[int] = []  # claimed, then held back by the open breaker
        self._reachable: bool | None = None  # what the reachable gauge says now

    async def _store(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._db, fn, *args)

    def start(self) -> None:
        """Start the claimer, senders and recorder on the running loop."""
        if self._tasks:
            return
        batch = isinstance(self.target, BatchTarget)
        senders = min(self.options.concurrency, 4) if batch else self.options.concurrency
        send = self._batch_sender if batch else self._sender
        self._tasks = [asyncio.create_task(self._claimer(), name="claimer"),
                       asyncio.create_task(self._recorder(), name="recorder")]
        self._tasks += [asyncio.create_task(send(), name=f"sender-{n}") for n in range(senders)]

    def wake(self) -> None:
        """New work was accepted: claim now instead of at the next poll."""
        self._claimed_none = False
        self._wake.set()

    @property
    def idle(self) -> bool:
        """Nothing due was found, nothing is buffered, being sent or waiting to be recorded."""
        return (self._claimed_none and self._buffer.empty() and not self._sending
                and not self._done and not self._flushing and not self._unsent)

    async def run_until_idle(self, timeout: float = 30.0) -> bool:
        """Run until idle (True) or until ``timeout`` seconds pass (False); keeps running."""
        self.start()
        self.wake()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            await asyncio.sleep(0.01)
            if self.idle:
                return True
        return False

    async def _claimer(self) -> None:
        while not self._stopping:
            try:
                await self._claim_once()
            except STORE_ERRORS as exc:  # the store is down or busy: keep the worker alive
                log.warning("claim failed; retrying", extra={"kind": type(exc).__name__})
                await self._nap(max(self.options.idle_poll_s, 1.0))
            except Exception:  # a bug of ours: shown with its traceback, the worker lives on
                log.exception("claim failed; retrying")
                await self._nap(max(self.options.idle_poll_s, 1.0))

    async def _claim_once(self) -> None:
        loop = asyncio.get_running_loop()
        if loop.time() >= self._next_reclaim:
            await self._store(self.queue.reclaim_expired)
            self._next_reclaim = loop.time() + max(self.options.lease_s / 4, 1.0)
        if self._buffer.qsize() >= self.options.batch_size:
            await self._nap(self.options.flush_s)
            return
        limit = await self._claim_limit()
        if not limit:
            return
        items = await self._store(self.queue.claim, self.worker_id, limit, self.options.lease_s)
        if self.breaker.is_open:
            self._probe_id = items[0].outbox_id if items else None
        for item in items:
            self._buffer.put_nowait(item)
        if not items:
            self._claimed_none = not self._done and not self._sending
            await self._nap(self.options.idle_poll_s)

    async def _claim_limit(self) -> int:
        """A batch while the breaker is closed; while it is open nothing until the probe is
        due, then one entry (the first waiting retry made due, so there is one to probe with)."""
        if self._unsent:  # back to pending, attempt not counted
            ids, self._unsent = self._unsent, []
            await self._store(self.queue.release, self.worker_id, ids)
        if self._retry_now:
            self._retry_now = False
            await self._store(self.queue.retry_now)
        if not self.breaker.is_open:
            return self.options.batch_size
        wait = self.breaker.wait_s(self.clock.monotonic())
        if wait > 0 or self._sending or not self._buffer.empty():
            await self._nap(min(max(wait, self.options.flush_s), 1.0))
            return 0
        await self._store(self.queue.retry_now, 1)  # one waiting entry due, to probe with
        return 1

    async def _nap(self, seconds: float) -> None:
        self._wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)

    async def _sender(self) -> None:
        while True:
            item = await self._buffer.get()
            if self.breaker.is_open and item.outbox_id != self._probe_id:
                self._unsent.append(item.outbox_id)  # the receiver is down: do not hammer it
                continue
            self._sending.add(item.outbox_id)
            try:
                outcome = await self._send_one(item)
                self._record(item, outcome)
            finally:
                self._sending.discard(item.outbox_id)

    async def _batch_sender(self) -> None:
        deliver_batch = self.target.deliver_batch  # type: ignore[attr-defined]
        while True:
            items = [await self._buffer.get()]
            while len(items) < self.options.batch_size and not self._buffer.empty():
                items.append(self._buffer.get_nowait())
            self._sending.update(i.outbox_id for i in items)
            try:
                try:
                    outcomes: Sequence[Outcome] = await deliver_batch(items)
                except Exception as exc:  # as in _send_one: retry later, keep the sender
                    log.exception("target raised", extra={"batch": len(items)})
                    outcomes = [_crashed(exc)] * len(items)
                self._record_batch(items, outcomes)
            finally:
                self._sending.difference_update(i.outbox_id for i in items)

    async def _send_one(self, item: DeliveryItem) -> Outcome:
        if item.note == PARENT_LATE and self.options.on_parent_timeout == "dead":
            return Outcome("terminal", "上级记录等待超时仍未送达 parent not delivered in time")
        started = self.clock.monotonic()
        try:
            outcome = await self.target.deliver(item)
        except Exception as exc:  # a target bug must not kill the sender; retry later
            log.exception("target raised", extra={"outbox_id": item.outbox_id})
            return _crashed(exc)
        if not outcome.duration_s:
            outcome = outcome.timed(self.clock.monotonic() - started)
        return outcome

    def _record(self, item: DeliveryItem, outcome: Outcome) -> None:
        now = self.clock.now()
        decision = self.policy.decide(outcome, item.attempt_no, now, self.rng)
        started = now - timedelta(seconds=outcome.duration_s)
        self._done.append(Completion(item, outcome, decision, started))
        metrics = self.metrics
        if outcome.reachable is not self._reachable:  # a gauge: set when it changes, not per record
            self._reachable = outcome.reachable
            metrics.child(metrics.reachable, self.target_name).set(1 if outcome.reachable else 0)
        self._trip(outcome)
        if item.note == PARENT_LATE:
            metrics.child(metrics.parent_late, item.table).inc()
        if decision.action == "delivered":
            metrics.child(metrics.delivered, item.table).inc()
            metrics.latency.observe(max((now - item.received_at).total_seconds(), 0.0))
        elif decision.action == "dead":
            metrics.child(metrics.dead, item.table).inc()
        else:
            metrics.child(metrics.retried, item.table).inc()

    def _record_batch(self, items: Sequence[DeliveryItem], outcomes: Sequence[Outcome]) -> None:
        """``_record`` for a batch target's answer: a batch written whole (the common case) is
        recorded with one decision and one count per table (latency still per record)."""
        if len(outcomes) != len(items) or not all(o.ok for o in outcomes) or any(
                i.note == PARENT_LATE for i in items):
            for item, outcome in zip(items, outcomes, strict=True):
                self._record(item, outcome)
            return
        now = self.clock.now()
        decision = self.policy.decide(outcomes[0], items[0].attempt_no, now, self.rng)
        started = now - timedelta(seconds=outcomes[0].duration_s)
        self._done += [Completion(item, outcome, decision, started)
                       for item, outcome in zip(items, outcomes, strict=True)]
        metrics = self.metrics
        if self._reachable is not True:  # a gauge: set when it changes, not per batch
            self._reachable = True
            metrics.child(metrics.reachable, self.target_name).set(1)
        self._trip(outcomes[0])
        per_table = Counter(item.table for item in items)
        for table, count in per_table.items():
            metrics.child(metrics.delivered, table).inc(count)
        observe = metrics.latency.observe
        for item in items:
            observe(max((now - item.received_at).total_seconds(), 0.0))

    def _trip(self, outcome: Outcome) -> None:
        # Down = not reached at all, or the receiver itself failing (5xx: 503 while it restarts).
        down = not outcome.reachable or (outcome.status_code or 0) >= 500
        transition = self.breaker.record(not down, self.clock.monotonic())
        if transition == "none":
            return
        name = self.target_name
        self.metrics.child(self.metrics.circuit_open, name).set(1 if self.breaker.is_open else 0)
        if transition == "closed":
            log.warning("接收方已恢复，继续发送 receiver reachable again: resuming",
                        extra={"target": name})
            self._retry_now = True
            self.wake()
        elif transition == "opened":
            log.warning("接收方不可达，暂停发送并定时探测 receiver unreachable: pausing, probing",
                        extra={"target": name, "failures": self.breaker.failures,
                               "pause_s": self.breaker.pause_s, "reason": outcome.reason})

    async def _recorder(self) -> None:
        while not self._stopping or self._done:
            if not self._done:
                await asyncio.sleep(self.options.flush_s)
                continue
            if len(self._done) < self.options.batch_size and not self._stopping:
                await asyncio.sleep(self.options.flush_s)
            await self._flush()

    async def _flush(self) -> None:
        done, self._done = self._done, []
        if not done:
            return
        self._flushing = True
        try:
            await self._store(self.queue.complete, self.worker_id, self.target_name, done)
        except Exception as exc:  # keep the outcomes and try again; leases cover a crash
            if isinstance(exc, STORE_ERRORS):
                log.warning("recording outcomes failed; retrying",
                            extra={"kind": type(exc).__name__})
            else:  # a bug of ours: shown with its traceback
                log.exception("recording outcomes failed; retrying")
            self._done = done + self._done
            await asyncio.sleep(1.0)
            return
        finally:
            self._flushing = False
        self.wake()  # finished versions and parents may unblock further entries

    async def stop(self) -> None:
        """Stop claiming, let in-flight sends finish (grace), return the rest to pending."""
        self._stopping = True
        self._wake.set()
        senders = [t for t in self._tasks if t.get_name().startswith("sender")]
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.options.shutdown_grace_s
        while self._sending and loop.time() < deadline:
            await asyncio.sleep(0.01)
        unfinished = set(self._sending)  # senders forget their items when cancelled
        for task in senders:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._flush()
        leftover = [self._buffer.get_nowait().outbox_id for _ in range(self._buffer.qsize())]
        leftover += self._unsent
        await self._store(self.queue.release, self.worker_id, leftover + sorted(unfinished))
        self._sending.clear()
        self._tasks = []
        self._db.shutdown(wait=True)


def _crashed(exc: Exception) -> Outcome:
    return Outcome("transient", f"投递目标内部错误 target error: {type(exc).__name__}")
