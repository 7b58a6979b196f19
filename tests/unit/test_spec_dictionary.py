"""The package's dictionary holds the 20 tables as the reconstruction describes them."""

from __future__ import annotations

import pytest

from hisbridge.dictionary import load_dictionary
from hisbridge.errors import UnknownTable

EXPECTED = {
    "emr_patient_info": "emrPatientInfo", "emr_activity_info": "emrActivityInfo",
    "emr_inf_report": "emrInfReport", "emr_outpatient_record": "emrOutpatientRecord",
    "emr_outpatient_obs": "emrOutpatientObs", "emr_admission_info": "emrAdmissionInfo",
    "emr_first_course": "emrFirstCourse", "emr_daily_course": "emrDailyCourse",
    "emr_admission_record": "emrAdmissionRecord", "emr_discharge_info": "emrDischargeInfo",
    "emr_ex_clinical": "emrExClinical", "emr_ex_clinical_item": "emrExClinicalItem",
    "emr_ex_lab": "emrExLab", "emr_ex_lab_item": "emrExLabItem", "emr_order": "emrOrder",
    "emr_order_item": "emrOrderItem", "emr_death_info": "emrDeathInfo",
    "emr_vital_signs_record": "emrVitalSignsRecord", "base_user": "baseUser",
    "base_dept": "baseDept",
}


def test_twenty_tables_with_their_api_paths() -> None:
    d = load_dictionary()
    assert {t.name: t.camel_name for t in d} == EXPECTED
    for t in d:
        assert t.api_path == f"/hclient/emr/receive/{EXPECTED[t.name]}"


@pytest.mark.parametrize(("name", "group"), [
    ("emr_patient_info", "realtime"), ("emr_activity_info", "realtime"),
    ("emr_inf_report", "realtime"), ("emr_ex_lab", "t0"), ("base_user", "base"),
])
def test_groups(name: str, group: str) -> None:
    assert load_dictionary().table(name).group == group


@pytest.mark.parametrize(("child", "field", "parent"), [
    ("emr_activity_info", "patient_id", "emr_patient_info"),
    ("emr_ex_lab_item", "ex_lab_id", "emr_ex_lab"),
    ("emr_ex_clinical_item", "ex_clinical_id", "emr_ex_clinical"),
    ("emr_order_item", "order_id", "emr_order"),
])
def test_parent_keys(child: str, field: str, parent: str) -> None:
    keys = load_dictionary().table(child).parent_keys
    assert [(k.field, k.table, k.column) for k in keys] == [(field, parent, "id")]


def test_base_dept_is_keyed_by_dept_code_and_cannot_be_deleted() -> None:
    t = load_dictionary().table("base_dept")
    assert t.primary_key == "dept_code"
    assert not t.can_delete


def test_every_field_has_a_label_type_and_known_code_set() -> None:
    d = load_dictionary()
    for t in d:
        for f in t.fields:
            assert f.label_zh and f.camel and f.type in ("varchar", "text", "datetime", "date")
            if f.code_set:
                cs = d.code_set(f.code_set)
                assert cs is not None and (cs.codes or cs.pattern), (t.name, f.name)


def test_lookup_by_camel_name_and_unknown_table() -> None:
    d = load_dictionary()
    assert d.table("emrExLabItem").name == "emr_ex_lab_item"
    with pytest.raises(UnknownTable) as err:
        d.table("emr_nothing")
    assert "emr_patient_info" in str(err.value)


def test_code_sets_carry_labels() -> None:
    d = load_dictionary()
    assert d.code_set("gender").codes["1"] == "男"
    assert d.code_set("id_card_type").codes["01"] == "居民身份证"
    assert d.code_set("department").codes
