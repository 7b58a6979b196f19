"""Chinese resident identity card numbers (GB 11643-1999): checksum, birth date, gender."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from operator import mul

__all__ = ["IdCardInfo", "check_digit", "parse_id_card"]

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_LAST = frozenset("0123456789X")
_ZEROS = ord("0") * sum(_WEIGHTS)  # what the ASCII codes of 17 digits add beyond the digits


@dataclass(frozen=True, slots=True)
class IdCardInfo:
    birth_date: date
    gender_code: str  # GB/T 2261.1: "1" male, "2" female


def check_digit(first17: str) -> str:
    """The 18th character for the first 17 digits."""
    if first17.isascii() and first17.isdigit() and len(first17) == len(_WEIGHTS):  # summed in C
        return _CHECK[(sum(map(mul, first17.encode(), _WEIGHTS)) - _ZEROS) % 11]
    total = sum(int(c) * w for c, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK[total % 11]


def parse_id_card(value: str) -> IdCardInfo | str:
    """The birth date and gender an 18-digit number encodes, or the reason it is invalid."""
    text = value.strip().upper()
    if len(text) != 18:
        return "length"
    if not text.isascii() or not text[:17].isdigit() or text[17] not in _LAST:
        return "characters"
    if check_digit(text[:17]) != text[17]:
        return "checksum"
    try:
        born = date.fromisoformat(f"{text[6:10]}-{text[10:12]}-{text[12:14]}")
    except ValueError:
        return "birth_date"
    if born.year < 1880:
        return "birth_date"
    return IdCardInfo(born, "1" if int(text[16]) % 2 else "2")
