"""Masking of ID numbers, phones and names (table tests) and scrubbing of free text."""

from __future__ import annotations

import pytest

from hisbridge.privacy import mask_field, mask_id_number, mask_name, mask_phone, scrub


@pytest.mark.parametrize(("value", "masked"), [
    ("440106199001011234", "440***********1234"),
    ("11010119900307867X", "110***********867X"),
    ("123", "***"),
])
def test_mask_id_number(value: str, masked: str) -> None:
    assert mask_id_number(value) == masked


@pytest.mark.parametrize(("value", "masked"), [
    ("13812345678", "138****5678"), ("020-8888777", "020****8777"), ("12345", "***45"),
])
def test_mask_phone(value: str, masked: str) -> None:
    assert mask_phone(value) == masked


@pytest.mark.parametrize(("value", "masked"), [("张三", "张*"), ("欧阳娜娜", "欧***"), ("", "")])
def test_mask_name(value: str, masked: str) -> None:
    assert mask_name(value) == masked


@pytest.mark.parametrize(("field", "value", "masked"), [
    ("id_card", "440106199001011234", "440***********1234"),
    ("contacts_tel", "13812345678", "138****5678"),
    ("patient_name", "李四", "李*"),
    ("dept_name", "感染科", "感染科"),
])
def test_mask_field_by_field_name(field: str, value: str, masked: str) -> None:
    assert mask_field(field, value) == masked


def test_scrub_masks_numbers_inside_text() -> None:
    text = "患者 身份证 440106199001011234，电话13812345678，住院号 20260301"
    out = scrub(text)
    assert "440106199001011234" not in out and "13812345678" not in out
    assert "440***********1234" in out and "138****5678" in out and "20260301" in out
