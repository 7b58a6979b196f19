"""The one seam for identifiers: sortable random ids and stable content hashes."""

from __future__ import annotations

import hashlib
import os
import time

__all__ = ["content_hash", "new_id", "stable_id"]


def new_id() -> str:
    """A 26-character time-ordered random id (ULID-like, Crockford base32)."""
    value = (time.time_ns() // 1_000_000) << 80 | int.from_bytes(os.urandom(10), "big")
    alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    chars = []
    for _ in range(26):
        chars.append(alphabet[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def content_hash(data: bytes) -> str:
    """The hash that decides whether a record version changed (hex SHA-256, 32 chars)."""
    return hashlib.sha256(data).hexdigest()[:32]


def stable_id(*parts: object) -> str:
    """A deterministic id from HIS key parts (MD5 hex, as public integrators do)."""
    joined = "\x1f".join("" if p is None else str(p) for p in parts)
    return hashlib.md5(joined.encode("utf-8"), usedforsecurity=False).hexdigest()
