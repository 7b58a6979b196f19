"""Settings of the front-end simulator and of the doctor-PC client simulator.

Plain frozen values built at the edge (CLI or test) and passed to the app factories. The
secret-key, message and SSO contract is provisional (no public text exists), so its paths and
JSON field names are settings too: ``names`` renames any field of that contract on the wire.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

__all__ = ["ClientSimConfig", "FaultSettings", "FrontendSimConfig", "Strictness"]

Strictness = Literal["lenient", "strict"]

DAY_S = 86_400.0


@dataclass(frozen=True, slots=True)
class FaultSettings:
    """What can go wrong, per request on the ``/hclient`` paths; all draws come from ``seed``."""

    error_rate: float = 0.0
    error_code: str = "01"
    http_status: int = 200
    latency_ms: float = 0.0
    timeout_rate: float = 0.0
    timeout_s: float = 30.0
    outage_seconds: float = 0.0
    drop_connection_rate: float = 0.0
    seed: int = 0

    @property
    def active(self) -> bool:
        return bool(
            self.error_rate or self.latency_ms or self.timeout_rate or self.outage_seconds
            or self.drop_connection_rate
        )


@dataclass(frozen=True, slots=True)
class FrontendSimConfig:
    """The simulated front-end server (``hisbridge simulate frontend``)."""

    mode: Strictness = "lenient"
    licenses: tuple[str, ...] = ("SIM-LICENSE-0001",)
    """Accepted 机构授权码; an empty tuple accepts any non-empty code."""
    key_ttl_s: float = 7 * DAY_S
    keys_keep: int = 1000
    """At most this many secret keys are held; issuing one more forgets the oldest."""
    report_delay_s: float = 300.0
    """How long a notifiable diagnosis may wait for its report card before 漏报 is raised."""
    tick_s: float = 1.0
    """How often the running server evaluates the warning engine."""
    max_body_bytes: int = 1_048_576
    page_limit: int = 100
    commit_interval_s: float = 0.05
    commit_every: int = 256
    request_log_body_chars: int = 4096
    request_log_keep: int = 10_000
    """The request log keeps the newest this many requests (older ones are deleted as new ones
    are written, so a simulator left running stays small); 0 keeps every request."""
    faults: FaultSettings = field(default_factory=FaultSettings)
    secret_key_path: str = "/hclient/api/auth/secretKey"
    message_query_path: str = "/hclient/api/message/query"
    user_exists_path: str = "/hclient/api/user/exists"
    names: Mapping[str, str] = field(default_factory=dict)
    """Wire renames for the provisional contract, e.g. ``{"secretKey": "apiKey"}``."""


@dataclass(frozen=True, slots=True)
class ClientSimConfig:
    """The simulated doctor-PC client (``hisbridge simulate client``)."""

    frontend_url: str = "http://127.0.0.1:8881"
    public_url: str = "http://127.0.0.1:18881"
    """The base of the session URL handed to the browser."""
    secret_key_path: str = "/hclient/api/auth/secretKey"
    user_exists_path: str = "/hclient/api/user/exists"
    timeout_s: float = 10.0
    session_ttl_s: float = 8 * 3600.0
    sessions_keep: int = 1000
    """At most this many open SSO sessions; opening one more ends the oldest."""
    names: Mapping[str, str] = field(default_factory=dict)
