"""Dead letters for the console: a page by filter, how many match, and counts per error code.

The query is the outbox's (``hisbridge.store.queries.dead_letters``), the same one the CLI and
the API list; so is replay (``hisbridge.store.queries.replay``). This module only reads.
"""

from __future__ import annotations

from sqlalchemy import Engine

from hisbridge.store.queries import DeadEntry, DeadFilter, dead_counts, dead_letters

__all__ = ["DeadFilter", "DeadRow", "list_dead"]

PAGE = 100

DeadRow = DeadEntry


def list_dead(engine: Engine, f: DeadFilter) -> tuple[list[DeadRow], int, dict[str, int]]:
    """Up to ``PAGE`` dead letters (newest first), how many match, and counts per error code."""
    total, codes = dead_counts(engine, f)
    return dead_letters(engine, f, PAGE), total, codes
