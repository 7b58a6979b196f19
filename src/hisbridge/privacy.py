"""Masking of personal data: resident ID numbers, phone numbers and names.

Masking is applied to every value shown in a log, an error or a page that does not need the
full value. ``scrub`` finds ID and phone numbers inside free text; names can only be masked
where we know the field holds one (``mask_field``).
"""

from __future__ import annotations

import re
from typing import Any

__all__ = [
    "PersonalKind",
    "mask_field",
    "mask_id_number",
    "mask_name",
    "mask_phone",
    "personal_kind",
    "scrub",
]

PersonalKind = str  # "id_number" | "phone" | "name"

_ID_FIELDS = frozenset({"id_card", "idcard", "id_no", "id_number", "sfzh", "parent_id_card"})
_PHONE_FIELDS = frozenset(
    {"tel", "phone", "mobile", "contacts_tel", "telephone", "patient_tel", "parent_tel"}
)
_NAME_FIELDS = frozenset(
    {"patient_name", "contacts", "name", "parent_name", "guardian_name", "contact_name", "xm"}
)

# Any run of 15+ digits may hold an ID number (possibly several glued together): mask it whole.
_ID_RE = re.compile(r"(?<![0-9])\d{14,}[0-9Xx]")
_PHONE_RE = re.compile(r"(?<!\d)(1[3-9]\d)(\d{4})(\d{4})(?!\d)")
_LANDLINE_RE = re.compile(r"(?<!\d)(0\d{2,3}-?)(\d{3,4})(\d{4})(?!\d)")


def personal_kind(field: str) -> PersonalKind | None:
    """Which kind of personal data a field of the 20 tables holds, if any."""
    name = field.lower()
    if name in _ID_FIELDS or name.endswith("id_card"):
        return "id_number"
    if name in _PHONE_FIELDS or name.endswith(("_tel", "_phone")):
        return "phone"
    if name in _NAME_FIELDS or name.endswith(("patient_name", "contacts")):
        return "name"
    return None


def mask_id_number(value: str) -> str:
    """``440106199001011234`` -> ``440***********1234``: region prefix and last four only."""
    text = str(value)
    if len(text) <= 4:
        return "*" * len(text)
    keep_head = 3 if len(text) > 10 else 1
    return text[:keep_head] + "*" * (len(text) - keep_head - 4) + text[-4:]


def mask_phone(value: str) -> str:
    """``13812345678`` -> ``138****5678``."""
    text = str(value)
    if len(text) <= 4:
        return "*" * len(text)
    if len(text) <= 7:
        return "*" * (len(text) - 2) + text[-2:]
    return text[:3] + "*" * (len(text) - 7) + text[-4:]


def mask_name(value: str) -> str:
    """``张三`` -> ``张*``, ``欧阳娜娜`` -> ``欧***``; Latin names keep the first letter."""
    text = str(value).strip()
    if not text:
        return text
    return text[0] + "*" * max(1, len(text) - 1)


_MASKERS = {"id_number": mask_id_number, "phone": mask_phone, "name": mask_name}


def mask_field(field: str, value: Any) -> Any:
    """Mask ``value`` if ``field`` holds personal data; otherwise scrub free text."""
    if value is None:
        return None
    kind = personal_kind(field)
    text = value if isinstance(value, str) else str(value)
    if kind is not None:
        return _MASKERS[kind](text)
    return scrub(text) if isinstance(value, str) else value


def scrub(text: str) -> str:
    """Mask every resident ID number and phone number found inside free text."""
    text = _ID_RE.sub(lambda m: mask_id_number(m.group(0)), text)
    text = _PHONE_RE.sub(lambda m: f"{m.group(1)}****{m.group(3)}", text)
    return _LANDLINE_RE.sub(lambda m: f"{m.group(1)}****{m.group(3)}", text)
