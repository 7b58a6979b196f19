"""Frozen values describing the 20 national tables and their code sets."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

__all__ = ["CodeSet", "FieldSpec", "FieldType", "Group", "Op", "ParentKey", "RequiredLevel", "TableSpec"]

FieldType = Literal["varchar", "text", "datetime", "date", "int", "decimal"]
RequiredLevel = Literal["mandatory", "mandatory_observed", "recommended", "unknown", "not_sent"]
Group = Literal["realtime", "t0", "base"]
# What a record asks of the receiver: write it (insert or update by id) or delete it.
Op = Literal["upsert", "delete"]

GROUP_LABELS: Mapping[Group, str] = {
    "realtime": "实时采集 real time",
    "t0": "常规监测 T+0",
    "base": "基础表 base",
}


@dataclass(frozen=True, slots=True)
class CodeSet:
    """A value domain: code -> label. ``pattern`` is used where no list is known."""

    name: str
    name_zh: str
    codes: Mapping[str, str]
    confidence: str = "medium"
    note: str = ""
    pattern: str | None = None

    def label(self, code: str) -> str | None:
        return self.codes.get(code)


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One column of a national table, with its wire names and rules."""

    name: str
    camel: str
    label_zh: str
    type: FieldType
    length: int | None
    required_level: RequiredLevel
    code_set: str | None = None
    spec_status: str = "spec"
    note: str = ""
    alt_lengths: tuple[int, ...] = ()

    @property
    def upper(self) -> str:
        return self.name.upper()

    @property
    def sent(self) -> bool:
        """Platform-internal columns exist in the mirror DDL but hospitals never send them."""
        return self.required_level != "not_sent"

    def required_in(self, mode: str) -> bool:
        """Lenient: the documented mandatory fields. Strict: also what the front-end rejected."""
        if self.required_level == "mandatory":
            return True
        return mode == "strict" and self.required_level == "mandatory_observed"


@dataclass(frozen=True, slots=True)
class ParentKey:
    field: str
    table: str
    column: str


@dataclass(frozen=True, slots=True)
class TableSpec:
    """One of the 20 tables: its names, API path, keys and fields."""

    name: str
    title_zh: str
    api_path: str
    group: Group
    primary_key: str
    parent_keys: tuple[ParentKey, ...]
    operations: tuple[str, ...]
    fields: tuple[FieldSpec, ...]
    confidence: str = "medium"
    _by_name: Mapping[str, FieldSpec] = field(default_factory=dict, repr=False, compare=False)

    @property
    def camel_name(self) -> str:
        """The last path segment, e.g. ``emrPatientInfo``."""
        return self.api_path.rsplit("/", 1)[-1]

    @property
    def can_delete(self) -> bool:
        return "delete" in self.operations

    @property
    def sent_fields(self) -> tuple[FieldSpec, ...]:
        return tuple(f for f in self.fields if f.sent)

    def field(self, name: str) -> FieldSpec | None:
        return self._by_name.get(name)
