"""Times in the store are UTC: SQLite keeps naive text, PostgreSQL ``timestamptz``.

Everything written goes through ``to_store`` and everything read through ``from_store``, so both
stores compare and return the same instants.
"""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["from_store", "to_store"]


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
