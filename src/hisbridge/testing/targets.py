"""A recording, controllable delivery target (the in-memory side of the delivery port).

``RecordingTarget`` answers from a script per record id (a list of outcomes consumed in order,
then ``default``), can add latency, and records every call: ``calls`` (all attempts, in send
order), ``delivered`` (successful ones) and ``max_concurrency`` (peak simultaneous sends).
"""

from __future__ import annotations

import asyncio
from collections import defaultdict, deque
from collections.abc import Iterable
from dataclasses import dataclass

from hisbridge.delivery.outcome import DeliveryItem, Outcome

__all__ = ["RecordingTarget", "Sent", "busy", "ok", "rejected", "unreachable"]


@dataclass(frozen=True, slots=True)
class Sent:
    """One call the target received."""

    table: str
    record_id: str
    version: int
    op: str
    attempt_no: int
    verdict: str


def ok() -> Outcome:
    return Outcome.delivered(status_code=200, reply='{"result": true}')


def busy(code: str = "01", retry_after: float | None = None) -> Outcome:
    return Outcome("transient", f"errorCode {code}", 200, code, "{}", retry_after)


def rejected(code: str = "04") -> Outcome:
    return Outcome("terminal", f"errorCode {code} 数据校验错误", 200, code,
                   f'{{"result": false, "errorCode": "{code}"}}')


def unreachable() -> Outcome:
    return Outcome("transient", "connection refused", reachable=False)


class RecordingTarget:
    """Implements ``hisbridge.delivery.ports.Target`` in memory."""

    name = "recording"

    def __init__(self, *, latency_s: float = 0.0, default: Outcome | None = None) -> None:
        self.latency_s = latency_s
        self.default = default or ok()
        self.scripts: dict[str, deque[Outcome]] = defaultdict(deque)
        self.calls: list[Sent] = []
        self.max_concurrency = 0
        self._active = 0
        self.closed = False

    def script(self, record_id: str, outcomes: Iterable[Outcome]) -> None:
        """Answer the next sends of ``record_id`` with ``outcomes``, in order."""
        self.scripts[record_id].extend(outcomes)

    @property
    def delivered(self) -> list[Sent]:
        return [c for c in self.calls if c.verdict == "delivered"]

    async def deliver(self, item: DeliveryItem) -> Outcome:
        """Answer from the script (or the default) after the configured latency."""
        self._active += 1
        self.max_concurrency = max(self.max_concurrency, self._active)
        try:
            if self.latency_s:
                await asyncio.sleep(self.latency_s)
            script = self.scripts.get(item.record_id)
            outcome = script.popleft() if script else self.default
            self.calls.append(Sent(item.table, item.record_id, item.version, item.op,
                                   item.attempt_no, outcome.verdict))
            return outcome
        finally:
            self._active -= 1

    async def aclose(self) -> None:
        self.closed = True
