"""Whole encounters: an outpatient or emergency visit, an admission, an inpatient's day."""

from __future__ import annotations

from datetime import datetime, timedelta

from hisbridge.simulators.his.clinical import (
    TREATMENT,
    Visit,
    death,
    diagnosis,
    exam,
    labs,
    merge,
    note,
    prescription,
    report_card,
    vitals,
)
from hisbridge.simulators.his.hospital import CLINICAL_DEPTS, Hospital, Row, Rows
from hisbridge.simulators.his.vocab import COMMON_DIAGNOSES, EXAMS, INFECTIOUS_DIAGNOSES

__all__ = ["admission", "inpatient_day", "outpatient"]

_OUT_DEPTS = [c for c in CLINICAL_DEPTS if c not in ("1602", "1302")]
_OUT_WEIGHTS = [6 if c in ("1001", "1301", "1503", "1004", "1601") else 2 for c in _OUT_DEPTS]
_INFECTIOUS_RATE = {"1501": 0.3, "1502": 0.5, "1503": 0.1, "1301": 0.05, "1001": 0.03}
_BASE_INFECTIOUS_RATE = 0.006
_REPORTED_SHARE = 0.7  # the rest have no report card, so the front-end's warnings fire
_WARDS = ("一病区", "二病区", "三病区", "四病区", "五病区", "六病区")
_CHARGE = ("ZG", "ZG", "JM", "JM", "ZF", "SY", "GF")


def _pick_diagnosis(h: Hospital, dept: str) -> tuple[str, str, bool]:
    if dept == "1502" and h.rng.random() < 0.5:
        return "A15.0", INFECTIOUS_DIAGNOSES["A15.0"], True
    if h.rng.random() < _INFECTIOUS_RATE.get(dept, _BASE_INFECTIOUS_RATE):
        code = h.rng.choice(list(INFECTIOUS_DIAGNOSES))
        return code, INFECTIOUS_DIAGNOSES[code], True
    code = h.rng.choice(list(COMMON_DIAGNOSES))
    return code, COMMON_DIAGNOSES[code], False


def _patient(h: Hospital, when: datetime, dept: str) -> Row:
    return h.people.patient(h.new_id("P"), when, child=dept in ("1301", "1302"))


def _clinical(h: Hospital, v: Visit, pat: Row, diag_type: str) -> Rows:
    """Diagnoses (+ report card), labs, exams and a prescription for one visit."""
    main = diagnosis(h, v, diag_type, 1, v.icd, v.diag_name)
    rows: Rows = {"diagnosis": [main]}
    if h.rng.random() < 0.35:
        code = h.rng.choice(list(COMMON_DIAGNOSES))
        rows["diagnosis"].append(diagnosis(h, v, diag_type, 2, code, COMMON_DIAGNOSES[code]))
    if v.infectious and h.rng.random() < _REPORTED_SHARE:
        rows["infect_report"] = [report_card(h, v, main, pat)]
    panels = []
    if v.infectious:
        panels.append(TREATMENT[v.icd][0])
    if h.rng.random() < 0.45 or v.visit_class == "I":
        panels += h.rng.sample(("CBC", "CBC", "CRP", "LFT", "GLU", "UA"), h.rng.randint(1, 2))
    if v.icd[:1] == "J" and h.rng.random() < 0.3:
        panels.append(h.rng.choice(("FLU", "NCOV")))
    merge(rows, labs(h, v, list(dict.fromkeys(panels))))
    if h.rng.random() < (0.4 if v.visit_class == "I" else 0.12):
        rows["exam_master"] = [exam(h, v, h.rng.choice(list(EXAMS)))]
    if h.rng.random() < 0.65 or v.infectious:
        merge(rows, prescription(h, v))
    return rows


def outpatient(h: Hospital, when: datetime) -> Rows:
    """One outpatient or emergency visit with everything the doctor saved."""
    emergency = h.rng.random() < 0.12
    dept = "1601" if emergency else h.visit_dept(h.rng.choices(_OUT_DEPTS, _OUT_WEIGHTS)[0])
    pat = _patient(h, when, dept)
    icd, name, infectious = _pick_diagnosis(h, dept)
    v = Visit(h.new_id("MZ"), pat["patient_id"], "E" if emergency else "O", dept,
              h.doctor(dept), when, icd, name, infectious)
    observed = emergency and h.rng.random() < 0.2
    obs_time = h.later(when, 30, 90)
    visit = {"visit_no": v.visit_no, "patient_id": v.patient_id,
             "visit_type": "2" if emergency else "1", "visit_dept": dept, "doctor": v.doctor,
             "visit_time": when, "first_visit": "1" if h.rng.random() < 0.7 else "2",
             "obs_flag": "1" if observed else "0",
             "obs_time": obs_time if observed else None,
             "charge_type": h.rng.choice(_CHARGE), "cancel_flag": "0", "modify_time": when}
    rows: Rows = {"pat_master_index": [pat], "clinic_master": [visit],
                  "emr_note": [note(h, v, "MZBL", when)]}
    if observed:
        rows["emr_note"].append(note(h, v, "LGJL", obs_time))
    return merge(rows, _clinical(h, v, pat, "1"))


def _stay(h: Hospital, pat: Row, inp_no: str, dept: str, admitted: datetime, when: datetime,
          ) -> Row:
    return {"inp_no": inp_no, "patient_id": pat["patient_id"], "visit_id": h.rng.randint(1, 3),
            "admission_time": admitted, "dept_admission_to": dept,
            "ward_name": h.rng.choice(_WARDS), "room_no": str(h.rng.randint(301, 330)),
            "bed_no": str(h.rng.randint(1, 48)), "attending_doctor": h.doctor(dept),
            "resident_doctor": h.doctor(dept), "discharge_time": None,
            "dept_discharge_from": None, "discharge_disposition": None,
            "charge_type": h.rng.choice(_CHARGE), "cancel_flag": "0", "modify_time": when}


def admission(h: Hospital, when: datetime) -> Rows:
    """A patient admitted today: admission record, first course note, orders, vitals."""
    dept = h.rng.choice([c for c in CLINICAL_DEPTS if c not in ("1503", "1601")])
    pat = _patient(h, when, dept)
    icd, name, infectious = _pick_diagnosis(h, dept)
    stay = _stay(h, pat, h.new_id("ZY", 5), dept, when, when)
    v = Visit(stay["inp_no"], pat["patient_id"], "I", dept, stay["resident_doctor"], when,
              icd, name, infectious)
    notes = [note(h, v, "RYJL", when), note(h, v, "SCBC", h.later(when, 60, 300))]
    rows: Rows = {"pat_master_index": [pat], "pat_visit": [stay], "emr_note": notes}
    late = when.replace(hour=23, minute=0) if when.hour < 22 else when
    rows["vital_signs_rec"] = vitals(h, v, tuple(x for x in (10, 14, 18, 22) if x > when.hour)
                                     or (late.hour,), dept == "1602")
    return merge(rows, _clinical(h, v, pat, "2"))


def inpatient_day(h: Hospital, when: datetime) -> Rows:
    """A patient admitted earlier: a daily course note, vitals, orders; some go home or die."""
    dept = h.rng.choice(CLINICAL_DEPTS)
    admitted = (when - timedelta(days=h.rng.randint(1, 12))).replace(hour=h.rng.randint(8, 20))
    pat = _patient(h, admitted, dept)
    icd, name, infectious = _pick_diagnosis(h, dept)
    inp_no = f"ZY{admitted:%Y%m%d}{50000 + h._next('ZYC'):05d}"
    stay = _stay(h, pat, inp_no, dept, admitted, when)  # the ward updates the stay every day
    v = Visit(inp_no, pat["patient_id"], "I", dept, stay["resident_doctor"], when, icd, name,
              infectious)
    rows: Rows = {"pat_master_index": [pat], "pat_visit": [stay],
                  "emr_note": [note(h, v, "RCBC", when)],
                  "vital_signs_rec": vitals(h, v, (6, 10, 14, 18), dept == "1602")}
    merge(rows, prescription(h, v))
    if h.rng.random() < 0.5:
        merge(rows, labs(h, v, ["CBC"]))
    fate = h.rng.random()
    if fate < 0.3:
        _discharge(h, v, stay, rows, died=fate < 0.01)
    return rows


def _discharge(h: Hospital, v: Visit, stay: Row, rows: Rows, died: bool) -> None:
    left = h.later(v.when, 60, 360)
    stay.update(discharge_time=left, dept_discharge_from=v.dept, modify_time=left,
                discharge_disposition="4" if died else "1")
    rows["emr_note"].append(note(h, v, "CYJL", left, outcome="死亡" if died else "好转"))
    rows.setdefault("diagnosis", []).append(diagnosis(h, v, "5", 1, v.icd, v.diag_name))
    if died:
        rows["death_record"] = [death(h, v, left)]
