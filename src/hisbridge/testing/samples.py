"""Keyed synthetic records for delivery tests and benchmarks, built on ``valid_record``.

``sample_record(table, record_id, parent_id=..., serial=n)`` is a strict-valid record of
``table`` with a chosen id (and parent id), deterministic for a given ``serial``.
"""

from __future__ import annotations

import random
from typing import Any

from hisbridge.dictionary import TableSpec, load_dictionary
from hisbridge.testing.documents import valid_record

__all__ = ["sample_record"]


def sample_record(table: str | TableSpec, record_id: str, *, parent_id: str | None = None,
                  serial: int = 0, **overrides: Any) -> dict[str, Any]:
    """A strict-valid record of ``table`` with id ``record_id`` (snake_case keys)."""
    spec = table if isinstance(table, TableSpec) else load_dictionary().table(table)
    record = valid_record(spec, random.Random(serial))
    record[spec.primary_key] = record_id
    for parent in spec.parent_keys:
        record[parent.field] = parent_id or f"parent-of-{record_id}"
    record.update(overrides)
    return record
