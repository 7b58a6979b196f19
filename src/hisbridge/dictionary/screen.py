"""The clean-record screen: one pass of C-level checks that a record breaks no field rule.

Most records a hospital sends are clean. Walking each of their fields through its check closures
costs about a microsecond a field; the screen answers "does any field break a rule?" for the whole
record with set, join, ``map`` and regex operations that run in C, and hands back the fields
present. A record it cannot vouch for — a key that is not a field's exact name, a value that is
not a string, a control character, an over-long value, a blank key, a date, number or code that
its tests do not pass — takes the validator's full walk, so every violation and its order still
come from one place. The tests may refuse what the walk would accept (that only costs time);
they never accept what the walk would refuse.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from datetime import date
from operator import gt, itemgetter
from sys import maxsize
from typing import Any

from hisbridge.dictionary.model import TableSpec
from hisbridge.dictionary.violations import Violation

__all__ = ["Check", "FieldScreen", "Test", "passes", "plain_date", "plain_datetime"]

Check = Callable[[str, list[Violation]], None]  # appends what is wrong with one value
Test = Callable[[str], bool]  # True: the value is fine (False: perhaps not)
_STRING_OR_NONE = frozenset({str, type(None)})
# What the walk refuses in free text (C0/C1 controls but tab, line feed and carriage return) or
# cannot encode (a lone surrogate).
_SUSPECT_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_KEY_SUSPECT_RE = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# The usual shapes, in ASCII digits, the time's ranges spelled out: only the day is left to check.
_PLAIN_DATETIME_RE = re.compile(r"\d{4}-\d{2}-\d{2} (?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d", re.ASCII)
_PLAIN_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_REAL_DAYS: dict[str, bool] = {}
_DAYS_KEPT = 50_000
_CODES_KEPT = 20_000
_filled = itemgetter(1)


def _real_day(text: str) -> bool:
    """Whether ``dddd-dd-dd`` names a real day (remembered: a day's records share few days)."""
    real = _REAL_DAYS.get(text)
    if real is None:
        if len(_REAL_DAYS) >= _DAYS_KEPT:
            _REAL_DAYS.clear()
        try:
            real = bool(date(int(text[:4]), int(text[5:7]), int(text[8:10])))
        except ValueError:
            real = False
        _REAL_DAYS[text] = real
    return real


def plain_date(text: str) -> bool:
    """A real day as ``yyyy-MM-dd`` (True means the date check finds nothing)."""
    return _PLAIN_DATE_RE.fullmatch(text) is not None and _real_day(text)


def plain_datetime(text: str) -> bool:
    """A real time as ``yyyy-MM-dd HH:mm:ss`` (True means the datetime check finds nothing)."""
    return _PLAIN_DATETIME_RE.fullmatch(text) is not None and _real_day(text[:10])


def passes(check: Check) -> Test:
    """A check as a test: True when it finds nothing."""
    def test(text: str) -> bool:
        found: list[Violation] = []
        check(text, found)
        return not found
    return test


class FieldScreen:
    """The field rules of one table, precompiled for whole-record checks."""

    def __init__(self, table: TableSpec, keys: Collection[str], tests: Mapping[str, list[Test]],
                 coded: Mapping[str, Collection[str]]) -> None:
        """``tests``: each field's format and code tests (length aside); ``coded``: the fields
        whose only test is their code set's, with the codes that set lists."""
        self.names = frozenset(f.name for f in table.fields)
        self.limit = {f.name: f.length or maxsize for f in table.fields}.__getitem__
        self.keys = tuple(sorted(keys))
        self.tests = {name: tuple(found) for name, found in tests.items() if found}
        self.tested = frozenset(self.tests)
        self.coded = frozenset(coded)
        self.uncoded = self.tested - self.coded
        self.listed = frozenset((name, code) for name, codes in coded.items() for code in codes)
        # (field, code) pairs known to pass: the listed codes, and codes seen to pass a
        # pattern (an organisation, a region, a diagnosis: few, and seen again and again)
        self.known = set(self.listed)

    def present(self, record: Any) -> dict[str, str] | None:
        """The record's non-empty fields when no field breaks a rule; None when it needs the walk."""
        if (type(record) is not dict or not self.names.issuperset(record)
                or not _STRING_OR_NONE.issuperset(map(type, record.values()))):
            return None
        present: dict[str, str] = record if all(record.values()) else dict(
            filter(_filled, record.items()))
        values = present.values()
        joined = " ".join(values)  # printable text (most is) holds neither controls nor surrogates
        if ((not joined.isprintable() and _SUSPECT_RE.search(joined) is not None)
                or any(map(gt, map(len, values), map(self.limit, present)))
                or self._bad_key(present) or self._bad_value(present)):
            return None
        return present

    def _bad_key(self, present: Mapping[str, str]) -> bool:
        for name in self.keys:
            text = present.get(name)
            if text is not None and (not text.strip() or _KEY_SUSPECT_RE.search(text)):
                return True
        return False

    def _bad_value(self, present: Mapping[str, str]) -> bool:
        coded = self.coded.intersection(present)
        if self.known.issuperset(zip(coded, map(present.__getitem__, coded), strict=True)):
            names = self.uncoded.intersection(present)
        else:
            names = self.tested.intersection(present)
        for name in names:
            text = present[name]
            for test in self.tests[name]:
                if not test(text):
                    return True
            if name in self.coded:
                self._remember(name, text)
        return False

    def _remember(self, name: str, code: str) -> None:
        if len(self.known) >= len(self.listed) + _CODES_KEPT:
            self.known = set(self.listed)
        self.known.add((name, code))
