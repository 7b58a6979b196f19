"""The acceptance report's pure figures: on time or not, counters, rates, warnings by day."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest

from hisbridge._clock import CHINA_TZ
from hisbridge.dictionary import load_dictionary
from hisbridge.ops.acceptance import (
    CompletenessLine,
    FieldCounter,
    Period,
    TimelinessCounter,
    completeness_from_his,
    his_save_time,
    is_on_time,
    rate,
    warning_days,
)
from hisbridge.ops.chart import Bar, stacked_bars_svg
from hisbridge.sources.reconcile import compare

DAY = date(2026, 3, 2)
PERIOD = Period(DAY, DAY + timedelta(days=1), CHINA_TZ, "Asia/Shanghai")
TABLES = {spec.name: spec for spec in load_dictionary()}


def _at(hour: int, minute: int = 0, second: int = 0, day: date = DAY) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=CHINA_TZ)


@pytest.mark.parametrize(("group", "saved", "delivered", "expected"), [
    ("realtime", _at(10), _at(10, 4, 59), True),
    ("realtime", _at(10), _at(10, 5, 0), True),  # exactly 5 minutes is within
    ("realtime", _at(10), _at(10, 5, 1), False),
    ("realtime", _at(10), _at(9, 59), True),  # the two clocks differ: early is not late
    ("t0", _at(20), _at(23, 59, 59), True),
    ("t0", _at(20), _at(0, 0, 0, DAY + timedelta(days=1)), False),
    # 00:30 the next day in China is still 16:30 the same day in UTC: the day is the HIS's
    ("t0", _at(23), datetime(2026, 3, 2, 16, 30, tzinfo=UTC), False),
    ("t0", _at(1), datetime(2026, 3, 1, 18, 0, tzinfo=UTC), True),  # 02:00 China time
])
def test_on_time_rules(group: str, saved: datetime, delivered: datetime, expected: bool) -> None:
    assert is_on_time(group, saved, delivered, CHINA_TZ) is expected  # type: ignore[arg-type]


@pytest.mark.parametrize(("payload", "expected"), [
    ({"operation_time": "2026-03-02 10:00:00"}, _at(10)),
    ({"operation_time": "2026/3/2 10:00:00"}, _at(10)),
    ({"operation_time": ""}, None),
    ({"operation_time": "yesterday"}, None),
    ({}, None),
])
def test_his_save_time_is_wall_time_in_the_his_zone(payload: dict[str, str],
                                                    expected: datetime | None) -> None:
    assert his_save_time(payload, CHINA_TZ) == expected


def test_timeliness_counter_groups_by_save_day_and_skips_what_it_cannot_judge() -> None:
    counter = TimelinessCounter(PERIOD, TABLES)
    counter.add("emr_patient_info", _at(10), _at(10, 3))  # on time
    counter.add("emr_patient_info", _at(11), _at(11, 6))  # late
    counter.add("emr_patient_info", _at(12), None)  # not delivered yet
    counter.add("emr_patient_info", None, _at(12))  # no operation_time: counted apart
    counter.add("emr_patient_info", _at(9, day=DAY - timedelta(days=1)), _at(9))  # before the period
    counter.add("base_dept", _at(10), _at(23))  # base tables are not assessed
    counter.add("emr_ex_lab", _at(22), _at(1, day=DAY + timedelta(days=1)))  # T+0, next day
    lines = {(t.day, t.table): t for t in counter.result()}
    patient = lines[(DAY, "emr_patient_info")]
    assert (patient.saved, patient.on_time, patient.late, patient.undelivered) == (3, 1, 1, 1)
    assert patient.share == pytest.approx(1 / 3)
    assert patient.p95_delay_s == 360.0 and patient.rule_zh == "保存后 5 分钟内送达"
    lab = lines[(DAY, "emr_ex_lab")]
    assert (lab.saved, lab.on_time, lab.late) == (1, 0, 1)
    assert counter.no_save_time == {"emr_patient_info": 1}
    assert set(lines) == {(DAY, "emr_patient_info"), (DAY, "emr_ex_lab")}


def test_field_counter_counts_values_not_blanks() -> None:
    counter = FieldCounter(TABLES)
    counter.add("emr_patient_info", {"id": "p1", "patient_name": "  ", "contacts": "0",
                                     "birth_date": None})
    counter.add("emr_patient_info", {"id": "p2", "patient_name": "x"})
    fills = {f.field: f for f in counter.result() if f.table == "emr_patient_info"}
    assert (fills["id"].filled, fills["id"].total) == (2, 2)
    assert (fills["patient_name"].filled, fills["patient_name"].rate) == (1, 0.5)
    assert fills["contacts"].filled == 1 and fills["birth_date"].filled == 0
    assert fills["contacts"].level == "recommended" and fills["gender_code"].level == "mandatory_observed"
    assert "data_status" not in fills  # platform columns are never sent, never judged
    assert counter.delivered() == {"emr_patient_info": 2}


def test_completeness_from_the_his_reconciliation() -> None:
    """The HIS's reconciliation line as is: withdrawn children are not owed."""
    states = {"a": "delivered", "b": "delivered", "c": "pending", "d": "withdrawn", "e": "dead"}
    line = compare("emr_ex_lab", ["a", "b", "c", "d", "e", "f"], states)  # type: ignore[arg-type]
    (shown,) = completeness_from_his(DAY, [line], {"emr_ex_lab": "检验报告表"})
    assert (shown.his_keys, shown.delivered, shown.in_flight, shown.dead, shown.withdrawn,
            shown.missing) == (6, 2, 1, 1, 1, 1)
    assert shown.expected == 5 and shown.rate == pytest.approx(2 / 5)
    store_only = CompletenessLine(DAY, "emr_ex_lab", "检验报告表", None, 4, 3, 1, 0)
    assert store_only.expected == 4 and store_only.rate == 0.75


def test_rates_and_period_bounds() -> None:
    assert rate(0, 0) is None and rate(1, 4) == 0.25
    assert PERIOD.days() == [DAY, DAY + timedelta(days=1)]
    assert PERIOD.start() == _at(0) and PERIOD.end() == _at(0, day=DAY + timedelta(days=2))
    with pytest.raises(ValueError, match="--to"):
        Period(DAY, DAY - timedelta(days=1), CHINA_TZ, "Asia/Shanghai")
    with pytest.raises(ValueError, match="92"):
        Period(DAY, DAY + timedelta(days=92), CHINA_TZ, "Asia/Shanghai")


def test_warnings_by_receipt_day_read_or_handled_by_anyone() -> None:
    rows = [
        {"msg_id": "1", "type": "missed_report", "polled_at": _at(9), "receipts": [
            {"read_at": _at(10), "handled_at": None}, {"read_at": _at(11), "handled_at": _at(11)}]},
        {"msg_id": "2", "type": "missed_report", "polled_at": _at(23, 30), "receipts": []},
        # 16:30 UTC is 00:30 the next day in China
        {"msg_id": "3", "type": "pathogen_positive", "polled_at": datetime(2026, 3, 2, 16, 30, tzinfo=UTC),
         "receipts": [{"read_at": _at(9), "handled_at": None}]},
        {"msg_id": "4", "type": "x", "polled_at": _at(9, day=DAY + timedelta(days=5)), "receipts": []},
    ]
    first, second = warning_days(PERIOD, rows)
    assert (first.received, first.read, first.handled) == (2, 1, 1)
    assert first.by_type == {"missed_report": 2} and first.read_share == 0.5
    assert (second.day, second.received, second.read, second.handled) == (DAY + timedelta(days=1), 1, 1, 0)


def test_stacked_bars_scale_to_the_longest_and_escape_labels() -> None:
    svg = stacked_bars_svg([Bar("<a>", ((30, "#0f0", "ok"), (10, "#f00", "bad")), "75%"),
                            Bar("b", ((20, "#0f0", "ok"),))], "t & t")
    assert "&lt;a&gt;" in svg and "<a>" not in svg and "t &amp; t" in svg
    widths = [float(w) for w in re.findall(r'width="([\d.]+)" height="16"', svg)]
    assert widths == [390.0, 130.0, 260.0]  # 520 px for the longest bar (40), in proportion
