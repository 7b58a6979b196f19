"""``DeliveryService``: the store intake, the outbox queue and a worker, assembled from settings.

This is the small Python API the rest of hisbridge (the CLI, ``hisbridge demo``, sources)
calls::

    service = DeliveryService.from_settings(settings, engine)
    service.accept("emr_patient_info", rows, source="his")   # the Intake port
    await service.run_until_idle(timeout=30)                 # or start() ... stop()
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

from sqlalchemy import Engine

from hisbridge._clock import Clock, system_clock
from hisbridge.delivery.metrics import DeliveryMetrics
from hisbridge.delivery.ports import Target
from hisbridge.delivery.retry import RetryPolicy
from hisbridge.dictionary import Validator
from hisbridge.institutions.routing import intake_routing
from hisbridge.runtime.worker import DeliveryWorker, WorkerOptions
from hisbridge.settings import Settings
from hisbridge.store.intake import StoreIntake
from hisbridge.store.outbox import OutboxQueue
from hisbridge.store.ports import AcceptResult, Op

__all__ = ["DeliveryService", "policy_from_settings", "worker_options"]


def policy_from_settings(settings: Settings) -> RetryPolicy:
    d = settings.delivery
    return RetryPolicy(base_s=d.retry_base_s, cap_s=d.retry_cap_s, max_attempts=d.max_attempts)


def worker_options(settings: Settings, *,
                   on_parent_timeout: Literal["send", "dead"] | None = None) -> WorkerOptions:
    batch = settings.delivery.batch_size
    if settings.frontend.mode == "db":  # a database takes big batches far better than small
        batch = max(batch, 1000)
    return WorkerOptions(concurrency=settings.frontend.concurrency,
                         batch_size=batch,
                         lease_s=settings.delivery.lease_s,
                         on_parent_timeout=on_parent_timeout or settings.delivery.on_parent_timeout,
                         breaker_threshold=settings.delivery.breaker_threshold,
                         breaker_base_s=settings.delivery.retry_base_s,
                         breaker_max_s=settings.delivery.breaker_max_s)


class DeliveryService:
    """Accept records durably and deliver them; implements the ``Intake`` port too."""

    def __init__(self, engine: Engine, target: Target, *, intake: StoreIntake,
                 queue: OutboxQueue, policy: RetryPolicy, options: WorkerOptions,
                 clock: Clock = system_clock, metrics: DeliveryMetrics | None = None,
                 worker_id: str | None = None) -> None:
        self.engine = engine
        self.target = target
        self.intake = intake
        self.queue = queue
        self.metrics = metrics or DeliveryMetrics()
        self._worker_args: dict[str, Any] = {"policy": policy, "options": options, "clock": clock,
                                             "worker_id": worker_id}
        self.worker: DeliveryWorker | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        # Called with (table, records) after every upsert accepted; must not raise. The gateway
        # uses it to tell the consent service about registrations, admissions and discharges.
        self.observers: list[Callable[[str, Sequence[Mapping[str, Any]]], None]] = []

    @classmethod
    def from_settings(cls, settings: Settings, engine: Engine, *, target: Target | None = None,
                      clock: Clock = system_clock, worker_id: str | None = None,
                      on_parent_timeout: Literal["send", "dead"] | None = None) -> DeliveryService:
        """Everything from ``settings``; ``target`` defaults to what ``frontend.mode`` says."""
        if target is None:
            from hisbridge.connectors import make_target

            target = make_target(settings.frontend, clock)
        intake = StoreIntake(engine, Validator(settings.validation.mode), clock=clock,
                             on_parent_delete=settings.delivery.on_parent_delete,
                             wire=settings.frontend.api_body_at_intake,
                             routing=intake_routing(settings.institution_list()))
        queue = OutboxQueue(engine, clock=clock, parent_wait_s=settings.delivery.parent_wait_s)
        return cls(engine, target, intake=intake, queue=queue,
                   policy=policy_from_settings(settings),
                   options=worker_options(settings, on_parent_timeout=on_parent_timeout),
                   clock=clock, worker_id=worker_id)

    def accept(self, table: str, records: Sequence[Mapping[str, Any]], *, op: Op = "upsert",
               source: str = "") -> AcceptResult:
        """Store the records (one transaction) and nudge the worker."""
        result = self.intake.accept(table, records, op=op, source=source)
        if result.accepted:
            self.wake()
            if op == "upsert":
                for observer in self.observers:
                    observer(table, records)
        return result

    def wake(self) -> None:
        """Tell a running worker that work is waiting; safe from any thread."""
        worker, loop = self.worker, self._loop
        if worker is None or loop is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            worker.wake()
        else:
            loop.call_soon_threadsafe(worker.wake)

    def start(self) -> None:
        """Start delivering on the running event loop."""
        if self.worker is None:
            self._loop = asyncio.get_running_loop()
            self.worker = DeliveryWorker(self.queue, self.target, metrics=self.metrics,
                                         **self._worker_args)
        self.worker.start()

    async def run_until_idle(self, timeout: float = 30.0) -> bool:
        """Deliver until nothing is due (True) or ``timeout`` passes (False)."""
        self.start()
        assert self.worker is not None
        return await self.worker.run_until_idle(timeout)

    async def stop(self, *, close_target: bool = True) -> None:
        """Finish or return in-flight work, then close the target."""
        if self.worker is not None:
            await self.worker.stop()
            self.worker = None
        if close_target:
            await self.target.aclose()
