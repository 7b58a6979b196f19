"""The intake port: how sources hand records to the store.

Implemented by ``hisbridge.store.outbox`` (the durable store + outbox) and by the in-memory fake
in ``hisbridge.testing``. Sources (SQL polling, push, files) depend only on this.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from hisbridge.dictionary.model import Op
from hisbridge.dictionary.violations import Violation

__all__ = ["AcceptResult", "Intake", "Op", "Rejected"]



@dataclass(frozen=True, slots=True)
class Rejected:
    """A record that was quarantined (kept, not sent) with why."""

    index: int
    record_id: str | None
    violations: tuple[Violation, ...]


@dataclass(slots=True)
class AcceptResult:
    accepted: int = 0  # new versions written with an outbox entry
    unchanged: int = 0  # same content hash as the last version: nothing enqueued
    # children of a deleted parent: kept deleted with it, never sent (no orphan at the front-end)
    withheld: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    # the keys nothing new was stored for: ``unchanged``, or a child withheld again
    unchanged_ids: set[str] = field(default_factory=set)


class Intake(Protocol):
    def accept(
        self,
        table: str,
        records: Sequence[Mapping[str, Any]],
        *,
        op: Op = "upsert",
        source: str = "",
    ) -> AcceptResult:
        """Validate and store ``records`` with their outbox entries in one transaction."""
        ...
