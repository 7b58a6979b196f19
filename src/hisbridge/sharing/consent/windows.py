"""Validity windows of flows.md §3.3 (proposals, all configurable), as pure functions.

``request_deadline`` says how long a PENDING request waits for the patient; ``grant_window``
says from when to when a GRANTED authorization may be used. The platform's own expiry always
wins when it is earlier: ``effective_valid_to`` takes the earlier of the two.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from hisbridge._clock import CHINA_TZ
from hisbridge.sharing.consent.config import ValidityWindows
from hisbridge.sharing.consent.model import Channel, EncounterRef, EncounterType

__all__ = ["earlier", "effective_valid_to", "end_of_day", "grant_window", "request_deadline"]


def end_of_day(moment: datetime) -> datetime:
    """23:59:59 China time of ``moment``'s day."""
    local = moment.astimezone(CHINA_TZ)
    return datetime.combine(local.date(), time(23, 59, 59), tzinfo=CHINA_TZ)


def request_deadline(
    channel: Channel, encounter: EncounterRef, now: datetime, w: ValidityWindows
) -> datetime:
    """When a PENDING request of ``channel`` expires if the patient does not answer."""
    if channel is Channel.SMS:
        return now + timedelta(minutes=w.sms_request_min)
    if channel is Channel.AUTH_CODE:
        return now + timedelta(minutes=w.code_request_min)
    if channel is Channel.BOOKING:
        cap = now + timedelta(hours=w.booking_request_max_h)
        end = _booking_request_end(encounter, w)
        return cap if end is None else min(end, cap)
    return now + timedelta(minutes=w.app_request_min)


def _booking_request_end(encounter: EncounterRef, w: ValidityWindows) -> datetime | None:
    """The slot's start (or its day's end, per ``booking_request_until``); without a slot time
    the end of the visit day; None when the booking carries neither."""
    if encounter.slot_start is not None:
        if w.booking_request_until == "slot_start":
            return encounter.slot_start
        return end_of_day(encounter.slot_start)
    if encounter.visit_date is not None:
        return end_of_day(datetime.combine(encounter.visit_date, time(12, 0), tzinfo=CHINA_TZ))
    return None


def grant_window(
    encounter: EncounterRef, granted_at: datetime, w: ValidityWindows
) -> tuple[datetime, datetime]:
    """``(valid_from, valid_to)`` of a grant made at ``granted_at`` for ``encounter``."""
    kind = encounter.encounter_type
    if kind is EncounterType.INPATIENT:
        start = min(encounter.admitted_at or granted_at, granted_at)
        if encounter.discharged_at is not None:
            return start, encounter.discharged_at + timedelta(days=w.inpatient_grace_days)
        return start, start + timedelta(days=w.inpatient_max_days)
    if kind is EncounterType.BOOKING:
        day = encounter.slot_start or _visit_day(encounter, granted_at)
        return granted_at, end_of_day(day) + timedelta(days=w.booking_review_days)
    visit_end = end_of_day(_visit_day(encounter, granted_at))
    return granted_at, max(visit_end, granted_at + timedelta(hours=w.outpatient_min_h))


def _visit_day(encounter: EncounterRef, fallback: datetime) -> datetime:
    if encounter.visit_date is None:
        return fallback
    return datetime.combine(encounter.visit_date, time(12, 0), tzinfo=CHINA_TZ)


def effective_valid_to(ours: datetime, platform: datetime | None) -> datetime:
    """The earlier end: the platform's expiry overrides ours, ours may be stricter."""
    return ours if platform is None else min(ours, platform)


def earlier(ours: datetime | None, platform: datetime | None) -> datetime | None:
    """The earlier of two optional deadlines (None when neither is known)."""
    return platform if ours is None else effective_valid_to(ours, platform)
