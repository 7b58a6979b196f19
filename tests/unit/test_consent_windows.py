"""Validity windows of flows.md §3.3 (configurable), as a table."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from hisbridge._clock import CHINA_TZ
from hisbridge.sharing.consent.config import ValidityWindows
from hisbridge.sharing.consent.model import Channel, EncounterRef, EncounterType
from hisbridge.sharing.consent.windows import (
    effective_valid_to,
    end_of_day,
    grant_window,
    request_deadline,
)

W = ValidityWindows()
T = datetime(2026, 3, 2, 9, 0, tzinfo=CHINA_TZ)


def at(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, second, tzinfo=CHINA_TZ)


OUT = EncounterRef(EncounterType.OUTPATIENT, "MZ1", date(2026, 3, 2))
BOOK = EncounterRef(EncounterType.BOOKING, "YY1", date(2026, 3, 5), slot_start=at(5, 9, 30))
IN_OPEN = EncounterRef(EncounterType.INPATIENT, "ZY1", admitted_at=at(1, 15))
IN_DONE = EncounterRef(
    EncounterType.INPATIENT, "ZY1", admitted_at=at(1, 15), discharged_at=at(10, 10)
)


@pytest.mark.parametrize(
    ("channel", "encounter", "deadline"),
    [
        (Channel.SMS, OUT, at(2, 9, 10)),
        (Channel.APP, OUT, at(2, 9, 30)),
        (Channel.AUTH_CODE, OUT, at(2, 9, 10)),
        (Channel.BOOKING, BOOK, at(5, 9, 30)),  # until the slot starts
        (Channel.BOOKING, EncounterRef(EncounterType.BOOKING, "Y"), T + timedelta(hours=168)),
    ],
)
def test_request_deadline(channel: Channel, encounter: EncounterRef, deadline: datetime) -> None:
    assert request_deadline(channel, encounter, T, W) == deadline


DAY_ONLY = EncounterRef(EncounterType.BOOKING, "YY2", date(2026, 3, 5))


@pytest.mark.parametrize(
    ("until", "encounter", "cap_h", "deadline"),
    [
        ("slot_start", BOOK, 168, at(5, 9, 30)),
        ("end_of_slot_day", BOOK, 168, at(5, 23, 59, 59)),
        ("slot_start", DAY_ONLY, 168, at(5, 23, 59, 59)),  # no slot time: end of the visit day
        ("end_of_slot_day", DAY_ONLY, 168, at(5, 23, 59, 59)),
        ("slot_start", BOOK, 24, at(3, 9)),  # the cap comes first
    ],
)
def test_booking_request_deadline(
    until: str, encounter: EncounterRef, cap_h: int, deadline: datetime
) -> None:
    w = ValidityWindows(booking_request_until=until, booking_request_max_h=cap_h)  # type: ignore[arg-type]
    assert request_deadline(Channel.BOOKING, encounter, T, w) == deadline


@pytest.mark.parametrize(
    ("encounter", "granted", "window"),
    [
        (OUT, T, (T, at(3, 9))),  # 24 h after grant is later than the day's end
        (OUT, at(2, 8), (at(2, 8), at(3, 8))),
        (
            EncounterRef(EncounterType.EMERGENCY, "J", date(2026, 3, 4)),
            T,
            (T, at(4, 23, 59, 59)),
        ),  # visit day ends later than 24 h
        (BOOK, T, (T, at(6, 23, 59, 59))),  # appointment day + 1 day review
        (IN_OPEN, T, (at(1, 15), at(1, 15) + timedelta(days=90))),
        (IN_DONE, T, (at(1, 15), at(17, 10))),  # discharge + 7 days
    ],
)
def test_grant_window(
    encounter: EncounterRef, granted: datetime, window: tuple[datetime, datetime]
) -> None:
    assert grant_window(encounter, granted, W) == window


def test_windows_are_configuration() -> None:
    strict = ValidityWindows(outpatient_min_h=1, inpatient_grace_days=0, sms_request_min=3)
    assert grant_window(IN_DONE, T, strict)[1] == at(10, 10)
    assert request_deadline(Channel.SMS, OUT, T, strict) == at(2, 9, 3)
    assert grant_window(OUT, at(2, 8), strict)[1] == at(2, 23, 59, 59)


def test_platform_expiry_overrides_when_earlier() -> None:
    assert effective_valid_to(at(3, 9), at(2, 18)) == at(2, 18)
    assert effective_valid_to(at(3, 9), at(9, 9)) == at(3, 9)
    assert effective_valid_to(at(3, 9), None) == at(3, 9)
    assert end_of_day(at(2, 0, 5)) == at(2, 23, 59, 59)
