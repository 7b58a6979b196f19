"""The API secret key of the front-end's message query: obtained with the licence, cached, renewed.

The front-end hands out a key against the institution's licence code (机构授权码); the key lives
7 days. ``SecretKeyManager`` keeps one key in a ``KeyCache`` (the store, sealed), renews it
``refresh_margin_s`` before it ends and whenever the front-end answers errorCode 02, and lets
only one renewal run at a time: callers that arrive during a renewal wait for its result.
The key's value never appears in a log line, an error or a ``repr``.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import httpx

from hisbridge._clock import CHINA_TZ, Clock
from hisbridge.connectors.frontend.interaction_config import ServerApiSettings
from hisbridge.errors import ConfigError, TargetUnavailable, Terminal, Transient

__all__ = [
    "HttpKeyIssuer",
    "KeyCache",
    "KeyIssuer",
    "LicenseRejected",
    "SecretKey",
    "SecretKeyManager",
    "SecretKeyRejected",
    "parse_expire_time",
]

log = logging.getLogger("hisbridge.frontend.keys")


@dataclass(frozen=True, slots=True)
class SecretKey:
    """A key and its life, in Unix seconds. ``value`` is kept out of ``repr``."""

    value: str = field(repr=False)
    obtained_at: float
    expires_at: float

    def due(self, now: float, margin_s: float) -> bool:
        """True once the key is within ``margin_s`` of its end (or past it)."""
        return now >= self.expires_at - margin_s


class SecretKeyRejected(Transient):
    """The front-end refused a key (errorCode 02): renew it and try again."""


class LicenseRejected(Terminal):
    """The front-end refused the licence itself: nothing works until the setting is fixed."""


class KeyIssuer(Protocol):
    """Obtains a new key from the front-end."""

    async def issue(self) -> SecretKey: ...


class KeyCache(Protocol):
    """Keeps the current key between runs and across nodes."""

    def load(self) -> SecretKey | None: ...

    def save(self, key: SecretKey) -> None: ...


class SecretKeyManager:
    """The one current key: cached, renewed before it ends and on rejection, one renewal at once."""

    def __init__(
        self, issuer: KeyIssuer, cache: KeyCache, clock: Clock, *, refresh_margin_s: float
    ) -> None:
        self._issuer = issuer
        self._cache = cache
        self._clock = clock
        self._margin = refresh_margin_s
        self._lock = asyncio.Lock()
        self.renewals = 0

    async def current(self) -> SecretKey:
        """A key that is not due for renewal, renewing it first if needed."""
        key = self._cache.load()
        if key is not None and not key.due(self._now(), self._margin):
            return key
        return await self._renew(stale=key)

    async def renew(self) -> SecretKey:
        """A new key now, whatever the cached one (callers waiting on a renewal share it)."""
        return await self._renew(stale=self._cache.load())

    async def rejected(self, key: SecretKey) -> SecretKey:
        """The front-end refused ``key``: renew, unless another caller already did."""
        return await self._renew(stale=key)

    async def _renew(self, stale: SecretKey | None) -> SecretKey:
        async with self._lock:
            cached = self._cache.load()
            if cached is not None and cached != stale and not cached.due(self._now(), self._margin):
                return cached  # renewed by whoever held the lock before us
            key = await self._issuer.issue()
            self._cache.save(key)
            self.renewals += 1
            log.info("secret key renewed", extra={"expires_at": key.expires_at})
            return key

    def _now(self) -> float:
        return self._clock.now().timestamp()


def parse_expire_time(value: Any, *, fallback: float) -> float:
    """Unix seconds from the reply's expiry: epoch seconds or ms, or ``yyyy-MM-dd HH:mm:ss``."""
    if isinstance(value, bool) or value in (None, ""):
        return fallback
    if isinstance(value, (int, float)) or (isinstance(value, str) and value.isdigit()):
        number = float(value)
        return number / 1000.0 if number > 1e11 else number
    if isinstance(value, str):
        for pattern in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S"):
            try:
                return datetime.strptime(value[:19], pattern).replace(tzinfo=CHINA_TZ).timestamp()
            except ValueError:
                continue
    return fallback


class HttpKeyIssuer:
    """``POST {server}/secret_key_path`` with the licence; the reply names the key and expiry."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        settings: ServerApiSettings,
        *,
        base_url: str,
        license_code: str | None,
        clock: Clock,
    ) -> None:
        self._http = http
        self._settings = settings
        self._url = base_url.rstrip("/") + settings.secret_key_path
        self._license = license_code
        self._clock = clock

    async def issue(self) -> SecretKey:
        if not self._license:
            raise ConfigError(
                "未配置机构授权码 frontend.license is not set",
                hint="在配置文件 frontend.license 或环境变量 HISBRIDGE_FRONTEND__LICENSE 中填写",
            )
        reply = await post_json(
            self._http, self._url, {self._settings.license_field: self._license},
            timeout_s=self._settings.timeout_s,
        )
        return self._key_from(reply)

    def _key_from(self, reply: dict[str, Any]) -> SecretKey:
        value = reply.get(self._settings.secret_key_field)
        if reply.get("result") is not True or not isinstance(value, str) or not value:
            code = str(reply.get("errorCode") or "")
            desc = str(reply.get("desc") or "no key in reply")
            if code in self._settings.auth_error_codes:
                raise LicenseRejected(f"前置软件拒绝了机构授权码 licence refused: {desc}",
                                      hint="核对 frontend.license 是否为本机构的授权码")
            raise Transient(f"获取密钥失败 could not obtain a secret key: {code} {desc}".strip())
        now = self._clock.now().timestamp()
        fallback = now + self._settings.key_life_s
        expires = parse_expire_time(reply.get(self._settings.expire_time_field), fallback=fallback)
        return SecretKey(value=value, obtained_at=now, expires_at=expires)


async def post_json(
    http: httpx.AsyncClient, url: str, body: dict[str, Any], *, timeout_s: float
) -> dict[str, Any]:
    """POST ``body``; the JSON object replied, or ``Transient``/``TargetUnavailable``."""
    try:
        response = await http.post(url, json=body, timeout=timeout_s)
    except httpx.HTTPError as exc:
        raise TargetUnavailable(f"前置软件无法连接 front-end unreachable: {type(exc).__name__}",
                                hint=f"检查前置软件是否运行: {url}") from exc
    if response.status_code >= 500:
        raise Transient(f"前置软件内部错误 front-end HTTP {response.status_code}")
    if response.status_code == 404:
        raise Transient(f"前置软件没有这个接口 HTTP 404: {url}",
                        hint="核对 interaction.server 中的接口路径 (…_path)")
    try:
        reply = response.json()
    except ValueError as exc:
        raise Transient(f"前置软件回复不是 JSON (HTTP {response.status_code})") from exc
    if not isinstance(reply, dict):
        raise Transient("前置软件回复格式无法识别 reply is not a JSON object")
    return reply
