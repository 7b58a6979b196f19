"""Console users in the store: add, change password, authenticate with lock-out.

Passwords are kept only as argon2 hashes. Every login attempt is written down with the
address it came from and its outcome; too many recent failures of a name from an address, of
an address, or (far more) of a name lock further attempts (``lockout``). An unknown name, a
wrong password and a lock all answer alike, after the same password-hash work, so neither
names nor locks can be probed; ``unlock`` (``hisbridge user unlock``) lifts a name's locks.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import Engine, insert, select, update

from hisbridge._clock import Clock, system_clock
from hisbridge.errors import Terminal
from hisbridge.ops.attempts import LoginAttempts
from hisbridge.ops.lockout import LockoutPolicy
from hisbridge.ops.passwords import Passwords, password_problems
from hisbridge.ops.roles import ROLE_LABELS, is_role
from hisbridge.ops.scope import split_codes
from hisbridge.ops.settings import Argon2Settings
from hisbridge.store.schema.console import console_users
from hisbridge.store.times import from_store, to_store

__all__ = ["AuthResult", "User", "UserError", "UserStore"]

_NAME_RE = re.compile(r"^[A-Za-z0-9_.\-]{2,64}$")


class UserError(Terminal):
    """A user cannot be added or changed as asked (bad name, role or password)."""


@dataclass(frozen=True, slots=True)
class User:
    name: str
    role: str
    disabled: bool
    created_at: datetime
    password_changed_at: datetime
    institutions: tuple[str, ...] = ()  # the user's institution scope; empty: every institution


@dataclass(frozen=True, slots=True)
class AuthResult:
    """``ok`` with the user, or why not: ``bad`` (wrong name or password), ``locked``.

    The web answers ``bad`` and ``locked`` alike; the difference is for logs and tests."""

    status: Literal["ok", "bad", "locked"]
    user: User | None = None
    locked_until: datetime | None = None


def _user(row: object) -> User:
    r = row._mapping  # type: ignore[attr-defined]
    return User(r["name"], r["role"], r["disabled"], from_store(r["created_at"]),  # type: ignore[arg-type]
                from_store(r["password_changed_at"]),  # type: ignore[arg-type]
                split_codes(r["institutions"]))


class UserStore:
    """Users and login attempts over a migrated store."""

    def __init__(self, engine: Engine, *, clock: Clock = system_clock,
                 lockout: LockoutPolicy | None = None, argon2: Argon2Settings | None = None) -> None:
        self.engine = engine
        self.clock = clock
        self.lockout = lockout or LockoutPolicy()
        self.attempts = LoginAttempts(engine, clock, self.lockout)
        cost = argon2 or Argon2Settings()
        self.passwords = Passwords(cost.time_cost, cost.memory_kib, cost.parallelism)

    def get(self, name: str) -> User | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(console_users).where(console_users.c.name == name)).first()
        return _user(row) if row else None

    def all(self) -> list[User]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(console_users).order_by(console_users.c.name)).all()
        return [_user(r) for r in rows]

    def add(self, name: str, role: str, password: str, institutions: Sequence[str] = ()) -> User:
        """A new user (scoped to ``institutions``; none: every one); ``UserError`` for a taken
        or malformed name, unknown role, weak password."""
        _check_name(name)
        if not is_role(role):
            raise UserError(f"未知角色 unknown role: {role!r}",
                            hint=f"choose one of {', '.join(ROLE_LABELS)}")
        _check_password(password, name)
        if self.get(name) is not None:
            raise UserError(f"用户已存在 user already exists: {name}", hint="用 hisbridge user passwd 改密码")
        now = to_store(self.clock.now())
        with self.engine.begin() as conn:
            conn.execute(insert(console_users).values(
                name=name, role=role, password_hash=self.passwords.hash(password),
                created_at=now, password_changed_at=now, disabled=False,
                institutions=_joined(institutions)))
        return self.get(name)  # type: ignore[return-value]

    def set_password(self, name: str, password: str) -> None:
        """Change a password; the caller should end the user's sessions too."""
        _check_password(password, name)
        now = to_store(self.clock.now())
        with self.engine.begin() as conn:
            done = conn.execute(update(console_users).where(console_users.c.name == name).values(
                password_hash=self.passwords.hash(password), password_changed_at=now)).rowcount
        if not done:
            raise UserError(f"用户不存在 no such user: {name}", hint="用 hisbridge user add 添加")

    def set_role(self, name: str, role: str) -> None:
        if not is_role(role):
            raise UserError(f"未知角色 unknown role: {role!r}")
        with self.engine.begin() as conn:
            conn.execute(update(console_users).where(console_users.c.name == name).values(role=role))

    def set_institutions(self, name: str, institutions: Sequence[str]) -> None:
        """Scope a user to ``institutions`` (none: every institution); end its sessions after."""
        with self.engine.begin() as conn:
            done = conn.execute(update(console_users).where(console_users.c.name == name)
                                .values(institutions=_joined(institutions))).rowcount
        if not done:
            raise UserError(f"用户不存在 no such user: {name}", hint="用 hisbridge user list 查看")

    def authenticate(self, name: str, password: str, remote: str | None = None) -> AuthResult:
        """Check a login, write the attempt down, apply the lock-out."""
        name = name.strip()[:64]
        until = self.attempts.locked_until(name, remote)
        if until is not None:
            self.passwords.verify(None, password)  # the same work as a real check
            self.attempts.record(name, "refused", remote)
            return AuthResult("locked", locked_until=until)
        with self.engine.connect() as conn:
            row = conn.execute(select(console_users).where(console_users.c.name == name)).first()
        hashed = row._mapping["password_hash"] if row and not row._mapping["disabled"] else None
        ok = self.passwords.verify(hashed, password)
        self.attempts.record(name, "ok" if ok else "bad", remote)
        if not ok:
            until = self.attempts.locked_until(name, remote)
            return AuthResult("locked", locked_until=until) if until else AuthResult("bad")
        self._maybe_rehash(name, hashed, password)  # type: ignore[arg-type]
        return AuthResult("ok", user=_user(row))

    def unlock(self, name: str) -> None:
        """Lift every lock of ``name`` now (its counters start again); address throttles stay."""
        if self.get(name) is None:
            raise UserError(f"用户不存在 no such user: {name}", hint="用 hisbridge user list 查看")
        self.attempts.record(name, "unlock", "")

    def purge_attempts(self, older_than: timedelta = timedelta(days=90)) -> int:
        """Forget login attempts older than ``older_than`` (lock-out looks at minutes only)."""
        return self.attempts.purge(older_than)

    def _maybe_rehash(self, name: str, hashed: str, password: str) -> None:
        if self.passwords.needs_rehash(hashed):
            with self.engine.begin() as conn:
                conn.execute(update(console_users).where(console_users.c.name == name)
                             .values(password_hash=self.passwords.hash(password)))


def _joined(codes: Sequence[str]) -> str | None:
    found = sorted({c.strip() for c in codes if c.strip()})
    for code in found:
        if "," in code or len(code) > 50:
            raise UserError(f"机构代码无效 invalid institution code: {code!r}")
    return ",".join(found) or None


def _check_name(name: str) -> None:
    if not _NAME_RE.match(name):
        raise UserError(f"用户名无效 invalid user name: {name!r}",
                        hint="2-64 个字母、数字、点、下划线或连字符 letters, digits, . _ -")


def _check_password(password: str, name: str) -> None:
    problems = password_problems(password, name)
    if problems:
        raise UserError("密码不符合要求 password rejected: " + "; ".join(problems))
