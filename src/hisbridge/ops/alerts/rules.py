"""The alert rules: pure functions of a ``Snapshot`` and ``Thresholds``.

- ``dead_growth``: a table gained at least ``dead_growth`` dead letters within the window.
- ``pending_old``: a table's oldest pending entry is older than ``pending_max``.
- ``source_idle``: a source has had no successful poll for ``source_idle``.
- ``target_unreachable``: a target's latest attempt could not reach it.
- ``key_expiring``: the front-end secret key expires within ``key_expiry`` (or has expired).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

__all__ = ["RULES", "Alert", "Snapshot", "TargetHealth", "Thresholds", "evaluate"]

Severity = Literal["warning", "critical"]
RULES = ("dead_growth", "pending_old", "source_idle", "target_unreachable", "key_expiring")


@dataclass(frozen=True, slots=True)
class TargetHealth:
    last_success: datetime | None
    last_attempt: datetime | None
    reachable: bool


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What the rules look at; a part that is not installed is simply empty or None."""

    at: datetime
    dead_recent: Mapping[str, int] = field(default_factory=dict)
    oldest_pending_s: Mapping[str, float] = field(default_factory=dict)
    sources_last_poll: Mapping[str, datetime | None] = field(default_factory=dict)
    targets: Mapping[str, TargetHealth] = field(default_factory=dict)
    key_expires_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Thresholds:
    dead_growth: int = 10
    dead_window: timedelta = timedelta(hours=1)
    pending_max: timedelta = timedelta(minutes=30)
    source_idle: timedelta = timedelta(minutes=30)
    key_expiry: timedelta = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class Alert:
    """One firing alert: which rule, about what, how bad, and what to tell a person."""

    rule: str
    subject: str
    severity: Severity
    message_zh: str
    message_en: str

    @property
    def key(self) -> tuple[str, str]:
        return (self.rule, self.subject)


def _minutes(seconds: float) -> int:
    return int(seconds // 60)


def _dead(s: Snapshot, th: Thresholds) -> list[Alert]:
    window = _minutes(th.dead_window.total_seconds())
    return [Alert("dead_growth", table, "critical",
                  f"{table} 在 {window} 分钟内新增 {n} 条死信",
                  f"{table}: {n} new dead letters in {window} min")
            for table, n in sorted(s.dead_recent.items()) if n >= th.dead_growth]


def _pending(s: Snapshot, th: Thresholds) -> list[Alert]:
    limit = th.pending_max.total_seconds()
    return [Alert("pending_old", table, "warning",
                  f"{table} 最久待发记录已等待 {_minutes(age)} 分钟",
                  f"{table}: oldest pending entry waited {_minutes(age)} min")
            for table, age in sorted(s.oldest_pending_s.items()) if age > limit]


def _idle(s: Snapshot, th: Thresholds) -> list[Alert]:
    found = []
    for source, last in sorted(s.sources_last_poll.items()):
        if last is None or s.at - last > th.source_idle:
            idle = _minutes((s.at - last).total_seconds()) if last is not None else 0
            since = "从未成功轮询" if last is None else f"{idle} 分钟未成功轮询"
            since_en = "no successful poll yet" if last is None else f"no successful poll for {idle} min"
            found.append(Alert("source_idle", source, "warning", f"数据源 {source} {since}",
                               f"source {source}: {since_en}"))
    return found


def _unreachable(s: Snapshot, _: Thresholds) -> list[Alert]:
    return [Alert("target_unreachable", target, "critical", f"上报目标 {target} 无法连接",
                  f"target {target} is unreachable")
            for target, health in sorted(s.targets.items()) if not health.reachable]


def _key(s: Snapshot, th: Thresholds) -> list[Alert]:
    if s.key_expires_at is None or s.key_expires_at - s.at > th.key_expiry:
        return []
    left = (s.key_expires_at - s.at).total_seconds()
    if left <= 0:
        return [Alert("key_expiring", "frontend", "critical", "前置软件接口密钥已过期",
                      "the front-end secret key has expired")]
    hours = round(left / 3600, 1)
    return [Alert("key_expiring", "frontend", "critical", f"前置软件接口密钥将在 {hours} 小时内过期",
                  f"the front-end secret key expires within {hours} h")]


def evaluate(snapshot: Snapshot, thresholds: Thresholds) -> list[Alert]:
    """Every alert that fires for ``snapshot``, in rule order."""
    found: list[Alert] = []
    for rule in (_dead, _pending, _idle, _unreachable, _key):
        found.extend(rule(snapshot, thresholds))
    return found
