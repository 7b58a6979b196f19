"""``DeliveryService``: the store intake, the outbox queue and a worker, assembled from settings.

This is the small Python API the rest of hisbridge (the CLI, ``hisbridge demo``, sources)
calls::

    service = DeliveryService.from_settings(settings, engine)
    service.accept("emr_patient_info", rows, source="his")   # the Intake port
    await service.run_until_idle(timeout=30)                 # or start() ... stop()

A hospital group (``institutions`` lists two or more) gets one *lane* per enabled institution:
its own queue view (the entries routed to it), worker (claimer, senders, breaker, concurrency
bound from its ``frontend.concurrency``) and target built from its front-end settings, so one
front-end down or slow never stalls another's delivery (docs/routing.md). Institutions on one
front-end (same settings but the organisation code) share its client, not its worker. Entries
with no institution (queued before the group) go with the legacy owner: the institution whose
code is the top-level ``frontend.org_code``, else the first listed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Engine

from hisbridge._clock import Clock, system_clock
from hisbridge.connectors.frontend.config import FrontendSettings
from hisbridge.delivery.metrics import DeliveryMetrics
from hisbridge.delivery.ports import Target
from hisbridge.delivery.retry import RetryPolicy
from hisbridge.dictionary import Validator
from hisbridge.institutions import Institution
from hisbridge.institutions.routing import intake_routing
from hisbridge.runtime.worker import DeliveryWorker, WorkerOptions
from hisbridge.settings import Settings
from hisbridge.store.intake import StoreIntake
from hisbridge.store.outbox import OutboxQueue
from hisbridge.store.ports import AcceptResult, Op

__all__ = ["DeliveryService", "Lane", "policy_from_settings", "worker_options"]


def policy_from_settings(settings: Settings) -> RetryPolicy:
    d = settings.delivery
    return RetryPolicy(base_s=d.retry_base_s, cap_s=d.retry_cap_s, max_attempts=d.max_attempts)


def worker_options(settings: Settings, *,
                   on_parent_timeout: Literal["send", "dead"] | None = None,
                   frontend: FrontendSettings | None = None) -> WorkerOptions:
    """A worker's options; ``frontend``: the institution's front-end (default: the top-level)."""
    front = frontend or settings.frontend
    batch = settings.delivery.batch_size
    if front.mode == "db":  # a database takes big batches far better than small
        batch = max(batch, 1000)
    return WorkerOptions(concurrency=front.concurrency,
                         batch_size=batch,
                         lease_s=settings.delivery.lease_s,
                         on_parent_timeout=on_parent_timeout or settings.delivery.on_parent_timeout,
                         breaker_threshold=settings.delivery.breaker_threshold,
                         breaker_base_s=settings.delivery.retry_base_s,
                         breaker_max_s=settings.delivery.breaker_max_s)


@dataclass(slots=True)
class Lane:
    """One institution's delivery: its entries (``queue``), receiver and worker options;
    ``institution`` None for a single hospital's one lane (every entry)."""

    institution: str | None
    target: Target
    queue: OutboxQueue
    options: WorkerOptions
    worker: DeliveryWorker | None = None


class DeliveryService:
    """Accept records durably and deliver them; implements the ``Intake`` port too."""

    def __init__(self, engine: Engine, target: Target, *, intake: StoreIntake,
                 queue: OutboxQueue, policy: RetryPolicy, options: WorkerOptions,
                 clock: Clock = system_clock, metrics: DeliveryMetrics | None = None,
                 worker_id: str | None = None, lanes: Sequence[Lane] | None = None) -> None:
        """``target``, ``queue`` and ``options`` are the one lane's of a single hospital; a
        group passes its ``lanes`` (none when every institution is disabled: nothing is sent,
        queued entries wait)."""
        self.engine = engine
        self.lanes = [Lane(None, target, queue, options)] if lanes is None else list(lanes)
        self.target = target
        self.intake = intake
        self.queue = queue
        self.metrics = metrics or DeliveryMetrics()
        self._worker_args: dict[str, Any] = {"policy": policy, "clock": clock}
        self._worker_id = worker_id
        self._loop: asyncio.AbstractEventLoop | None = None
        # Called with (table, records) after every upsert accepted; must not raise. The gateway
        # uses it to tell the consent service about registrations, admissions and discharges.
        self.observers: list[Callable[[str, Sequence[Mapping[str, Any]]], None]] = []

    @classmethod
    def from_settings(cls, settings: Settings, engine: Engine, *, target: Target | None = None,
                      clock: Clock = system_clock, worker_id: str | None = None,
                      on_parent_timeout: Literal["send", "dead"] | None = None) -> DeliveryService:
        """Everything from ``settings``; ``target`` defaults to what ``frontend.mode`` says (a
        group's lanes each get the target of their institution's front-end)."""
        institutions = settings.institution_list()
        intake = StoreIntake(engine, Validator(settings.validation.mode), clock=clock,
                             on_parent_delete=settings.delivery.on_parent_delete,
                             wire=settings.frontend.api_body_at_intake,
                             routing=intake_routing(institutions))
        queue = OutboxQueue(engine, clock=clock, parent_wait_s=settings.delivery.parent_wait_s)
        options = worker_options(settings, on_parent_timeout=on_parent_timeout)
        lanes = None
        if len(institutions) > 1:
            lanes = _lanes(settings, engine, institutions, clock, target, on_parent_timeout)
        if lanes:
            target, queue = lanes[0].target, lanes[0].queue
        elif target is None:
            from hisbridge.connectors import make_target

            target = make_target(settings.frontend, clock)
        return cls(engine, target, intake=intake, queue=queue,
                   policy=policy_from_settings(settings), options=options, clock=clock,
                   worker_id=worker_id, lanes=lanes)

    @property
    def worker(self) -> DeliveryWorker | None:
        """The first lane's worker (a single hospital's only one); None until started."""
        return self.lanes[0].worker if self.lanes else None

    def accept(self, table: str, records: Sequence[Mapping[str, Any]], *, op: Op = "upsert",
               source: str = "") -> AcceptResult:
        """Store the records (one transaction) and nudge the workers."""
        result = self.intake.accept(table, records, op=op, source=source)
        if result.accepted:
            self.wake()
            if op == "upsert":
                for observer in self.observers:
                    observer(table, records)
        return result

    def wake(self) -> None:
        """Tell the running workers that work is waiting; safe from any thread."""
        loop = self._loop
        workers = [lane.worker for lane in self.lanes if lane.worker is not None]
        if not workers or loop is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        for worker in workers:
            if running is loop:
                worker.wake()
            else:
                loop.call_soon_threadsafe(worker.wake)

    def start(self) -> None:
        """Start delivering on the running event loop (every lane's worker)."""
        self._loop = asyncio.get_running_loop()
        for lane in self.lanes:
            if lane.worker is None:
                wid = self._worker_id
                if wid is not None and lane.institution is not None:
                    wid = f"{wid}:{lane.institution}"
                name = None if lane.institution is None else \
                    f"{lane.target.name} [{lane.institution}]"
                lane.worker = DeliveryWorker(lane.queue, lane.target, metrics=self.metrics,
                                             options=lane.options, worker_id=wid,
                                             target_name=name, **self._worker_args)
            lane.worker.start()

    async def run_until_idle(self, timeout: float = 30.0) -> bool:
        """Deliver until nothing is due on any lane (True) or ``timeout`` passes (False)."""
        self.start()
        workers = [lane.worker for lane in self.lanes if lane.worker is not None]
        done = await asyncio.gather(*(w.run_until_idle(timeout) for w in workers))
        return all(done)

    async def stop(self, *, close_target: bool = True) -> None:
        """Finish or return in-flight work, then close the targets."""
        await asyncio.gather(*(lane.worker.stop() for lane in self.lanes
                               if lane.worker is not None))
        for lane in self.lanes:
            lane.worker = None
        if close_target:
            for target in dict.fromkeys([self.target, *(lane.target for lane in self.lanes)]):
                await target.aclose()


def _lanes(settings: Settings, engine: Engine, institutions: Sequence[Institution], clock: Clock,
           target: Target | None, on_parent_timeout: Literal["send", "dead"] | None
           ) -> list[Lane]:
    """One lane per enabled institution (none when all are disabled); the legacy owner's also
    takes entries queued with no institution. ``target`` (tests) serves every lane; else one
    client per distinct front-end."""
    from hisbridge.connectors import make_target

    codes = [i.org_code for i in institutions]
    owner = codes[codes.index(settings.frontend.org_code) if settings.frontend.org_code in codes
                  else 0]
    clients: dict[str, Target] = {}
    lanes = []
    for institution in institutions:
        if not institution.enabled:  # its records are held at intake; its queue waits
            continue
        front = institution.frontend
        shared = front.model_dump_json(exclude={"org_code", "org_name"})
        if target is None and shared not in clients:
            clients[shared] = make_target(front, clock)
        queue = OutboxQueue(engine, clock=clock, parent_wait_s=settings.delivery.parent_wait_s,
                            institution=institution.org_code,
                            unmarked=institution.org_code == owner)
        options = worker_options(settings, on_parent_timeout=on_parent_timeout, frontend=front)
        lanes.append(Lane(institution.org_code, target or clients[shared], queue, options))
    return lanes
