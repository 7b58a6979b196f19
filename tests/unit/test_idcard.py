from __future__ import annotations

import random
from datetime import date

import pytest

from hisbridge.dictionary.idcard import IdCardInfo, check_digit, parse_id_card
from hisbridge.testing.documents import make_id_card


def test_known_check_digit() -> None:
    # GB 11643 example: 11010519491231002X
    assert check_digit("11010519491231002") == "X"


@pytest.mark.parametrize(("value", "reason"), [
    ("11010519491231002", "length"),
    ("11010519491231002Y", "characters"),
    ("110105194912310021", "checksum"),
    ("110105194913310020", "checksum"),
])
def test_invalid_numbers(value: str, reason: str) -> None:
    assert parse_id_card(value) == reason


def test_valid_number_gives_birth_and_gender() -> None:
    info = parse_id_card("11010519491231002X")
    assert info == IdCardInfo(date(1949, 12, 31), "2")


def test_generated_numbers_round_trip() -> None:
    rng = random.Random(7)
    for gender in ("1", "2"):
        info = parse_id_card(make_id_card(rng, "2001-02-28", gender))
        assert isinstance(info, IdCardInfo)
        assert info.birth_date == date(2001, 2, 28) and info.gender_code == gender
