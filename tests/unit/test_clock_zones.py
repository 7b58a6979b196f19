"""The time seam's zone rules: zone names, HIS text read in a zone, local display with offset."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hisbridge._clock import CHINA_TZ, format_local, parse_local, time_zone
from hisbridge.sources.watermarks import SourceState
from hisbridge.store.times import UtcDateTime

PLUS8 = timezone(timedelta(hours=8))


@pytest.mark.parametrize(("name", "offset_h"), [
    ("Asia/Shanghai", 8), ("PRC", 8), ("UTC", 0), ("Z", 0), ("+08:00", 8), ("+0800", 8),
    ("UTC+8", 8), ("-05:00", -5), ("Europe/London", 0),
])
def test_zone_names(name: str, offset_h: int) -> None:
    winter = datetime(2026, 1, 15, 12, 0)
    assert time_zone(name).utcoffset(winter) == timedelta(hours=offset_h)


@pytest.mark.parametrize("name", ["Mars/Base", "", "+25:00", "Beijing"])
def test_unknown_zones_are_refused(name: str) -> None:
    with pytest.raises(ValueError):
        time_zone(name)


@pytest.mark.parametrize(("text", "zone", "instant"), [
    ("2026-11-25T03:49:45", CHINA_TZ, datetime(2026, 11, 24, 19, 49, 45, tzinfo=UTC)),
    ("2026-11-25 03:49:45", UTC, datetime(2026, 11, 25, 3, 49, 45, tzinfo=UTC)),
    ("2026/11/25 03:49:45", CHINA_TZ, datetime(2026, 11, 24, 19, 49, 45, tzinfo=UTC)),
    ("2026-11-25T03:49:45+00:00", CHINA_TZ, datetime(2026, 11, 25, 3, 49, 45, tzinfo=UTC)),
    ("2026-11-25T03:49:45Z", CHINA_TZ, datetime(2026, 11, 25, 3, 49, 45, tzinfo=UTC)),
    ("2026-11-25T03:49:45.250+08:00", UTC, datetime(2026, 11, 24, 19, 49, 45, 250000, tzinfo=UTC)),
    ("2026-11-25", CHINA_TZ, datetime(2026, 11, 24, 16, 0, tzinfo=UTC)),
])
def test_his_text_is_read_in_the_his_zone_unless_it_names_one(
        text: str, zone: timezone, instant: datetime) -> None:
    assert parse_local(text, zone) == instant


@pytest.mark.parametrize("bad", ["20261125", 20261125, 1764042585.0, None, "", "2026-13-01",
                                 "2026-11-25T25:00:00", "2026-11-25 3:04:05", "next tuesday",
                                 "2026-11-25T03:49:45+8", ["2026-11-25"]])
def test_malformed_times_are_refused(bad: object) -> None:
    with pytest.raises(ValueError):
        parse_local(bad, CHINA_TZ)


def test_display_names_the_offset() -> None:
    moment = datetime(2026, 3, 3, 0, 0, tzinfo=UTC)
    assert format_local(moment, CHINA_TZ) == "2026-03-03 08:00:00 +08:00"
    assert format_local(moment, time_zone("-05:00")) == "2026-03-02 19:00:00 -05:00"
    assert format_local(datetime(2026, 3, 3, 0, 0), CHINA_TZ) == "2026-03-03 08:00:00 +08:00"
    assert format_local(None, CHINA_TZ) == ""


_AWARE = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31),
                      timezones=st.sampled_from([UTC, CHINA_TZ, PLUS8, time_zone("-05:00")]))


@given(_AWARE, st.sampled_from(["Asia/Shanghai", "UTC", "+08:00", "-05:00"]))
def test_shown_time_reads_back_as_the_same_instant(moment: datetime, zone: str) -> None:
    shown = format_local(moment, time_zone(zone))  # seconds only
    back = parse_local(shown.replace(" +", "+").replace(" -", "-"), CHINA_TZ)
    assert back == moment.replace(microsecond=0)


@given(_AWARE)
def test_the_store_column_always_gives_back_utc(moment: datetime) -> None:
    column = UtcDateTime()
    stored = column.process_bind_param(moment, None)  # type: ignore[arg-type]
    assert stored is not None and stored.utcoffset() == timedelta(0) and stored == moment
    back = column.process_result_value(stored.replace(tzinfo=None), None)  # as SQLite returns
    assert back == moment and back is not None and back.tzinfo == UTC


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31)),
       st.sampled_from(["Asia/Shanghai", "UTC", "-05:00"]))
def test_a_watermark_round_trips_through_utc_text(his_time: datetime, zone: str) -> None:
    state = SourceState(None, "his", time_zone(zone))  # type: ignore[arg-type]
    assert state.from_utc(state.to_utc(his_time)) == his_time
