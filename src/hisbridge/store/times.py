"""Times in the store are UTC: SQLite keeps naive text, PostgreSQL ``timestamptz``.

Every timestamp column is a ``UtcDateTime``: whatever aware time is written (China time from
the clock, UTC, another zone) is stored as UTC, and every read gives back an aware UTC time, on
both stores. ``to_store``/``from_store`` do the same for values handled outside a column.
Showing a time to people is ``hisbridge._clock.format_local``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

__all__ = ["UtcDateTime", "from_store", "to_store"]


def to_store(moment: datetime) -> datetime:
    """An aware UTC datetime (naive input is taken to be UTC already)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def from_store(moment: datetime | None) -> datetime | None:
    """An aware UTC datetime from what the driver returned."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """A ``timestamptz`` column that always stores and returns UTC (SQLite included)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        return to_store(value) if isinstance(value, datetime) else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        return from_store(value) if isinstance(value, datetime) else value
