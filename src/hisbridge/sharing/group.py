"""A hospital group's record sharing: one set of services per institution, chosen by org code.

Each institution (医共体 member, campus) has its own provincial partner id, secrets and SM4
key, so its own adapter, consent service and record service; a grant made to one is refused
to the others (``ConsentLedger``). ``pick`` is how an HIS call or a viewer link names its
institution: with one institution the code is optional (the single-hospital setup, unchanged);
with several it is required, and an unknown one is refused with 400 in Chinese and English.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hisbridge.sharing.consent.encounters import EncounterHooks
from hisbridge.sharing.consent.errors import ConsentProblem
from hisbridge.sharing.consent.service import ConsentService
from hisbridge.sharing.documents.service import DocumentService

__all__ = ["InstitutionSharing", "SharingGroup"]

_ORG_FIELD = "org_code"  # the national field carrying the organisation code


@dataclass(frozen=True, slots=True)
class InstitutionSharing:
    """One institution's sharing services."""

    org_code: str
    partner_id: str
    consents: ConsentService
    hooks: EncounterHooks
    documents: DocumentService


class SharingGroup:
    """The institutions' sharing services; the first is the default (the single hospital)."""

    def __init__(self, members: Sequence[InstitutionSharing]) -> None:
        if not members:
            raise ValueError("a sharing group needs at least one institution")
        self._members = tuple(members)
        self._by_org = {m.org_code: m for m in self._members}

    def __iter__(self) -> Iterator[InstitutionSharing]:
        return iter(self._members)

    def __len__(self) -> int:
        return len(self._members)

    @property
    def default(self) -> InstitutionSharing:
        return self._members[0]

    def pick(self, org_code: str | None) -> InstitutionSharing:
        """The institution an API call or viewer link names (see the module doc)."""
        if len(self._members) == 1:
            return self._members[0]
        code = (org_code or "").strip()
        known = {"orgCodes": sorted(self._by_org)}
        if not code:
            raise ConsentProblem("ORG_REQUIRED", "本网关服务多个机构，请求须提供机构代码 orgCode "
                                 "(this gateway serves several institutions: orgCode is required)",
                                 status=400, data=known)
        found = self._by_org.get(code)
        if found is None:
            raise ConsentProblem("UNKNOWN_ORG", f"机构代码 {code} 不是本网关服务的机构 "
                                 f"(orgCode {code} is not one of this gateway's institutions)",
                                 status=400, data=known)
        return found

    def by_partner(self, partner_id: str) -> InstitutionSharing:
        """The institution whose partner id signed a platform callback (else the default,
        whose check then refuses the callback)."""
        return next((m for m in self._members if m.partner_id == partner_id), self.default)

    async def refresh_open(self) -> int:
        """The polling fallback for every institution; returns the consents that changed. One
        institution's failure (its partner refused, say) does not stop the others' refresh;
        it is raised once they are done."""
        changed, failure = 0, None
        for member in self._members:
            try:
                changed += await member.consents.refresh_open()
            except Exception as exc:
                failure = failure or exc
        if failure is not None:
            raise failure
        return changed

    async def observe(self, table: str, records: Iterable[Mapping[str, Any]]) -> int:
        """Visit records seen by intake reach the hooks of the institution they carry; a
        record naming no served institution is left alone (intake holds it)."""
        routed: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
        for record in records:
            code = self.default.org_code if len(self._members) == 1 else str(
                record.get(_ORG_FIELD) or "").strip()
            if code in self._by_org:
                routed[code].append(record)
        acted = 0
        for code, rows in routed.items():
            acted += await self._by_org[code].hooks.observe(table, rows)
        return acted
