"""One document of the simulated record: its index entry (A9) and structured content (A10)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

__all__ = ["CATEGORY_OF", "DOC_CODES", "SimDocument"]

CATEGORY_OF = {
    "visit_summary": "VISIT",
    "outpatient_record": "VISIT",
    "inpatient_discharge_summary": "VISIT",
    "lab_report": "LAB",
    "exam_report": "EXAM",
    "physical_exam": "PHYSICAL_EXAM",
    "blood_donation": "BLOOD",
    "blood_transfusion": "BLOOD",
    "vaccination": "VACCINATION",
}
DOC_CODES = {
    "visit_summary": "C0001",
    "outpatient_record": "C0002",
    "inpatient_discharge_summary": "C0053",
    "lab_report": "C0007",
    "exam_report": "C0006",
    "physical_exam": "HSDC00.04",
    "blood_donation": "WS/T865",
    "blood_transfusion": "C0013",
    "vaccination": "HSDB03.01",
}


# name, code, unit, low, high, spread
@dataclass(frozen=True, slots=True)
class SimDocument:
    doc_id: str
    person_key: str
    record_type: str
    title: str
    org_code: str
    org_name: str
    dept_name: str
    encounter_type: str
    effective_time: datetime
    summary: str
    structured: dict[str, Any]

    @property
    def category(self) -> str:
        return CATEGORY_OF[self.record_type]

    def index_item(self) -> dict[str, Any]:
        return {
            "docId": self.doc_id,
            "category": self.category,
            "recordType": self.record_type,
            "docTypeSystem": "2.16.156.10011.2.4",
            "docTypeCode": DOC_CODES[self.record_type],
            "title": self.title,
            "orgCode": self.org_code,
            "orgName": self.org_name,
            "deptName": self.dept_name,
            "encounterType": self.encounter_type,
            "effectiveTime": self.effective_time.isoformat(),
            "summary": self.summary,
            "formats": ["JSON"],
            "sensitivity": "N",
        }
