"""HIS process hooks: registration, admission, discharge and booking reach the consent service.

``encounter_event`` (pure) reads a national-table record that passes through hisbridge
(``emr_activity_info`` visit activity, ``emr_admission_info``, ``emr_discharge_info``) and says
which encounter it opens or closes; ``EncounterHooks`` acts on it: the encounter becomes known
(so the viewer can offer authorization at once), an APP request may be created automatically,
and discharge narrows or closes the grant.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from hisbridge._clock import CHINA_TZ, parse_local
from hisbridge.errors import HisbridgeError
from hisbridge.sharing.consent.errors import ConsentProblem
from hisbridge.sharing.consent.model import (
    SYSTEM,
    Channel,
    Consent,
    EncounterRef,
    EncounterType,
    Operator,
    PatientIdentity,
)
from hisbridge.sharing.consent.service import ConsentService

__all__ = ["EVENT_FIELDS", "EncounterEvent", "EncounterHooks", "encounter_event", "parse_when"]

log = logging.getLogger("hisbridge.sharing.consent")

_ACTIVITY_TYPES = {
    "1": EncounterType.OUTPATIENT,
    "2": EncounterType.EMERGENCY,
    "5": EncounterType.INPATIENT,
    "6": EncounterType.INPATIENT,
}


# The fields ``encounter_event`` reads, and the organisation code a hospital group routes by:
# all the gateway keeps of a visit record until the hooks act on it (a day's backlog of visits
# then holds a dozen short fields each, not whole records).
EVENT_FIELDS = frozenset({
    "serial_number", "id_card", "invalid_flag", "patient_id", "id", "patient_name",
    "id_card_type_code", "dept_code", "activity_type_code", "activity_time", "admission_date",
    "discharge_date", "org_code"})


@dataclass(frozen=True, slots=True)
class EncounterEvent:
    kind: str  # "open" | "discharge"
    patient: PatientIdentity
    encounter: EncounterRef


def parse_when(value: Any) -> datetime | None:
    """A national-table time (``2026-01-01 08:00:00``, the front-end's Beijing wall time, or a
    datetime) as an aware time; None when empty or malformed (the record is then no event)."""
    if not value:
        return None
    try:
        return parse_local(value, CHINA_TZ)
    except ValueError:
        return None


def encounter_event(table: str, record: Mapping[str, Any]) -> EncounterEvent | None:
    """The encounter a national-table record opens or closes, or None if it is not one."""
    serial = str(record.get("serial_number") or "")
    if not serial or not record.get("id_card") or str(record.get("invalid_flag", "0")) == "1":
        return None
    patient = PatientIdentity(
        str(record.get("patient_id") or record.get("id")),
        str(record["id_card"]),
        str(record.get("patient_name") or ""),
        str(record.get("id_card_type_code") or "01"),
    )
    dept = str(record.get("dept_code") or "")
    if table == "emr_activity_info":
        kind = _ACTIVITY_TYPES.get(str(record.get("activity_type_code")))
        when = parse_when(record.get("activity_time"))
        if kind is None or when is None:
            return None
        admitted = when if kind is EncounterType.INPATIENT else None
        ref = EncounterRef(kind, serial, when.date(), admitted_at=admitted, dept_code=dept)
        return EncounterEvent("open", patient, ref)
    if table == "emr_admission_info":
        when = parse_when(record.get("admission_date"))
        ref = EncounterRef(
            EncounterType.INPATIENT,
            serial,
            when.date() if when else None,
            admitted_at=when,
            dept_code=dept,
        )
        return EncounterEvent("open", patient, ref)
    if table == "emr_discharge_info":
        out = parse_when(record.get("discharge_date"))
        if out is None:
            return None
        ref = EncounterRef(
            EncounterType.INPATIENT,
            serial,
            None,
            admitted_at=parse_when(record.get("admission_date")),
            discharged_at=out,
            dept_code=dept,
        )
        return EncounterEvent("discharge", patient, ref)
    return None


class EncounterHooks:
    """Acts on registrations, admissions, discharges and bookings."""

    def __init__(self, consents: ConsentService) -> None:
        self.consents = consents

    async def opened(
        self, patient: PatientIdentity, encounter: EncounterRef, operator: Operator = SYSTEM
    ) -> Consent | None:
        """Registration/admission: remember it; auto-apply on the APP channel if configured."""
        self.consents.note_encounter(patient, encounter)
        if not self._auto_applies(encounter):
            return None
        try:
            consent, _ = await self.consents.request(
                encounter.encounter_type, encounter.encounter_id, Channel.APP, operator
            )
        except HisbridgeError as exc:  # the HIS push must not fail because the platform did
            log.warning(
                "auto-apply failed",
                extra={"encounter": encounter.encounter_id, "error": type(exc).__name__},
            )
            return None
        return consent

    async def discharged(
        self, encounter_id: str, discharged_at: datetime, operator: Operator = SYSTEM
    ) -> Consent | None:
        """Discharge: the grant lasts to discharge + grace, or closes now if grace is 0.

        One event, one outcome: everything that can refuse it (unknown encounter, the
        platform's cancel) runs before the encounter is closed, and the closed encounter and
        the narrowed grant commit in one transaction.
        """
        stored = self.consents.encounter(EncounterType.INPATIENT, encounter_id)
        patient = self.consents.identity(stored)
        ref = replace(stored.ref, discharged_at=discharged_at)
        consent = self.consents.current_for(patient.his_patient_id, EncounterType.INPATIENT, encounter_id)
        grace = timedelta(days=self.consents.settings.windows.inpatient_grace_days)
        granted = consent is not None and consent.status == "GRANTED"
        if consent is not None and granted and self.consents.settings.close_at_discharge and not grace:
            consent = await self.consents.cancel(consent.id, "DISCHARGED", operator)
            granted = False
        with self.consents.repo.atomic():
            self.consents.note_encounter(patient, ref, state="CLOSED")
            if consent is not None and granted:
                end = discharged_at + grace
                consent.valid_to = min(consent.valid_to, end) if consent.valid_to else end
                self.consents.repo.save(consent)
        return consent

    async def booked(
        self, patient: PatientIdentity, booking: EncounterRef, operator: Operator = SYSTEM
    ) -> Consent:
        """Online booking succeeded: create the BOOKING request (flows.md §4.1); if the
        platform refuses it, the booking is not remembered either."""
        with self.consents.repo.encounter_restored_on_error(EncounterType.BOOKING.value,
                                                            booking.encounter_id):
            self.consents.note_encounter(patient, booking)
            consent, _ = await self.consents.request(
                EncounterType.BOOKING, booking.encounter_id, Channel.BOOKING, operator
            )
        return consent

    async def booking_cancelled(self, appointment_id: str, operator: Operator = SYSTEM) -> Consent | None:
        """A cancelled booking cancels its request (or closes its grant); the platform is asked
        first, so a refusal leaves the booking as it was."""
        stored = self.consents.encounter(EncounterType.BOOKING, appointment_id)
        consent = self.consents.current_for(stored.his_patient_id, EncounterType.BOOKING, appointment_id)
        if consent is not None and consent.is_open():
            consent = await self.consents.cancel(consent.id, "BOOKING_CANCELLED", operator)
        self.consents.note_encounter(self.consents.identity(stored), stored.ref, state="CANCELLED")
        return consent

    def _auto_applies(self, encounter: EncounterRef) -> bool:
        """Is authorization asked for on the APP channel when this encounter opens?"""
        s = self.consents.settings
        if encounter.encounter_type is EncounterType.BOOKING:
            return False
        if encounter.encounter_type is EncounterType.INPATIENT:
            return s.auto_apply_at_admission
        return s.auto_apply_at_registration

    def _note_all(self, events: list[EncounterEvent]) -> int:
        """Remember opened encounters (store writes: run in a worker thread, never on the loop)."""
        noted = 0
        for event in events:
            try:
                self.consents.note_encounter(event.patient, event.encounter)
            except ConsentProblem:
                continue
            noted += 1
        return noted

    async def observe(self, table: str, records: Iterable[Mapping[str, Any]]) -> int:
        """Feed records seen by intake (push or polled visit activity); returns events acted on.

        Openings that only need remembering (the common case: no auto-apply) are written in one
        worker-thread hop per batch, so a day's backlog of visits never stalls the event loop
        that delivery runs on; the rest (auto-apply, discharges) talk to the platform."""
        quiet: list[EncounterEvent] = []
        loud: list[EncounterEvent] = []
        for record in records:
            event = encounter_event(table, record)
            if event is not None:
                only_noted = event.kind == "open" and not self._auto_applies(event.encounter)
                (quiet if only_noted else loud).append(event)
        acted = await asyncio.to_thread(self._note_all, quiet) if quiet else 0
        for event in loud:
            try:
                if event.kind == "open":
                    await self.opened(event.patient, event.encounter)
                elif event.encounter.discharged_at is not None:
                    if self.consents.repo.encounter("INPATIENT", event.encounter.encounter_id) is None:
                        self.consents.note_encounter(event.patient, event.encounter)
                    await self.discharged(event.encounter.encounter_id, event.encounter.discharged_at)
            except ConsentProblem:
                continue
            acted += 1
            await asyncio.sleep(0)  # let delivery run between platform calls
        return acted
