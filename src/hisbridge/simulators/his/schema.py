"""The synthetic HIS's tables, in the style of a domestic hospital system (HIS 3.0 lineage).

Names follow what Chinese hospital engineers meet in the field (``pat_master_index``,
``clinic_master``, ``pat_visit``, ``lab_test_master``...), with local codes and local text
values (sex stored as 男/女, departments as four-digit local codes). None of it matches the
national tables: bridging that gap is the mapping's job.
"""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Index, MetaData, Numeric, String, Table, Text

__all__ = ["his_metadata"]

his_metadata = MetaData()


def _s(name: str, length: int = 40, **kw: object) -> Column[str]:
    return Column(name, String(length), **kw)  # type: ignore[arg-type]


def _t(name: str) -> Column[object]:
    return Column(name, DateTime)


def _modified(table: str) -> tuple[Column[object], Index]:
    return _t("modify_time"), Index(f"ix_{table}_modify_time", "modify_time")


# org_code: the institution a department belongs to in a county group's HIS (NULL in a single
# hospital's); org_dict lists the institutions and staff_org links staff to each they work in.
Table("dept_dict", his_metadata,
      _s("dept_code", 10, primary_key=True), _s("dept_name", 60), _s("dept_attr", 1),
      _s("parent_code", 10), _t("input_date"), _s("stop_flag", 1), _s("org_code", 20),
      *_modified("dept_dict"))

Table("org_dict", his_metadata,
      _s("org_code", 20, primary_key=True), _s("org_name", 100), _s("org_type", 10),
      *_modified("org_dict"))

Table("area_dict", his_metadata,
      _s("area_code", 12, primary_key=True), _s("area_name", 100), *_modified("area_dict"))

Table("staff_dict", his_metadata,
      _s("emp_no", 20, primary_key=True), _s("name", 40), _s("login_name", 40),
      _s("id_no", 20), _s("phone", 20), _s("job", 10), _s("title", 20), _s("cert_no", 30),
      _t("create_time"), _s("stop_flag", 1), *_modified("staff_dict"))

Table("staff_dept", his_metadata,
      _s("emp_no", 20, primary_key=True), _s("dept_code", 10, primary_key=True),
      _s("link_id", 32),
      _s("main_flag", 1), *_modified("staff_dept"))

Table("staff_org", his_metadata,
      _s("link_id", 48, primary_key=True), _s("emp_no", 20), _s("org_code", 20),
      _s("dept_code", 10), _s("main_flag", 1), *_modified("staff_org"))

Table("pat_master_index", his_metadata,
      _s("patient_id", 20, primary_key=True), _s("name", 40), _s("sex", 4),
      Column("date_of_birth", DateTime), _s("id_type", 20), _s("id_no", 30), _s("nation", 20),
      _s("citizenship", 10), _s("area_code", 12), _s("native_area_code", 12),
      _s("mailing_address", 200), _s("native_address", 200), _s("phone", 30),
      _s("next_of_kin", 40), _s("next_of_kin_phone", 30), _s("unit_name", 200),
      _s("marital_status", 10), _s("education", 20), _s("occupation", 10),
      _t("create_time"), *_modified("pat_master_index"))

Table("clinic_master", his_metadata,
      _s("visit_no", 24, primary_key=True), _s("patient_id", 20), _s("visit_type", 1),
      _s("visit_dept", 10), _s("doctor", 20), _t("visit_time"), _s("first_visit", 1),
      _s("obs_flag", 1), _t("obs_time"), _s("charge_type", 10), _s("cancel_flag", 1),
      *_modified("clinic_master"))

Table("pat_visit", his_metadata,
      _s("inp_no", 24, primary_key=True), _s("patient_id", 20), Column("visit_id", Numeric(4)),
      _t("admission_time"), _s("dept_admission_to", 10), _s("ward_name", 40),
      _s("room_no", 10), _s("bed_no", 10), _s("attending_doctor", 20),
      _s("resident_doctor", 20), _t("discharge_time"), _s("dept_discharge_from", 10),
      _s("discharge_disposition", 4), _s("charge_type", 10), _s("cancel_flag", 1),
      *_modified("pat_visit"))

Table("diagnosis", his_metadata,
      _s("diag_id", 24, primary_key=True), _s("visit_no", 24), _s("visit_class", 1),
      _s("diag_type", 2), _s("diag_code", 20), _s("diag_desc", 200), _s("main_flag", 1),
      _s("doctor", 20), _t("diag_time"), _s("del_flag", 1), *_modified("diagnosis"),
      Index("ix_diagnosis_visit_no", "visit_no"))

Table("infect_report", his_metadata,
      _s("report_id", 24, primary_key=True), _s("diag_id", 24), _s("visit_no", 24),
      _s("patient_id", 20), _s("disease_code", 20), _s("disease_name", 100),
      _s("case_class", 10), Column("onset_date", DateTime), _t("diagnose_time"),
      _s("occupation", 10), _s("report_doctor", 20), _t("report_time"), _s("status", 2),
      *_modified("infect_report"))

Table("emr_note", his_metadata,
      _s("note_id", 24, primary_key=True), _s("visit_no", 24), _s("note_type", 4),
      Column("chief_complaint", Text), Column("present_illness", Text),
      Column("past_history", Text), Column("physical_exam", Text), Column("aux_exam", Text),
      Column("diag_text", Text), Column("treat_plan", Text), Column("content", Text),
      _s("allergy_flag", 1), _s("outcome", 4), _s("author", 20), _t("create_time"),
      _s("del_flag", 1), *_modified("emr_note"), Index("ix_emr_note_visit_no", "visit_no"))

Table("lab_test_master", his_metadata,
      _s("test_no", 24, primary_key=True), _s("patient_id", 20), _s("visit_no", 24),
      _s("visit_class", 1), _s("test_name", 60), _s("specimen", 10), _s("ordering_dept", 10),
      _s("ordering_doctor", 20), _t("requested_time"), _t("sample_time"), _t("receive_time"),
      _t("report_time"), _s("reporter", 20), _s("lab_dept", 10), _s("result_status", 2),
      *_modified("lab_test_master"))

Table("lab_result", his_metadata,
      _s("result_id", 28, primary_key=True), _s("test_no", 24), _s("item_code", 20),
      _s("item_name", 60), _s("result", 40), _s("units", 20), _s("ref_low", 20),
      _s("ref_high", 20), _s("abnormal_ind", 4), _s("qual_result", 20), _t("result_time"),
      *_modified("lab_result"), Index("ix_lab_result_test_no", "test_no"))

Table("lab_item_dict", his_metadata,
      _s("item_code", 20, primary_key=True), _s("item_name", 60), _s("units", 20),
      _s("ref_low", 20), _s("ref_high", 20), _s("item_kind", 10), *_modified("lab_item_dict"))

Table("exam_master", his_metadata,
      _s("exam_no", 24, primary_key=True), _s("patient_id", 20), _s("visit_no", 24),
      _s("visit_class", 1), _s("exam_class", 10), _s("exam_sub_class", 40),
      _s("req_dept", 10), _s("req_doctor", 20), _t("req_time"), Column("description", Text),
      Column("impression", Text), _s("abnormal", 1), _t("report_time"), _s("reporter", 20),
      _s("exam_dept", 10), *_modified("exam_master"))

Table("drug_dict", his_metadata,
      _s("drug_code", 20, primary_key=True), _s("drug_name", 60), _s("drug_spec", 40),
      _s("dose_unit", 10), _s("atc_code", 10), *_modified("drug_dict"))

Table("presc_master", his_metadata,
      _s("presc_no", 24, primary_key=True), _s("patient_id", 20), _s("visit_no", 24),
      _s("visit_class", 1), _s("presc_type", 1), _t("presc_date"), _s("doctor", 20),
      _s("dispenser", 20), _s("dept", 10), _s("del_flag", 1), *_modified("presc_master"))

Table("presc_detail", his_metadata,
      _s("detail_id", 28, primary_key=True), _s("presc_no", 24), Column("item_no", Numeric(3)),
      _s("drug_code", 20), _s("drug_name", 60), _s("drug_spec", 40), _s("dosage", 10),
      _s("dosage_units", 10), _s("amount", 10), _s("frequency", 20), _s("administration", 20),
      *_modified("presc_detail"), Index("ix_presc_detail_presc_no", "presc_no"))

Table("vital_signs_rec", his_metadata,
      _s("rec_id", 28, primary_key=True), _s("inp_no", 24), _s("patient_id", 20),
      _t("time_point"), Column("temperature", Numeric(4, 1)), Column("pulse", Numeric(3)),
      Column("breath", Numeric(3)), _s("blood_pressure", 10), _s("icu_flag", 1),
      _s("ventilator_flag", 1), _s("ward_dept", 10), _s("nurse", 20),
      *_modified("vital_signs_rec"))

Table("death_record", his_metadata,
      _s("death_id", 24, primary_key=True), _s("patient_id", 20), _s("visit_no", 24),
      _s("visit_class", 1), _t("death_time"), _s("direct_cause_code", 20),
      _s("direct_cause", 100), _s("death_diag_code", 20), _s("death_diag", 100),
      Column("course_summary", Text), _s("doctor", 20), _s("dept", 10),
      *_modified("death_record"))
