"""Loads the package's data dictionary (the 20 tables and their code sets) once."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from functools import cache
from importlib import resources
from typing import Any

from hisbridge.dictionary.model import CodeSet, FieldSpec, Group, ParentKey, TableSpec
from hisbridge.errors import UnknownTable

__all__ = ["TABLE_ALIASES", "Dictionary", "load_dictionary"]

# Code sets with no list in the reconstruction are checked by shape only.
_PATTERNS: Mapping[str, tuple[str, str]] = {
    "org_code_9": ("医疗机构代码（9位）", r"\d{9}"),
    "admin_division_9": ("行政区划代码（9位）", r"\d{9}"),
    "icd10": ("ICD-10 疾病诊断代码", r"[A-Z]\d{2}(\.[0-9A-Za-z]{1,6})?(x\d{3})?"),
    "tcm_disease": ("中医病名代码 GB/T 15657", r"[A-Z0-9.]{2,20}"),
    "tcm_syndrome": ("中医证候代码 GB/T 15657", r"[A-Z0-9.]{2,20}"),
}
# Table names as the front-end's own export files spell them -> the spec's names. Every table
# name a user types or a file carries goes through ``Dictionary.table``, so this is the one place.
TABLE_ALIASES: Mapping[str, str] = {
    "emr_adminssion_info": "emr_admission_info",
    "emr_daily_coure": "emr_daily_course",
}
_ALIASES_BY_KEY = {k.replace("_", ""): v for k, v in TABLE_ALIASES.items()}
_GROUPS: Mapping[str, Group] = {"实时采集": "realtime", "常规监测": "t0", "基础表": "base"}


class Dictionary:
    """The tables in spec order, looked up by snake name, camel name or API path."""

    def __init__(self, tables: list[TableSpec], code_sets: Mapping[str, CodeSet]) -> None:
        self.tables: tuple[TableSpec, ...] = tuple(tables)
        self.code_sets = dict(code_sets)
        self._by_name = {t.name: t for t in tables}
        self._by_camel = {t.camel_name.lower(): t for t in tables}

    def __iter__(self) -> Iterator[TableSpec]:
        return iter(self.tables)

    def __len__(self) -> int:
        return len(self.tables)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(t.name for t in self.tables)

    def table(self, name: str) -> TableSpec:
        """By snake name (``emr_patient_info``) or camel name (``emrPatientInfo``)."""
        found = self._by_name.get(name) or self._by_camel.get(name.lower().replace("_", ""))
        if found is None:
            alias = _ALIASES_BY_KEY.get(name.lower().replace("_", ""))
            found = self._by_name.get(alias) if alias else None
        if found is None:
            raise UnknownTable(name, self.names)
        return found

    def get(self, name: str) -> TableSpec | None:
        try:
            return self.table(name)
        except UnknownTable:
            return None

    def code_set(self, name: str | None) -> CodeSet | None:
        return self.code_sets.get(name) if name else None


def _field(raw: Mapping[str, Any]) -> FieldSpec:
    alt = tuple(v for v in (raw.get("alt_lengths") or {}).values() if isinstance(v, int))
    return FieldSpec(
        name=raw["name"],
        camel=raw["json_camel"],
        label_zh=raw["label_zh"],
        type=raw["type"],
        length=raw.get("length"),
        required_level=raw["required_level"],
        code_set=raw.get("code_set"),
        spec_status=raw.get("spec_status", "spec"),
        note=raw.get("note", ""),
        alt_lengths=alt,
    )


def _table(raw: Mapping[str, Any]) -> TableSpec:
    fields = tuple(_field(f) for f in raw["fields"])
    parents = tuple(
        ParentKey(p["field"], *p["references"].split(".", 1)) for p in raw.get("parent_keys", [])
    )
    group: Group = next(
        (g for prefix, g in _GROUPS.items() if raw["group"].startswith(prefix)), "t0"
    )
    return TableSpec(
        name=raw["name"],
        title_zh=raw["title_zh"],
        api_path=raw["api_path"],
        group=group,
        primary_key=raw["primary_key"],
        parent_keys=parents,
        operations=tuple(raw["operations"]),
        fields=fields,
        confidence=raw.get("confidence", "medium"),
        _by_name={f.name: f for f in fields},
    )


def _code_sets(raw: Mapping[str, Any]) -> dict[str, CodeSet]:
    sets = {}
    for name, cs in raw.items():
        codes = {c["code"]: c["label"] for c in cs["codes"]}
        pattern = _PATTERNS[name][1] if name in _PATTERNS and not codes else None
        sets[name] = CodeSet(name, cs["name_zh"], codes, cs["confidence"], cs["note"], pattern)
    for name, (name_zh, pattern) in _PATTERNS.items():
        sets.setdefault(name, CodeSet(name, name_zh, {}, "low", "shape only", pattern))
    for cs in sets.values():
        if cs.pattern:
            re.compile(cs.pattern)
    return sets


def _read(name: str) -> Any:
    data = resources.files("hisbridge.dictionary").joinpath("data")
    return json.loads(data.joinpath(name).read_text("utf-8"))


@cache
def load_dictionary() -> Dictionary:
    """The dictionary shipped with this package (cached; values are frozen)."""
    tables = [_table(t) for t in _read("tables.json")["tables"]]
    return Dictionary(tables, _code_sets(_read("codesets.json")["codesets"]))
