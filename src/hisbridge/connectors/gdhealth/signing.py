"""Request signatures of the provincial API (api.md A.1), pure: no I/O, no clock reads.

Default (SM3): ``SM3(partnerId + secret + timestamp + nonce + SM3(body))`` as lower-case hex.
Option (HMAC-SHA256): ``HMAC-SHA256(secret, partnerId + timestamp + nonce + SHA256(body))``.
Both are proposals modelled on the Foshan city platform [ANALOG:S32]; the scheme is a setting.
The same scheme signs the platform's callbacks to us, with the callback secret.
"""

from __future__ import annotations

import hashlib
import hmac
from collections import OrderedDict
from dataclasses import dataclass

from hisbridge._gm import sm3_hex

__all__ = [
    "NonceLedger",
    "SignedHeaders",
    "body_digest",
    "check_signed",
    "sign",
    "sm3_hex",
]


def body_digest(method: str, body: bytes) -> str:
    """The digest of the body that goes into the signature string."""
    return sm3_hex(body) if method == "sm3" else hashlib.sha256(body).hexdigest()


def sign(method: str, partner_id: str, secret: str, timestamp: str, nonce: str, body: bytes) -> str:
    """The signature header value for one request."""
    digest = body_digest(method, body)
    if method == "sm3":
        return sm3_hex((partner_id + secret + timestamp + nonce + digest).encode("utf-8"))
    if method == "hmac-sha256":
        message = (partner_id + timestamp + nonce + digest).encode("utf-8")
        return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()
    raise ValueError(f"unknown sign method {method!r}")


@dataclass(frozen=True, slots=True)
class SignedHeaders:
    """The signed header values of one request, as received."""

    partner_id: str
    timestamp: str
    nonce: str
    signature: str


class NonceLedger:
    """Nonces seen within the timestamp window; a nonce seen twice is a replay.

    Bounded: entries older than the window are forgotten (a replay that old fails the
    timestamp check anyway), and at most ``max_entries`` are kept.
    """

    def __init__(self, window_ms: int, max_entries: int = 100_000) -> None:
        self._window_ms = window_ms
        self._max = max_entries
        self._seen: OrderedDict[str, int] = OrderedDict()

    def first_use(self, nonce: str, now_ms: int) -> bool:
        """Record ``nonce``; False when it was already used inside the window."""
        while self._seen:
            oldest, at = next(iter(self._seen.items()))
            if at >= now_ms - self._window_ms and len(self._seen) < self._max:
                break
            del self._seen[oldest]
        if nonce in self._seen:
            return False
        self._seen[nonce] = now_ms
        return True


def check_signed(
    headers: SignedHeaders,
    body: bytes,
    *,
    method: str,
    secret: str,
    expected_partner: str,
    now_ms: int,
    window_s: int,
    nonces: NonceLedger,
) -> str | None:
    """None if the request is authentic and fresh, else the platform error code (1001-1004)."""
    if not (headers.partner_id and headers.timestamp and headers.nonce and headers.signature):
        return "1001"
    if headers.partner_id != expected_partner:
        return "1004"
    if not headers.timestamp.isdigit() or abs(now_ms - int(headers.timestamp)) > window_s * 1000:
        return "1002"
    wanted = sign(method, headers.partner_id, secret, headers.timestamp, headers.nonce, body)
    if not hmac.compare_digest(wanted, headers.signature.lower()):
        return "1001"
    if not nonces.first_use(headers.nonce, now_ms):
        return "1003"
    return None
