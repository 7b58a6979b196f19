"""Pruning rows that only age out: attempt history, runs, rejects, sessions, alerts...

Each rule names a table and the condition a row must meet to go. Rows are deleted in batches
of ``batch_size`` walking the primary key (each row is read at most once per pass, whatever is
kept), one short transaction per batch. A row that meets the condition always goes, so a dry
run's count equals what a real run deletes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, Table, delete, exists, func, select, tuple_

from hisbridge.store.retention.policy import Cutoffs
from hisbridge.store.schema.console import (
    alert_events,
    console_actions,
    console_login_attempts,
    console_sessions,
)
from hisbridge.store.schema.outbox import attempts, outbox, quarantine
from hisbridge.store.schema.sources import source_rejects, source_runs, source_seen_keys
from hisbridge.store.schema.warnings import warning_webhook_deliveries

__all__ = ["HISTORY", "RULES", "Rule", "prune_table"]

Counted = Callable[[str, int], None]


@dataclass(frozen=True, slots=True)
class Rule:
    """Rows of ``table`` that may go, as a condition built from the cutoffs (None: keep all)."""

    table: Table
    condition: Callable[[Cutoffs], Any]


def _attempts(c: Cutoffs) -> Any:
    if c.attempts is None:
        return None
    a, o = attempts.c, outbox.c
    delivered = exists().where(o.id == a.outbox_id, o.state == "delivered")
    batch = a.outbox_id.is_(None)  # a delivered batch's row: history of delivered entries only
    return (a.started_at < c.attempts) & (delivered | batch)  # a dead letter keeps its history


def _source_runs(c: Cutoffs) -> Any:
    if c.source_runs is None:
        return None
    r = source_runs.c
    newer = source_runs.alias("newer")
    superseded = exists().where(newer.c.source == r.source, newer.c.table_name == r.table_name,
                                newer.c.id > r.id)
    return (r.started_at < c.source_runs) & r.status.in_(("ok", "failed")) & superseded


def _older(column: Any, field: str) -> Callable[[Cutoffs], Any]:
    def condition(c: Cutoffs) -> Any:
        cutoff = getattr(c, field)
        return None if cutoff is None else column < cutoff
    return condition


def _webhooks(c: Cutoffs) -> Any:
    d = warning_webhook_deliveries.c
    return None if c.delivered is None else (d.state == "delivered") & (d.finished_at < c.delivered)


def _alerts(c: Cutoffs) -> Any:
    e = alert_events.c
    return None if c.alerts is None else e.resolved_at.is_not(None) & (e.resolved_at < c.alerts)


# Attempt history goes before the entries (which take their remaining attempts with them).
HISTORY = Rule(attempts, _attempts)
RULES = (
    Rule(quarantine, _older(quarantine.c.received_at, "quarantine")),
    Rule(source_runs, _source_runs),
    Rule(source_rejects, _older(source_rejects.c.created_at, "source_rejects")),
    Rule(source_seen_keys, _older(source_seen_keys.c.day, "seen_keys_day")),
    Rule(warning_webhook_deliveries, _webhooks),
    Rule(console_sessions, _older(console_sessions.c.expires_at, "sessions")),
    Rule(console_login_attempts, _older(console_login_attempts.c.at, "login_attempts")),
    Rule(console_actions, _older(console_actions.c.at, "actions")),
    Rule(alert_events, _alerts),
)


def prune_table(engine: Engine, rule: Rule, limits: Cutoffs, batch_size: int, dry_run: bool,
                count: Counted) -> None:
    """Delete (or count) the rows of ``rule.table`` that meet its condition."""
    condition = rule.condition(limits)
    if condition is None:
        return
    if dry_run:
        with engine.connect() as conn:
            found = conn.execute(select(func.count()).select_from(rule.table).where(condition))
            count(rule.table.name, int(found.scalar() or 0))
        return
    _delete_batches(engine, rule.table, condition, batch_size, count)


def _delete_batches(engine: Engine, table: Table, condition: Any, size: int,
                    count: Counted) -> None:
    keys = list(table.primary_key.columns)
    after: tuple[Any, ...] | None = None
    while True:
        query = select(*keys).where(condition).order_by(*keys).limit(size)
        if after is not None:
            query = query.where(_beyond(keys, after))
        with engine.begin() as conn:
            batch = [tuple(row) for row in conn.execute(query)]
            if batch:
                gone = delete(table).where(_among(keys, batch), condition)  # still true?
                count(table.name, conn.execute(gone).rowcount)
        if len(batch) < size:
            return
        after = batch[-1]


def _among(keys: list[Any], rows: list[tuple[Any, ...]]) -> Any:
    if len(keys) == 1:
        return keys[0].in_([row[0] for row in rows])
    return tuple_(*keys).in_(rows)


def _beyond(keys: list[Any], after: tuple[Any, ...]) -> Any:
    if len(keys) == 1:
        return keys[0] > after[0]
    return tuple_(*keys) > tuple_(*after)
