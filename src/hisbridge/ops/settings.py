"""Settings of the console (``console:`` in the YAML file, ``HISBRIDGE_CONSOLE__...`` in env)."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import BaseModel, Field, SecretStr

from hisbridge.ops.lockout import LockoutPolicy

__all__ = ["AlertSettings", "Argon2Settings", "ConsoleSettings"]


class AlertSettings(BaseModel):
    """Alert rules' thresholds, where alerts are sent, and how often the same one may repeat."""

    enabled: bool = True  # evaluate the alert rules in the gateway
    interval_s: float = Field(60.0, gt=0, description="how often the rules are evaluated")
    webhook_url: str | None = None  # where alerts are POSTed; unset = shown in the console only
    webhook_secret: SecretStr | None = Field(None, description="HMAC-SHA256 key for X-HisBridge-Signature")
    webhook_timeout_s: float = Field(5.0, gt=0)  # seconds to wait for the alert webhook
    cooldown_minutes: float = Field(30.0, ge=0, description="same alert is re-sent at most this often")
    dead_growth: int = Field(10, ge=1, description="new dead letters within dead_window_minutes")
    dead_window_minutes: float = Field(60.0, gt=0)  # the window dead_growth is counted in
    pending_max_minutes: float = Field(
        30.0, gt=0, description="oldest pending entry older than this (also /readyz's backlog bound)")
    source_idle_minutes: float = Field(30.0, gt=0, description="a source not polled for this long")
    key_expiry_hours: float = Field(24.0, gt=0, description="secret key expiring within this")


class Argon2Settings(BaseModel):
    """Cost of the password hash (argon2id); the defaults are argon2-cffi's."""

    time_cost: int = Field(3, ge=1)  # argon2 iterations
    memory_kib: int = Field(65536, ge=64)  # argon2 memory per hash, in KiB
    parallelism: int = Field(4, ge=1, le=64)  # argon2 lanes (threads)


class ConsoleSettings(BaseModel):
    """Login, sessions, lock-out, tokens for machines, language, alerts."""

    session_idle_minutes: float = Field(30.0, gt=0)  # a session unused this long ends
    session_max_hours: float = Field(12.0, gt=0)  # a session ends this long after login, used or not
    # Failed logins of one name from one address, within lockout_window_minutes, that lock that
    # name at that address (the real user elsewhere is not locked out).
    lockout_failures: int = Field(5, ge=1)
    lockout_window_minutes: float = Field(15.0, gt=0)  # the window failed logins are counted in
    lockout_minutes: float = Field(15.0, gt=0)  # how long a lock lasts (hisbridge user unlock lifts it)
    # Failed logins from one address over any names that stop all logins from it (guessing names).
    lockout_address_failures: int = Field(20, ge=1)
    # Checked failed logins of one name from all addresses that lock the name everywhere: keep it
    # far above the others, so only an attack spread over many addresses reaches it.
    lockout_user_failures: int = Field(100, ge=1)
    api_token: SecretStr | None = Field(None, description="Bearer token for /api/v1 without a session")
    metrics_token: SecretStr | None = Field(None, description="if set, /metrics needs it (Bearer)")
    open_api_prefixes: list[str] = Field(
        default_factory=lambda: ["/api/v1/events", "/api/v1/consents/callback"],
        description="open to the gate: the route checks its own token or signature")
    signed_api_prefixes: list[str] = Field(
        default_factory=lambda: ["/api/v1/warnings", "/api/v1/sso"],
        description="pass the gate only with a sig parameter, which the route verifies")
    push_token_prefixes: list[str] = Field(
        default_factory=lambda: ["/api/v1/outbox", "/api/v1/consents", "/api/v1/bookings",
                                 "/api/v1/encounters", "/api/v1/shared"],
        description="also accept the HIS push token (push.token) as a Bearer token")
    default_lang: Literal["zh", "en"] = "zh"  # console language until the user picks one
    secure_cookies: bool = Field(
        False, description="always mark cookies Secure (they are anyway under web TLS or behind_tls_proxy)")
    alerts: AlertSettings = Field(default_factory=AlertSettings)
    argon2: Argon2Settings = Field(default_factory=Argon2Settings)

    def lockout(self) -> LockoutPolicy:
        """The lock-out policy these settings describe."""
        return LockoutPolicy(self.lockout_failures, timedelta(minutes=self.lockout_window_minutes),
                             timedelta(minutes=self.lockout_minutes),
                             self.lockout_address_failures, self.lockout_user_failures)
