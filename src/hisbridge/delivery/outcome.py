"""What a delivery target is given (``DeliveryItem``) and what it answers (``Outcome``).

An outcome carries one of three verdicts: ``delivered`` (the receiver's success reply),
``transient`` (retry later) or ``terminal`` (dead-letter). Targets never raise for a failed
send; they translate every failure into an outcome, usually through ``Outcome.from_error``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from hisbridge import _json
from hisbridge.errors import HisbridgeError, Transient

__all__ = ["DeliveryItem", "Outcome", "Verdict"]

Verdict = Literal["delivered", "transient", "terminal"]
_REPLY_CHARS = 2000


@dataclass(frozen=True, slots=True)
class DeliveryItem:
    """One outbox entry to send: which record version, which operation, its stored payload.

    ``payload`` is the stored record as JSON text (snake_case keys, wire strings); ``wire`` the
    data API body built from it at intake (camelCase keys), when one was stored. Neither is
    decoded on the way to a target: ``record`` decodes the payload for a target that needs it.
    """

    outbox_id: int
    table: str
    record_id: str
    version: int
    op: Literal["upsert", "delete"]
    payload: str
    attempt_no: int
    received_at: datetime
    note: str | None = None
    wire: str | None = None

    @property
    def record(self) -> dict[str, Any]:
        """The stored record, decoded (on every call: keep it when needed twice)."""
        decoded: dict[str, Any] = _json.loads(self.payload)
        return decoded


@dataclass(frozen=True, slots=True)
class Outcome:
    """The receiver's answer to one send, reduced to what the worker needs to decide."""

    verdict: Verdict
    reason: str = ""
    status_code: int | None = None
    error_code: str | None = None
    reply: str | None = None
    retry_after: float | None = None
    duration_s: float = 0.0
    reachable: bool = True
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.verdict == "delivered"

    @classmethod
    def delivered(cls, *, status_code: int | None = None, reply: str | None = None) -> Outcome:
        return cls("delivered", "ok", status_code, None, _clip(reply))

    @classmethod
    def from_error(
        cls, exc: HisbridgeError, *, status_code: int | None = None, reachable: bool = True
    ) -> Outcome:
        """The outcome for one of our errors: ``Transient`` retries, anything else is terminal."""
        reply = _clip(getattr(exc, "reply", None) or None)
        code = getattr(exc, "code", None) or None
        if isinstance(exc, Transient):
            return cls("transient", str(exc), status_code, code, reply, exc.retry_after,
                       reachable=reachable)
        return cls("terminal", str(exc), status_code, code, reply, reachable=reachable)

    def timed(self, duration_s: float) -> Outcome:
        """The same outcome with the measured duration filled in."""
        return Outcome(self.verdict, self.reason, self.status_code, self.error_code, self.reply,
                       self.retry_after, duration_s, self.reachable, self.extra)


def _clip(text: str | None) -> str | None:
    if text is None:
        return None
    return text if len(text) <= _REPLY_CHARS else text[:_REPLY_CHARS] + "…"
