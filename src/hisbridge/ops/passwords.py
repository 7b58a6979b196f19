"""Console passwords: argon2id hashes and a strength policy.

The policy: at least ``MIN_LENGTH`` (12) characters, no blanks at either end, not containing
the user name, and a strength score of at least ``MIN_SCORE`` (3 of 4) from zxcvbn (Dropbox's
estimator of how many guesses a password takes: dictionary words, keyboard runs, repeats,
dates, l33t). zxcvbn's reasons are in English; they are shown in Chinese with the English after.

The cost parameters default to argon2-cffi's (RFC 9106's low-memory choice: 3 passes, 64 MiB,
4 lanes) and can be set in ``console.argon2``; a hash made with other parameters still verifies
and is upgraded at the next successful login.
"""

from __future__ import annotations

import secrets
from functools import cached_property

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn

__all__ = ["MIN_LENGTH", "MIN_SCORE", "Passwords", "new_password", "password_problems"]

MIN_LENGTH = 12
MIN_SCORE = 3
_CHECKED_CHARS = 100  # zxcvbn's time grows with length; a longer password is strong anyway
# zxcvbn's warnings (a closed set in zxcvbn 4.x) in Chinese; others fall back to a generic one.
_WARNINGS_ZH = {
    "Straight rows of keys are easy to guess": "连续的键盘按键很容易被猜出",
    "Short keyboard patterns are easy to guess": "简短的键盘图案很容易被猜出",
    'Repeats like "aaa" are easy to guess': "像 aaa 这样的重复很容易被猜出",
    'Repeats like "abcabcabc" are only slightly harder to guess than "abc"':
        "像 abcabcabc 这样的重复并不比 abc 难猜多少",
    "Sequences like abc or 6543 are easy to guess": "像 abc 或 6543 这样的序列很容易被猜出",
    "Recent years are easy to guess": "近几年的年份很容易被猜出",
    "Dates are often easy to guess": "日期通常很容易被猜出",
    "This is a top-10 common password": "这是最常见的 10 个密码之一",
    "This is a top-100 common password": "这是最常见的 100 个密码之一",
    "This is a very common password": "这是非常常见的密码",
    "This is similar to a commonly used password": "这与常用密码相似",
    "A word by itself is easy to guess": "单个词很容易被猜出",
    "Names and surnames by themselves are easy to guess": "单独的姓名很容易被猜出",
    "Common names and surnames are easy to guess": "常见的姓名很容易被猜出",
}


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
    if not problems:
        problems.extend(_strength_problems(password, user_name))
    return problems


def _strength_problems(password: str, user_name: str) -> list[str]:
    """zxcvbn's verdict: empty when the score reaches ``MIN_SCORE``, else the reason."""
    result = zxcvbn(password[:_CHECKED_CHARS], user_inputs=[user_name] if user_name else [])
    if result["score"] >= MIN_SCORE:
        return []
    warning = str(result["feedback"].get("warning") or "").rstrip(".")
    reason_zh = _WARNINGS_ZH.get(warning, "容易被猜出")
    return [f"密码强度不足：{reason_zh}（强度 {result['score']}/4，至少 {MIN_SCORE}）；"
            "请用更长的、几个不相关词组成的口令 "
            f"password too weak ({warning or 'easy to guess'}; score {result['score']}/4, "
            f"needs {MIN_SCORE}): use a longer passphrase of unrelated words"]


def new_password(user_name: str) -> str:
    """A random password that passes the policy (e.g. the demo administrator's)."""
    while True:
        candidate = f"Hb-{secrets.token_urlsafe(15)}"
        if not password_problems(candidate, user_name):
            return candidate
