"""A fast reader of record bodies: key matching cached per table, key style cached per key set.

Same result as ``hisbridge.dictionary.wire.from_wire`` (keys matched ignoring case and
underscores; absent, null and "" alike), but memoised for the hot path, where every request
of a client carries the same keys.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hisbridge.dictionary import TableSpec
from hisbridge.dictionary.validator import normalize_key
from hisbridge.dictionary.wire import detect_key_style

__all__ = ["ReadBody", "RecordReader"]

_MAX_CACHED = 4096  # bounded: a hostile client sending random keys cannot grow memory
_TYPED = frozenset({"datetime", "date", "int", "decimal"})


@dataclass(slots=True)
class ReadBody:
    """A body read in one pass: everything the intake needs next."""

    record: dict[str, Any]
    key_style: str
    to_check: dict[str, Any]
    """The fields lenient validation can refuse: keys, typed fields, values that are not text."""
    all_text: bool


class RecordReader:
    """Reads bodies of one table into ``{field name: value}`` plus the key style."""

    def __init__(self, table: TableSpec) -> None:
        self.table = table
        self._by_normal = {normalize_key(f.name): f.name for f in table.fields}
        self._names: dict[str, str | None] = {}
        self._styles: dict[tuple[str, ...], str] = {}
        self.checked = frozenset(
            {table.primary_key, *(p.field for p in table.parent_keys)}
            | {f.name for f in table.fields if f.type in _TYPED})

    def read(self, body: Mapping[str, Any]) -> ReadBody:
        """The record (known fields with a value), the key style and what to check."""
        record: dict[str, Any] = {}
        to_check: dict[str, Any] = {}
        all_text = True
        names, checked = self._names, self.checked
        for key, value in body.items():
            if value is None or value == "":
                continue
            name = names.get(key, "")  # "" = not seen yet (no field is named "")
            if name == "":
                name = self._name(key)
            if name is None:
                continue
            record[name] = value
            if type(value) is not str:
                all_text = False
                to_check[name] = value
            elif name in checked:
                to_check[name] = value
        return ReadBody(record, self._style(tuple(body)), to_check, all_text)

    def _name(self, key: str) -> str | None:
        try:
            return self._names[key]
        except KeyError:
            name = self._by_normal.get(normalize_key(str(key)))
            if len(self._names) < _MAX_CACHED:
                self._names[key] = name
            return name

    def _style(self, keys: tuple[str, ...]) -> str:
        style = self._styles.get(keys)
        if style is None:
            style = detect_key_style([str(k) for k in keys])
            if len(self._styles) < _MAX_CACHED:
                self._styles[keys] = style
        return style
