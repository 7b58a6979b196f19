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

from hisbridge.institutions.config import Institution

__all__ = ["ORG_FIELD", "Routed", "Unrouted", "route"]

ORG_FIELD = "org_code"  # the national field carrying the organisation code (snake_case form)


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
