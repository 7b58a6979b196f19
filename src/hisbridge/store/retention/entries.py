"""Pruning finished outbox entries, their attempts and the record versions left without one.

Entries are read in windows of ``batch_size`` along ``ix_outbox_finished_at_id``: only
finished entries (queued ones have no ``finished_at``) older than the later cutoff are read,
each once per run, and each window's deletes are one short transaction. Entries come in the
order they finished, so an entry is always judged before any replay of it (a replay finishes
later): what a run decides never depends on what it already deleted, and a dry run counts
exactly what a real run deletes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, and_, delete, exists, func, literal, or_, select, tuple_

from hisbridge.store.retention.policy import (
    TERMINAL_STATES,
    Cutoffs,
    EntryFacts,
    attempts_going,
    entry_prunable,
    state_cutoff,
)
from hisbridge.store.schema.outbox import attempts, outbox, record_keys, records
from hisbridge.store.times import from_store

__all__ = ["prune_entries"]

Counted = Callable[[str, int], None]


def prune_entries(engine: Engine, limits: Cutoffs, batch_size: int, dry_run: bool,
                  count: Counted) -> None:
    """Delete (or count) the prunable finished entries; ``count(table, rows)`` per batch."""
    known = [c for c in (state_cutoff(limits, s) for s in TERMINAL_STATES) if c is not None]
    if not known:
        return
    for facts in _windows(engine, max(known), limits, batch_size):
        chosen = [row for row in facts if entry_prunable(_entry(row), limits)]
        if chosen:
            _delete(engine, chosen, limits, dry_run, count)


def _windows(engine: Engine, cutoff: datetime, limits: Cutoffs,
             size: int) -> Iterator[list[Any]]:
    """The facts of finished entries older than ``cutoff``, ``size`` entries at a time."""
    after: tuple[Any, int] | None = None
    while True:
        with engine.connect() as conn:
            window = conn.execute(_window(cutoff, after, size)).all()
            if not window:
                return
            facts = conn.execute(_facts([row.id for row in window], limits)).all()
        yield list(facts)
        if len(window) < size:
            return
        after = (window[-1].finished_at, window[-1].id)


def _window(cutoff: datetime, after: tuple[Any, int] | None, size: int) -> Any:
    o = outbox.c
    query = select(o.id, o.finished_at).where(o.finished_at < cutoff) \
        .order_by(o.finished_at, o.id).limit(size)
    if after is not None:
        moment, last_id = after
        query = query.where(o.finished_at >= moment,
                            or_(o.finished_at > moment, o.id > last_id))
    return query


def _facts(ids: list[int], limits: Cutoffs) -> Any:
    """Facts of the entries among ``ids`` that are not of their record's newest version."""
    o, k, a = outbox.c, record_keys.c, attempts.c
    newer, child, sibling = outbox.alias("newer"), outbox.alias("child"), outbox.alias("sibling")
    old = (a.started_at < limits.attempts) if limits.attempts is not None else literal(False)
    return (
        select(
            o.id, o.state, o.finished_at, o.version, o.table_name, o.record_id,
            k.version.label("latest"),
            exists().where(newer.c.table_name == o.table_name, newer.c.record_id == o.record_id,
                           newer.c.version > o.version, newer.c.state == "delivered")
            .label("newer_delivered"),
            exists().where(child.c.replay_of == o.id).label("replayed_by"),
            select(func.count()).where(sibling.c.table_name == o.table_name,
                                       sibling.c.record_id == o.record_id,
                                       sibling.c.version == o.version, sibling.c.id != o.id)
            .scalar_subquery().label("siblings"),
            select(func.count()).where(a.outbox_id == o.id).scalar_subquery().label("tries"),
            select(func.count()).where(a.outbox_id == o.id, old)
            .scalar_subquery().label("old_tries"))
        .join(record_keys, and_(k.table_name == o.table_name, k.record_id == o.record_id))
        .where(o.id.in_(ids), o.version < k.version)  # the newest version is never a candidate
    )


def _entry(row: Any) -> EntryFacts:
    return EntryFacts(row.state, from_store(row.finished_at), row.version, row.latest,
                      bool(row.newer_delivered), bool(row.replayed_by), int(row.tries),
                      int(row.old_tries))


def _delete(engine: Engine, chosen: list[Any], limits: Cutoffs, dry_run: bool,
            count: Counted) -> None:
    ids = [row.id for row in chosen]
    if dry_run:  # a version goes with its only entry (a replayed one waits for its replay)
        count("attempts", sum(attempts_going(_entry(row), limits) for row in chosen))
        count("outbox", len(ids))
        count("records", sum(1 for row in chosen if not row.siblings))
        return
    versions = [(row.table_name, row.record_id, row.version) for row in chosen]
    with engine.begin() as conn:
        count("attempts", conn.execute(delete(attempts).where(
            attempts.c.outbox_id.in_(ids))).rowcount)
        count("outbox", conn.execute(delete(outbox).where(outbox.c.id.in_(ids))).rowcount)
        count("records", conn.execute(_orphaned_versions(versions)).rowcount)


def _orphaned_versions(versions: list[tuple[str, str, int]]) -> Any:
    """Delete those of ``versions`` left without any outbox entry (never the newest one)."""
    r, o, k = records.c, outbox.c, record_keys.c
    newest = select(k.version).where(k.table_name == r.table_name,
                                     k.record_id == r.record_id).scalar_subquery()
    return delete(records).where(
        tuple_(r.table_name, r.record_id, r.version).in_(versions),
        ~exists().where(o.table_name == r.table_name, o.record_id == r.record_id,
                        o.version == r.version),
        r.version < newest)
