"""Data quality: quarantined records grouped by table, field and rule, with masked examples;
unmapped source codes per code set (when the HIS extraction is installed).

Violations are stored as JSON with values already masked by the validator; they are grouped
here in Python over the chosen time range (bounded by ``SCAN_LIMIT`` rows, newest first).
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select

from hisbridge import _json
from hisbridge.console._time import to_store
from hisbridge.console.optional import optional_table
from hisbridge.privacy import scrub

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


def group_violations(engine: Engine, *, table: str | None = None, since: datetime | None = None,
                     until: datetime | None = None) -> tuple[list[ViolationGroup], int]:
    """Groups sorted by count (largest first) and the number of quarantined records scanned."""
    from hisbridge.store.schema.outbox import quarantine

    q = quarantine.c
    query = select(q.table_name, q.violations).order_by(q.id.desc()).limit(SCAN_LIMIT)
    if table:
        query = query.where(q.table_name == table)
    if since:
        query = query.where(q.received_at >= to_store(since))
    if until:
        query = query.where(q.received_at <= to_store(until))
    groups: dict[tuple[str, str, str], ViolationGroup] = {}
    scanned = 0
    with engine.connect() as conn:
        for row_table, text in conn.execute(query):
            scanned += 1
            try:
                found = _json.loads(text)
            except ValueError:
                continue
            for v in found if isinstance(found, list) else []:
                if isinstance(v, dict):
                    _add(groups, row_table, v)
    return sorted(groups.values(), key=lambda g: (-g.count, g.table, g.field)), scanned


def unmapped_codes(engine: Engine, code_set: str | None = None) -> list[UnmappedCode] | None:
    """Unmapped source codes with counts, or None when the HIS extraction is not installed."""
    table = optional_table("sources", "unmapped_codes")
    if table is None:
        return None
    c = table.c
    cols = {name: c[name] for name in ("code_set", "code", "count", "table_name", "field", "last_seen_at")
            if name in c}
    if "code_set" not in cols or "code" not in cols:
        return None
    query = select(*cols.values())
    if code_set:
        query = query.where(cols["code_set"] == code_set)
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(query.limit(5000))]
    return sorted((UnmappedCode(r["code_set"], str(r["code"]), int(r.get("count") or 1), r.get("table_name"),
                                r.get("field"), r.get("last_seen_at")) for r in rows),
                  key=lambda u: (u.code_set, -u.count, u.code))


def count_by_code_set(codes: list[UnmappedCode]) -> dict[str, int]:
    """How many distinct unmapped codes each code set has."""
    return dict(Counter(u.code_set for u in codes))


