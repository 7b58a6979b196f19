"""Data quality: quarantined records grouped by table, field and rule, with masked examples;
unmapped source codes per code set (when the HIS extraction is installed).

Violations are stored as JSON with values already masked by the validator; they are grouped
here in Python over the chosen time range (bounded by ``SCAN_LIMIT`` rows, newest first).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, select

from hisbridge import _json
from hisbridge.ops.optional import optional_table
from hisbridge.privacy import scrub
from hisbridge.store.scope import EVERY_INSTITUTION, InstitutionScope
from hisbridge.store.times import to_store

__all__ = ["SCAN_LIMIT", "UnmappedCode", "ViolationGroup", "group_violations", "unmapped_codes"]

SCAN_LIMIT = 20_000
_EXAMPLES = 3


@dataclass(slots=True)
class ViolationGroup:
    table: str
    field: str
    label_zh: str
    rule: str
    severity: str
    hint_zh: str
    count: int = 0
    examples: list[str] = dataclasses.field(default_factory=list)


@dataclass(frozen=True, slots=True)
class UnmappedCode:
    code_set: str
    code: str
    count: int
    table: str | None
    field: str | None
    last_seen: Any
    outcome: str = "unmapped"  # or dropped (an optional map left it out), generalised
    mapped_to: str | None = None  # the broader code sent, when generalised


def _add(groups: dict[tuple[str, str, str], ViolationGroup], table: str, v: dict[str, Any]) -> None:
    key = (v.get("table") or table, str(v.get("field", "")), str(v.get("rule", "")))
    group = groups.get(key)
    if group is None:
        group = groups[key] = ViolationGroup(key[0], key[1], str(v.get("label_zh", "")), key[2],
                                             str(v.get("severity", "error")), str(v.get("hint_zh", "")))
    group.count += 1
    value = v.get("value")
    if value not in (None, "") and len(group.examples) < _EXAMPLES:
        shown = scrub(str(value))[:60]  # the validator masked it already; scrub again to be sure
        if shown not in group.examples:
            group.examples.append(shown)


def _queries(table: str | None, since: datetime | None, until: datetime | None,
             scope: InstitutionScope) -> list[Any]:
    """The intake's quarantine and, when installed, the HIS mapping's own rejects (which carry
    no institution: only for a reader of every institution).

    Mapping rejects of stage ``intake`` are left out: those records are in the quarantine too.
    """
    from hisbridge.store.schema.outbox import quarantine

    found = []
    sources: list[tuple[Any, Any, Any]] = [
        (quarantine, quarantine.c.received_at, scope.where(quarantine.c.institution))]
    rejects = optional_table("sources", "source_rejects")
    if rejects is not None and scope.everything:
        sources.append((rejects, rejects.c.created_at, rejects.c.stage == "mapping"))
    for source, stamp, extra in sources:
        query = select(source.c.table_name, source.c.violations).order_by(source.c.id.desc())
        query = query.limit(SCAN_LIMIT)
        for condition in (extra,
                          source.c.table_name == table if table else None,
                          stamp >= to_store(since) if since else None,
                          stamp <= to_store(until) if until else None):
            if condition is not None:
                query = query.where(condition)
        found.append(query)
    return found


def group_violations(engine: Engine, *, table: str | None = None, since: datetime | None = None,
                     until: datetime | None = None,
                     scope: InstitutionScope = EVERY_INSTITUTION) -> tuple[list[ViolationGroup], int]:
    """Groups sorted by count (largest first) and the number of rejected records scanned."""
    groups: dict[tuple[str, str, str], ViolationGroup] = {}
    scanned = 0
    with engine.connect() as conn:
        for query in _queries(table, since, until, scope):
            for row_table, text in conn.execute(query):
                scanned += 1
                for v in _violations(text):
                    _add(groups, row_table, v)
    return sorted(groups.values(), key=lambda g: (-g.count, g.table, g.field)), scanned


def _violations(text: str) -> list[dict[str, Any]]:
    try:
        found = _json.loads(text)
    except ValueError:
        return []
    return [v for v in found if isinstance(v, dict)] if isinstance(found, list) else []


def unmapped_codes(engine: Engine, code_set: str | None = None) -> list[UnmappedCode] | None:
    """Hospital codes no code map knows (sent as is, or dropped by an optional map) and codes
    generalised to a broader one, with counts (most frequent first within each code set), or
    None when the HIS extraction is not installed."""
    table = optional_table("sources", "source_unmapped_codes")
    if table is None:
        return None
    c = table.c
    query = select(c.code_set, c.hospital_code, c.outcome, func.sum(c["count"]).label("n"),
                   func.min(c.table_name).label("table_name"),
                   func.min(c.column_name).label("column_name"),
                   func.max(c.last_seen).label("last_seen"), func.max(c.mapped_to).label("to"),
                   ).group_by(c.code_set, c.hospital_code, c.outcome)
    if code_set:
        query = query.where(c.code_set == code_set)
    with engine.connect() as conn:
        rows = conn.execute(query.limit(10_000)).all()
    found = [UnmappedCode(r.code_set, str(r.hospital_code), int(r.n or 0), r.table_name,
                          r.column_name, r.last_seen, r.outcome, r.to) for r in rows]
    return sorted(found, key=lambda u: (u.code_set, -u.count, u.code))
