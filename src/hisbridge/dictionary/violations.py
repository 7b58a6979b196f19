"""A violation: one broken rule of one field, said so that a hospital engineer can fix it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, Literal

__all__ = ["RULE_HINTS", "Severity", "Violation"]

Severity = Literal["error", "warning"]

# rule -> (中文说明, English explanation); the per-violation hint adds the specifics.
RULE_HINTS: Mapping[str, tuple[str, str]] = {
    "unknown_table": ("表名不在 20 张标准表中", "the table is not one of the 20 standard tables"),
    "not_an_object": ("每条记录必须是一个 JSON 对象", "each record must be one JSON object"),
    "unknown_field": ("字段不在该表的数据字典中", "the field is not in this table's dictionary"),
    "type": ("值的类型不对，应为字符串", "wrong value type; the wire carries strings"),
    "datetime": ("日期时间格式应为 yyyy-MM-dd HH:mm:ss", "datetime must be yyyy-MM-dd HH:mm:ss"),
    "date": ("日期格式应为 yyyy-MM-dd", "date must be yyyy-MM-dd"),
    "integer": ("应为整数", "must be an integer"),
    "decimal": ("应为数字", "must be a decimal number"),
    "length": ("长度超过字段上限（按字符计）", "longer than the field allows (characters)"),
    "required": ("必填字段为空", "a required field is empty"),
    "code_set": ("代码不在值域中", "the code is not in the code set"),
    "code_format": ("代码格式不符", "the code does not have the expected shape"),
    "id_card": ("居民身份证号无效", "invalid resident ID number"),
    "id_card_birth": ("身份证号中的出生日期与出生日期字段不一致", "birth date disagrees with ID number"),
    "id_card_gender": ("身份证号中的性别与性别字段不一致", "gender disagrees with ID number"),
    "parent_key": ("缺少上级记录的关联键", "the key linking to the parent record is missing"),
    "text_encoding": ("文本含无法识别的字符", "text holds characters that cannot be decoded"),
    "control_chars": ("文本含控制字符（如 NUL）", "text holds control characters (such as NUL)"),
    "key_blank": ("关联键或主键去掉空白后为空", "a key is empty once blanks are trimmed"),
}


@dataclass(frozen=True, slots=True)
class Violation:
    """Where, which rule, the (masked) value and how to fix it, in Chinese and English."""

    table: str
    field: str
    label_zh: str
    rule: str
    severity: Severity
    value: str | None
    hint_zh: str
    hint_en: str

    def summary(self) -> str:
        shown = f" = {self.value!r}" if self.value not in (None, "") else ""
        return f"{self.field}（{self.label_zh}）[{self.rule}]{shown}: {self.hint_zh}"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)
