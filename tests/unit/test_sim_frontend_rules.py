"""Pure parts of the front-end simulator: warning rules, reply codes, faults, key reading."""

from __future__ import annotations

from typing import Any

import pytest

from hisbridge._clock import ManualClock
from hisbridge.dictionary import Violation, load_dictionary
from hisbridge.simulators.frontend import protocol
from hisbridge.simulators.frontend.config import FaultSettings
from hisbridge.simulators.frontend.faults import FaultInjector, parse_fault_settings
from hisbridge.simulators.frontend.record_reader import RecordReader
from hisbridge.simulators.frontend.warning_rules import (
    NotifiableCodes,
    diagnosis_codes,
    is_positive_pathogen,
    notifiable_diagnoses,
)

CODES = NotifiableCodes.from_dictionary(load_dictionary())
PATHOGENS = frozenset(load_dictionary().code_set("lab_item_pathogen").codes)  # type: ignore[union-attr]


@pytest.mark.parametrize(("code", "notifiable"), [
    ("A15.0", True), ("A15", True), ("A15.001", True), ("a15.0", True),
    ("B05.900", True), ("B20", True), ("J09.x01", True), ("U07.10", True), ("A18.804+", True),
    ("I10", False), ("E10", False), ("J18.9", False), ("D49.9", False), ("B99", False),
    ("", False), ("A", False), ("143", False),
])
def test_notifiable_codes_match_by_prefix(code: str, notifiable: bool) -> None:
    assert (CODES.match(code) is not None) is notifiable


def test_diagnosis_codes_split_on_double_bar() -> None:
    record = {"disease_code": "A15.0", "wm_disease_code": "J18.9|| B05.9 ||"}
    assert diagnosis_codes(record) == ["A15.0", "J18.9", "B05.9"]
    assert [c for c, _ in notifiable_diagnoses(record, CODES)] == ["A15.0", "B05.9"]


@pytest.mark.parametrize(("item", "positive"), [
    ({"item_name": "新型冠状病毒核酸", "examination_result_code": "01"}, True),
    ({"item_name": "结核分枝杆菌培养", "examination_result_name": "阳性(+)"}, True),
    ({"item_code": "A102", "examination_result_code": "04"}, True),
    ({"item_name": "乙肝表面抗原", "examination_result_code": "02"}, False),
    ({"item_name": "乙肝表面抗原", "examination_result_name": "阴性"}, False),
    ({"item_name": "血红蛋白", "examination_result_code": "01"}, False),
    ({"item_name": "HIV 抗体", "examination_result_name": "未检出"}, False),
])
def test_positive_pathogen(item: dict[str, Any], positive: bool) -> None:
    assert is_positive_pathogen(item, PATHOGENS) is positive


def _violation(rule: str, severity: str = "error") -> Violation:
    return Violation("t", "f", "标签", rule, severity, None, "提示", "hint")  # type: ignore[arg-type]


@pytest.mark.parametrize(("rules", "code"), [
    ([], None),
    ([("code_set", "warning")], None),
    ([("required", "error")], "04"),
    ([("length", "error"), ("parent_key", "error")], "04"),
    ([("required", "error"), ("datetime", "error")], "03"),
    ([("type", "error")], "03"),
])
def test_classify(rules: list[tuple[str, str]], code: str | None) -> None:
    assert protocol.classify([_violation(r, s) for r, s in rules]) == code


def test_failure_reply_shape() -> None:
    reply = protocol.failure("04", "x" * 5000, "id1")
    assert reply["errorName"] == "数据校验错误" and len(reply["desc"]) == 2000
    assert protocol.success("id1")["errorCode"] == ""


def _sequence(settings: FaultSettings, n: int) -> list[str]:
    injector = FaultInjector(settings, ManualClock())
    out = []
    for _ in range(n):
        d = injector.decide()
        out.append("drop" if d.drop else d.error_code or ("late" if d.timed_out else "ok"))
    return out


def test_same_seed_same_faults() -> None:
    settings = FaultSettings(error_rate=0.3, timeout_rate=0.1, drop_connection_rate=0.1, seed=5)
    assert _sequence(settings, 200) == _sequence(settings, 200)
    assert set(_sequence(settings, 200)) == {"ok", "01", "late", "drop"}


def test_outage_uses_the_clock() -> None:
    clock = ManualClock()
    injector = FaultInjector(FaultSettings(outage_seconds=10), clock)
    assert injector.decide().outage
    clock.advance(10)
    assert not injector.decide().outage


@pytest.mark.parametrize("body", [
    {"error_rate": 1.5}, {"drop_connection_rate": -0.1}, {"timeout_s": -1},
    {"http_status": 42}, {"seed": True}, {"what": 1}, "text",
])
def test_bad_fault_settings(body: Any) -> None:
    with pytest.raises(ValueError):
        parse_fault_settings(body)


def test_fault_settings_parse() -> None:
    settings = parse_fault_settings({"error_rate": "0.5", "seed": 3, "error_code": 4})
    assert (settings.error_rate, settings.seed, settings.error_code) == (0.5, 3, "4")


@pytest.mark.parametrize(("body", "style", "record"), [
    ({"id": "1", "patientName": "张三", "idCard": None}, "camel",
     {"id": "1", "patient_name": "张三"}),
    ({"id": "1", "patient_name": "张三", "id_card": ""}, "snake",
     {"id": "1", "patient_name": "张三"}),
    ({"ID": "1", "PATIENT_NAME": "张三", "WORKUNIT": "x"}, "upper",
     {"id": "1", "patient_name": "张三", "workunit": "x"}),
    ({"id": "1", "workUnit": "x", "surprise": "y"}, "camel", {"id": "1", "workunit": "x"}),
])
def test_record_reader(body: dict[str, Any], style: str, record: dict[str, Any]) -> None:
    reader = RecordReader(load_dictionary().table("emr_patient_info"))
    for _ in range(2):  # the second time from the caches
        read = reader.read(body)
        assert (read.record, read.key_style, read.all_text) == (record, style, True)
        assert read.to_check == {"id": "1"}


def test_record_reader_marks_what_lenient_must_check() -> None:
    reader = RecordReader(load_dictionary().table("emr_ex_lab_item"))
    read = reader.read({"id": 5, "exLabId": "L1", "itemName": "x", "operationTime": "bad",
                        "itemCode": {"a": 1}})
    assert read.all_text is False
    assert read.to_check == {"id": 5, "ex_lab_id": "L1", "operation_time": "bad",
                             "item_code": {"a": 1}}
