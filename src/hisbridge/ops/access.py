"""Who may reach which path without a console session: one pure rule, default deny.

Open without a session: ``/healthz`` and ``/readyz`` (terse: no reasons without the metrics
token); ``/metrics`` (with its Bearer token when one is set);
the workstation pages ``/ws/...`` (signed URLs, checked by their own module); the login page
and the console's static files; the configured open API prefixes (the HIS push intake, which
has its own push token, and the provincial platform's signed callback). The signed API
prefixes (warnings, SSO) are left to their module, which verifies the signed query and
answers 403 when it is missing or wrong. The hospital API prefixes (outbox, authorizations,
bookings, encounters, shared documents) take the HIS push token as a Bearer token (their module
refuses every call while no push token is configured: they are never open). Every other
path needs a console session, or for the API a Bearer API token: pages redirect to the login
page, everything else answers 401.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

__all__ = ["LOGIN_PATH", "Access", "AccessPolicy", "classify"]

Access = Literal["open", "metrics", "signed", "hospital", "page", "api"]
LOGIN_PATH = "/console/login"
_OPEN_EXACT = frozenset({"/healthz", "/readyz", LOGIN_PATH, "/favicon.ico"})
_OPEN_PREFIXES = ("/ws/", "/console/static/")


@dataclass(frozen=True, slots=True)
class AccessPolicy:
    open_api_prefixes: Sequence[str] = ("/api/v1/events", "/api/v1/consents/callback")
    signed_api_prefixes: Sequence[str] = ("/api/v1/warnings", "/api/v1/sso")
    push_token_prefixes: Sequence[str] = ("/api/v1/outbox", "/api/v1/consents", "/api/v1/bookings",
                                          "/api/v1/encounters", "/api/v1/shared")
    extra_open: Sequence[str] = field(default_factory=tuple)


def _under(path: str, prefixes: Sequence[str]) -> bool:
    return any(path == p.rstrip("/") or path.startswith(p.rstrip("/") + "/") for p in prefixes)


def classify(path: str, policy: AccessPolicy) -> Access:
    """How ``path`` is guarded (see the module docstring)."""
    if path in _OPEN_EXACT or path == "/ws" or path.startswith(_OPEN_PREFIXES):
        return "open"
    if _under(path, policy.extra_open) or _under(path, policy.open_api_prefixes):
        return "open"
    if path == "/metrics":
        return "metrics"
    if _under(path, policy.signed_api_prefixes):
        return "signed"
    if _under(path, policy.push_token_prefixes):
        return "hospital"
    if path == "/" or path == "/console" or path.startswith("/console/"):
        return "page"
    return "api"
