"""Console passwords: argon2id hashes and a simple strength policy.

The cost parameters default to argon2-cffi's (RFC 9106's low-memory choice: 3 passes, 64 MiB,
4 lanes) and can be set in ``console.argon2``; a hash made with other parameters still verifies
and is upgraded at the next successful login.
"""

from __future__ import annotations

from functools import cached_property

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

__all__ = ["MIN_LENGTH", "Passwords", "password_problems"]

MIN_LENGTH = 10


class Passwords:
    """Hash and verify with one set of argon2id parameters."""

    def __init__(self, time_cost: int = 3, memory_kib: int = 65536, parallelism: int = 4) -> None:
        self._hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib,
                                      parallelism=parallelism)

    @cached_property
    def _dummy(self) -> str:
        # Verified against when the user does not exist, so both cases take the same time.
        return self._hasher.hash("not-a-real-password-hisbridge")

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, hashed: str | None, password: str) -> bool:
        """True when ``password`` matches ``hashed``; ``None`` costs the same and is False."""
        try:
            return self._hasher.verify(hashed or self._dummy, password) and hashed is not None
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, hashed: str) -> bool:
        return self._hasher.check_needs_rehash(hashed)


def password_problems(password: str, user_name: str) -> list[str]:
    """What is wrong with a new password, in Chinese and English; empty when acceptable."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(f"密码至少 {MIN_LENGTH} 个字符 password needs at least {MIN_LENGTH} characters")
    if password.strip() != password:
        problems.append("密码首尾不能有空格 no spaces at either end")
    if user_name and user_name.lower() in password.lower():
        problems.append("密码不能包含用户名 password must not contain the user name")
    if len(set(password)) < 4:
        problems.append("密码过于简单 password is too simple")
    return problems
