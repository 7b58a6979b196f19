"""Institutions as configuration (issue 21): the resolved list and the routing rule, as tables."""

from __future__ import annotations

import re

import pytest

from hisbridge.errors import ConfigError
from hisbridge.institutions import Routed, Unrouted, route
from hisbridge.settings import Settings

GROUP = {
    "frontend": {"base_url": "http://county-fe:8881", "org_code": "COUNTY"},
    "institutions": [
        {"org_code": "H01", "name": "县人民医院", "frontend": {"base_url": "http://h01-fe:8881"}},
        {"org_code": "T01", "name": "甲镇卫生院", "tables": ["emr_patient_info", "base_dept"],
         "gdhealth": {"partner_id": "P-T01"}},
        {"org_code": "T02", "name": "乙镇卫生院", "enabled": False},
    ],
}


def test_a_single_hospital_is_one_institution_from_the_top_level_sections() -> None:
    settings = Settings(frontend={"org_code": "440100001", "org_name": "一院"})
    (only,) = settings.institution_list()
    assert (only.org_code, only.name, only.enabled) == ("440100001", "一院", True)
    assert only.frontend == settings.frontend and only.gdhealth == settings.gdhealth
    assert len(only.tables) == 20


def test_each_institution_inherits_what_it_does_not_override() -> None:
    h01, t01, t02 = Settings(**GROUP).institution_list()
    assert h01.frontend.base_url == "http://h01-fe:8881"
    assert t01.frontend.base_url == t02.frontend.base_url == "http://county-fe:8881"
    assert (h01.frontend.org_code, t01.frontend.org_name) == ("H01", "甲镇卫生院")
    assert (t01.gdhealth.partner_id, t01.gdhealth.org_code) == ("P-T01", "T01")
    assert h01.gdhealth.partner_id == Settings().gdhealth.partner_id
    assert t01.tables == {"emr_patient_info", "base_dept"} and len(h01.tables) == 20


@pytest.mark.parametrize(("bad", "words"), [
    ([{"org_code": "A"}, {"org_code": "A"}], "org_code listed twice"),
    ([{"org_code": "A", "frontend": {"concurrency": 0}}], "institutions[0] (A).frontend"),
])
def test_a_wrong_group_is_refused_saying_where(bad: list[dict[str, object]], words: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(words)):
        Settings(institutions=bad).institution_list()


def test_an_unknown_table_is_refused_when_the_settings_load() -> None:
    with pytest.raises(ValueError, match="emr_nothing"):
        Settings(institutions=[{"org_code": "A", "tables": ["emr_nothing"]}])


@pytest.mark.parametrize(("table", "org", "expected"), [
    ("emr_patient_info", "H01", "H01"),
    ("emr_patient_info", " T01 ", "T01"),
    ("base_dept", "T01", "T01"),
    ("emr_order", "T01", "table_not_applicable"),
    ("emr_patient_info", "T02", "disabled_org"),
    ("emr_patient_info", "X99", "unknown_org"),
    ("emr_patient_info", "", "missing_org"),
    ("emr_patient_info", None, "missing_org"),
])
def test_a_record_goes_to_the_institution_it_names_or_is_held_with_a_reason(
        table: str, org: str | None, expected: str) -> None:
    found = route(table, {"org_code": org}, Settings(**GROUP).institution_list())
    if isinstance(found, Routed):
        assert found.institution.org_code == expected
    else:
        assert isinstance(found, Unrouted) and found.rule == expected
        assert found.zh and found.en and (org or "").strip() in found.zh


def test_one_institution_takes_every_record_whatever_its_code() -> None:
    institutions = Settings().institution_list()
    assert isinstance(route("emr_patient_info", {"org_code": "other"}, institutions), Routed)
    assert isinstance(route("emr_patient_info", {}, institutions), Routed)
