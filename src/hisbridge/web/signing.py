"""Signed, expiring URLs for the workstation pages (``/ws/...``).

The HIS builds the URL with a shared secret: every query parameter except ``sig`` is sorted
and joined as ``k=v&k=v``, and ``sig`` is the hex HMAC-SHA256 of that string. ``exp`` is a Unix
time in seconds after which the URL is refused. The same algorithm is given in JavaScript in
docs/ so C/S and B/S workstations can build URLs without hisbridge code.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from urllib.parse import urlencode

__all__ = ["SignatureError", "canonical", "sign", "signed_query", "verify"]


class SignatureError(Exception):
    """Why a signed URL was refused: ``reason`` is ``missing``, ``expired`` or ``bad``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def canonical(params: Mapping[str, str]) -> str:
    return "&".join(f"{k}={params[k]}" for k in sorted(params) if k != "sig")


def sign(params: Mapping[str, str], secret: str) -> str:
    return hmac.new(secret.encode(), canonical(params).encode(), hashlib.sha256).hexdigest()


def signed_query(params: Mapping[str, object], secret: str, *, now: float, ttl_s: int = 43200) -> str:
    """The query string (with ``exp`` and ``sig``) for a workstation page."""
    values = {k: str(v) for k, v in params.items() if v is not None}
    values["exp"] = str(int(now) + ttl_s)
    values["sig"] = sign(values, secret)
    return urlencode(values)


def verify(params: Mapping[str, str], secret: str, *, now: float) -> None:
    """Raise ``SignatureError`` unless ``params`` carry a valid, unexpired signature."""
    sig, exp = params.get("sig"), params.get("exp")
    if not sig or not exp:
        raise SignatureError("missing")
    if not hmac.compare_digest(sig, sign(params, secret)):
        raise SignatureError("bad")
    if not exp.isdigit() or int(exp) < now:
        raise SignatureError("expired")
