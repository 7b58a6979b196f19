"""Do-not-send rules: patients of protected categories (or listed by id) are never sent.

A rule names a column and the values (or value prefixes) that exclude a record: a national
field of the mapped record (``nultitude_type_code``, ``patient_id``, ``id_card``...) or a column
the mapping's query returns only for this purpose (a HIS security or identity code, not sent).
``tables`` limits a rule to some tables (default: every table having the column).

A record whose parent was excluded is excluded too (a visit's activity, labs, orders and their
items), so the front-end never receives orphans; the poller remembers excluded keys per table
to decide that. Pure: ``match`` looks only at the row and the mapped record.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from hisbridge.errors import ConfigError

__all__ = ["ExcludeRule", "Exclusions", "load_exclusions"]


class ExcludeRule(BaseModel):
    """One entry of ``his.exclude``."""

    name: str = Field(min_length=1, max_length=64)  # shown in reconcile and logs, e.g. 军人身份
    column: str = Field(min_length=1, max_length=64)  # national field or a query helper column
    values: list[str] = Field(default_factory=list)  # exact values that exclude
    prefixes: list[str] = Field(default_factory=list)  # value prefixes that exclude (1801…)
    # CSV file (first column, header row) of further values, e.g. a list of patient ids.
    values_file: Path | None = None
    tables: list[str] = Field(default_factory=list)  # only these tables (default: all)


@dataclass(frozen=True, slots=True)
class _Rule:
    name: str
    column: str
    values: frozenset[str]
    prefixes: tuple[str, ...]
    tables: frozenset[str]

    def hits(self, table: str, value: Any) -> bool:
        if value is None or (self.tables and table not in self.tables):
            return False
        text = str(value).strip()
        return text in self.values or (bool(text) and text.startswith(self.prefixes))


@dataclass(frozen=True, slots=True)
class Exclusions:
    """The project's do-not-send rules, compiled."""

    rules: tuple[_Rule, ...] = ()

    @property
    def columns(self) -> frozenset[str]:
        """Every column a rule reads (helper columns among them are never sent)."""
        return frozenset(r.column for r in self.rules)

    def match(self, table: str, row: Mapping[str, Any], record: Mapping[str, Any]) -> str | None:
        """The name of the first rule that excludes this row, or None."""
        for rule in self.rules:
            value = record.get(rule.column, row.get(rule.column))
            if rule.hits(table, value):
                return rule.name
        return None


def _file_values(path: Path) -> list[str]:
    try:
        text = path.read_text("utf-8-sig")
    except OSError as exc:
        raise ConfigError(f"无法读取不上传名单 cannot read exclusion list {path}: {exc.strerror}",
                          hint="检查 his.exclude[].values_file 的路径") from exc
    rows = list(csv.reader(io.StringIO(text)))
    return [r[0].strip() for r in rows[1:] if r and r[0].strip()]


def load_exclusions(rules: Iterable[ExcludeRule], root: Path) -> Exclusions:
    """Compile the rules; ``values_file`` paths are taken from ``root`` when relative."""
    compiled = []
    for rule in rules:
        values = set(rule.values)
        if rule.values_file is not None:
            path = rule.values_file if rule.values_file.is_absolute() else root / rule.values_file
            values.update(_file_values(path))
        compiled.append(_Rule(rule.name, rule.column, frozenset(values), tuple(rule.prefixes),
                              frozenset(rule.tables)))
    return Exclusions(tuple(compiled))
