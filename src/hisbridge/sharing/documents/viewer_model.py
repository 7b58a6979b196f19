"""What the doctor's viewer shows, as pure functions: timeline groups and detail views.

Labels follow record-types.json (zh); each record type has a detail layout: labelled fields,
plus a table (lab items with abnormal flags, vaccination doses, physical-exam lab results).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from hisbridge.sharing.consent.platform import Document, IndexEntry

__all__ = ["CATEGORY_LABELS", "DetailView", "TimelineGroup", "detail_view", "timeline"]

CATEGORY_LABELS: dict[str, str] = {
    "VISIT": "既往诊疗",
    "LAB": "检验",
    "EXAM": "检查",
    "PHYSICAL_EXAM": "体检",
    "BLOOD": "献血用血",
    "VACCINATION": "疫苗接种",
}
_ORDER = tuple(CATEGORY_LABELS)

_FIELDS: dict[str, list[tuple[str, str]]] = {
    "visit_summary": [
        ("orgName", "医疗机构"),
        ("encounterType", "患者类型"),
        ("outpatientNo", "门(急)诊号"),
        ("deptName", "科室"),
        ("attendingDoctor", "责任医师"),
        ("visitReason", "就诊原因"),
        ("diagnoses", "西医诊断"),
        ("outcome", "病情转归"),
        ("keyDrugs", "关键药物"),
        ("historyAllergy", "过敏史"),
        ("insuranceType", "医疗保险类别"),
        ("outpatientCost", "门诊费用(元)"),
        ("selfPaid", "个人承担(元)"),
    ],
    "outpatient_record": [
        ("visitDateTime", "就诊日期时间"),
        ("firstVisitFlag", "初诊标志"),
        ("chiefComplaint", "主诉"),
        ("presentIllness", "现病史"),
        ("pastHistory", "既往史"),
        ("physicalExam", "体格检查"),
        ("diagnosisCode", "诊断代码"),
        ("diagnosisName", "诊断名称"),
        ("doctorName", "接诊医师"),
    ],
    "inpatient_discharge_summary": [
        ("inpatientNo", "住院号"),
        ("admissionDateTime", "入院日期时间"),
        ("dischargeDateTime", "出院日期时间"),
        ("lengthOfStay", "实际住院天数"),
        ("admissionCondition", "入院情况"),
        ("admissionDiagnoses", "入院诊断"),
        ("courseOfTreatment", "诊疗过程"),
        ("dischargeDiagnoses", "出院诊断"),
        ("dischargeCondition", "出院情况"),
        ("treatmentResult", "治疗结果"),
        ("dischargeOrders", "出院医嘱"),
        ("surgeries", "手术及操作"),
    ],
    "lab_report": [
        ("reportNo", "检验报告单编号"),
        ("labCategory", "检验类别"),
        ("specimenType", "标本类别"),
        ("collectedAt", "采样时间"),
        ("reportedAt", "报告时间"),
        ("reportOrg", "检验机构"),
        ("reportDept", "报告科室"),
        ("clinicalDiagnosis", "临床诊断"),
        ("reportConclusion", "检验结果"),
    ],
    "exam_report": [
        ("reportNo", "检查报告单编号"),
        ("examCategory", "检查类别"),
        ("examMethod", "检查方法"),
        ("bodySite", "检查部位"),
        ("findings", "检查所见"),
        ("impression", "检查提示"),
        ("reportOrg", "报告机构"),
        ("reportedAt", "报告时间"),
        ("reporter", "报告医师"),
    ],
    "physical_exam": [
        ("examNo", "体检编号"),
        ("examDate", "体检日期"),
        ("examOrg", "体检机构"),
        ("bodyTemperature", "体温(℃)"),
        ("pulseRate", "脉率(次/min)"),
        ("systolicBP", "收缩压(mmHg)"),
        ("diastolicBP", "舒张压(mmHg)"),
        ("height", "身高(cm)"),
        ("weight", "体重(kg)"),
        ("bmi", "体质指数"),
        ("waist", "腰围(cm)"),
        ("organSystemFindings", "各系统检查"),
        ("auxExams", "辅助检查"),
        ("summaryConclusion", "总检结论"),
        ("healthAdvice", "健康指导"),
    ],
    "blood_donation": [
        ("donationDateTime", "献血日期"),
        ("bloodStation", "采血机构"),
        ("collectionCategory", "采集血液类别"),
        ("volumeMl", "献血量(ml)"),
        ("aboGroup", "ABO血型"),
        ("rhD", "Rh(D)血型"),
        ("screeningResult", "检测结果"),
    ],
    "blood_transfusion": [
        ("transfusionDateTime", "输血日期时间"),
        ("abo", "ABO血型"),
        ("rh", "Rh(D)血型"),
        ("productType", "输血品种"),
        ("volume", "输血量"),
        ("volumeUnit", "计量单位"),
        ("indication", "输血指征"),
        ("reason", "输血原因"),
        ("nature", "输血性质"),
        ("reactionFlag", "输血反应"),
        ("processNote", "输血过程"),
        ("diagnosis", "疾病诊断"),
    ],
    "vaccination": [],
}
_TABLES: dict[str, tuple[str, list[tuple[str, str]]]] = {
    "lab_report": (
        "items",
        [
            ("itemName", "项目"),
            ("itemCode", "代码"),
            ("quantValue", "结果"),
            ("abnormalFlag", "提示"),
            ("unit", "单位"),
            ("referenceRange", "参考范围"),
        ],
    ),
    "physical_exam": (
        "labResults",
        [
            ("itemName", "项目"),
            ("quantValue", "结果"),
            ("abnormalFlag", "提示"),
            ("unit", "单位"),
            ("referenceRange", "参考范围"),
        ],
    ),
    "vaccination": (
        "doses",
        [
            ("vaccineName", "疫苗名称"),
            ("doseNo", "剂次"),
            ("vaccinationDate", "接种日期"),
            ("site", "接种部位"),
            ("route", "接种途径"),
            ("lotNo", "批号"),
            ("manufacturer", "生产厂商"),
            ("vaccinationOrg", "接种单位"),
        ],
    ),
}


@dataclass(frozen=True, slots=True)
class TimelineGroup:
    category: str
    label: str
    entries: tuple[IndexEntry, ...]


@dataclass(slots=True)
class DetailView:
    title: str
    org_name: str
    when: str
    category_label: str
    record_type: str
    fields: list[tuple[str, str]] = field(default_factory=list)
    table_columns: list[tuple[str, str]] = field(default_factory=list)
    table_rows: list[dict[str, Any]] = field(default_factory=list)
    highlight: str = ""  # e.g. blood group + volume for transfusions


def timeline(entries: Iterable[IndexEntry]) -> list[TimelineGroup]:
    """Entries grouped by category (fixed clinical order), newest first within a group."""
    groups: dict[str, list[IndexEntry]] = {}
    for entry in entries:
        groups.setdefault(entry.category, []).append(entry)
    ordered = sorted(groups, key=lambda c: _ORDER.index(c) if c in _ORDER else len(_ORDER))
    return [
        TimelineGroup(
            c,
            CATEGORY_LABELS.get(c, c),
            tuple(sorted(groups[c], key=lambda e: e.effective_time, reverse=True)),
        )
        for c in ordered
    ]


_ISO_TIME = re.compile(r"^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(:\d{2}(\.\d+)?)?([+-]\d{2}:\d{2})?$")


def _text(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, str) and (moment := _ISO_TIME.match(value)):
        return f"{moment.group(1)} {moment.group(2)}"
    if isinstance(value, list):
        return ";".join(_text(v) for v in value)
    if isinstance(value, dict):
        if "name" in value and "code" in value:
            return f"{value['name']}({value['code']})"
        return ",".join(_text(v) for v in value.values() if v not in (None, ""))
    return str(value)


def _rows(raw: Any, columns: Sequence[tuple[str, str]]) -> list[dict[str, Any]]:
    rows = []
    for item in raw if isinstance(raw, list) else []:
        row = {key: _text(item.get(key)) for key, _ in columns}
        row["_abnormal"] = item.get("abnormalFlag") or ""
        rows.append(row)
    return rows


def detail_view(document: Document) -> DetailView:
    """The readable layout of one document."""
    data, kind = document.structured, document.record_type
    view = DetailView(
        document.title,
        document.org_name,
        document.effective_time.strftime("%Y-%m-%d %H:%M"),
        CATEGORY_LABELS.get(document.category, document.category),
        kind,
    )
    known = _FIELDS.get(kind)
    pairs = known if known is not None else [(k, k) for k in data if not isinstance(data[k], list)]
    view.fields = [(label, _text(data.get(key))) for key, label in pairs if key in data]
    if kind in _TABLES:
        key, columns = _TABLES[kind]
        view.table_columns, view.table_rows = columns, _rows(data.get(key), columns)
    if kind == "blood_transfusion":
        view.highlight = (
            f"{_text(data.get('abo'))}型 Rh{_text(data.get('rh'))} · "
            f"{_text(data.get('productType'))} {_text(data.get('volume'))}"
            f"{_text(data.get('volumeUnit'))}"
        )
    elif kind == "blood_donation":
        view.highlight = (
            f"{_text(data.get('aboGroup'))}型 Rh{_text(data.get('rhD'))} · {_text(data.get('volumeMl'))}ml"
        )
    return view
