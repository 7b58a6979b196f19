"""Reading query strings and forms without ever failing: each bad value becomes a message.

Every console page parses its parameters through a ``Checked`` collector: a bad value is
replaced by ``None`` and a message in both languages is kept for the page to show (status 400),
so an odd query string gives a clear message and never a 500.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, tzinfo

from hisbridge._clock import CHINA_TZ

__all__ = ["Checked"]

_TEXT_RE = re.compile(r"^[\w.\-:/@ \u4e00-\u9fff]*$")


@dataclass
class Checked:
    """Parameters read so far, and the problems found in them."""

    values: Mapping[str, str]
    problems: list[str] = field(default_factory=list)
    zone: tzinfo = CHINA_TZ  # times typed without a zone are wall times here (the display zone)

    def _raw(self, name: str) -> str | None:
        value = self.values.get(name)
        return value.strip() if isinstance(value, str) and value.strip() else None

    def text(self, name: str, label: str, max_len: int = 128) -> str | None:
        """Plain text: letters, digits, Chinese, ``. - : / @`` and spaces, up to ``max_len``."""
        value = self._raw(name)
        if value is None:
            return None
        if len(value) > max_len or not _TEXT_RE.match(value):
            self.problems.append(f"{label}：格式无效（最多 {max_len} 个字符，不含特殊符号） "
                                 f"invalid {name} (at most {max_len} plain characters)")
            return None
        return value

    def choice(self, name: str, label: str, options: Sequence[str]) -> str | None:
        value = self._raw(name)
        if value is None or value in options:
            return value
        shown = "、".join(options[:8]) + ("…" if len(options) > 8 else "")
        self.problems.append(f"{label}：应为 {shown} 之一 {name} must be one of the listed values")
        return None

    def integer(self, name: str, label: str, low: int, high: int, default: int | None = None) -> int | None:
        value = self._raw(name)
        if value is None:
            return default
        if not re.fullmatch(r"-?\d{1,12}", value) or not low <= int(value) <= high:
            self.problems.append(f"{label}：应为 {low}–{high} 之间的整数 {name} must be a whole number "
                                 f"from {low} to {high}")
            return default
        return int(value)

    def day(self, name: str, label: str) -> date | None:
        """A calendar day written ``yyyy-MM-dd``."""
        value = self._raw(name)
        if value is None:
            return None
        try:
            return date.fromisoformat(value) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) else _bad()
        except ValueError:
            self.problems.append(f"{label}：日期格式应为 yyyy-MM-dd {name} must be a date like 2026-03-01")
            return None

    def moment(self, name: str, label: str, *, end_of_day: bool = False) -> datetime | None:
        """A day (``yyyy-MM-dd``) or a time (``yyyy-MM-ddTHH:mm``), in the display zone."""
        value = self._raw(name)
        if value is None:
            return None
        try:
            if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
                day = date.fromisoformat(value)
                return datetime.combine(day, time.max if end_of_day else time.min, self.zone)
            if re.fullmatch(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2})?", value):
                return datetime.fromisoformat(value.replace(" ", "T")).replace(tzinfo=self.zone)
            _bad()
        except ValueError:
            pass
        self.problems.append(f"{label}：时间格式应为 yyyy-MM-dd 或 yyyy-MM-ddTHH:mm "
                             f"{name} must be like 2026-03-01 or 2026-03-01T08:30")
        return None


def _bad() -> date:
    raise ValueError("bad format")
