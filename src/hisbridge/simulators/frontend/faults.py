"""Seeded fault injection: errors, latency, timeouts, outages and dropped connections.

Every request on a ``/hclient`` path draws exactly three numbers from one ``random.Random``
(drop, timeout, error) whatever the settings, so the same seed and the same request order
give the same sequence of faults. Outages are timed with the injected clock's monotonic
reading, so a test can move past one without sleeping.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, fields, replace
from typing import Any

from hisbridge._clock import Clock
from hisbridge.simulators.frontend.config import FaultSettings

__all__ = ["FaultDecision", "FaultInjector", "parse_fault_settings"]


@dataclass(frozen=True, slots=True)
class FaultDecision:
    """What to do to one request."""

    outage: bool = False
    drop: bool = False
    delay_s: float = 0.0
    """Sleep before replying (latency, plus the timeout delay when ``timed_out``)."""
    timed_out: bool = False
    error_code: str | None = None
    http_status: int = 200


NO_FAULT = FaultDecision()


class FaultInjector:
    """Holds the current settings and the random stream they draw from."""

    def __init__(self, settings: FaultSettings, clock: Clock) -> None:
        self.clock = clock
        self.configure(settings)

    def configure(self, settings: FaultSettings) -> None:
        """Replace the settings; restarts the random stream and any outage from now."""
        self.settings = settings
        self.rng = random.Random(settings.seed)
        self.outage_until = self.clock.monotonic() + settings.outage_seconds

    def decide(self) -> FaultDecision:
        """The fate of the next request."""
        s = self.settings
        if not s.active:
            return NO_FAULT
        drop, timeout, error = self.rng.random(), self.rng.random(), self.rng.random()
        if self.clock.monotonic() < self.outage_until:
            return FaultDecision(outage=True, http_status=503)
        if drop < s.drop_connection_rate:
            return FaultDecision(drop=True)
        delay = s.latency_ms / 1000.0
        timed_out = timeout < s.timeout_rate
        if timed_out:
            delay += s.timeout_s
        if error < s.error_rate:
            return FaultDecision(delay_s=delay, timed_out=timed_out, error_code=s.error_code,
                                 http_status=s.http_status)
        return FaultDecision(delay_s=delay, timed_out=timed_out)

    def as_dict(self) -> dict[str, Any]:
        out = {f.name: getattr(self.settings, f.name) for f in fields(FaultSettings)}
        out["outage_remaining_s"] = max(0.0, self.outage_until - self.clock.monotonic())
        return out


_RATES = ("error_rate", "timeout_rate", "drop_connection_rate")


def parse_fault_settings(body: Any) -> FaultSettings:
    """Settings from a ``POST /sim/faults`` body; unknown keys or bad values raise ValueError.

    Keys left out keep their default (not the current value): a body describes the whole
    fault picture, so ``{}`` switches every fault off.
    """
    if not isinstance(body, dict):
        raise ValueError("请求体应为 JSON 对象 / the body must be a JSON object")
    known = {f.name: f for f in fields(FaultSettings)}
    unknown = sorted(set(body) - set(known))
    if unknown:
        raise ValueError(f"未知的故障参数 unknown fault settings: {', '.join(unknown)}")
    values: dict[str, Any] = {}
    for name, value in body.items():
        values[name] = _coerce(name, value, known[name].type)
    settings = replace(FaultSettings(), **values)
    for name in _RATES:
        if not 0.0 <= getattr(settings, name) <= 1.0:
            raise ValueError(f"{name} 应在 0 与 1 之间 / must be between 0 and 1")
    if min(settings.latency_ms, settings.timeout_s, settings.outage_seconds) < 0:
        raise ValueError("时长不能为负 / durations cannot be negative")
    if not 100 <= settings.http_status <= 599:
        raise ValueError("http_status 应为 100-599")
    return settings


def _coerce(name: str, value: Any, kind: Any) -> Any:
    text = str(kind)
    try:
        if name == "error_code":
            return str(value)
        if "int" in text and "float" not in text:
            if isinstance(value, bool):
                raise TypeError
            return int(value)
        if isinstance(value, bool):
            raise TypeError
        return float(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} 的值无效 / invalid value: {value!r}") from exc
