"""A fast reader of record bodies: key matching cached per table, key style cached per key set.

Same result as ``hisbridge.spec.wire.from_wire`` (keys matched ignoring case and
underscores; absent, null and "" alike), but memoised for the hot path, where every request
of a client carries the same keys.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hisbridge.spec import TableSpec
from hisbridge.spec.validator import normalize_key
from hisbridge.spec.wire import detect_key_style

__all__ = ["RecordReader"]

_MAX_CACHED = 4096  # bounded: a hostile client sending random keys cannot grow memory


class RecordReader:
    """Reads bodies of one table into ``{field name: value}`` plus the key style."""

    def __init__(self, table: TableSpec) -> None:
        self.table = table
        self._by_normal = {normalize_key(f.name): f.name for f in table.fields}
        self._names: dict[str, str | None] = {}
        self._styles: dict[tuple[str, ...], str] = {}

    def read(self, body: Mapping[str, Any]) -> tuple[dict[str, Any], str]:
        """The record (known fields with a value) and the body's key style."""
        record: dict[str, Any] = {}
        for key, value in body.items():
            if value is None or value == "":
                continue
            name = self._name(key)
            if name is not None:
                record[name] = value
        return record, self._style(tuple(body))

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
