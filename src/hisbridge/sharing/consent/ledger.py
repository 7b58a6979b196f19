"""The consent ledger: our cached copy of the platform's authorizations, and what we know of
encounters — lookups, the grant check, absorbing the platform's answers, and the audit trail.

The platform is the source of truth (flows.md §3.1 rule 4): every answer it gives is absorbed
through ``states.reconcile``; our own decisions (cancel, SMS lock, our stricter validity window)
go through ``states.next_status``. Listeners hear when a consent ends (the record cache purges).
"""

from __future__ import annotations

from collections.abc import Callable

from hisbridge._clock import Clock
from hisbridge._gm import FieldCipher
from hisbridge.audit.log import AuditRecorder
from hisbridge.sharing.consent.config import ORG_NAME_MISSING_ZH, GdHealthSettings
from hisbridge.sharing.consent.errors import ConsentProblem
from hisbridge.sharing.consent.model import (
    Consent,
    EncounterRef,
    EncounterType,
    Operator,
    PatientIdentity,
)
from hisbridge.sharing.consent.platform import PlatformAuthorization
from hisbridge.sharing.consent.platform_errors import PlatformError
from hisbridge.sharing.consent.repository import ConsentRepository, ForeignEncounter, StoredEncounter
from hisbridge.sharing.consent.scope import OUT_OF_SCOPE_ZH
from hisbridge.sharing.consent.states import Event, Status, next_status, reconcile
from hisbridge.sharing.consent.windows import earlier, effective_valid_to, grant_window

__all__ = ["NOT_GRANTED_ZH", "ConsentLedger"]

NOT_GRANTED_ZH: dict[str, str] = {
    "PENDING": "患者尚未完成授权",
    "DENIED": "患者拒绝授权",
    "EXPIRED": "授权已过期,请重新申请",
    "REVOKED": "患者已撤销授权",
    "CANCELLED": "授权申请已取消",
    "CLOSED": "就诊已结束,授权已关闭",
}
_ENDED_BY_CODE = {
    "3007": Status.REVOKED,
    "3008": Status.EXPIRED,
    "3006": Status.DENIED,
    "3002": Status.EXPIRED,
}


class ConsentLedger:
    """Consents and encounters as the gateway knows them, always audited."""

    def __init__(
        self,
        repo: ConsentRepository,
        audit: AuditRecorder,
        settings: GdHealthSettings,
        clock: Clock,
    ) -> None:
        self.repo = repo
        self.audit = audit
        self.settings = settings
        self.clock = clock
        self._cipher = FieldCipher(settings.sm4_key.get_secret_value())
        self._ended: list[Callable[[str], object]] = []

    def require_org_name(self) -> None:
        """Patients must read our name, never our code: no request goes out without it."""
        if not self.settings.org_name.strip():
            raise ConsentProblem(
                "ORG_NAME_MISSING",
                "未配置本院名称,暂不能向患者发送授权请求",
                status=503,
                hint=ORG_NAME_MISSING_ZH,
            )

    def on_end(self, listener: Callable[[str], object]) -> None:
        """Call ``listener(consent_id)`` whenever a consent leaves PENDING/GRANTED."""
        self._ended.append(listener)

    def _notify_end(self, consent: Consent) -> None:
        if not consent.is_open():
            for listener in self._ended:
                listener(consent.id)

    def note_encounter(self, patient: PatientIdentity, encounter: EncounterRef, state: str = "OPEN") -> None:
        """Remember an encounter (registration, admission, booking) and who the patient is."""
        stored = StoredEncounter(
            encounter,
            patient.his_patient_id,
            patient.id_type,
            self._cipher.encrypt(patient.id_no),
            self._cipher.encrypt(patient.name),
            patient.ehc_code,
            state,
        )
        try:
            self.repo.upsert_encounter(stored, self.clock.now())
        except ForeignEncounter:
            raise ConsentProblem("OTHER_INSTITUTION", "该就诊属于其他机构 the encounter belongs to "
                                 "another institution", status=409,
                                 data={"orgCode": self.repo.org_code}) from None

    def encounter(self, encounter_type: EncounterType, encounter_id: str) -> StoredEncounter:
        found = self.repo.encounter(encounter_type.value, encounter_id)
        if found is None:
            raise ConsentProblem(
                "UNKNOWN_ENCOUNTER",
                "网关尚未收到该就诊(挂号/入院)信息",
                status=404,
                hint="请确认 HIS 已推送挂号或入院记录",
            )
        return found

    def identity(self, stored: StoredEncounter) -> PatientIdentity:
        return PatientIdentity(
            stored.his_patient_id,
            self._cipher.decrypt(stored.id_no_enc) or "",
            self._cipher.decrypt(stored.name_enc) or "",
            stored.id_type,
            stored.ehc_code,
        )

    def current_for(
        self, his_patient_id: str, encounter_type: EncounterType, encounter_id: str
    ) -> Consent | None:
        """The consent the workstation should show for this visit (its booking's one too)."""
        keys = [(encounter_type.value, encounter_id)]
        stored = self.repo.encounter(encounter_type.value, encounter_id)
        if stored and stored.ref.appointment_id:
            keys.append((EncounterType.BOOKING.value, stored.ref.appointment_id))
        return self.repo.latest_for(his_patient_id, keys)

    def require_granted(self, consent_id: str, operator: Operator) -> Consent:
        """The consent if it is GRANTED and inside its window, else a 403 with the reason."""
        consent = self._get(consent_id)
        now = self.clock.now()
        if consent.status == "GRANTED" and consent.valid_to and now > consent.valid_to:
            self._local_transition(consent, Event.EXPIRE, operator, "VALIDITY_END")
        if consent.status != "GRANTED":
            raise ConsentProblem(
                "NOT_GRANTED",
                NOT_GRANTED_ZH.get(consent.status, "未授权"),
                status=403,
                data={"status": consent.status},
            )
        return consent

    def ended_remotely(self, consent: Consent, code: str, operator: Operator) -> ConsentProblem:
        """The platform refused a record call because the grant ended: record that, explain."""
        status = _ENDED_BY_CODE.get(code)
        if status is not None and consent.is_open():
            remote = PlatformAuthorization(
                consent.auth_id or "",
                status.value,
                consent.channel.value,
                reason=f"PLATFORM_{code}",
            )
            self._absorb(consent, remote, operator)
        return ConsentProblem(
            "NOT_GRANTED",
            NOT_GRANTED_ZH.get(consent.status, "未授权"),
            status=403,
            data={"status": consent.status, "platformCode": code},
        )

    def _get(self, consent_id: str) -> Consent:
        consent = self.repo.get(consent_id)
        if consent is None:
            raise ConsentProblem("NOT_FOUND", "授权记录不存在", status=404)
        if not self.repo.owns(consent.org_code):  # a grant is usable only where it was made
            raise ConsentProblem("OTHER_INSTITUTION", OUT_OF_SCOPE_ZH["OTHER_INSTITUTION"],
                                 status=403, data={"status": consent.status})
        return consent

    def _absorb(
        self,
        consent: Consent,
        remote: PlatformAuthorization,
        operator: Operator,
        stored: StoredEncounter | None = None,
    ) -> Consent:
        """Take the platform's view of the consent (the platform wins) and store it."""
        before = consent.status
        result = reconcile(Status(before), Status(remote.status))
        if remote.request_expires_at and before == "PENDING":
            consent.request_expires_at = earlier(consent.request_expires_at, remote.request_expires_at)
        if not result.changed:
            return consent
        consent.status = result.status.value
        consent.reason = remote.reason or consent.reason
        if result.status is Status.GRANTED:
            self._set_window(consent, remote, stored)
        elif not consent.is_open():
            consent.ended_at = self.clock.now()
        consent.updated_at = self.clock.now()
        if not self.repo.save(consent, expect_status=before):
            return self._get(consent.id)  # another delivery made this change (and audited it)
        self._notify_end(consent)
        self._audit(
            consent,
            f"CONSENT_{consent.status}",
            operator,
            detail={"conflict": result.conflict, "reason": consent.reason},
        )
        return consent

    def _set_window(
        self, consent: Consent, remote: PlatformAuthorization, stored: StoredEncounter | None
    ) -> None:
        stored = stored or self.repo.encounter(consent.encounter_type.value, consent.encounter_id)
        granted = remote.granted_at or self.clock.now()
        ref = stored.ref if stored else EncounterRef(consent.encounter_type, consent.encounter_id)
        valid_from, ours = grant_window(ref, granted, self.settings.windows)
        consent.granted_at = granted
        consent.valid_from = valid_from  # ours: inpatient grants start at admission
        consent.valid_to = effective_valid_to(ours, remote.valid_to)

    def _local_transition(self, consent: Consent, event: Event, operator: Operator, reason: str) -> None:
        before = consent.status
        consent.status = next_status(Status(before), event).value
        consent.reason, consent.ended_at = reason, self.clock.now()
        consent.updated_at = consent.ended_at
        if not self.repo.save(consent, expect_status=before):
            return
        self._notify_end(consent)
        self._audit(consent, f"CONSENT_{consent.status}", operator, detail={"reason": reason})

    def _audit(
        self,
        consent: Consent,
        action: str,
        operator: Operator,
        *,
        outcome: str = "ok",
        detail: dict[str, object] | None = None,
    ) -> None:
        self.audit.record_for(
            action,
            operator,
            consent,
            outcome=outcome,
            detail={
                "status": consent.status,
                "channel": consent.channel.value,
                "encounter": f"{consent.encounter_type.value}:{consent.encounter_id}",
                **(detail or {}),
            },
        )

    def _audit_refusal(
        self,
        action: str,
        operator: Operator,
        patient: PatientIdentity,
        exc: PlatformError,
        **detail: object,
    ) -> None:
        self.audit.record(
            action,
            operator,
            patient_masked=patient.masked,
            patient_key=self.audit.key(patient.his_patient_id),
            outcome=f"refused:{exc.code}",
            detail=detail,
        )
