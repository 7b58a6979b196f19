"""Records the HIS pushes (``POST /api/v1/events/{table}``) take the SQL path's steps.

A pushed record carries the national field names (any key style) but the hospital's own codes,
as a query row does; so each one goes through the project's ``RowMapper`` for its table (code
maps, drug filter and standard drug code, the institution's code) and ``triage``, exactly as
polled rows do, before the intake validates and stores it. Records the mapping refuses are
rejected with field-level reasons (and kept in ``source_rejects``, as polled ones); records
the drug filter drops are listed as filtered, never sent. Without a project (no ``his:``
mappings) records are taken as they come.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine

from hisbridge._clock import Clock, system_clock
from hisbridge.dictionary import TableSpec, Violation
from hisbridge.dictionary.wire import from_wire
from hisbridge.mapping import MappedRow, MappingFile, RowMapper
from hisbridge.mapping.rows import triage
from hisbridge.project import Project
from hisbridge.sources.watermarks import SourceState
from hisbridge.store.ports import AcceptResult, Intake, Op, Rejected

__all__ = ["PUSH_SOURCE", "PushResult", "accept_pushed", "push_mapper"]

PUSH_SOURCE = "push"
_DRUG_FIELD = "drug_code"


@dataclass(slots=True)
class PushResult:
    """The intake's result, plus the records the drug filter dropped (index, key) and the
    records a do-not-send rule kept back (index, key, rule)."""

    result: AcceptResult = field(default_factory=AcceptResult)
    filtered: list[tuple[int, str | None]] = field(default_factory=list)
    excluded: list[tuple[int, str | None, str]] = field(default_factory=list)
    # codes an optional map left out of a kept record: (index, key, column, code set, code)
    dropped: list[tuple[int, str | None, str, str, str]] = field(default_factory=list)


def push_mapper(project: Project, spec: TableSpec) -> RowMapper:
    """The table's mapper: its mapping file's code maps and drug column, or, for a table only
    pushed, the drug filter on ``drug_code`` when the table has one."""
    if spec.name in project.mappings:
        return project.mapper(spec.name)
    drugs = _DRUG_FIELD if spec.field(_DRUG_FIELD) is not None else None
    mapping = MappingFile(project.root / f"{spec.name}.push", spec.name, spec.primary_key, "",
                          "", drugs=drugs)
    return project.mapper_for(mapping)


def _as_row(spec: TableSpec, raw: Any) -> Any:
    """Spec-named columns (any key style in), unknown keys kept for the validator to name."""
    if not isinstance(raw, Mapping):
        return raw
    wire = from_wire(spec, raw)
    return {**{k: raw[k] for k in wire.unknown}, **wire.record}


def accept_pushed(intake: Intake, project: Project | None, spec: TableSpec,
                  records: Sequence[Any], op: Op, *, store: Engine,
                  clock: Clock = system_clock) -> PushResult:
    """Map, filter and accept pushed ``records`` the way polled rows are; ``store`` keeps the
    unmapped codes and refused records."""
    if project is None:
        return PushResult(intake.accept(spec.name, records, op=op, source=PUSH_SOURCE))
    mapper = push_mapper(project, spec)
    rows = [_as_row(spec, raw) for raw in records]
    mapped = {i: _map(mapper, row, op) for i, row in enumerate(rows) if isinstance(row, Mapping)}
    index = {id(row): i for i, row in mapped.items()}
    sorted_rows = triage(mapped.values())
    kept = sorted_rows.deletes if op == "delete" else sorted_rows.upserts
    order = [index[id(r)] for r in kept] + [i for i, r in enumerate(rows) if i not in mapped]
    out = PushResult(intake.accept(spec.name, [r.record for r in kept] + [
        rows[i] for i in order[len(kept):]], op=op, source=PUSH_SOURCE))
    out.result.rejected[:] = [Rejected(order[r.index], r.record_id, r.violations)
                              for r in out.result.rejected]
    refused = [(index[id(r)], r) for r in sorted_rows.refused]
    out.result.rejected += [Rejected(i, r.key, tuple(r.problems)) for i, r in refused]
    out.filtered = [(index[id(r)], r.key) for r in sorted_rows.filtered]
    out.excluded = [(index[id(r)], r.key, str(r.excluded)) for r in sorted_rows.excluded]
    out.dropped = [(index[id(r)], r.key, *code) for r in kept for code in r.dropped]
    _remember(SourceState(store, PUSH_SOURCE), spec.name, mapped.values(), refused, clock)
    return out


def _map(mapper: RowMapper, row: Mapping[str, Any], op: Op) -> MappedRow:
    mapped = mapper.map_row(row)
    if op == "delete":  # a delete needs only its key: no code map, no drug filter
        mapped.op, mapped.filtered = "delete", False
    return mapped


def _remember(state: SourceState, table: str, rows: Iterable[MappedRow],
              refused: list[tuple[int, MappedRow]], clock: Clock) -> None:
    """Unmapped, dropped and generalised codes and refused rows go where polled ones go
    (``hisbridge check``, the console's data-quality page)."""
    rows = list(rows)
    state.count_codes(table, Counter(u for r in rows for u in r.unmapped),
                      Counter(d for r in rows for d in r.dropped),
                      Counter(g for r in rows for g in r.generalised), clock.now())
    bad: list[tuple[str | None, tuple[Violation, ...]]] = [
        (r.key, tuple(r.problems)) for _, r in refused]
    if bad:
        state.add_rejects(table, "mapping", bad, clock.now())
