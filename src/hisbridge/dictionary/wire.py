"""The front-end's wire format: one JSON object per record, keys in one of three styles.

``to_wire`` turns a record (snake_case field names, Python or string values) into the body the
front-end expects: camelCase keys by default, nulls and empty strings omitted, datetimes as
``yyyy-MM-dd HH:mm:ss`` and dates as ``yyyy-MM-dd``, every value a string. ``from_wire`` reads a
body in any key style back into a record, matching keys as the front-end does (case and
underscores ignored). ``wire_body`` is the body for a record already in the stored form (the
intake builds it once per version; the connector sends it as is).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any, Literal

from hisbridge import _json
from hisbridge.dictionary.model import FieldSpec, TableSpec
from hisbridge.dictionary.validator import DATE_TIME_RE, normalize_key

__all__ = ["KeyStyle", "WireRecord", "detect_key_style", "from_wire", "to_wire", "wire_body",
           "wire_value"]

KeyStyle = Literal["camel", "snake", "upper"]
KEY_STYLES: tuple[KeyStyle, ...] = ("camel", "snake", "upper")


@dataclass(slots=True)
class WireRecord:
    """A body read back: the record, the key style it used and any keys we did not know."""

    record: dict[str, Any]
    key_style: KeyStyle
    unknown: list[str] = field(default_factory=list)


def wire_value(spec: FieldSpec, value: Any) -> str | None:
    """One value as the front-end wants it; ``None`` means leave the key out."""
    if value is None:
        return None
    if isinstance(value, str):
        if spec.type == "date" and len(value) > 10 and DATE_TIME_RE.fullmatch(value):
            return value[:10]  # a datetime in a date field: its date (lenient validation)
        return value or None
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d" if spec.type == "date" else "%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else format(value, "f")
    return str(value)


@cache
def _keys(table: TableSpec, style: KeyStyle) -> dict[str, str]:
    if style == "camel":
        return {f.name: f.camel for f in table.fields}
    if style == "upper":
        return {f.name: f.upper for f in table.fields}
    return {f.name: f.name for f in table.fields}


_NORMAL_INDEXES: dict[int, tuple[TableSpec, dict[str, FieldSpec]]] = {}


def _normal_index(table: TableSpec) -> dict[str, FieldSpec]:
    # Keyed by identity, not @cache: hashing a frozen TableSpec walks every FieldSpec, which was
    # 12% of intake time in bench/hotpath.py. The entry keeps the spec alive, so ids never reuse.
    hit = _NORMAL_INDEXES.get(id(table))
    if hit is None or hit[0] is not table:
        hit = (table, {normalize_key(f.name): f for f in table.fields})
        _NORMAL_INDEXES[id(table)] = hit
    return hit[1]


def to_wire(table: TableSpec, record: Mapping[str, Any], key_style: KeyStyle = "camel") -> dict[str, str]:
    """The JSON object to send for ``record``; unknown fields are left out."""
    keys = _keys(table, key_style)
    out: dict[str, str] = {}
    for name, value in record.items():
        key = keys.get(name)
        spec = table.field(name)
        if key is None or spec is None:
            continue
        text = wire_value(spec, value)
        if text is not None:
            out[key] = text
    return out


_KEYS_BY_NAME: dict[tuple[str, KeyStyle], dict[str, str]] = {}


def wire_body(table: TableSpec, record: Mapping[str, str], key_style: KeyStyle = "camel") -> str:
    """The JSON text to send for a record in the stored form (snake_case keys, every value a
    wire string, no empties; ``hisbridge.store.intake.normalize_record``): keys renamed only."""
    keys = _KEYS_BY_NAME.get((table.name, key_style))
    if keys is None:  # by name, not by spec: hashing a TableSpec walks every field
        keys = _KEYS_BY_NAME[(table.name, key_style)] = _keys(table, key_style)
    return _json.dumps_str({keys[k]: v for k, v in record.items() if k in keys and v})


def detect_key_style(keys: list[str]) -> KeyStyle:
    """Which of the three styles a body's keys are written in (``id`` alone says nothing)."""
    telling = [k for k in keys if k.lower() != k or "_" in k]
    if not telling:
        return "snake" if any("_" in k for k in keys) else "camel"
    if all(k.isupper() or (not k.isalpha() and k.upper() == k) for k in telling):
        return "upper"
    if any("_" in k for k in telling):
        return "snake"
    return "camel"


def from_wire(table: TableSpec, body: Mapping[str, Any]) -> WireRecord:
    """Read a body in any key style; absent, null and empty values are all left out."""
    index = _normal_index(table)
    record: dict[str, Any] = {}
    unknown: list[str] = []
    for key, value in body.items():
        spec = table.field(key) or index.get(normalize_key(str(key)))
        if spec is None:
            unknown.append(str(key))
        elif value is not None and value != "":
            record[spec.name] = value
    return WireRecord(record, detect_key_style([str(k) for k in body]), unknown)
