"""The consent service: requests, codes, callbacks and grant checks against the platform.

The platform is the source of truth (flows.md §3.1 rule 4): every answer it gives is absorbed
into our cached copy through ``states.reconcile``; our own decisions (cancel, SMS lock, our
stricter validity window) go through ``states.next_status``. Every step is audited.
"""

from __future__ import annotations

import logging
from datetime import datetime

from hisbridge import _ids
from hisbridge._clock import Clock
from hisbridge.audit.log import AuditRecorder
from hisbridge.connectors.gdhealth.config import GdHealthSettings
from hisbridge.connectors.gdhealth.crypto import FieldCipher
from hisbridge.connectors.gdhealth.errors import PlatformError
from hisbridge.consent.errors import ConsentProblem
from hisbridge.consent.model import (
    SYSTEM,
    Channel,
    Consent,
    EncounterRef,
    EncounterType,
    Operator,
    PatientIdentity,
)
from hisbridge.consent.platform import ApplyRequest, PlatformAuthorization, ProvincialPlatform
from hisbridge.consent.repository import ConsentRepository, DuplicateOpen, StoredEncounter
from hisbridge.consent.states import Event, Status, next_status, reconcile
from hisbridge.consent.windows import effective_valid_to, grant_window, request_deadline

__all__ = ["NOT_GRANTED_ZH", "ConsentService"]

log = logging.getLogger("hisbridge.consent")

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


class ConsentService:
    """Everything the API, the viewer and the HIS hooks do with authorizations."""

    def __init__(
        self,
        repo: ConsentRepository,
        platform: ProvincialPlatform,
        audit: AuditRecorder,
        settings: GdHealthSettings,
        clock: Clock,
    ) -> None:
        self.repo = repo
        self.platform = platform
        self.audit = audit
        self.settings = settings
        self.clock = clock
        self._cipher = FieldCipher(settings.sm4_key.get_secret_value())
        self._last_refresh: dict[str, float] = {}

    # -- encounters known to the service ------------------------------------------------------

    def note_encounter(
        self, patient: PatientIdentity, encounter: EncounterRef, state: str = "OPEN"
    ) -> None:
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
        self.repo.upsert_encounter(stored, self.clock.now())

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

    # -- requests --------------------------------------------------------------------------

    async def request(
        self,
        encounter_type: EncounterType,
        encounter_id: str,
        channel: Channel,
        operator: Operator,
        *,
        replace_pending: bool = False,
    ) -> tuple[Consent, bool]:
        """Apply for an authorization; returns ``(consent, created)`` (existing open one reused)."""
        stored = self.encounter(encounter_type, encounter_id)
        existing = self.current_for(stored.his_patient_id, encounter_type, encounter_id)
        if existing is not None and existing.is_open():
            existing = await self.get(existing.id, operator)
        if existing is not None and existing.is_open():
            if not (
                replace_pending and existing.status == "PENDING" and existing.channel is not channel
            ):
                return existing, False
            await self.cancel(existing.id, "CHANNEL_SWITCHED", operator)
        return await self._apply(stored, channel, operator), True

    async def _apply(
        self, stored: StoredEncounter, channel: Channel, operator: Operator
    ) -> Consent:
        now, patient = self.clock.now(), self.identity(stored)
        wanted_to = grant_window(stored.ref, now, self.settings.windows)[1]
        request = ApplyRequest(patient, operator, stored.ref, channel, wanted_to, _ids.new_id())
        try:
            remote = await self.platform.apply(request)
        except PlatformError as exc:
            self._audit_refusal("CONSENT_REQUEST", operator, patient, exc, channel=channel.value)
            if exc.code == "3001" and isinstance(exc.data, dict) and exc.data.get("authId"):
                from hisbridge.connectors.gdhealth.mapping import parse_authorization

                remote = parse_authorization(exc.data)
            else:
                raise
        consent = self._new(stored, patient, channel, operator, remote, now)
        self._absorb(consent, remote, operator, stored)
        return consent

    def _new(
        self,
        stored: StoredEncounter,
        patient: PatientIdentity,
        channel: Channel,
        operator: Operator,
        remote: PlatformAuthorization,
        now: datetime,
    ) -> Consent:
        consent = Consent(
            id=_ids.new_id(),
            his_patient_id=stored.his_patient_id,
            patient_masked=patient.masked,
            encounter_type=stored.ref.encounter_type,
            encounter_id=stored.ref.encounter_id,
            channel=channel,
            status=next_status(Status.NONE, Event.CREATE).value,
            created_at=now,
            updated_at=now,
            auth_id=remote.auth_id,
            operator_id=operator.user_id,
            dept_code=operator.dept_code,
            request_expires_at=remote.request_expires_at
            or request_deadline(channel, stored.ref, now, self.settings.windows),
            channel_info=_public_channel_info(remote.channel_info),
        )
        try:
            self.repo.insert(consent)
        except DuplicateOpen:
            raise ConsentProblem("OPEN_EXISTS", "该就诊已有进行中的授权", status=409) from None
        self._audit(consent, "CONSENT_REQUESTED", operator, detail={"channel": channel.value})
        return consent

    async def send_sms(self, consent_id: str, operator: Operator) -> Consent:
        consent = self._pending(consent_id, Channel.SMS)
        remote = await self._platform_step(
            consent, operator, "SMS_SENT", self.platform.send_sms(consent.auth_id or "", operator)
        )
        consent.channel_info = _public_channel_info(remote.channel_info)
        return self._absorb(consent, remote, operator)

    async def verify_sms(self, consent_id: str, code: str, operator: Operator) -> Consent:
        """Check the code the patient read out; wrong codes are counted, then the request locks."""
        consent = self._pending(consent_id, Channel.SMS)
        if consent.sms_attempts >= self.settings.sms_max_attempts:
            raise ConsentProblem("SMS_LOCKED", "验证码错误次数过多,已锁定", status=429)
        try:
            remote = await self.platform.verify_sms(consent.auth_id or "", code.strip(), operator)
        except PlatformError as exc:
            if exc.code not in ("3003", "3004"):
                self._audit(consent, "SMS_VERIFY", operator, outcome=f"refused:{exc.code}")
                raise
            return await self._wrong_code(consent, operator, exc)
        self._audit(consent, "SMS_VERIFY", operator, outcome="ok")
        return self._absorb(consent, remote, operator)

    async def _wrong_code(
        self, consent: Consent, operator: Operator, exc: PlatformError
    ) -> Consent:
        consent.sms_attempts += 1
        left = max(0, self.settings.sms_max_attempts - consent.sms_attempts)
        self.repo.save(consent)
        self._audit(
            consent,
            "SMS_VERIFY",
            operator,
            outcome="wrong-code",
            detail={"attempt": consent.sms_attempts, "remaining": left},
        )
        if left == 0 or exc.code == "3004":
            await self.cancel(consent.id, "SMS_LOCKED", operator)
            raise ConsentProblem(
                "SMS_LOCKED",
                "验证码错误次数过多,本次申请已锁定,请改用其他方式",
                status=429,
                data={"remaining": 0},
            )
        raise ConsentProblem(
            "SMS_WRONG", f"验证码不正确,还可尝试 {left} 次", status=422, data={"remaining": left}
        )

    async def redeem(
        self, code: str, encounter_type: EncounterType, encounter_id: str, operator: Operator
    ) -> Consent:
        """Redeem a patient-presented authorization code for this encounter (channel 4.4)."""
        stored = self.encounter(encounter_type, encounter_id)
        current = self.current_for(stored.his_patient_id, encounter_type, encounter_id)
        if current is not None and current.status == "GRANTED":
            return current
        if current is not None and current.status == "PENDING":
            await self.cancel(current.id, "CHANNEL_SWITCHED", operator)
        patient = self.identity(stored)
        try:
            remote = await self.platform.redeem_code(code.strip(), patient, operator, stored.ref)
        except PlatformError as exc:
            self._audit_refusal("CODE_REDEEM", operator, patient, exc, channel="AUTH_CODE")
            raise
        consent = self._new(stored, patient, Channel.AUTH_CODE, operator, remote, self.clock.now())
        return self._absorb(consent, remote, operator, stored)

    async def cancel(self, consent_id: str, reason: str, operator: Operator) -> Consent:
        """Hospital withdraws a request (CANCELLED) or ends a grant (CLOSED)."""
        consent = self._get(consent_id)
        if not consent.is_open():
            return consent
        remote = await self._platform_step(
            consent,
            operator,
            "CONSENT_CANCEL",
            self.platform.cancel(consent.auth_id or "", reason, operator),
        )
        consent.reason = reason
        return self._absorb(consent, remote, operator)

    # -- reading and refreshing ----------------------------------------------------------

    async def get(
        self, consent_id: str, operator: Operator = SYSTEM, *, refresh: bool = True
    ) -> Consent:
        """The consent; an open one is refreshed from the platform (at most every 2 s)."""
        consent = self._get(consent_id)
        mono = self.clock.monotonic()
        recent = mono - self._last_refresh.get(consent.id, -1e9) < 2.0
        if refresh and consent.is_open() and consent.auth_id and not recent:
            self._last_refresh[consent.id] = mono
            remote = await self.platform.query(consent.auth_id)
            consent = self._absorb(consent, remote, operator)
        return consent

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

    async def on_status_changed(self, auth_id: str) -> Consent | None:
        """A verified callback named ``auth_id``: fetch the platform's truth and absorb it."""
        consent = self.repo.by_auth_id(auth_id)
        if consent is None:
            return None
        remote = await self.platform.query(auth_id)
        return self._absorb(consent, remote, SYSTEM)

    async def refresh_open(self) -> int:
        """Polling fallback: refresh every open consent from the platform; returns changes."""
        changed = 0
        for consent in self.repo.open_consents():
            before = consent.status
            self._last_refresh.pop(consent.id, None)
            after = await self.get(consent.id)
            changed += after.status != before
        return changed

    # -- internals -------------------------------------------------------------------------

    def _get(self, consent_id: str) -> Consent:
        consent = self.repo.get(consent_id)
        if consent is None:
            raise ConsentProblem("NOT_FOUND", "授权记录不存在", status=404)
        return consent

    def _pending(self, consent_id: str, channel: Channel) -> Consent:
        consent = self._get(consent_id)
        if consent.channel is not channel:
            raise ConsentProblem("WRONG_CHANNEL", "该授权不是短信验证码方式", status=409)
        if consent.status != "PENDING":
            raise ConsentProblem(
                "NOT_PENDING",
                NOT_GRANTED_ZH.get(consent.status, "授权已完成"),
                status=409,
                data={"status": consent.status},
            )
        return consent

    async def _platform_step(
        self, consent: Consent, operator: Operator, action: str, call: object
    ) -> PlatformAuthorization:
        try:
            remote: PlatformAuthorization = await call  # type: ignore[misc]
        except PlatformError as exc:
            self._audit(consent, action, operator, outcome=f"refused:{exc.code}")
            raise
        self._audit(consent, action, operator)
        return remote

    def _absorb(
        self,
        consent: Consent,
        remote: PlatformAuthorization,
        operator: Operator,
        stored: StoredEncounter | None = None,
    ) -> Consent:
        """Take the platform's view of the consent (the platform wins) and store it."""
        result = reconcile(Status(consent.status), Status(remote.status))
        if remote.request_expires_at and consent.status == "PENDING":
            consent.request_expires_at = remote.request_expires_at
        if not result.changed:
            return consent
        consent.status = result.status.value
        consent.reason = remote.reason or consent.reason
        if result.status is Status.GRANTED:
            self._set_window(consent, remote, stored)
        elif not consent.is_open():
            consent.ended_at = self.clock.now()
        consent.updated_at = self.clock.now()
        self.repo.save(consent)
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

    def _local_transition(
        self, consent: Consent, event: Event, operator: Operator, reason: str
    ) -> None:
        consent.status = next_status(Status(consent.status), event).value
        consent.reason, consent.ended_at = reason, self.clock.now()
        consent.updated_at = consent.ended_at
        self.repo.save(consent)
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
        self.audit.record(
            action,
            operator,
            patient_masked=consent.patient_masked,
            patient_key=self.audit.key(consent.his_patient_id),
            consent_id=consent.id,
            auth_id=consent.auth_id,
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


def _public_channel_info(info: dict[str, object]) -> dict[str, object]:
    """What of the platform's channel info may be shown (never a code, only masks and times)."""
    allowed = ("pushed", "smsSent", "phoneMasked", "codeLength", "codeExpiresAt")
    return {k: info[k] for k in allowed if k in info}
