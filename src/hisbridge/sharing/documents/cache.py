"""A small in-memory cache whose entries never outlive the grant they were fetched under.

Each entry carries its consent id and an expiry no later than the grant's ``valid_to``; a
revoked or ended consent is purged as soon as the gateway learns of it. Bounded (LRU).
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import datetime
from typing import Any

__all__ = ["GrantBoundCache"]


class GrantBoundCache:
    def __init__(self, max_entries: int = 500) -> None:
        self._max = max_entries
        self._items: OrderedDict[tuple[str, str], tuple[datetime, Any]] = OrderedDict()

    def get(self, consent_id: str, key: str, now: datetime) -> Any | None:
        """The cached value, or None if absent or past its expiry."""
        found = self._items.get((consent_id, key))
        if found is None:
            return None
        expires, value = found
        if now >= expires:
            del self._items[(consent_id, key)]
            return None
        self._items.move_to_end((consent_id, key))
        return value

    def put(self, consent_id: str, key: str, value: Any, expires: datetime) -> None:
        if self._max <= 0:
            return
        self._items[(consent_id, key)] = (expires, value)
        self._items.move_to_end((consent_id, key))
        while len(self._items) > self._max:
            self._items.popitem(last=False)

    def purge(self, consent_id: str) -> int:
        """Drop everything fetched under ``consent_id``; returns how many entries went."""
        doomed = [k for k in self._items if k[0] == consent_id]
        for key in doomed:
            del self._items[key]
        return len(doomed)

    def __len__(self) -> int:
        return len(self._items)
