"""The record validator, compiled once per table from the dictionary.

No pydantic model per row: each table becomes a mapping from field name to a small list of
check functions, and ``validate`` walks only the keys a record carries plus the required ones.
It never raises on any input; everything wrong comes back as a list of ``Violation`` values.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from hisbridge.dictionary.catalog import Dictionary, load_dictionary
from hisbridge.dictionary.hints import required_hint
from hisbridge.dictionary.idcard import IdCardInfo, parse_id_card
from hisbridge.dictionary.model import FieldSpec, TableSpec
from hisbridge.dictionary.screen import Check, FieldScreen, Test, passes, plain_date, plain_datetime
from hisbridge.dictionary.violations import RULE_HINTS, Severity, Violation
from hisbridge.privacy import mask_field

__all__ = ["DATE_TIME_RE", "Mode", "Validator", "age_at_visit", "has_errors", "normalize_key"]

Mode = Literal["lenient", "strict"]

_DATETIME_RE = re.compile(r"(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})")
_DATE_RE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
DATE_TIME_RE = re.compile(r"(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(\.\d+)?")
_CHILD_AGE = 14  # contacts (the guardian) are required for patients aged 14 or younger
_CONTACTS = ("contacts", "contacts_tel")
_VISIT_DATES = ("operation_time", "report_date", "diagnose_time", "onset_date")
_INT_RE = re.compile(r"[+-]?\d{1,18}")
_DECIMAL_RE = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
_RESIDENT_ID_TYPE = "01"
_DATE_HINT = ("应为真实存在的日期 yyyy-MM-dd，例如 1990-05-17；日期本身有误时请在 HIS 中更正",
              "a real date as yyyy-MM-dd, for example 1990-05-17; correct a wrong date in the HIS")
_SHOWN_CHARS = 40
# C0 controls, DEL and C1 controls; tab, line feed and carriage return are kept in free text.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_KEY_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def normalize_key(key: str) -> str:
    """The lenient key form the front-end matches on: lower case, no underscores."""
    return key.replace("_", "").lower()


def has_errors(violations: list[Violation]) -> bool:
    return any(v.severity == "error" for v in violations)


def _shown(field: str, value: Any) -> str | None:
    if value is None:
        return None
    masked = mask_field(field, value if isinstance(value, str) else str(value))
    text = str(masked)
    return text if len(text) <= _SHOWN_CHARS else text[:_SHOWN_CHARS] + f"…（共{len(text)}字）"


class _TableChecks:
    """Everything needed to validate records of one table in one mode."""

    def __init__(self, dictionary: Dictionary, table: TableSpec, mode: Mode) -> None:
        self.table = table
        self.mode = mode
        self.dq_severity: Severity = "error" if mode == "strict" else "warning"
        self.fields = {f.name: f for f in table.fields}
        self.by_normal = {normalize_key(f.name): f for f in table.fields}
        parent_fields = {p.field for p in table.parent_keys}
        self.parents = tuple(self.fields[p] for p in sorted(parent_fields) if p in self.fields)
        self.required = tuple(
            f for f in table.fields if f.required_in(mode) and f.name not in parent_fields
        )
        self.required_names = frozenset(f.name for f in (*self.parents, *self.required))
        self.id_card = self.fields.get("id_card")
        self.guardian_rule = mode == "strict" and "contacts" in self.fields
        self.keys = frozenset({table.primary_key, *parent_fields})
        self.checks: dict[str, list[Check]] = {}
        tests: dict[str, list[Test]] = {}
        coded: dict[str, Mapping[str, str]] = {}
        for f in table.fields:
            self.checks[f.name], tests[f.name], codes = self._compile(dictionary, f)
            if codes is not None:
                coded[f.name] = codes
        self.screen = FieldScreen(table, self.keys, tests, coded)

    def violation(
        self, field: FieldSpec | str, rule: str, value: Any, zh: str, en: str,
        severity: Severity = "error",
    ) -> Violation:
        name = field if isinstance(field, str) else field.name
        label = "" if isinstance(field, str) else field.label_zh
        base_zh, base_en = RULE_HINTS[rule]
        return Violation(
            self.table.name, name, label, rule, severity, _shown(name, value),
            f"{base_zh}：{zh}" if zh else base_zh, f"{base_en}: {en}" if en else base_en,
        )

    def _compile(self, dictionary: Dictionary, f: FieldSpec
                 ) -> tuple[list[Check], list[Test], Mapping[str, str] | None]:
        """The field's checks in order; the screen's tests of its format and code; and its code
        list when its code set is all there is to test."""
        checks: list[Check] = []
        tests: list[Test] = []
        if f.type == "datetime":
            checks.append(self._datetime_check(f))
            tests.append(plain_datetime)
        elif f.type == "date":
            checks.append(self._date_check(f))
            tests.append(plain_date)
        elif f.type in ("int", "decimal"):
            checks.append(self._number_check(f))
            tests.append(passes(checks[-1]))
        if f.length:
            checks.append(self._length_check(f, f.length))
        code_set = dictionary.code_set(f.code_set)
        codes = None
        if code_set is not None and (code_set.codes or code_set.pattern):
            codes = None if tests else code_set.codes
            checks.append(self._code_check(f, code_set.codes, code_set.pattern, code_set.name_zh))
            tests.append(passes(checks[-1]))
        return checks, tests, codes

    def _datetime_check(self, f: FieldSpec) -> Check:
        def check(text: str, out: list[Violation]) -> None:
            m = _DATETIME_RE.fullmatch(text)
            try:
                ok = m is not None and bool(datetime(*map(int, m.groups())))  # type: ignore[arg-type]
            except ValueError:
                ok = False
            if not ok:
                out.append(self.violation(f, "datetime", text, "例如 2026-03-01 08:30:00",
                                          "for example 2026-03-01 08:30:00"))
        return check

    def _date_check(self, f: FieldSpec) -> Check:
        def check(text: str, out: list[Violation]) -> None:
            m = _DATE_RE.fullmatch(text)
            if m is None and _valid(DATE_TIME_RE.fullmatch(text)):
                out.append(self._datetime_in_date(f, text))
                return
            if not _valid(m):
                out.append(self.violation(f, "date", text, _DATE_HINT[0], _DATE_HINT[1]))
        return check

    def _datetime_in_date(self, f: FieldSpec, text: str) -> Violation:
        """The 2025 front-end took a datetime in a date field (its date is sent); 2026 refuses."""
        if self.mode == "strict":
            return self.violation(f, "date", text, "收到的是日期时间，请只发送日期部分",
                                  "got a datetime; send only its date")
        return self.violation(f, "date", text, f"收到日期时间，按日期 {text[:10]} 发送",
                              f"got a datetime; its date {text[:10]} is sent", "warning")

    def _number_check(self, f: FieldSpec) -> Check:
        pattern, rule = (_INT_RE, "integer") if f.type == "int" else (_DECIMAL_RE, "decimal")

        def check(text: str, out: list[Violation]) -> None:
            if pattern.fullmatch(text.strip()) is None:
                out.append(self.violation(f, rule, text, "", ""))
        return check

    def _length_check(self, f: FieldSpec, limit: int) -> Check:
        def check(text: str, out: list[Violation]) -> None:
            if len(text) > limit:
                out.append(self.violation(
                    f, "length", text, f"最多 {limit} 个字符，实际 {len(text)} 个；请截断或核对映射",
                    f"at most {limit} characters, got {len(text)}; truncate or check the mapping"))
        return check

    def _code_check(
        self, f: FieldSpec, codes: Mapping[str, str], pattern: str | None, set_zh: str
    ) -> Check:
        rx = re.compile(pattern) if pattern else None

        def check(text: str, out: list[Violation]) -> None:
            for code in text.split("||") if "||" in text else (text,):
                if code in codes or (rx is not None and rx.fullmatch(code)):
                    continue
                rule = "code_set" if codes else "code_format"
                shown = _shown(f.name, code)
                out.append(self.violation(
                    f, rule, code, f"{shown!r} 不属于「{set_zh}」；"
                    f"请在代码对照 codemaps/{f.code_set}.csv 中补一行，"
                    f"可用代码见 hisbridge dictionary codes {f.code_set}",
                    f"{shown!r} is not in {f.code_set}; add a line to codemaps/{f.code_set}.csv "
                    f"(codes: hisbridge dictionary codes {f.code_set})",
                    self.dq_severity))
        return check

    def run(self, record: Mapping[Any, Any]) -> tuple[list[Violation], dict[str, str] | None]:
        """The violations, and the fields present when the screen vouched for every field (clean
        fields pass it at once; any doubt walks the record field by field)."""
        out: list[Violation] = []
        screened = self.screen.present(record)
        self._check_record(self._walk(record, out) if screened is None else screened, out)
        return out, screened

    def _walk(self, record: Mapping[Any, Any], out: list[Violation]) -> dict[str, str]:
        """Each field's violations in the record's order; the fields present."""
        present: dict[str, str] = {}
        for key, raw in record.items():
            f = self.fields.get(key) if isinstance(key, str) else None
            if f is None:
                f = self.by_normal.get(normalize_key(str(key)))
            if f is None:
                out.append(self.violation(str(key)[:80], "unknown_field", None, "", "",
                                          self.dq_severity))
                continue
            text = self._as_text(f, raw, out)
            if text is None and raw is not None:
                present[f.name] = ""  # sent but refused above: not also "missing"
            if text is None or text == "":
                continue
            present[f.name] = text
            if f.name in self.keys and not text.strip():
                out.append(self.violation(f, "key_blank", text, "请填写有效的键值，不要只有空格",
                                          "send a real key, not only blanks"))
                continue
            for check in self.checks[f.name]:
                check(text, out)
        return present

    def _check_record(self, present: dict[str, str], out: list[Violation]) -> None:
        """The rules across fields: parent keys, required fields, ID number, a child's guardian."""
        if not present.keys() >= self.required_names:
            self._check_required(present, out)
        if self.id_card is not None and present.get("id_card"):
            self._check_id_card(present, out)
        if self.guardian_rule:
            self._check_child_contacts(present, out)

    def _check_required(self, present: Mapping[str, str], out: list[Violation]) -> None:
        for f in self.parents:
            if f.name not in present:
                out.append(self.violation(
                    f, "parent_key", None, f"请填写上级记录的 {f.name}",
                    f"fill {f.name} with the parent record's id"))
        for f in self.required:
            if f.name not in present:
                out.append(self.violation(f, "required", None, *required_hint(f.name)))

    def _check_child_contacts(self, present: Mapping[str, str], out: list[Violation]) -> None:
        """Strict: a patient aged 14 or younger must come with contacts and contacts_tel."""
        age = age_at_visit(present)
        if age is None or age > _CHILD_AGE:
            return
        for name in _CONTACTS:
            f = self.fields.get(name)
            if f is not None and name not in present:
                out.append(self.violation(
                    f, "required", None, f"患者 {age} 岁（≤{_CHILD_AGE} 岁）须填写联系人（监护人）",
                    f"the patient is {age} (14 or younger): the guardian is required"))

    def _as_text(self, f: FieldSpec, raw: Any, out: list[Violation]) -> str | None:
        if raw is None or isinstance(raw, str):
            text = raw
        elif isinstance(raw, bool) or not isinstance(raw, (int, float, Decimal, datetime, date)):
            out.append(self.violation(f, "type", str(type(raw).__name__), "收到的是非字符串的值",
                                      f"got a {type(raw).__name__}"))
            return None
        elif isinstance(raw, datetime):
            text = raw.strftime("%Y-%m-%d" if f.type == "date" else "%Y-%m-%d %H:%M:%S")
        elif isinstance(raw, date):
            text = raw.isoformat()
        else:
            text = format(raw, "f") if isinstance(raw, Decimal) else str(raw)
        if text and self._has_control(f, text, out):
            return None
        if text and not text.isascii():
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:
                out.append(self.violation(f, "text_encoding", None, "请检查源库字符集（GBK/UTF-8）",
                                          "check the source database character set"))
                return None
        return text

    def _has_control(self, f: FieldSpec, text: str, out: list[Violation]) -> bool:
        """Control characters are refused; free text keeps tab and newline, keys allow none."""
        found = (_KEY_CONTROL_RE if f.name in self.keys else _CONTROL_RE).search(text)
        if found is None:
            return False
        at, code = found.start() + 1, ord(found.group())
        out.append(self.violation(
            f, "control_chars", None,
            f"第 {at} 个字符为 U+{code:04X}，请在源头去掉（键值中制表符、换行也不允许）",
            f"character {at} is U+{code:04X}; remove it at the source (keys allow no tab or newline)"))
        return True

    def _check_id_card(self, present: Mapping[str, str], out: list[Violation]) -> None:
        if present.get("id_card_type_code", _RESIDENT_ID_TYPE) != _RESIDENT_ID_TYPE:
            return
        f = self.fields["id_card"]
        value = present["id_card"]
        info = parse_id_card(value)
        if not isinstance(info, IdCardInfo):
            reasons = {"length": ("应为 18 位", "must be 18 characters"),
                       "characters": ("前 17 位为数字，末位为数字或 X", "17 digits then a digit or X"),
                       "checksum": ("校验位不正确", "the check digit is wrong"),
                       "birth_date": ("其中的出生日期不存在", "it encodes an impossible birth date")}
            zh, en = reasons[info]
            out.append(self.violation(f, "id_card", value, zh, en, self.dq_severity))
            return
        birth = present.get("birth_date", "")[:10]
        if birth and birth != info.birth_date.isoformat():
            out.append(self.violation(
                self.fields.get("birth_date") or "birth_date", "id_card_birth", birth,
                "请核对出生日期或证件号", "check the birth date or the ID number", self.dq_severity))
        gender = present.get("gender_code")
        if gender in ("1", "2") and gender != info.gender_code:
            out.append(self.violation(
                self.fields.get("gender_code") or "gender_code", "id_card_gender", gender,
                "请核对性别或证件号", "check the gender or the ID number", self.dq_severity))


def _valid(m: re.Match[str] | None) -> bool:
    """A date or datetime match that names a real day and time."""
    if m is None:
        return False
    try:
        datetime(*map(int, m.groups()[:6]))  # type: ignore[arg-type]
    except ValueError:
        return False
    return True


def _day(text: str | None) -> date | None:
    if not text or not _valid(_DATE_RE.match(text[:10])):
        return None
    return date(*map(int, text[:10].split("-")))


def age_at_visit(present: Mapping[str, str]) -> int | None:
    """Age in full years at the visit (the record's own dates); None when unknown."""
    born = _day(present.get("birth_date"))
    if born is None and present.get("id_card_type_code", _RESIDENT_ID_TYPE) == _RESIDENT_ID_TYPE:
        info = parse_id_card(present.get("id_card", ""))
        born = info.birth_date if isinstance(info, IdCardInfo) else None
    seen = next((d for d in map(_day, map(present.get, _VISIT_DATES)) if d), None)
    if born is None or seen is None:
        return None
    return seen.year - born.year - ((seen.month, seen.day) < (born.month, born.day))


class Validator:
    """Validates records of the 20 tables; ``mode`` is ``lenient`` or ``strict``."""

    def __init__(self, mode: Mode = "lenient", dictionary: Dictionary | None = None) -> None:
        if mode not in ("lenient", "strict"):
            raise ValueError(f"mode must be lenient or strict, not {mode!r}")
        self.mode: Mode = mode
        self.dictionary = dictionary or load_dictionary()
        self._tables = {t.name: _TableChecks(self.dictionary, t, mode) for t in self.dictionary}

    def validate(self, table: str, record: Any) -> list[Violation]:
        """Every violation of ``record``; an empty list means it may be sent."""
        checks = self._tables.get(table)
        if checks is not None and type(record) is dict:  # the usual case, without the detours
            return checks.run(record)[0]
        return self.check(table, record)[0]

    def check(self, table: str, record: Any) -> tuple[list[Violation], Mapping[str, str] | None]:
        """``validate``'s violations, and the record's non-empty fields when each value was a
        string under its field's own name and broke no field rule: then they are already the
        stored form (``hisbridge.store.intake.normalize_record``); otherwise None."""
        checks = self._tables.get(table)
        if checks is None:
            spec = self.dictionary.get(table) if isinstance(table, str) else None
            checks = self._tables.get(spec.name) if spec else None
        if checks is None:
            hint = "可用 / known: " + ", ".join(self.dictionary.names)
            return [Violation(str(table)[:80], "", "", "unknown_table", "error", None,
                              RULE_HINTS["unknown_table"][0] + "；" + hint,
                              RULE_HINTS["unknown_table"][1])], None
        if not isinstance(record, Mapping):
            zh, en = RULE_HINTS["not_an_object"]
            return [Violation(checks.table.name, "", "", "not_an_object", "error",
                              type(record).__name__, zh, en)], None
        return checks.run(record)

    def errors(self, table: str, record: Any) -> list[Violation]:
        return [v for v in self.validate(table, record) if v.severity == "error"]
