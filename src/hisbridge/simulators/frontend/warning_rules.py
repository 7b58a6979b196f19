"""Pure rules of the warning engine: which diagnoses are notifiable, which lab items are
positive pathogen findings, and the wording of each message.

No I/O and no clock: the engine passes the records and the time in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from hisbridge.dictionary import Dictionary
from hisbridge.privacy import mask_name

__all__ = [
    "FALLBACK_CODES",
    "MISSED_REPORT",
    "PATHOGEN_POSITIVE",
    "REPORT_RECEIVED",
    "NotifiableCodes",
    "diagnosis_codes",
    "is_positive_pathogen",
    "message_text",
    "notifiable_diagnoses",
]

MISSED_REPORT, PATHOGEN_POSITIVE, REPORT_RECEIVED = (
    "missed_report", "pathogen_positive", "report_received",
)
TITLES: Mapping[str, str] = {
    MISSED_REPORT: "传染病漏报提醒",
    PATHOGEN_POSITIVE: "病原学阳性提醒",
    REPORT_RECEIVED: "报告卡已接收",
}
LEVELS: Mapping[str, str] = {MISSED_REPORT: "high", PATHOGEN_POSITIVE: "medium",
                             REPORT_RECEIVED: "info"}

# Catch-all codes integrators fall back to (XA: D49.9 其它); they name no disease.
FALLBACK_CODES = frozenset({"D49.9", "H95.9", "L99.9", "R94.9", "B99", "B99.0", "U99"})
_POSITIVE_CODES = frozenset({"01", "04", "05", "06"})  # 阳性, 强阳性, 弱阳性, 检出
_PATHOGEN_WORDS = re.compile(
    "病毒|细菌|杆菌|球菌|真菌|衣原体|支原体|螺旋体|立克次|原虫|疟原虫|病原|核酸|抗原|抗体|培养|涂片|HIV|HBsAg"
)
_NOT_POSITIVE = re.compile("阴性|未检出")


def _clean(code: str) -> str:
    return code.strip().rstrip("+").upper()


class NotifiableCodes:
    """The notifiable infectious diseases, matched on ICD-10 code prefixes.

    Built from the ``infectious_disease_icd10`` code set and the infectious (A00–B99) rows of
    the front-end's own disease table; ``A15`` covers ``A15.0`` and ``A15.001x``.
    """

    def __init__(self, labels: Mapping[str, str]) -> None:
        self.labels = {_clean(c): label for c, label in labels.items() if _clean(c)}
        # A bare category (A15) is notifiable when a notifiable code lies under it; only in the
        # infectious chapter, where a category never mixes notifiable and other diseases.
        self.categories: dict[str, str] = {}
        for code, label in self.labels.items():
            if code[:1] in "AB":
                self.categories.setdefault(code[:3], label)

    @classmethod
    def from_dictionary(cls, dictionary: Dictionary) -> NotifiableCodes:
        labels: dict[str, str] = {}
        table = dictionary.code_set("front_end_disease_code_table")
        for code, label in (table.codes.items() if table else ()):
            if re.fullmatch(r"[AB]\d{2}(\.[0-9A-Za-z]+)?\+?", code):
                labels[code] = label
        icd = dictionary.code_set("infectious_disease_icd10")
        labels.update(icd.codes if icd else {})
        return cls({c: v for c, v in labels.items() if _clean(c) not in FALLBACK_CODES})

    def match(self, code: str) -> str | None:
        """The disease label if ``code`` is (under) a notifiable code, else None."""
        code = _clean(code)
        if len(code) == 3 and code in self.categories:
            return self.categories[code]
        while code:
            label = self.labels.get(code)
            if label is not None:
                return label
            code = _parent(code)
        return None


def _parent(code: str) -> str:
    """``A15.001`` -> ``A15.00`` -> ``A15.0`` -> ``A15`` -> ``""``."""
    if len(code) <= 3:
        return ""
    parent = code[:-1]
    return parent[:-1] if parent.endswith(".") else parent


def diagnosis_codes(record: Mapping[str, Any]) -> list[str]:
    """The diagnosis codes of a visit: ``disease_code`` and each ``||`` part of
    ``wm_disease_code``."""
    codes: list[str] = []
    for name in ("disease_code", "wm_disease_code"):
        value = record.get(name)
        if value:
            codes.extend(part.strip() for part in str(value).split("||") if part.strip())
    return codes


def notifiable_diagnoses(
    record: Mapping[str, Any], codes: NotifiableCodes
) -> list[tuple[str, str]]:
    """(code, disease label) for every notifiable diagnosis of a visit, in order, no repeats."""
    found: dict[str, str] = {}
    for code in diagnosis_codes(record):
        label = codes.match(code)
        if label is not None:
            found.setdefault(code, label)
    return list(found.items())


def is_positive_pathogen(item: Mapping[str, Any], pathogen_codes: Iterable[str]) -> bool:
    """A lab item whose result is positive and whose item is a pathogen test."""
    code = str(item.get("examination_result_code") or "")
    text = str(item.get("examination_result_name") or "")
    positive = code in _POSITIVE_CODES or ("阳性" in text and not _NOT_POSITIVE.search(text))
    if not positive:
        return False
    item_code = str(item.get("item_code") or "")
    name = str(item.get("item_name") or "")
    return item_code in pathogen_codes or bool(_PATHOGEN_WORDS.search(name))


def message_text(kind: str, facts: Mapping[str, Any]) -> str:
    """The message body a doctor reads (patient names masked)."""
    patient = mask_name(str(facts.get("patient_name") or "")) or "（未知姓名）"
    visit = facts.get("serial_number") or "-"
    if kind == MISSED_REPORT:
        minutes = max(1, round(float(facts.get("delay_s", 0)) / 60))
        return (f"患者 {patient}（就诊流水号 {visit}）诊断为{facts['disease']}"
                f"（{facts['code']}），{minutes} 分钟内未收到传染病报告卡，请及时填报。")
    if kind == PATHOGEN_POSITIVE:
        return (f"患者 {patient}（就诊流水号 {visit}）检验项目「{facts.get('item_name') or '-'}」"
                f"结果为{facts.get('result') or '阳性'}，请关注是否需要报告传染病。")
    disease = facts.get("disease") or "-"
    return f"患者 {patient}（就诊流水号 {visit}）的传染病报告卡（{disease}）已接收。"

