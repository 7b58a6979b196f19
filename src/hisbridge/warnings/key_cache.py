"""The secret-key cache in the store, sealed with a key derived from ``web.secret_key``.

The front-end's API secret key is a credential: it is stored only encrypted (Fernet, i.e.
AES-128-CBC with HMAC-SHA256) and never logged. Losing the web secret only costs one renewal.
"""

from __future__ import annotations

import base64
import hashlib
import logging

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import Engine, insert, select, update

from hisbridge.connectors.frontend.keys import SecretKey
from hisbridge.store.schema.warnings import frontend_secret_keys as keys_table

__all__ = ["StoreKeyCache", "sealer"]

log = logging.getLogger("hisbridge.warnings.keys")


def sealer(secret: str) -> Fernet:
    """A Fernet sealer whose key is derived from the gateway's own secret."""
    digest = hashlib.sha256(b"hisbridge/secret-key-cache\x00" + secret.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


class StoreKeyCache:
    """``KeyCache`` on the ``frontend_secret_keys`` table, one row per purpose."""

    def __init__(self, engine: Engine, fernet: Fernet, *, purpose: str = "message") -> None:
        self._engine = engine
        self._fernet = fernet
        self._purpose = purpose

    def load(self) -> SecretKey | None:
        with self._engine.connect() as conn:
            row = conn.execute(
                select(keys_table).where(keys_table.c.purpose == self._purpose)
            ).first()
        if row is None:
            return None
        try:
            value = self._fernet.decrypt(row.sealed.encode()).decode()
        except InvalidToken:
            log.warning("cached secret key unreadable (web.secret_key changed?); renewing")
            return None
        return SecretKey(value=value, obtained_at=row.obtained_at, expires_at=row.expires_at)

    def expires_at(self) -> float | None:
        """When the cached key ends (Unix seconds), without unsealing it; None if none."""
        with self._engine.connect() as conn:
            value = conn.scalar(select(keys_table.c.expires_at)
                                .where(keys_table.c.purpose == self._purpose))
        return float(value) if value is not None else None

    def save(self, key: SecretKey) -> None:
        values = {
            "sealed": self._fernet.encrypt(key.value.encode()).decode(),
            "obtained_at": key.obtained_at,
            "expires_at": key.expires_at,
        }
        where = keys_table.c.purpose == self._purpose
        with self._engine.begin() as conn:
            if conn.execute(update(keys_table).where(where).values(**values)).rowcount == 0:
                conn.execute(insert(keys_table).values(purpose=self._purpose, **values))
