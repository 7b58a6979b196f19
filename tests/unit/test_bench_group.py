"""bench/group_day.py (issue 21's group bench): re-coding per institution and the figures."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from hisbridge.testing import sample_record

BENCH = Path(__file__).resolve().parents[2] / "bench"


def _module(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(f"bench_{name}", module)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def day() -> ModuleType:
    return _module("group_day")


def test_each_institution_gets_its_own_codes_and_keys(day: ModuleType) -> None:
    first, second = day.members(2)
    visit = sample_record("emr_activity_info", "MZ1-11", parent_id="MZ1", serial_number="MZ1",
                          dept_code="A05.01", org_code="440100001")
    mine, theirs = day.recode("emr_activity_info", visit, first), \
        day.recode("emr_activity_info", visit, second)
    assert (mine["id"], mine["patient_id"], mine["serial_number"]) == ("G01-MZ1-11", "G01-MZ1",
                                                                       "G01-MZ1")
    assert (mine["org_code"], mine["org_name"]) == ("441890001", "县人民医院")
    assert (theirs["org_code"], theirs["id"]) == ("441890002", "G02-MZ1-11")
    assert mine["dept_code"] == theirs["dept_code"] == "A05.01"  # a national code stays
    assert visit["id"] == "MZ1-11"  # the hospital's day is left as it was
    item = day.recode("emr_ex_lab_item", sample_record("emr_ex_lab_item", "L1-01",
                                                       parent_id="L1"), second)
    assert (item["id"], item["ex_lab_id"]) == ("G02-L1-01", "G02-L1")
    assert item["org_code"] == "441890002"  # not its field: the column the group routes by
    dept = day.recode("base_dept", sample_record("base_dept", "1001"), second)
    assert dept["dept_code"] == "G02-1001"
    card = day.recode("emr_inf_report", sample_record("emr_inf_report", "BK1"), second)
    assert (card["report_org_code"], card["report_org_name"]) == ("441890002", "第01镇卫生院")


def test_a_group_hospital_day_interleaves_the_institutions(day: ModuleType) -> None:
    group = day.members(3)
    county = {"base_dept": [sample_record("base_dept", f"{n}") for n in (1, 2, 3)]}
    centre = {"base_dept": [sample_record("base_dept", "1")]}
    rows = day.interleaved("base_dept", [county, centre, centre], group)
    assert [r["dept_code"] for r in rows] == ["G01-1", "G02-1", "G03-1", "G01-2", "G01-3"]
    assert day.interleaved("emr_death_info", [county, centre, centre], group) == []


def test_owner_reads_the_tag_not_dashes_inside_the_key(day: ModuleType) -> None:
    tags = {m.tag: m.org_code for m in day.members(12)}
    assert day.owner("G12-MZ1-11", tags) == "441890012"
    assert day.owner("MZ1-11", tags) is None
    assert day.owner("MZ1", tags) is None


def _notes() -> list[list[Any]]:
    return [[10.0, "emrPatientInfo", "G01-P1", True],
            [11.0, "emrActivityInfo", "G01-P1", True],  # same key, other table: a record
            [12.0, "emrPatientInfo", "G02-P1", False],  # refused, then resent and stored
            [15.0, "emrPatientInfo", "G02-P1", True],
            [16.0, "emrPatientInfo", "G02-P1", True],  # sent twice
            [13.0, "emrPatientInfo", "X-P9", True]]  # no institution's key


def test_every_record_once_per_institution(day: ModuleType) -> None:
    tags = {m.tag: m.org_code for m in day.members(3)}
    got = day.tally(_notes(), tags)
    assert (got["441890001"].stored, got["441890001"].requests) == (2, 2)
    assert (got["441890002"].stored, got["441890002"].requests) == (1, 3)
    assert got["441890002"].last_success == 16.0
    assert got["441890003"].requests == 0
    found = day.once({"441890001": 2, "441890002": 1, "441890003": 1},
                     {"441890001": 2, "441890002": 2, "441890003": 1}, got)
    assert found == {"missing": 1, "sent_twice": 1, "institutions_missing": ["441890003"],
                     "institutions_twice": ["441890002"], "strays": 1}
    clean = day.once({"441890001": 2}, {"441890001": 2},
                     day.tally(_notes()[:2], {"G01-": "441890001"}))
    assert clean == {"missing": 0, "sent_twice": 0, "institutions_missing": [],
                     "institutions_twice": [], "strays": 0}


def test_fairness_is_the_spread_of_completion_times(day: ModuleType) -> None:
    even = day.fairness({"a": 20.0, "b": 20.0, "c": 20.0})
    assert even["max_over_median"] == 1.0
    starved = day.fairness({"a": 10.0, "b": 12.0, "c": 36.0})
    assert (starved["min"], starved["median"], starved["max"]) == (10.0, 12.0, 36.0)
    assert starved["max_over_median"] == 3.0


def _run(**changes: Any) -> dict[str, Any]:
    run = {"institutions": 30, "records": 62880, "misrouted": 0, "held": 0, "missing": 0,
           "sent_twice": 0, "strays": 0, "institutions_missing": [],
           "institutions_twice": []}
    run |= {key: 10.0 for key in _module("group_day").SPREAD}
    return run | changes


def test_summary_takes_medians_and_sums_the_faults(day: ModuleType) -> None:
    runs = [_run(wall_s=90.0), _run(wall_s=100.0, sent_twice=2), _run(wall_s=130.0)]
    found = day.summarise(runs)
    assert found["wall_s"] == {"median": 100.0, "min": 90.0, "max": 130.0}
    assert (found["sent_twice"], found["missing"], found["runs"]) == (2, 0, 3)


def test_report_shows_the_group_and_says_when_not_once(day: ModuleType) -> None:
    report = _module("report")
    data = {"scale": "small", "latency_ms": 5.0, "concurrency": 4, "per_day": 2096,
            **day.summarise([_run(max_over_median=1.5)])}
    suite = {"started": "2026-12-05T22:00:00", "mode": "full", "runs": 1,
             "machine": {"nproc": 2, "cpu": "t", "memory_gib": 1, "python": "3.11",
                         "platform": "x", "load_before": [1.0, 1.0, 1.0]},
             "parts": {"group": {"exit": 0, "data": data}}}
    text = report.render(suite)
    assert "### Hospital group: 30 institutions on one gateway (`small` day each)" in text
    assert "62,880 records (2,096 per institution)" in text
    assert "| fairness: max / median completion | 1.50 |" in text
    assert "every record once" in text
    data["misrouted"] = 7
    assert "**not** once: misrouted 7" in report.render(suite)
    data["single"] = day.summarise([_run(max_over_median=1.0, cpu_s=4.0)])
    text = report.render(suite)
    assert "| figure | group: one lane per institution | the same records, one queue |" in text
    assert "| gateway CPU s | 10.0 | 4.0 |" in text
    assert "one worker): every record once." in text
    data |= {"county_scale": "medium", "county_records": 31000}
    text = report.render(suite)
    assert "(the county hospital a `medium` day of 31,000, each centre 2,096)" in text
    assert "one gateway (`small` day each, the first `medium`)" in text
