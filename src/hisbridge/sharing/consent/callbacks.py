"""What one platform callback (api.md A8) says, and the key that makes its retries harmless.

The platform retries a callback until we answer ``resultCode 0`` — and may retry while the
first delivery is still being handled. api.md asks the hospital to handle duplicates by
(``authId``, ``status``, ``occurredAt``); a platform that numbers its callbacks
(``callbackId`` / ``eventId``) is deduplicated by that number instead. Pure: no I/O, no clock.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hisbridge import _json

__all__ = ["CallbackNotice", "parse_callback"]

_ID_FIELDS = ("callbackId", "eventId", "notifyId")


@dataclass(frozen=True, slots=True)
class CallbackNotice:
    """One AUTHORIZATION_STATUS_CHANGED callback: which authorization, what happened, when."""

    auth_id: str
    status: str
    occurred_at: str
    callback_id: str = ""

    @property
    def key(self) -> str:
        """The same for every delivery of this callback, different for any other callback."""
        basis = ["id", self.callback_id] if self.callback_id else (
            ["content", self.auth_id, self.status, self.occurred_at]
        )
        return hashlib.sha256(_json.dumps(basis)).hexdigest()  # JSON: no separator ambiguity


def parse_callback(payload: Any) -> CallbackNotice:
    """The notice in a callback body (bare or inside ``data``); ``ValueError`` when unusable."""
    if not isinstance(payload, Mapping):
        raise ValueError("callback body is not a JSON object")
    data = payload.get("data", payload)
    if not isinstance(data, Mapping) or not str(data.get("authId") or "").strip():
        raise ValueError("callback names no authId")
    callback_id = next((str(data[f]) for f in _ID_FIELDS if data.get(f)), "")
    return CallbackNotice(
        auth_id=str(data["authId"]).strip(),
        status=str(data.get("status") or "").upper(),
        occurred_at=str(data.get("occurredAt") or ""),
        callback_id=callback_id,
    )
