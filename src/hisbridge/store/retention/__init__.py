"""Retention: keep a store that runs for years from growing without bound.

``prune`` deletes finished work older than the ``retention`` settings allow, in bounded
batches (one short transaction each) and in foreign-key order: attempt history first, then
finished outbox entries with the record versions they leave behind, then rows that only age
out. It never touches queued outbox entries, the newest version of a record (nor
``record_keys``, which makes a re-sent record "unchanged"), the audit log (a hash chain with
its own ``hisbridge audit prune``), consents, front-end messages or secret keys. The rules are
in ``policy``; ``hisbridge outbox prune`` and the gateway's ``prune_loop`` run them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from hisbridge._clock import Clock, system_clock
from hisbridge.logs import get_logger
from hisbridge.store.errors import STORE_ERRORS
from hisbridge.store.retention.entries import prune_entries
from hisbridge.store.retention.policy import cutoffs
from hisbridge.store.retention.tables import HISTORY, RULES, prune_table

if TYPE_CHECKING:
    from hisbridge.store.retention.policy import RetentionSettings

__all__ = ["PRUNED_TABLES", "PruneReport", "prune", "prune_loop"]

log = get_logger("hisbridge.retention")

# Every table retention may delete from, in the order a run reaches them.
PRUNED_TABLES = ("attempts", "outbox", "records", *(rule.table.name for rule in RULES))
_FIRST_RUN_S = 600.0  # a gateway restarted daily still prunes


@dataclass(slots=True)
class PruneReport:
    """Rows deleted (or, for a dry run, that would be) per table."""

    dry_run: bool
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(PRUNED_TABLES, 0))

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def add(self, table: str, rows: int) -> None:
        self.counts[table] = self.counts.get(table, 0) + rows


def prune(engine: Engine, settings: RetentionSettings, now: datetime, *, dry_run: bool = False,
          progress: Callable[[str, int], None] | None = None) -> PruneReport:
    """Delete what ``settings`` no longer keep at ``now`` (or only count it: ``dry_run``).

    ``progress(table, rows)`` is called after every batch (the CLI draws it)."""
    report = PruneReport(dry_run)
    limits = cutoffs(settings, now)

    def count(table: str, rows: int) -> None:
        report.add(table, rows)
        if progress is not None:
            progress(table, rows)

    size = settings.batch_size
    prune_table(engine, HISTORY, limits, size, dry_run, count)
    prune_entries(engine, limits, size, dry_run, count)
    for rule in RULES:
        prune_table(engine, rule, limits, size, dry_run, count)
    return report


async def prune_loop(engine: Engine, settings: RetentionSettings,
                     clock: Clock = system_clock) -> None:
    """Prune every ``settings.every_s`` (first after ten minutes), off the loop, until cancelled."""
    if settings.every_s <= 0:
        return
    await asyncio.sleep(min(settings.every_s, _FIRST_RUN_S))
    while True:
        try:
            done = await asyncio.to_thread(prune, engine, settings, clock.now())
            log.info("retention.pruned", rows=done.total,
                     **{t: n for t, n in done.counts.items() if n})
        except STORE_ERRORS as exc:  # a store hiccup: logged, tried again next time
            log.error("retention.failed", error=type(exc).__name__)
        except Exception as exc:  # a bug of ours: with its traceback, still tried again
            log.exception("retention.failed", error=type(exc).__name__)
        await asyncio.sleep(settings.every_s)
