"""Secret keys (API Secret Key) issued for a licence code, valid ``key_ttl_s`` (7 days).

Provisional contract: the real front-end's key API is not public. Each key also carries its
consumer cursor for the message query (the last message seq handed out under it). Keys are
checked in memory, never against the database; given a ``DurableState`` they are loaded at
start and written through on issue, cursor move and expiry, so a restart keeps them.
``/sim/reset`` forgets them, as a key expiry would. At most ``keep`` keys are held: issuing
one more forgets expired keys, then the oldest issued, so a client asking again and again
cannot grow the simulator without bound.
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from hisbridge._clock import Clock
from hisbridge.simulators.frontend.durable import DurableState, SavedKey

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

    def __init__(
        self, clock: Clock, ttl_s: float, licenses: tuple[str, ...],
        durable: DurableState | None = None, keep: int = 1000,
    ) -> None:
        self.clock = clock
        self.keep = keep
        self.ttl = timedelta(seconds=ttl_s)
        self.licenses = frozenset(licenses)
        self.durable = durable
        self._keys: dict[str, IssuedKey] = {}
        if durable is not None:
            self._load(durable)

    def _load(self, durable: DurableState) -> None:
        for saved in durable.keys():
            self._keys[saved.key] = IssuedKey(
                saved.key, saved.license, saved.issued_at, saved.expires_at, saved.consumed)
            self.check(saved.key)  # one that expired while the simulator was down goes now

    def license_ok(self, license_code: str) -> bool:
        """An empty licence list accepts any non-empty code."""
        return bool(license_code) and (not self.licenses or license_code in self.licenses)

    def issue(self, license_code: str) -> IssuedKey | None:
        """A new key for a known licence, or None."""
        if not self.license_ok(license_code):
            return None
        now = self.clock.now()
        issued = IssuedKey(secrets.token_hex(16), license_code, now, now + self.ttl)
        if self.durable is not None:
            self.durable.save_key(SavedKey(
                issued.key, issued.license, issued.issued_at, issued.expires_at, 0))
        self._make_room()
        self._keys[issued.key] = issued
        return issued

    def _make_room(self) -> None:
        """Forget expired keys, then the oldest issued, until one more fits under ``keep``."""
        for key in list(self._keys):
            self.check(key)
        for key in list(self._keys)[: max(len(self._keys) - self.keep + 1, 0)]:
            self._forget(key)

    def _forget(self, key: str) -> None:
        del self._keys[key]
        if self.durable is not None:
            self.durable.forget_key(key)

    def check(self, key: str) -> IssuedKey | None:
        """The key if it exists and has not expired, else None (an expired key is forgotten)."""
        issued = self._keys.get(key)
        if issued is None:
            return None
        if self.clock.now() >= issued.expires_at:
            self._forget(key)
            return None
        return issued

    def advance(self, issued: IssuedKey, seq: int) -> None:
        """Move the key's consumer cursor forward to ``seq`` (never back)."""
        if seq <= issued.consumed:
            return
        if self.durable is not None:
            self.durable.save_cursor(issued.key, seq)
        issued.consumed = seq

    def reset(self) -> None:
        """Forget every key (the store's own reset empties the table)."""
        self._keys.clear()
