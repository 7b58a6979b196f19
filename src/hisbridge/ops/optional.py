"""Tables of other concepts that the console reads when they are installed.

The console shows the outbox, sources, messages, consents and the audit log, each owned by its
own package. A page whose data is not there says "未启用 / not configured" instead of failing:
``optional_table`` answers None when the owning schema module or table does not exist.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Engine, Table

from hisbridge.store.times import to_store

__all__ = ["between", "optional_module", "optional_table", "read_rows", "usable_table"]


def optional_module(name: str) -> object | None:
    """The module ``name`` if it can be imported, else None."""
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def optional_table(schema_module: str, table: str) -> Table | None:
    """The table ``table`` declared in ``hisbridge.store.schema.<schema_module>``, or None."""
    module = optional_module(f"hisbridge.store.schema.{schema_module}")
    found = getattr(module, table, None) if module is not None else None
    return found if isinstance(found, Table) else None


def usable_table(schema_module: str, table: str, columns: Sequence[str]) -> Table | None:
    """``optional_table``, and None too when the table lacks one of the ``columns`` read."""
    found = optional_table(schema_module, table)
    if found is None or any(c not in found.c for c in columns):
        return None
    return found


def read_rows(engine: Engine, query: Any) -> list[dict[str, Any]]:
    """The rows of ``query`` as plain dicts."""
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def between(query: Any, column: ColumnElement[Any], since: datetime | None,
            until: datetime | None) -> Any:
    """``query`` kept to rows whose ``column`` (a stored time) is within ``since``..``until``."""
    if since:
        query = query.where(column >= to_store(since))
    if until:
        query = query.where(column <= to_store(until))
    return query
