"""Fix hints for empty required fields: what the spec allows the hospital to send instead.

A mapping cannot invent a value, so a hint never says "provide it in the mapping" alone: it
names the HIS data to fill in, or the code the spec offers for the case (id_card_type, see
``hisbridge dictionary codes id_card_type``). The id_card_type set (WS 364.3 CV02.01.101) has no code
for "no document" or "newborn"; the cases below use its codes 02, 03 and 99 — an assumption
stated in docs/mapping.md, to confirm with the front-end's administrator.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["required_hint"]

_GENERIC = ("必填字段为空：请在 HIS 中补录该值，或在映射 SQL 中选出存放该值的列",
            "a required field is empty: fill it in the HIS, or select the column that holds it "
            "in the mapping SQL")

_ID_CASES_ZH = ("无证件号时按情况填写证件类别 id_card_type_code：外籍患者填 03（护照）并填护照号；"
                "新生儿未办身份证填 02（居民户口簿）并填户口簿号，尚未落户则填 99（其他法定有效证件）"
                "并填监护人（母亲）的证件号；确实无任何证件填 99 并在 HIS 中补录可核实的证件号；"
                "证件类别为 01 时须填 18 位居民身份证号")
_ID_CASES_EN = ("without an ID number, set id_card_type_code by case: a foreigner 03 (passport) "
                "with the passport number; a newborn without a resident ID 02 (household "
                "register) with its number, or, not yet registered, 99 (other legal document) "
                "with the guardian's (mother's) ID number; no document at all: 99, and record a "
                "verifiable document number in the HIS; type 01 needs the 18-character resident "
                "ID number")

_BY_FIELD: Mapping[str, tuple[str, str]] = {
    "id_card": (_ID_CASES_ZH, _ID_CASES_EN),
    "id_card_type_code": ("请填证件类别代码（hisbridge dictionary codes id_card_type）；" + _ID_CASES_ZH,
                          "fill the ID type code (hisbridge dictionary codes id_card_type); "
                          + _ID_CASES_EN),
    "id_card_type_name": ("填证件类别代码对应的名称（代码映射 id_card_type.csv 会自动给出）",
                          "the label of the ID type code (the id_card_type.csv code map gives "
                          "it)"),
    "id": ("缺少记录主键：映射 SQL 须选出 HIS 中唯一且不变的主键列作为 id",
           "no record key: the mapping SQL must select the HIS's unique, stable key as id"),
    "org_code": ("填本机构 9 位医疗机构代码（映射 SQL 中的常量）",
                 "the institution's 9-digit organisation code (a constant in the mapping SQL)"),
    "operation_time": ("填该记录在 HIS 中的最后修改时间（也是增量抽取的水位列）",
                       "the record's last-modified time in the HIS (also the watermark column)"),
}


def required_hint(field: str) -> tuple[str, str]:
    """(中文, English) for an empty required ``field``."""
    return _BY_FIELD.get(field, _GENERIC)
