"""Console passwords: argon2id hashes (argon2-cffi defaults) and a simple strength policy."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

__all__ = ["MIN_LENGTH", "hash_password", "needs_rehash", "password_problems", "verify_password"]

MIN_LENGTH = 10
_hasher = PasswordHasher()
# Verified against when the user does not exist, so both cases take the same time.
_DUMMY = _hasher.hash("not-a-real-password-hisbridge")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(hashed: str | None, password: str) -> bool:
    """True when ``password`` matches ``hashed``; ``None`` costs the same and is False."""
    try:
        return _hasher.verify(hashed or _DUMMY, password) and hashed is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(hashed: str) -> bool:
    return _hasher.check_needs_rehash(hashed)


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
