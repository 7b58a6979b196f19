"""Login attempts in the store and the three lock-out counters over them (``lockout``).

Only failures younger than ``window + lock`` can still hold a lock, so every count reads a
bounded slice through the (user_name, at) and (remote, at) indexes.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import ColumnElement, Connection, Engine, and_, delete, func, insert, or_, select

from hisbridge._clock import Clock
from hisbridge.ops.lockout import LockoutPolicy, locked_until
from hisbridge.store.schema.console import console_login_attempts
from hisbridge.store.times import from_store, to_store

__all__ = ["LoginAttempts", "Outcome"]

Outcome = Literal["ok", "bad", "refused", "unlock"]
_a = console_login_attempts.c


class LoginAttempts:
    """Write attempts down; say until when a (name, address) may not log in."""

    def __init__(self, engine: Engine, clock: Clock, policy: LockoutPolicy) -> None:
        self.engine = engine
        self.clock = clock
        self.policy = policy

    def record(self, name: str, outcome: Outcome, remote: str | None) -> None:
        with self.engine.begin() as conn:
            conn.execute(insert(console_login_attempts).values(
                user_name=name, at=to_store(self.clock.now()), ok=outcome in ("ok", "unlock"),
                remote=(remote or "")[:64], outcome=outcome))

    def locked_until(self, name: str, remote: str | None) -> datetime | None:
        """The latest end of the pair, address and name locks that apply now, else None."""
        p, addr = self.policy, (remote or "")[:64]
        since = self.clock.now() - p.window - p.lock
        pair_reset = or_(and_(_a.ok.is_(True), _a.remote == addr), _a.outcome == "unlock")
        with self.engine.connect() as conn:
            pair_from = max(since, self._last(conn, name, pair_reset) or since)
            user_from = max(since, self._last(conn, name, _a.ok.is_(True)) or since)
            counters = [
                (self._times(conn, _failed(_a.user_name == name, _a.remote == addr), pair_from,
                             p.failures), p.failures),
                (self._times(conn, _failed(_a.remote == addr), since, p.address_failures),
                 p.address_failures),
                (self._times(conn, and_(_a.user_name == name, _a.outcome == "bad"), user_from,
                             p.user_failures), p.user_failures),
            ]
        ends = [locked_until(times, p, limit) for times, limit in counters]
        now = self.clock.now()
        return max((end for end in ends if end is not None and end > now), default=None)

    def purge(self, older_than: timedelta) -> int:
        limit = to_store(self.clock.now() - older_than)
        with self.engine.begin() as conn:
            return conn.execute(delete(console_login_attempts).where(_a.at < limit)).rowcount

    @staticmethod
    def _last(conn: Connection, name: str, condition: ColumnElement[bool]) -> datetime | None:
        found = conn.execute(select(func.max(_a.at)).where(_a.user_name == name, condition)).scalar()
        return from_store(found) if found is not None else None

    @staticmethod
    def _times(conn: Connection, condition: ColumnElement[bool], after: datetime,
               limit: int) -> list[datetime]:
        query = (select(_a.at).where(condition, _a.at > to_store(after))
                 .order_by(_a.at.desc()).limit(limit))
        found = (from_store(at) for at in conn.execute(query).scalars())
        return [t for t in found if t is not None]


def _failed(*conditions: ColumnElement[bool]) -> ColumnElement[bool]:
    return and_(_a.ok.is_(False), *conditions)
