"""Synthetic residents of the simulated province: seeded, deterministic, never real people.

Each resident has a valid 18-digit ID number (GB 11643 check digit), a 居民电子健康码, a phone
on file (or not), a 粤健通 account (or not) and a blood group.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from faker import Faker

from hisbridge.dictionary.idcard import check_digit

__all__ = ["OTHER_ORGS", "Resident", "make_residents"]

_REGIONS = (
    "440103",
    "440104",
    "440106",
    "440111",
    "440303",
    "440304",
    "440604",
    "441900",
    "440402",
    "440507",
)

OTHER_ORGS: tuple[tuple[str, str], ...] = (
    ("455000001", "中山大学附属第一医院"),
    ("455000002", "广东省人民医院"),
    ("455000003", "深圳市人民医院"),
    ("455000004", "佛山市第一人民医院"),
    ("455000005", "东莞市人民医院"),
    ("455000006", "珠海市人民医院"),
    ("455000007", "汕头大学医学院第一附属医院"),
)


@dataclass(frozen=True, slots=True)
class Resident:
    person_key: str
    name: str
    id_no: str
    gender: str  # "1" male, "2" female
    birth_date: date
    phone: str | None
    ehc_code: str
    has_yjt: bool
    abo: str
    rh: str

    @property
    def age_years(self) -> int:
        return (date(2026, 1, 1) - self.birth_date).days // 365


def _id_number(rng: random.Random, born: date, gender: str) -> str:
    seq = rng.randrange(0, 50) * 2 + (1 if gender == "1" else 2)
    first17 = f"{rng.choice(_REGIONS)}{born:%Y%m%d}{rng.randrange(0, 10)}{seq:02d}"[:17]
    return first17 + check_digit(first17)


def make_residents(seed: int, count: int = 12) -> list[Resident]:
    """``count`` residents; the first always has a phone and 粤健通, the last has neither."""
    rng = random.Random(seed)
    fake = Faker("zh_CN")
    fake.seed_instance(seed)
    people = []
    for index in range(count):
        gender = "1" if index % 2 == 0 else "2"
        name = fake.name_male() if gender == "1" else fake.name_female()
        born = date(1950, 1, 1) + timedelta(days=rng.randrange(0, 365 * 55))
        reachable = index < count - 1 or count == 1
        people.append(
            Resident(
                person_key=f"GDP-{seed:04d}-{index:04d}",
                name=name,
                id_no=_id_number(rng, born, gender),
                gender=gender,
                birth_date=born,
                phone=fake.phone_number() if reachable else None,
                ehc_code=f"EHC{rng.getrandbits(64):016X}",
                has_yjt=reachable,
                abo=rng.choice(["A", "B", "O", "O", "AB"]),
                rh="阳性" if rng.random() > 0.01 else "阴性",
            )
        )
    return people
