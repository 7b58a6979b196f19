"""The single-poller lease: at most one node of a deployment polls the front-end's messages.

A row in ``warning_poller_lease`` names the holder and when its hold ends (Unix seconds). A
node takes the lease when it is free or expired and renews it before every poll; the write
that stores a page renews it again inside the same transaction (``fence``), so a node that
lost the lease while paused can never store what it fetched. Plain UPDATEs with a WHERE
clause: the same on SQLite and PostgreSQL, where the row lock serialises competing nodes.
"""

from __future__ import annotations

from sqlalchemy import Connection, Engine, insert, or_, select, update

from hisbridge._clock import Clock
from hisbridge.errors import Transient
from hisbridge.store.errors import INTEGRITY_ERRORS
from hisbridge.store.schema.warnings import warning_poller_lease as lease_table

__all__ = ["LeaseLost", "PollerLease"]


class LeaseLost(Transient):
    """Another node holds the poller lease now; this node must not store what it fetched."""


class PollerLease:
    """Take, renew, check and release the lease called ``name`` on behalf of ``holder``."""

    def __init__(self, engine: Engine, clock: Clock, *, name: str, holder: str, lease_s: float):
        self._engine = engine
        self._clock = clock
        self.name = name
        self.holder = holder
        self.lease_s = lease_s

    def acquire(self) -> bool:
        """Take or renew the lease; False while another node holds it."""
        now = self._now()
        with self._engine.begin() as conn:
            taken = conn.execute(
                update(lease_table)
                .where(lease_table.c.name == self.name)
                .where(or_(lease_table.c.holder == self.holder, lease_table.c.expires_at < now))
                .values(holder=self.holder, expires_at=now + self.lease_s)
            ).rowcount
            if taken == 1:
                return True
            exists = conn.execute(
                select(lease_table.c.name).where(lease_table.c.name == self.name)
            ).first()
        return False if exists else self._create(now)

    def _create(self, now: float) -> bool:
        row = {"name": self.name, "holder": self.holder, "expires_at": now + self.lease_s}
        try:
            with self._engine.begin() as conn:
                conn.execute(insert(lease_table).values(**row))
        except INTEGRITY_ERRORS:
            return False  # another node created it first
        return True

    def fence(self, conn: Connection) -> None:
        """Inside a write transaction: renew the lease or raise ``LeaseLost``."""
        now = self._now()
        renewed = conn.execute(
            update(lease_table)
            .where(lease_table.c.name == self.name)
            .where(lease_table.c.holder == self.holder)
            .where(lease_table.c.expires_at >= now)
            .values(expires_at=now + self.lease_s)
        ).rowcount
        if renewed != 1:
            raise LeaseLost("轮询租约已被其他节点接管 poller lease lost to another node")

    def release(self) -> None:
        """Give the lease up (on shutdown) so another node takes over at once."""
        with self._engine.begin() as conn:
            conn.execute(
                update(lease_table)
                .where(lease_table.c.name == self.name)
                .where(lease_table.c.holder == self.holder)
                .values(expires_at=0.0)
            )

    def _now(self) -> float:
        return self._clock.now().timestamp()
