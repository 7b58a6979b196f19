"""Rows of clinical activity for one visit: diagnoses, notes, labs, exams, orders, vitals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from hisbridge.simulators.his.hospital import Hospital, Row, Rows
from hisbridge.simulators.his.texts import exam_text, note_texts
from hisbridge.simulators.his.vocab import DRUGS, EXAMS, LAB_PANELS

__all__ = ["TREATMENT", "Visit", "death", "diagnosis", "exam", "labs", "merge", "note",
           "prescription", "report_card", "vitals"]

# infectious diagnosis -> (pathogen lab panel, drugs that treat it)
TREATMENT: dict[str, tuple[str, tuple[str, ...]]] = {
    "J10": ("FLU", ("Y0101", "Y0601")), "J11": ("FLU", ("Y0101", "Y0602")),
    "A09.0": ("NORO", ("Y1011",)), "B08.4": ("CBC", ("Y0603", "Y0103")),
    "A15.0": ("TB", ("Y0301", "Y0302", "Y0303", "Y0304")),
    "B18.1": ("HBV", ("Y0105",)), "B20": ("HIV", ("Y0401", "Y0402", "Y0403")),
    "A51.0": ("TP", ("Y0202",)), "U07.10": ("NCOV", ("Y0601", "Y0702")),
    "B65.2": ("CBC", ("Y0501",)), "A90": ("CBC", ("Y0601",)), "B26": ("CBC", ("Y0601",)),
    "A38": ("CBC", ("Y0201",)), "B01.90": ("CBC", ("Y0102",)),
}
_RESPIRATORY = ("Y0201", "Y0203", "Y0204", "Y0205", "Y0601", "Y0602", "Y0701", "Y0702",
                "Y0703", "Y0704", "Y0104", "Y0101")
_OTHER = tuple(code for code in DRUGS if code >= "Y1000")
_ROUTINE_PANELS = ("CBC", "CBC", "CRP", "LFT", "GLU", "UA")
_POSITIVE = ("阳性", "阳性", "弱阳性", "+")
_NEGATIVE = ("阴性", "阴性", "阴性", "-")


@dataclass(slots=True)
class Visit:
    """What every clinical row of one visit shares."""

    visit_no: str
    patient_id: str
    visit_class: str  # O outpatient, E emergency, I inpatient
    dept: str
    doctor: str
    when: datetime
    icd: str
    diag_name: str
    infectious: bool = False


def merge(target: Rows, more: Rows) -> Rows:
    for table, rows in more.items():
        target.setdefault(table, []).extend(rows)
    return target


def diagnosis(h: Hospital, v: Visit, diag_type: str, n: int, icd: str, name: str) -> Row:
    when = h.later(v.when, 3, 25)
    return {"diag_id": f"{v.visit_no}-{diag_type}{n}", "visit_no": v.visit_no,
            "visit_class": v.visit_class, "diag_type": diag_type, "diag_code": icd,
            "diag_desc": name, "main_flag": "1" if n == 1 else "0", "doctor": v.doctor,
            "diag_time": when, "del_flag": "0", "modify_time": when}


def report_card(h: Hospital, v: Visit, diag: Row, pat: Row) -> Row:
    when = h.later(diag["diag_time"], 5, 90)
    onset = (v.when - timedelta(days=h.rng.randint(1, 6))).replace(hour=0, minute=0, second=0)
    return {"report_id": h.new_id("BK", 5), "diag_id": diag["diag_id"], "visit_no": v.visit_no,
            "patient_id": v.patient_id, "disease_code": v.icd, "disease_name": v.diag_name,
            "case_class": h.rng.choice(("临床", "确诊", "确诊", "疑似")), "onset_date": onset,
            "diagnose_time": diag["diag_time"], "occupation": pat["occupation"],
            "report_doctor": v.doctor, "report_time": when, "status": "1", "modify_time": when}


def note(h: Hospital, v: Visit, note_type: str, when: datetime, outcome: str = "") -> Row:
    texts = note_texts(h.rng, v.icd, v.diag_name)
    saved = h.later(when, 5, 40)
    return {"note_id": h.new_id("N", 7),
            "visit_no": v.visit_no, "note_type": note_type, **texts,
            "content": f"{texts['chief_complaint']}。{texts['present_illness']}",
            "allergy_flag": "1" if h.rng.random() < 0.08 else "0", "outcome": outcome,
            "author": v.doctor, "create_time": saved, "del_flag": "0", "modify_time": saved}


def _result(h: Hospital, item: tuple[str, str, str, str, str, str], positive: bool) -> Row:
    code, name, unit, low, high, kind = item
    if kind == "qual":
        qual = h.rng.choice(_POSITIVE if positive else _NEGATIVE)
        return {"item_code": code, "item_name": name, "result": qual, "units": unit,
                "ref_low": low, "ref_high": high, "abnormal_ind": "H" if positive else "N",
                "qual_result": qual}
    lo, hi = float(low), float(high)
    value = round(h.rng.uniform(lo * 0.7, hi * 1.3 + 1), 1)
    flag = "L" if value < lo else "H" if value > hi else "N"
    return {"item_code": code, "item_name": name, "result": str(value), "units": unit,
            "ref_low": low, "ref_high": high, "abnormal_ind": flag, "qual_result": None}


def labs(h: Hospital, v: Visit, panels: list[str]) -> Rows:
    rows: Rows = {"lab_test_master": [], "lab_result": []}
    for panel in panels:
        test_name, specimen, items = LAB_PANELS[panel]
        test_no = h.new_id("L", 7)
        requested = h.later(v.when, 5, 30)
        sampled = h.later(requested, 5, 30)
        reported = h.later(sampled, 30, 180)
        positive = v.infectious and panel == TREATMENT.get(v.icd, ("", ()))[0]
        rows["lab_test_master"].append({
            "test_no": test_no, "patient_id": v.patient_id, "visit_no": v.visit_no,
            "visit_class": v.visit_class, "test_name": test_name, "specimen": specimen,
            "ordering_dept": v.dept, "ordering_doctor": v.doctor, "requested_time": requested,
            "sample_time": sampled, "receive_time": h.later(sampled, 3, 20),
            "report_time": reported, "reporter": h.doctor("2001"), "lab_dept": "2001",
            "result_status": "F", "modify_time": reported})
        for i, item in enumerate(items, start=1):
            hit = positive or (item[5] == "qual" and h.rng.random() < 0.03)
            rows["lab_result"].append({
                "result_id": f"{test_no}-{i:02d}", "test_no": test_no, **_result(h, item, hit),
                "result_time": reported, "modify_time": reported})
    return rows


def exam(h: Hospital, v: Visit, exam_class: str) -> Row:
    name = EXAMS[exam_class][0]
    seen, said, abnormal = exam_text(h.rng, exam_class)
    reported = h.later(v.when, 40, 240)
    return {"exam_no": h.new_id("E"), "patient_id": v.patient_id, "visit_no": v.visit_no,
            "visit_class": v.visit_class, "exam_class": exam_class, "exam_sub_class": name,
            "req_dept": v.dept, "req_doctor": v.doctor, "req_time": h.later(v.when, 5, 30),
            "description": seen, "impression": said, "abnormal": abnormal,
            "report_time": reported, "reporter": h.doctor("2002"),
            "exam_dept": "2004" if exam_class == "BL" else "2003" if exam_class == "US" else "2002",
            "modify_time": reported}


def _drugs_for(h: Hospital, v: Visit) -> list[str]:
    if v.icd in TREATMENT:
        return list(TREATMENT[v.icd][1])
    pool = _RESPIRATORY if v.icd[:1] in "JR" else _OTHER
    picked = h.rng.sample(pool, h.rng.randint(1, 3))
    if h.rng.random() < 0.5:
        picked.append(h.rng.choice(_OTHER))
    return list(dict.fromkeys(picked))


def prescription(h: Hospital, v: Visit) -> Rows:
    presc_no = h.new_id("RX", 7)
    when = h.later(v.when, 10, 50)
    master = {"presc_no": presc_no, "patient_id": v.patient_id, "visit_no": v.visit_no,
              "visit_class": v.visit_class, "presc_type": "1", "presc_date": when,
              "doctor": v.doctor, "dispenser": h.doctor("2005"), "dept": v.dept,
              "del_flag": "0", "modify_time": when}
    details = []
    for i, code in enumerate(_drugs_for(h, v), start=1):
        name, spec, unit, dose, _ = DRUGS[code]
        details.append({"detail_id": f"{presc_no}-{i}", "presc_no": presc_no, "item_no": i,
                        "drug_code": code, "drug_name": name, "drug_spec": spec,
                        "dosage": dose, "dosage_units": unit, "amount": str(h.rng.randint(1, 6)),
                        "frequency": h.rng.choice(("qd", "bid", "tid")),
                        "administration": h.rng.choice(("口服", "静滴", "口服")),
                        "modify_time": when})
    return {"presc_master": [master], "presc_detail": details}


def vitals(h: Hospital, v: Visit, hours: tuple[int, ...], icu: bool) -> list[Row]:
    rows = []
    for hour in hours:
        at = v.when.replace(hour=hour, minute=h.rng.randint(0, 20), second=0)
        rows.append({"rec_id": f"V{h.tag}{v.visit_no}{hour:02d}", "inp_no": v.visit_no,
                     "patient_id": v.patient_id, "time_point": at,
                     "temperature": round(h.rng.uniform(36.0, 39.2), 1),
                     "pulse": h.rng.randint(58, 120), "breath": h.rng.randint(14, 28),
                     "blood_pressure": f"{h.rng.randint(95, 160)}/{h.rng.randint(55, 95)}",
                     "icu_flag": "Y" if icu else "N",
                     "ventilator_flag": "Y" if icu and h.rng.random() < 0.4 else "N",
                     "ward_dept": v.dept, "nurse": h.doctor("3003"),
                     "modify_time": at + timedelta(minutes=5)})
    return rows


def death(h: Hospital, v: Visit, when: datetime) -> Row:
    return {"death_id": h.new_id("SW", 4), "patient_id": v.patient_id, "visit_no": v.visit_no,
            "visit_class": v.visit_class, "death_time": when, "direct_cause_code": "R57.000",
            "direct_cause": "休克", "death_diag_code": v.icd, "death_diag": v.diag_name,
            "course_summary": "入院后予积极抢救，病情持续恶化，抢救无效宣告临床死亡。",
            "doctor": v.doctor, "dept": v.dept, "modify_time": h.later(when, 10, 60)}
