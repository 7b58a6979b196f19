"""In-memory stand-ins for two small ports of the front-end connector, for tests and demos."""

from __future__ import annotations

from hisbridge.connectors.frontend.keys import SecretKey

__all__ = ["MemoryDeliveredLookup", "MemoryKeyCache"]


class MemoryDeliveredLookup:
    """A ``DeliveredLookup`` (``connectors.frontend.sso``) over a set of (table, record id)."""

    def __init__(self, delivered: set[tuple[str, str]] | None = None) -> None:
        self.delivered = delivered if delivered is not None else set()

    def is_delivered(self, table: str, record_id: str) -> bool:
        return (table, record_id) in self.delivered


class MemoryKeyCache:
    """A ``KeyCache`` (``connectors.frontend.keys``) in memory."""

    def __init__(self) -> None:
        self.key: SecretKey | None = None

    def load(self) -> SecretKey | None:
        return self.key

    def save(self, key: SecretKey) -> None:
        self.key = key
