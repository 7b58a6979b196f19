"""RowMapper: one query row -> one national record, or the reason it cannot be sent.

Steps for each row: convert values to wire strings by field type; apply the code maps (filling
the ``*_name`` label when the query gave only the code); fill the institution's code and name
(a hospital group's records carry their own code, from the HIS, and get that institution's
name); apply the drug filter; decide upsert or delete from the delete flag. Mapping problems
(unmapped codes under ``strict_codes``, wrong types, undecodable text) are returned as
violations, so the caller can quarantine the row with field-level reasons. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from hisbridge.dictionary import Dictionary, TableSpec, Violation, load_dictionary
from hisbridge.dictionary.model import Op
from hisbridge.mapping.codemaps import CodeMap, CodeMaps
from hisbridge.mapping.drugs import DrugCatalogue
from hisbridge.mapping.exclusions import Exclusions
from hisbridge.mapping.sqlfile import CodeRef, MappingFile
from hisbridge.mapping.values import Converted, converter
from hisbridge.privacy import mask_field

__all__ = ["Generalised", "MappedRow", "RowMapper", "Triage", "Unmapped", "triage"]

_TRUTHY = frozenset({"1", "y", "yes", "t", "true", "d", "是", "删除", "作废"})
_ORG_FIELDS = (("org_code", "org_name"), ("apply_org_code", "apply_org_name"),
               ("report_org_code", "report_org_name"))
_PROBLEMS = {
    "type": ("值的类型无法转换为文本", "the value's type cannot become text"),
    "text_encoding": ("文本含无法解码的字节，请检查源库字符集",
                      "undecodable bytes; check the charset"),
    "code_map": ("院内代码未在代码映射中对照", "the hospital code is not in the code map"),
    "drug_map": ("药品未对照标准药品代码", "the drug has no standard drug code"),
}
Unmapped = tuple[str, str, str]  # (column, code set, hospital value)
Generalised = tuple[str, str, str, str]  # (column, code set, hospital value, broader code sent)


@dataclass(slots=True)
class MappedRow:
    """The record to hand to the intake, and what happened on the way."""

    key: str | None
    record: dict[str, str]
    op: Op
    watermark: Any
    problems: list[Violation] = field(default_factory=list)
    unmapped: list[Unmapped] = field(default_factory=list)
    dropped: list[Unmapped] = field(default_factory=list)  # left out by an optional (?) map
    generalised: list[Generalised] = field(default_factory=list)
    filtered: bool = False
    excluded: str | None = None  # the do-not-send rule (or "parent") that keeps it back


class RowMapper:
    """Maps the rows of one mapping file; built once per poll."""

    def __init__(self, mapping: MappingFile, codes: CodeMaps, drugs: DrugCatalogue, *,
                 strict_codes: bool = False, constants: Mapping[str, str] | None = None,
                 dictionary: Dictionary | None = None,
                 exclusions: Exclusions | None = None,
                 group: Mapping[str, str] | None = None) -> None:
        self.mapping = mapping
        self.spec: TableSpec = (dictionary or load_dictionary()).table(mapping.table)
        self.codes = codes
        self.drugs = drugs
        self.strict = strict_codes
        self.constants = dict(constants or {})
        # a hospital group's institutions, org_code -> name: codes come from the HIS, never
        # filled in (a record without one is held, not sent to the top-level institution)
        self.group = dict(group or {})
        self._fields = {f.name: f for f in self.spec.fields}
        self.exclusions = exclusions or Exclusions()
        # a rule's column that is no national field is read from the query, never sent
        self._helpers = mapping.helper_columns | (self.exclusions.columns - set(self._fields))
        self._converters: dict[str, Callable[[Any], Converted]] = {}
        self._code_refs = [(ref, codes.get(ref.code_set)) for ref in mapping.codes]
        self._drug_in_record = mapping.drugs in self._fields if mapping.drugs else False

    # ---- one row -------------------------------------------------------------------------
    def map_row(self, row: Mapping[str, Any]) -> MappedRow:
        """Map one row (a mapping of column name -> driver value)."""
        m = self.mapping
        out = MappedRow(None, {}, "upsert", row.get(m.watermark))
        for column, raw in row.items():
            if raw is None or column in self._helpers:
                continue
            self._put(out, column, raw)
        for ref, code_map in self._code_refs:
            self._apply_code(out, ref, code_map)
        self._fill_constants(out.record)
        if self._drug_in_record:
            self._apply_drug(out, str(row.get(m.drugs or "") or ""))
        flag = row.get(m.delete_flag) if m.delete_flag else None
        if flag is not None and str(flag).strip().lower() in _TRUTHY:
            out.op = "delete"
        out.key = out.record.get(m.key)
        out.excluded = self.exclusions.match(self.spec.name, row, out.record)
        return out

    def _put(self, out: MappedRow, column: str, raw: Any) -> None:
        convert = self._converters.get(column)
        if convert is None:
            convert = self._converters[column] = converter(self._fields.get(column))
        text, problem = convert(raw)
        if problem:
            out.problems.append(self._problem(column, problem, raw))
        elif text:
            out.record[column] = text

    def _apply_code(self, out: MappedRow, ref: CodeRef, code_map: CodeMap) -> None:
        """Map each ``||``-joined code on its own; rejoin what maps, account for the rest."""
        value = out.record.get(ref.column)
        if not value:
            return
        parts = [p.strip() for p in value.split("||")]
        name_field = ref.column[:-5] + "_name" if ref.column.endswith("_code") else ""
        given = out.record.get(name_field, "")
        names = given.split("||") if given else []
        names = names if len(names) == len(parts) else []
        codes: list[str] = []
        labels: list[str] = []
        for n, part in enumerate(parts):
            hit = code_map.lookup(part) if part else None
            if hit is None:
                if part and not self._unmapped(out, ref, part):  # optional maps drop it
                    codes.append(part)
                    labels.append(names[n] if names else "")
                continue
            if hit.generalised:
                out.generalised.append((ref.column, ref.code_set, part, hit.code))
            codes.append(hit.code)
            labels.append(names[n] if names else hit.label)
        self._put_codes(out, (ref.column, name_field), codes, labels,
                        given if len(codes) == len(parts) else "")

    def _unmapped(self, out: MappedRow, ref: CodeRef, part: str) -> bool:
        """Record a code no map knows; True when it is dropped (the map is optional)."""
        if ref.optional:
            out.dropped.append((ref.column, ref.code_set, part))
            return True
        out.unmapped.append((ref.column, ref.code_set, part))
        if self.strict:
            out.problems.append(self._problem(ref.column, "code_map", part, ref.code_set))
        return False

    def _put_codes(self, out: MappedRow, fields: tuple[str, str], codes: list[str],
                   labels: list[str], given: str) -> None:
        """Write the codes kept; the name is the query's (when nothing was left out) or the
        kept parts' names or labels."""
        column, name_field = fields
        if not codes:
            out.record.pop(column, None)
            out.record.pop(name_field, None)
            return
        out.record[column] = "||".join(codes)
        if name_field not in self._fields or given:
            return
        if all(labels):
            out.record[name_field] = "||".join(labels)
        else:
            out.record.pop(name_field, None)

    def _apply_drug(self, out: MappedRow, hospital_code: str) -> None:
        entry = self.drugs.lookup(hospital_code)
        if entry is None or entry.drug_class not in self.drugs.wanted:
            out.filtered = True
            return
        if entry.standard_code:
            out.record[self.mapping.drugs or "drug_code"] = entry.standard_code
            return
        out.unmapped.append((self.mapping.drugs or "drug_code", "drug", hospital_code))
        if self.strict:
            out.problems.append(self._problem("drug_code", "drug_map", hospital_code, "drug"))

    def _fill_constants(self, record: dict[str, str]) -> None:
        code, name = self.constants.get("org_code"), self.constants.get("org_name")
        for code_field, name_field in _ORG_FIELDS:
            if self.group:
                code, name = None, self.group.get(record.get(code_field, ""))
            if code_field in self._fields and code and not record.get(code_field):
                record[code_field] = code
            if name_field in self._fields and name and not record.get(name_field):
                record[name_field] = name

    def _problem(self, column: str, rule: str, raw: Any, code_set: str = "") -> Violation:
        spec = self._fields.get(column)
        zh, en = _PROBLEMS[rule]
        shown = None if rule in ("type", "text_encoding") else str(mask_field(column, str(raw)))
        if rule == "type":
            shown = type(raw).__name__
        if code_set:
            zh += f"：请在 codemaps/{code_set}.csv 中补充该代码"
            en += f": add it to codemaps/{code_set}.csv"
        return Violation(self.spec.name, column, spec.label_zh if spec else "", rule, "error",
                         shown, zh, en)

    # ---- a stream of rows ----------------------------------------------------------------
    def map_rows(self, rows: Iterable[Mapping[str, Any]]) -> Iterator[MappedRow]:
        """Map a stream; with a helper drug column, rows sharing a key become one record
        that is kept when any of its drugs is wanted (an order with no wanted item is not sent).
        """
        if self.mapping.drugs is None or self._drug_in_record:
            for row in rows:
                yield self.map_row(row)
            return
        yield from self._grouped(rows)

    def _grouped(self, rows: Iterable[Mapping[str, Any]]) -> Iterator[MappedRow]:
        column = self.mapping.drugs or ""
        current: MappedRow | None = None
        for row in rows:
            mapped = self.map_row(row)
            wanted = self.drugs.is_wanted(str(row.get(column) or ""))
            if current is not None and mapped.key == current.key:
                current.filtered = current.filtered and not wanted
                continue
            if current is not None:
                yield current
            mapped.filtered = not wanted
            current = mapped
        if current is not None:
            yield current


@dataclass(slots=True)
class Triage:
    """Mapped rows sorted the one way every source sorts them before the intake."""

    upserts: list[MappedRow] = field(default_factory=list)
    deletes: list[MappedRow] = field(default_factory=list)
    refused: list[MappedRow] = field(default_factory=list)  # mapping problems: not sent
    filtered: list[MappedRow] = field(default_factory=list)  # drugs the front-end does not want
    excluded: list[MappedRow] = field(default_factory=list)  # do-not-send rules: never sent


def triage(rows: Iterable[MappedRow]) -> Triage:
    """Upserts, deletes (a delete needs only its key), rows the mapping refused, rows a
    do-not-send rule keeps back and rows the drug filter dropped; SQL polling and the push API
    both hand the intake what this keeps."""
    out = Triage()
    for row in rows:
        if row.excluded:
            out.excluded.append(row)
        elif row.filtered:
            out.filtered.append(row)
        elif row.op == "delete" and row.key:
            out.deletes.append(row)
        elif row.problems:
            out.refused.append(row)
        else:
            out.upserts.append(row)
    return out
