"""Server-side console sessions: a random token in the cookie, its SHA-256 in the store.

A session ends after ``idle`` without a request or ``max_age`` after login, whichever comes
first, and at logout or a password change. Each session carries its own CSRF token, which
every form and every state-changing API call must send back.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, insert, select, update

from hisbridge._clock import Clock, system_clock
from hisbridge.ops.scope import split_codes
from hisbridge.store.schema.console import console_sessions, console_users
from hisbridge.store.times import from_store, to_store

__all__ = ["Principal", "SessionPolicy", "SessionStore", "expires_at", "same_token"]


@dataclass(frozen=True, slots=True)
class SessionPolicy:
    idle: timedelta = timedelta(minutes=30)
    max_age: timedelta = timedelta(hours=12)


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is logged in on this request: name, role, CSRF token, when the session ends, and
    the institutions the user is scoped to."""

    name: str
    role: str
    csrf_token: str
    token_hash: str
    expires_at: datetime
    institutions: tuple[str, ...] = ()  # the user's institution scope; empty: every institution


def expires_at(created: datetime, last_seen: datetime, policy: SessionPolicy) -> datetime:
    """When a session seen at ``last_seen`` ends, given when it was created."""
    return min(last_seen + policy.idle, created + policy.max_age)


def same_token(expected: str, given: str | None) -> bool:
    """Constant-time comparison of CSRF tokens."""
    return bool(given) and hmac.compare_digest(expected.encode(), (given or "").encode())


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class SessionStore:
    """Create, look up (and extend), and end sessions."""

    def __init__(self, engine: Engine, *, clock: Clock = system_clock,
                 policy: SessionPolicy | None = None) -> None:
        self.engine = engine
        self.clock = clock
        self.policy = policy or SessionPolicy()

    def create(self, user_name: str, remote: str | None = None) -> str:
        """A new session for ``user_name``; returns the token for the cookie."""
        token = secrets.token_urlsafe(32)
        now = to_store(self.clock.now())
        with self.engine.begin() as conn:
            conn.execute(insert(console_sessions).values(
                token_hash=_hash(token), user_name=user_name, csrf_token=secrets.token_urlsafe(32),
                created_at=now, last_seen_at=now, expires_at=expires_at(now, now, self.policy),
                remote=(remote or "")[:64]))
        return token

    def lookup(self, token: str | None, *, touch: bool = True) -> Principal | None:
        """The live session for ``token`` (extended when ``touch``), or None."""
        if not token or len(token) > 200:
            return None
        s, u = console_sessions.c, console_users.c
        query = (select(s.token_hash, s.csrf_token, s.created_at, s.expires_at, u.name, u.role,
                        u.institutions)
                 .join(console_users, u.name == s.user_name)
                 .where(s.token_hash == _hash(token), u.disabled.is_(False)))
        now = to_store(self.clock.now())
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None or from_store(row.expires_at) <= now:  # type: ignore[operator]
            return None
        ends = from_store(row.expires_at)
        if touch:
            ends = expires_at(from_store(row.created_at), now, self.policy)  # type: ignore[arg-type]
            with self.engine.begin() as conn:
                conn.execute(update(console_sessions).where(s.token_hash == row.token_hash)
                             .values(last_seen_at=now, expires_at=ends))
        return Principal(row.name, row.role, row.csrf_token, row.token_hash, ends,  # type: ignore[arg-type]
                         split_codes(row.institutions))

    def end(self, token_hash: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(console_sessions).where(console_sessions.c.token_hash == token_hash))

    def end_all(self, user_name: str) -> int:
        """End every session of a user (after a password or role change)."""
        with self.engine.begin() as conn:
            return conn.execute(delete(console_sessions)
                                .where(console_sessions.c.user_name == user_name)).rowcount

    def purge_expired(self) -> int:
        now = to_store(self.clock.now())
        with self.engine.begin() as conn:
            return conn.execute(delete(console_sessions)
                                .where(console_sessions.c.expires_at <= now)).rowcount
