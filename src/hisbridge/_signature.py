"""The one HMAC signer for the webhooks hisbridge sends (HIS message webhook, console alerts).

``X-HisBridge-Signature: sha256=<hex>`` where ``<hex>`` is HMAC-SHA256 with the shared secret
over ``<timestamp>.<body>``; ``X-HisBridge-Timestamp`` carries the Unix seconds. HTTP header
names are case-insensitive, so a receiver that reads ``X-Hisbridge-Signature`` (the spelling
the alert webhook used to send) gets the same header.
"""

from __future__ import annotations

import hashlib
import hmac

__all__ = ["SIGNATURE_HEADER", "TIMESTAMP_HEADER", "signature", "signed_headers"]

TIMESTAMP_HEADER = "X-HisBridge-Timestamp"
SIGNATURE_HEADER = "X-HisBridge-Signature"


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>`` over ``<timestamp>.<body>`` with ``secret``."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def signed_headers(secret: str | None, timestamp: int, body: bytes) -> dict[str, str]:
    """The timestamp header, and the signature header unless ``secret`` is None."""
    stamp = str(timestamp)
    headers = {TIMESTAMP_HEADER: stamp}
    if secret is not None:
        headers[SIGNATURE_HEADER] = signature(secret, stamp, body)
    return headers
