"""Secret keys (API Secret Key) issued for a licence code, valid ``key_ttl_s`` (7 days).

Provisional contract: the real front-end's key API is not public. Keys live in memory; a
restart or ``/sim/reset`` forgets them, as a key expiry would. Each key also carries its
consumer cursor for the message query (the last message seq handed out under it).
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from hisbridge._clock import Clock

__all__ = ["IssuedKey", "SecretKeys"]


@dataclass(slots=True)
class IssuedKey:
    """One issued key and how far its consumer has read."""

    key: str
    license: str
    issued_at: datetime
    expires_at: datetime
    consumed: int = 0
    lock: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False)


class SecretKeys:
    """Issues and checks keys against the injected clock."""

    def __init__(self, clock: Clock, ttl_s: float, licenses: tuple[str, ...]) -> None:
        self.clock = clock
        self.ttl = timedelta(seconds=ttl_s)
        self.licenses = frozenset(licenses)
        self._keys: dict[str, IssuedKey] = {}

    def license_ok(self, license_code: str) -> bool:
        """An empty licence list accepts any non-empty code."""
        return bool(license_code) and (not self.licenses or license_code in self.licenses)

    def issue(self, license_code: str) -> IssuedKey | None:
        """A new key for a known licence, or None."""
        if not self.license_ok(license_code):
            return None
        now = self.clock.now()
        issued = IssuedKey(secrets.token_hex(16), license_code, now, now + self.ttl)
        self._keys[issued.key] = issued
        return issued

    def check(self, key: str) -> IssuedKey | None:
        """The key if it exists and has not expired, else None."""
        issued = self._keys.get(key)
        if issued is None or self.clock.now() >= issued.expires_at:
            return None
        return issued

    def reset(self) -> None:
        self._keys.clear()
