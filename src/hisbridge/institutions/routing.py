"""Which institution a record belongs to: the one whose organisation code it carries.

A record is never sent to the wrong institution and never dropped: one whose code matches no
institution, belongs to a disabled one, or is of a table that does not apply to it comes back
``Unrouted`` with a reason in Chinese and English, for the caller to hold. With one institution
(the single-hospital setup) every record routes to it, whatever its org_code says, as before.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hisbridge.dictionary import Violation, load_dictionary
from hisbridge.institutions.config import Institution
from hisbridge.store.institution_keys import Routing

__all__ = ["ORG_FIELD", "Routed", "Unrouted", "intake_routing", "route"]

ORG_FIELD = "org_code"  # the national field carrying the organisation code (snake_case form)
ORG_LABEL = "组织机构代码"
# How to fix each reason a record cannot be routed (zh, en).
_FIXES = {
    "missing_org": ("请在映射中为该表选出 org_code（组织机构代码）列；没有该字段的表也要选出它，用于分发",
                    "select the org_code column in the table's mapping (the tables without that "
                    "field need it too: it routes the record)"),
    "unknown_org": ("把该机构加入 institutions 配置，或修正映射产生的 org_code，然后重新同步",
                    "add the institution to the institutions setting, or fix the org_code the "
                    "mapping produces; then sync again"),
    "disabled_org": ("启用该机构（enabled: true）后重新同步；或修正映射产生的 org_code",
                     "enable the institution (enabled: true) and sync again, or fix the "
                     "mapping's org_code"),
    "table_not_applicable": ("把该表加入该机构的 tables 配置后重新同步；或修正映射产生的 org_code",
                             "add the table to the institution's tables setting and sync again, "
                             "or fix the mapping's org_code"),
}


@dataclass(frozen=True, slots=True)
class Routed:
    institution: Institution


@dataclass(frozen=True, slots=True)
class Unrouted:
    """Why a record cannot be sent to any institution; the record is held, not dropped."""

    rule: str  # unknown_org | missing_org | disabled_org | table_not_applicable
    org_code: str
    zh: str
    en: str


def route(table: str, record: Mapping[str, Any],
          institutions: Sequence[Institution]) -> Routed | Unrouted:
    """The institution ``record`` of ``table`` goes to, or why none (pure)."""
    if len(institutions) == 1:
        return _check(table, institutions[0])
    code = str(record.get(ORG_FIELD) or "").strip()
    if not code:
        return Unrouted("missing_org", "", "记录缺少机构代码 org_code，无法判断属于哪个机构",
                        "the record has no org_code, so its institution is unknown")
    for institution in institutions:
        if institution.org_code == code:
            return _check(table, institution)
    return Unrouted("unknown_org", code, f"机构代码 {code} 不在 institutions 配置中",
                    f"org_code {code} is not one of the configured institutions")


def _check(table: str, institution: Institution) -> Routed | Unrouted:
    code = institution.org_code
    if not institution.enabled:
        return Unrouted("disabled_org", code, f"机构 {code} 已停用（enabled: false）",
                        f"institution {code} is disabled (enabled: false)")
    if not institution.applies(table):
        return Unrouted("table_not_applicable", code, f"表 {table} 不适用于机构 {code}（tables 配置）",
                        f"table {table} does not apply to institution {code} (its tables setting)")
    return Routed(institution)


def intake_routing(institutions: Sequence[Institution]) -> Routing | None:
    """What the store's intake routes with: None for one institution (records go to it
    unrouted, keys stored bare, as for a single hospital); for a group, ``route`` by the
    organisation code a record carries, refusals as violations (field org_code) that hold it."""
    if len(institutions) <= 1:
        return None

    decided: dict[tuple[str, str], str | Violation] = {}  # per (table, code): a day has few

    def by_code(table: str, org_code: str) -> str | Violation:
        if (table, org_code) not in decided:
            if len(decided) > 10_000:  # codes that are no institution's: keep memory bounded
                decided.clear()
            decided[(table, org_code)] = _decide(table, org_code)
        return decided[(table, org_code)]

    def _decide(table: str, org_code: str) -> str | Violation:
        found = route(table, {ORG_FIELD: org_code}, institutions)
        if isinstance(found, Routed):
            return found.institution.org_code
        fix_zh, fix_en = _FIXES[found.rule]
        field = load_dictionary().table(table).field(ORG_FIELD)
        label = field.label_zh if field else ORG_LABEL
        return Violation(table, ORG_FIELD, label, found.rule, "error", found.org_code or None,
                         f"{found.zh}；{fix_zh}", f"{found.en}; {fix_en}")

    return Routing(by_code, tuple(i.org_code for i in institutions))
