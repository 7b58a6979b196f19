"""The authorization state machine of flows.md §3.1, as pure code (no I/O, no clock).

    (none) ─create─▶ PENDING ─grant─▶ GRANTED ─expire─▶ EXPIRED
                        │                │ ─revoke─▶ REVOKED
                        │ ─deny─▶ DENIED │ ─close──▶ CLOSED
                        │ ─cancel─▶ CANCELLED
                        └ ─expire─▶ EXPIRED

DENIED, CANCELLED, EXPIRED, REVOKED and CLOSED are terminal: a new visit needs a new request.
SUSPENDED (platform/security withdrawal, flows.md marks it optional) is not modelled yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from hisbridge.errors import OperationRefused

__all__ = [
    "OPEN",
    "TERMINAL",
    "TRANSITIONS",
    "Event",
    "Reconciled",
    "Status",
    "TransitionRefused",
    "event_for_status",
    "next_status",
    "reconcile",
]


class Status(StrEnum):
    NONE = "NONE"  # before the request exists; never stored
    PENDING = "PENDING"
    GRANTED = "GRANTED"
    DENIED = "DENIED"
    EXPIRED = "EXPIRED"
    REVOKED = "REVOKED"
    CANCELLED = "CANCELLED"
    CLOSED = "CLOSED"


class Event(StrEnum):
    CREATE = "CREATE"
    GRANT = "GRANT"  # patient confirmed in 粤健通 / SMS code verified / auth code redeemed
    DENY = "DENY"
    EXPIRE = "EXPIRE"  # request TTL or grant validity reached
    CANCEL = "CANCEL"  # hospital withdraws a pending request
    REVOKE = "REVOKE"  # patient withdraws a grant
    CLOSE = "CLOSE"  # encounter closed or cancelled: the hospital ends a grant


TRANSITIONS: dict[tuple[Status, Event], Status] = {
    (Status.NONE, Event.CREATE): Status.PENDING,
    (Status.PENDING, Event.GRANT): Status.GRANTED,
    (Status.PENDING, Event.DENY): Status.DENIED,
    (Status.PENDING, Event.EXPIRE): Status.EXPIRED,
    (Status.PENDING, Event.CANCEL): Status.CANCELLED,
    (Status.GRANTED, Event.EXPIRE): Status.EXPIRED,
    (Status.GRANTED, Event.REVOKE): Status.REVOKED,
    (Status.GRANTED, Event.CLOSE): Status.CLOSED,
}

OPEN = frozenset({Status.PENDING, Status.GRANTED})
TERMINAL = frozenset({Status.DENIED, Status.EXPIRED, Status.REVOKED, Status.CANCELLED, Status.CLOSED})

_EVENT_FOR: dict[Status, Event] = {
    Status.PENDING: Event.CREATE,
    Status.GRANTED: Event.GRANT,
    Status.DENIED: Event.DENY,
    Status.EXPIRED: Event.EXPIRE,
    Status.CANCELLED: Event.CANCEL,
    Status.REVOKED: Event.REVOKE,
    Status.CLOSED: Event.CLOSE,
}


class TransitionRefused(OperationRefused):
    """The event is not allowed in the current state."""

    def __init__(self, current: Status, event: Event) -> None:
        super().__init__(
            f"授权状态 {current.value} 不允许操作 {event.value} / transition refused",
            hint="终态授权不可再变更,请发起新的授权申请" if current in TERMINAL else "",
        )
        self.current = current
        self.event = event


def next_status(current: Status, event: Event) -> Status:
    """The state after ``event``, or ``TransitionRefused``."""
    try:
        return TRANSITIONS[(current, event)]
    except KeyError:
        raise TransitionRefused(current, event) from None


def event_for_status(status: Status) -> Event:
    """The event that leads into ``status`` (used to replay what the platform reports)."""
    return _EVENT_FOR[status]


@dataclass(frozen=True, slots=True)
class Reconciled:
    """Result of aligning our cached state with the platform's (the platform wins)."""

    status: Status
    changed: bool
    conflict: bool  # the platform's state is not reachable from ours by an allowed event


def reconcile(local: Status, remote: Status) -> Reconciled:
    """Take the platform's state; flag it when no allowed transition explains the change."""
    if local == remote:
        return Reconciled(local, changed=False, conflict=False)
    allowed = TRANSITIONS.get((local, event_for_status(remote))) == remote
    return Reconciled(remote, changed=True, conflict=not allowed)
