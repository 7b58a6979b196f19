"""The one seam for time: production code asks a Clock, tests inject a controllable one.

Time zones live here too. The gateway keeps UTC in its own store (``store/times.py``); the HIS
sends naive local times in its zone (``his.timezone``, read with ``parse_local``); people see
local times with their offset (``format_local``); the front-end's wire times stay Beijing time.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "CHINA_TZ",
    "Clock",
    "ManualClock",
    "SystemClock",
    "format_local",
    "in_zone",
    "parse_local",
    "parse_text",
    "system_clock",
    "time_zone",
]

CHINA_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")
_OFFSET = re.compile(r"^(?:UTC|GMT)?([+-])(\d{1,2})(?::?(\d{2}))?$")
_CHINA_NAMES = {"asia/shanghai", "prc", "asia/chongqing", "asia/harbin", "asia/urumqi"}
# Dates and times as HIS systems and Chinese APIs send them: ISO 8601 with "T" or a space,
# "/" as the date separator, optional seconds, fraction and zone.
_LOCAL_TEXT = re.compile(
    r"^\d{4}[-/]\d{1,2}[-/]\d{1,2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)?"
    r"(?:Z|[+-]\d{2}(?::?\d{2})?)?$")


class Clock(Protocol):
    """What time-dependent code needs: wall time (aware) and a monotonic reading."""

    def now(self) -> datetime: ...

    def monotonic(self) -> float: ...


class SystemClock:
    """The real clock, in China Standard Time (the front-end's wire times are local)."""

    def now(self) -> datetime:
        return datetime.now(CHINA_TZ)

    def monotonic(self) -> float:
        return time.monotonic()


class ManualClock:
    """A clock that moves only when told to; for tests and simulations."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 1, 8, 0, 0, tzinfo=CHINA_TZ)
        self._mono = 0.0

    def now(self) -> datetime:
        return self._now

    def monotonic(self) -> float:
        return self._mono

    def advance(self, seconds: float = 0.0, **kwargs: float) -> None:
        """Move the clock forward by ``seconds`` plus any timedelta keyword arguments."""
        delta = timedelta(seconds=seconds, **kwargs)
        self._now += delta
        self._mono += delta.total_seconds()


system_clock = SystemClock()


def time_zone(name: str) -> tzinfo:
    """A zone by IANA name (``Asia/Shanghai``), ``UTC`` or a fixed offset (``+08:00``).

    China's zones fall back to a fixed +08:00 where the system has no zone database (Windows
    without ``tzdata``): China has had no daylight saving time since 1991. ``ValueError`` for
    an unknown name.
    """
    text = name.strip()
    if text.upper() in ("UTC", "Z", "GMT"):
        return UTC
    offset = _OFFSET.match(text)
    if offset:
        sign, hours, minutes = offset.groups()
        delta = timedelta(hours=int(hours), minutes=int(minutes or 0))
        return timezone(-delta if sign == "-" else delta)
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        if text.lower() in _CHINA_NAMES:
            return CHINA_TZ
        raise ValueError(f"unknown time zone {text!r} (e.g. Asia/Shanghai, UTC, +08:00)") from exc


def in_zone(moment: datetime, zone: tzinfo) -> datetime:
    """``moment`` as an aware time: a naive one is read as wall time in ``zone``."""
    return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment


def parse_local(value: object, zone: tzinfo) -> datetime:
    """A date-time text (``2026-11-25 03:49:45``, ISO, ``/`` dates) as an aware time; naive
    text is wall time in ``zone``. Numbers and anything else are refused with ``ValueError``."""
    return in_zone(parse_text(value), zone)


def parse_text(value: object) -> datetime:
    """A date-time text as written (naive when it names no zone); ``ValueError`` otherwise.

    Stricter than pydantic: a number or a run of digits is not taken for Unix seconds."""
    if isinstance(value, datetime):
        return value
    text = value.strip() if isinstance(value, str) else ""
    if not _LOCAL_TEXT.match(text):
        raise ValueError("不是合法的日期时间 not a date-time (expected yyyy-MM-dd HH:mm:ss)")
    date_part, _, rest = text.replace("T", " ").partition(" ")
    year, month, day = date_part.replace("/", "-").split("-")
    iso = f"{int(year):04d}-{int(month):02d}-{int(day):02d}" + (f" {rest}" if rest else "")
    try:
        return datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValueError(f"不是合法的日期时间 not a valid date-time: {exc}") from exc


def format_local(moment: datetime | None, zone: tzinfo, *, seconds: bool = True) -> str:
    """``2026-11-25 11:49:45 +08:00``: wall time in ``zone`` with its offset; "" for None.

    A naive ``moment`` is taken to be UTC (what the store keeps)."""
    if moment is None:
        return ""
    aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
    local = aware.astimezone(zone)
    offset = local.strftime("%z")
    stamp = local.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")
    return f"{stamp} {offset[:3]}:{offset[3:]}"
