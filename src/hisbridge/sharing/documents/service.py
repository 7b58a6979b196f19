"""Index and document retrieval for a consent: every call re-checks the grant, every call is
audited, and cached content never outlives the grant (flows.md §3.1 rule 5, §6.4)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from hisbridge._clock import Clock
from hisbridge.audit.log import AuditRecorder
from hisbridge.sharing.consent.errors import ConsentProblem
from hisbridge.sharing.consent.model import Consent, Operator
from hisbridge.sharing.consent.platform import Document, IndexEntry, IndexFilter, ProvincialPlatform
from hisbridge.sharing.consent.platform_errors import PlatformError
from hisbridge.sharing.consent.scope import OUT_OF_SCOPE_ZH, ScopeCheck, ViewerScope, out_of_scope
from hisbridge.sharing.consent.service import ConsentService
from hisbridge.sharing.documents.cache import GrantBoundCache

__all__ = ["DocumentService"]

_GRANT_ENDED = frozenset({"3002", "3006", "3007", "3008"})
_CACHE_TTL = timedelta(minutes=30)


class DocumentService:
    def __init__(
        self,
        consents: ConsentService,
        platform: ProvincialPlatform,
        audit: AuditRecorder,
        cache: GrantBoundCache,
        clock: Clock,
        *,
        scope: ViewerScope = "department",
        doctor_dept: Callable[[str], str | None] = lambda _: None,
    ) -> None:
        self.consents = consents
        self.platform = platform
        self.audit = audit
        self.cache = cache
        self.clock = clock
        self.scope: ViewerScope = scope
        self.doctor_dept = doctor_dept  # the doctor's department from base_user, if known

    async def index(self, consent_id: str, operator: Operator, flt: IndexFilter) -> list[IndexEntry]:
        """The other institutions' documents for a GRANTED consent (never cached: fresh check)."""
        consent = self._granted(consent_id, operator, "RECORD_INDEX")
        try:
            entries = await self.platform.index(consent.auth_id or "", operator, flt)
        except PlatformError as exc:
            raise self._refused(consent, operator, "RECORD_INDEX", exc) from exc
        self._audit(
            consent,
            operator,
            "RECORD_INDEX",
            category=",".join(flt.categories),
            detail={"count": len(entries), "from": _day(flt.date_from), "to": _day(flt.date_to)},
        )
        return entries

    async def document(self, consent_id: str, doc_id: str, operator: Operator) -> Document:
        """One document; a cached copy is served only after the platform confirms the grant."""
        consent = self._granted(consent_id, operator, "RECORD_VIEW", doc_id=doc_id)
        cached = self.cache.get(consent.id, doc_id, self.clock.now())
        try:
            if cached is not None:
                consent = await self._confirm(consent, operator, doc_id)
                document: Document = cached
            else:
                document = await self.platform.document(consent.auth_id or "", doc_id, operator)
                self.cache.put(consent.id, doc_id, document, self._expiry(consent))
        except PlatformError as exc:
            raise self._refused(consent, operator, "RECORD_VIEW", exc, doc_id=doc_id) from exc
        self._audit(
            consent,
            operator,
            "RECORD_VIEW",
            category=document.category,
            doc_id=doc_id,
            detail={"title": document.title, "cached": cached is not None},
        )
        return document

    async def _confirm(self, consent: Consent, operator: Operator, doc_id: str) -> Consent:
        remote = await self.platform.query(consent.auth_id or "")
        if remote.status != "GRANTED":
            code = {"REVOKED": "3007", "DENIED": "3006"}.get(remote.status, "3008")
            raise PlatformError(code, f"status {remote.status}")
        return consent

    def _expiry(self, consent: Consent) -> datetime:
        soon = self.clock.now() + _CACHE_TTL
        return min(soon, consent.valid_to) if consent.valid_to else soon

    def _granted(self, consent_id: str, operator: Operator, action: str, doc_id: str = "") -> Consent:
        try:
            consent = self.consents.require_granted(consent_id, operator)
            self._require_in_scope(consent, operator)
            return consent
        except ConsentProblem as problem:
            if problem.code not in OUT_OF_SCOPE_ZH:  # the grant itself is fine for others
                self.cache.purge(consent_id)
            known = self.consents.repo.get(consent_id)
            self.audit.record(
                action,
                operator,
                patient_masked=known.patient_masked if known else "",
                patient_key=self.audit.key(known.his_patient_id) if known else "",
                auth_id=known.auth_id if known else "",
                consent_id=consent_id,
                doc_id=doc_id,
                outcome=f"refused:{problem.code}",
                detail={"status": problem.data.get("status"),
                        **({"grantedTo": known.org_code} if known and known.org_code else {})},
            )
            raise

    def _require_in_scope(self, consent: Consent, operator: Operator) -> None:
        """``consent.viewer_scope``: may this doctor use a grant asked for by another?"""
        stored = self.consents.repo.encounter(consent.encounter_type.value, consent.encounter_id)
        check = ScopeCheck(
            grant_doctor=consent.operator_id,
            grant_dept=consent.dept_code,
            encounter_dept=stored.ref.dept_code if stored else "",
            viewer=operator.user_id,
            viewer_dept=self.doctor_dept(operator.user_id) or operator.dept_code,
        )
        code = out_of_scope(self.scope, check)
        if code is not None:
            raise ConsentProblem(code, OUT_OF_SCOPE_ZH[code], status=403,
                                 data={"status": consent.status, "scope": self.scope})

    def _refused(
        self,
        consent: Consent,
        operator: Operator,
        action: str,
        exc: PlatformError,
        doc_id: str = "",
    ) -> ConsentProblem:
        self._audit(consent, operator, action, doc_id=doc_id, outcome=f"refused:{exc.code}")
        if exc.code in _GRANT_ENDED:
            self.cache.purge(consent.id)
            return self.consents.ended_remotely(consent, exc.code, operator)
        return ConsentProblem(
            f"PLATFORM_{exc.code}",
            exc.message_zh,
            status=exc.status,
            data={"platformCode": exc.code},
        )

    def _audit(
        self,
        consent: Consent,
        operator: Operator,
        action: str,
        *,
        category: str = "",
        doc_id: str = "",
        outcome: str = "ok",
        detail: dict[str, object] | None = None,
    ) -> None:
        self.audit.record_for(
            action,
            operator,
            consent,
            category=category,
            doc_id=doc_id,
            outcome=outcome,
            detail=detail,
        )


def _day(value: object) -> str | None:
    return str(value) if value else None
