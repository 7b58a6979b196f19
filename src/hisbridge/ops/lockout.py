"""Lock-out after repeated failed logins: pure decisions over recent failures.

Three counters, so that guessing is slow and nobody can lock a real user out:

- **name + address** (``failures``, 5): the failures of one user name from one address since
  that pair's last success. Reaching it locks only that pair: the guesser at that address,
  not the real user at their own workstation. Attempts refused while locked count too, so a
  guesser who keeps trying stays locked.
- **address** (``address_failures``, 20): the failures from one address over any names. This
  stops guessing many user names (or one common password against every name) from one place.
- **name** (``user_failures``, 100): the failures of a name from all addresses that were really
  checked (refused attempts do not count) since its last success. Only an attack spread over
  many addresses reaches it; it is set far above the others so that a single attacker cannot
  trigger it, and like the others it expires.

Each lock lasts ``lock`` after the failure that triggered it; a failure counts while it is
within ``window`` of the newest. ``hisbridge user unlock NAME`` resets the name's counters.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

__all__ = ["LockoutPolicy", "locked_until"]


@dataclass(frozen=True, slots=True)
class LockoutPolicy:
    failures: int = 5
    window: timedelta = timedelta(minutes=15)
    lock: timedelta = timedelta(minutes=15)
    address_failures: int = 20
    user_failures: int = 100


def locked_until(failures: Sequence[datetime], policy: LockoutPolicy,
                 limit: int | None = None) -> datetime | None:
    """Until when a counter is locked, given its failures (any order) and its ``limit``
    (default ``policy.failures``): the last ``limit`` failures fall within ``window``."""
    limit = limit or policy.failures
    if len(failures) < limit:
        return None
    recent = sorted(failures)[-limit:]
    if recent[-1] - recent[0] > policy.window:
        return None
    return recent[-1] + policy.lock
