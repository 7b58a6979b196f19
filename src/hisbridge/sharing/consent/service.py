"""The consent service: requests, SMS codes, authorization codes, cancellation and refresh,
against the provincial platform (through the ``ProvincialPlatform`` port).
"""

from __future__ import annotations

import logging
from datetime import datetime

from hisbridge import _ids
from hisbridge._clock import Clock
from hisbridge.audit.log import AuditRecorder
from hisbridge.errors import HisbridgeError
from hisbridge.sharing.consent.callbacks import CallbackNotice
from hisbridge.sharing.consent.config import GdHealthSettings
from hisbridge.sharing.consent.errors import ConsentProblem
from hisbridge.sharing.consent.ledger import NOT_GRANTED_ZH, ConsentLedger
from hisbridge.sharing.consent.model import (
    SYSTEM,
    Channel,
    Consent,
    EncounterType,
    Operator,
    PatientIdentity,
)
from hisbridge.sharing.consent.platform import (
    ApplyRequest,
    PlatformAuthorization,
    ProvincialPlatform,
)
from hisbridge.sharing.consent.platform_errors import PlatformError
from hisbridge.sharing.consent.reach import REACH_BY_CODE, Reach, ReachState
from hisbridge.sharing.consent.repository import ConsentRepository, DuplicateOpen, StoredEncounter
from hisbridge.sharing.consent.states import Event, Status, next_status
from hisbridge.sharing.consent.windows import earlier, grant_window, request_deadline

__all__ = ["NOT_GRANTED_ZH", "ConsentService"]

log = logging.getLogger("hisbridge.sharing.consent")


class ConsentService(ConsentLedger):
    """Everything the API, the viewer and the HIS hooks do with authorizations."""

    def __init__(
        self,
        repo: ConsentRepository,
        platform: ProvincialPlatform,
        audit: AuditRecorder,
        settings: GdHealthSettings,
        clock: Clock,
    ) -> None:
        super().__init__(repo, audit, settings, clock)
        self.platform = platform
        self._last_refresh: dict[str, float] = {}

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
            if not (replace_pending and existing.status == "PENDING" and existing.channel is not channel):
                return existing, False
            await self.cancel(existing.id, "CHANNEL_SWITCHED", operator)
        return await self._apply(stored, channel, operator), True

    async def _apply(self, stored: StoredEncounter, channel: Channel, operator: Operator) -> Consent:
        self.require_org_name()
        now, patient = self.clock.now(), self.identity(stored)
        w = self.settings.windows
        wanted_to = grant_window(stored.ref, now, w)[1]
        deadline = request_deadline(channel, stored.ref, now, w)
        request = ApplyRequest(patient, operator, stored.ref, channel, wanted_to, _ids.new_id(), deadline)
        try:
            remote = await self.platform.apply(request)
        except PlatformError as exc:
            self._audit_refusal("CONSENT_REQUEST", operator, patient, exc, channel=channel.value)
            if exc.code == "3001" and isinstance(exc.data, dict) and exc.data.get("authId"):
                from hisbridge.sharing.consent.platform_wire import parse_authorization

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
            request_expires_at=earlier(
                request_deadline(channel, stored.ref, now, self.settings.windows),
                remote.request_expires_at,
            ),
            channel_info=_public_channel_info(remote.channel_info),
            org_code=self.repo.org_code,
        )
        try:
            self.repo.insert(consent)
        except DuplicateOpen:
            raise ConsentProblem("OPEN_EXISTS", "该就诊已有进行中的授权", status=409) from None
        self._audit(consent, "CONSENT_REQUESTED", operator, detail={"channel": channel.value})
        return consent

    async def reachable(self, stored: StoredEncounter) -> Reach:
        """Whether the platform knows the patient and which channels reach them (A1)."""
        if not self.settings.resolve_person_first:
            return Reach(ReachState.UNCHECKED)
        try:
            return Reach(ReachState.FOUND, await self.platform.resolve_person(self.identity(stored)))
        except PlatformError as exc:
            return Reach(REACH_BY_CODE.get(exc.code, ReachState.UNAVAILABLE))
        except HisbridgeError:
            return Reach(ReachState.UNAVAILABLE)

    async def send_sms(self, consent_id: str, operator: Operator) -> Consent:
        self.require_org_name()
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

    async def _wrong_code(self, consent: Consent, operator: Operator, exc: PlatformError) -> Consent:
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
        """Redeem an authorization code for this encounter (channel 4.4): one the platform
        pushed for our pending AUTH_CODE request, or one the patient asked a third-party app for."""
        stored = self.encounter(encounter_type, encounter_id)
        current = self.current_for(stored.his_patient_id, encounter_type, encounter_id)
        if current is not None and current.status == "GRANTED":
            return current
        self.require_org_name()
        awaiting = current if current is not None and current.channel is Channel.AUTH_CODE else None
        if current is not None and current.status == "PENDING" and awaiting is None:
            await self.cancel(current.id, "CHANNEL_SWITCHED", operator)
        patient = self.identity(stored)
        try:
            remote = await self.platform.redeem_code(code.strip(), patient, operator, stored.ref)
        except PlatformError as exc:
            self._audit_refusal("CODE_REDEEM", operator, patient, exc, channel="AUTH_CODE")
            raise
        if awaiting is not None and awaiting.is_open():
            if remote.auth_id == awaiting.auth_id:
                self._audit(awaiting, "CODE_REDEEM", operator)
                return self._absorb(awaiting, remote, operator, stored)
            self._absorb(awaiting, await self.platform.query(awaiting.auth_id or ""), operator)
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

    async def get(self, consent_id: str, operator: Operator = SYSTEM, *, refresh: bool = True) -> Consent:
        """The consent; an open one is refreshed from the platform (at most every 2 s)."""
        consent = await self._expire_overdue(self._get(consent_id), operator)
        mono = self.clock.monotonic()
        recent = mono - self._last_refresh.get(consent.id, -1e9) < 2.0
        if refresh and consent.is_open() and consent.auth_id and not recent:
            self._last_refresh[consent.id] = mono
            remote = await self.platform.query(consent.auth_id)
            consent = self._absorb(consent, remote, operator)
        if not consent.is_open():
            self._last_refresh.pop(consent.id, None)  # keeps the throttle map to open consents
        return consent

    async def _expire_overdue(self, consent: Consent, operator: Operator) -> Consent:
        """A request still PENDING past its deadline (a booking's slot has started) ends here
        even if the platform keeps it longer: withdrawn there, EXPIRED here."""
        deadline = consent.request_expires_at
        if consent.status != "PENDING" or deadline is None or self.clock.now() <= deadline:
            return consent
        remote = await self.platform.query(consent.auth_id or "")
        if remote.status == "PENDING":
            await self.platform.cancel(consent.auth_id or "", "OTHER", operator)
            self._local_transition(consent, Event.EXPIRE, operator, "REQUEST_TIMEOUT")
            return consent
        return self._absorb(consent, remote, operator)

    async def on_status_changed(self, auth_id: str) -> Consent | None:
        """A verified callback named ``auth_id``: fetch the platform's truth and absorb it."""
        consent = self.repo.by_auth_id(auth_id)
        if consent is None:
            return None
        remote = await self.platform.query(auth_id)
        return self._absorb(consent, remote, SYSTEM)

    async def on_callback(self, notice: CallbackNotice) -> tuple[Consent | None, bool]:
        """A verified callback: the first delivery is acted on; a repeat only writes one
        CALLBACK_REPLAYED entry. Returns ``(consent, replayed)``."""
        before = self.repo.claim_callback(notice, self.clock.now())
        if before:
            consent = self.repo.by_auth_id(notice.auth_id)
            self._audit_replay(notice, consent, before)
            return consent, True
        try:
            return await self.on_status_changed(notice.auth_id), False
        except BaseException:
            self.repo.release_callback(notice)  # not acted on: the platform's retry must be
            raise

    def _audit_replay(self, notice: CallbackNotice, consent: Consent | None, before: int) -> None:
        detail = {"status": notice.status, "occurredAt": notice.occurred_at, "deliveries": before + 1}
        if consent is None:
            self.audit.record("CALLBACK_REPLAYED", SYSTEM, auth_id=notice.auth_id,
                              outcome="replayed", detail=detail)
        else:
            self.audit.record_for("CALLBACK_REPLAYED", SYSTEM, consent, outcome="replayed",
                                  detail=detail)

    async def refresh_open(self) -> int:
        """Polling fallback: refresh every open consent from the platform; returns changes."""
        changed = 0
        for consent in self.repo.open_consents():
            before = consent.status
            self._last_refresh.pop(consent.id, None)
            after = await self.get(consent.id)
            changed += after.status != before
        return changed

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


def _public_channel_info(info: dict[str, object]) -> dict[str, object]:
    """What of the platform's channel info may be shown (never a code, only masks and times)."""
    allowed = ("pushed", "smsSent", "phoneMasked", "codeLength", "codeExpiresAt", "codePushed")
    return {k: info[k] for k in allowed if k in info}
