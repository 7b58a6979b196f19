"""The delivery port: a target is ``deliver(item) -> Outcome`` plus ``aclose()``.

Abilities beyond that are separate small protocols: a ``BatchTarget`` (the database sink) can
take many items in one round trip, and the worker uses that when it is offered.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from hisbridge.delivery.outcome import DeliveryItem, Outcome

__all__ = ["BatchTarget", "Target"]


@runtime_checkable
class Target(Protocol):
    """Where records go. ``deliver`` never raises for a failed send: it returns an outcome."""

    name: str

    async def deliver(self, item: DeliveryItem) -> Outcome: ...

    async def aclose(self) -> None: ...


@runtime_checkable
class BatchTarget(Protocol):
    """A target that can take several items at once; one outcome per item, in order."""

    async def deliver_batch(self, items: Sequence[DeliveryItem]) -> list[Outcome]: ...
