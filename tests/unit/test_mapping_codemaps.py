"""Code maps: hospital codes -> standard codes, standard codes pass through, bad maps refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from hisbridge.dictionary import load_dictionary
from hisbridge.errors import ConfigError
from hisbridge.mapping.codemaps import load_code_maps, parse_code_map

GENDER = load_dictionary().code_set("gender")


@pytest.mark.parametrize(("value", "expected"), [
    ("男", ("1", "男")),            # mapped, label from the code set
    ("F", ("2", "女性")),           # mapped with the map's own label
    ("2", ("2", "女")),             # already standard: passes through
    ("X", None),                    # unmapped
    ("", None),
])
def test_resolve(value: str, expected: tuple[str, str] | None) -> None:
    assert GENDER is not None
    m = parse_code_map("hospital_code,standard_code,standard_label\n男,1,\nF,2,女性\n", GENDER, "g")
    assert m.resolve(value) == expected


def test_pattern_only_code_sets_check_the_shape() -> None:
    d = load_dictionary()
    maps = load_code_maps(Path("/nonexistent"), d)
    assert maps.get("icd10").resolve("J10.100") == ("J10.100", "")
    assert maps.get("icd10").resolve("感冒") is None


def test_standard_code_outside_the_set_is_refused_with_line() -> None:
    assert GENDER is not None
    with pytest.raises(ConfigError) as caught:
        parse_code_map("hospital_code,standard_code\n男,1\n女,7\n", GENDER, "codemaps/gender.csv")
    assert "codemaps/gender.csv:3" in str(caught.value) and "'7'" in str(caught.value)


def test_wrong_header_is_refused() -> None:
    assert GENDER is not None
    with pytest.raises(ConfigError, match="header"):
        parse_code_map("local,std\n男,1\n", GENDER, "g.csv")


def test_file_name_must_be_a_code_set(tmp_path: Path) -> None:
    (tmp_path / "sexes.csv").write_text("hospital_code,standard_code\n", "utf-8")
    with pytest.raises(ConfigError, match=r"sexes\.csv"):
        load_code_maps(tmp_path)


def test_bom_and_blank_lines_are_tolerated(tmp_path: Path) -> None:
    (tmp_path / "gender.csv").write_text("\ufeffhospital_code,standard_code\n男,1\n,\n", "utf-8")
    assert load_code_maps(tmp_path).get("gender").resolve("男") == ("1", "男")
