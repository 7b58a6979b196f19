"""Dead letters for the console: a page by filter, how many match, and counts per error code;
and the HIS webhook deliveries given up.

The query is the outbox's (``hisbridge.store.queries.dead_letters``), the same one the CLI and
the API list; so is replay (``hisbridge.store.queries.replay``). Dead webhook deliveries are
``hisbridge.store.webhooks.dead_webhooks``, as ``hisbridge outbox webhooks`` lists them. This
module only reads.
"""

from __future__ import annotations

from sqlalchemy import Engine

from hisbridge.store.queries import DeadEntry, DeadFilter, dead_counts, dead_letters
from hisbridge.store.scope import EVERY_INSTITUTION, InstitutionScope
from hisbridge.store.webhooks import DeadWebhook, dead_webhooks

__all__ = ["DeadFilter", "DeadRow", "DeadWebhook", "list_dead", "list_dead_webhooks"]

PAGE = 100

DeadRow = DeadEntry


def list_dead(engine: Engine, f: DeadFilter) -> tuple[list[DeadRow], int, dict[str, int]]:
    """Up to ``PAGE`` dead letters (newest first), how many match, and counts per error code."""
    total, codes = dead_counts(engine, f)
    return dead_letters(engine, f, PAGE), total, codes


def list_dead_webhooks(engine: Engine, scope: InstitutionScope = EVERY_INSTITUTION) -> list[DeadWebhook]:
    """Up to ``PAGE`` dead HIS webhook deliveries (newest first), with the reason; the
    hospital's own webhooks carry no institution, so a scoped reader sees none."""
    return dead_webhooks(engine, PAGE) if scope.everything else []
