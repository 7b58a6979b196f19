"""De-duplication with a cool-down: which firing alerts to send now, which only to count.

An alert is identified by (rule, subject). A new one is sent at once; one still firing is sent
again only after ``cooldown`` since it was last sent; one no longer firing is resolved and its
resolution is sent once. So a flapping or long-lasting problem never floods the webhook.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from hisbridge.ops.alerts.rules import Alert

__all__ = ["OpenAlert", "Plan", "plan"]


@dataclass(frozen=True, slots=True)
class OpenAlert:
    """An alert the store says is firing: when it was last sent (None: never)."""

    rule: str
    subject: str
    last_sent_at: datetime | None


@dataclass(slots=True)
class Plan:
    """What to do with the store and the webhook for one evaluation."""

    new: list[Alert] = field(default_factory=list)  # open a row and send
    remind: list[Alert] = field(default_factory=list)  # still firing, cool-down over: send again
    quiet: list[Alert] = field(default_factory=list)  # still firing within the cool-down: count only
    resolved: list[OpenAlert] = field(default_factory=list)  # close the row and send once

    @property
    def to_send(self) -> list[Alert]:
        return self.new + self.remind


def plan(firing: Sequence[Alert], open_alerts: Mapping[tuple[str, str], OpenAlert],
         now: datetime, cooldown: timedelta) -> Plan:
    """Sort ``firing`` alerts against the ones already open (see the module docstring)."""
    result = Plan()
    seen: set[tuple[str, str]] = set()
    for alert in firing:
        if alert.key in seen:
            continue
        seen.add(alert.key)
        known = open_alerts.get(alert.key)
        if known is None:
            result.new.append(alert)
        elif known.last_sent_at is None or now - known.last_sent_at >= cooldown:
            result.remind.append(alert)
        else:
            result.quiet.append(alert)
    result.resolved = [a for key, a in sorted(open_alerts.items()) if key not in seen]
    return result
