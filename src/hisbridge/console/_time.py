"""Store times are UTC (SQLite keeps naive text, PostgreSQL ``timestamptz``): one conversion."""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["from_store", "to_store"]


def to_store(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def from_store(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
