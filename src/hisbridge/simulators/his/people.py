"""Synthetic people: zh_CN names and addresses from Faker, valid resident ID numbers.

Faker is slow per call, so a seeded pool of names, streets and employers is drawn once and
combined at random; a large day then builds in seconds and stays deterministic.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Any

from faker import Faker

from hisbridge.dictionary.idcard import check_digit

__all__ = ["DISTRICTS", "PeoplePool", "resident_id"]

# Guangzhou districts: (6-digit county code, name); townships are county code + 3 digits
DISTRICTS: tuple[tuple[str, str], ...] = (
    ("440103", "广东省广州市荔湾区"), ("440104", "广东省广州市越秀区"),
    ("440105", "广东省广州市海珠区"), ("440106", "广东省广州市天河区"),
    ("440111", "广东省广州市白云区"), ("440112", "广东省广州市黄埔区"),
    ("440113", "广东省广州市番禺区"), ("440114", "广东省广州市花都区"),
)
_NATIONS = ("汉",) * 40 + ("壮", "回", "满", "苗", "瑶", "土家", "畲", "朝鲜", "蒙古")
_MARITAL = ("已婚",) * 5 + ("未婚", "未婚", "离婚", "丧偶", "未知")
_EDUCATION = ("小学", "初中", "初中", "高中", "中专", "大专", "本科", "本科", "研究生", "文盲")
_OCCUPATIONS = ("ST", "JS", "GR", "GR", "NM", "GB", "GB", "LT", "JW", "YW", "SY", "SY", "QT")


def resident_id(rng: random.Random, county: str, born: date, male: bool) -> str:
    """An 18-character resident ID number with a correct check digit."""
    seq = rng.randrange(0, 500) * 2 + (1 if male else 0)
    first17 = f"{county}{born:%Y%m%d}{seq:03d}"
    return first17 + check_digit(first17)


class PeoplePool:
    """Draws patients and staff from seeded pools."""

    def __init__(self, seed: int, pool: int = 400) -> None:
        self.rng = random.Random(seed)
        fake = Faker("zh_CN")
        fake.seed_instance(seed)
        self.surnames = [fake.last_name() for _ in range(pool)]
        self.given_m = [fake.first_name_male() for _ in range(pool)]
        self.given_f = [fake.first_name_female() for _ in range(pool)]
        self.streets = [fake.street_address() for _ in range(pool)]
        self.companies = [fake.company() for _ in range(pool // 2)]
        self.phones = [fake.phone_number() for _ in range(pool)]

    def name(self, male: bool) -> str:
        given = self.given_m if male else self.given_f
        return self.rng.choice(self.surnames) + self.rng.choice(given)

    def address(self) -> tuple[str, str]:
        """A 9-digit township code and the full street address."""
        county, name = self.rng.choice(DISTRICTS)
        return f"{county}{self.rng.randint(1, 12):03d}", name + self.rng.choice(self.streets)

    def phone(self) -> str:
        return self.rng.choice(self.phones)[:7] + f"{self.rng.randrange(10_000):04d}"

    def patient(self, patient_id: str, when: datetime, child: bool = False) -> dict[str, Any]:
        """A ``pat_master_index`` row (local codes and text values, as a HIS stores them)."""
        rng = self.rng
        male = rng.random() < 0.5
        age_days = rng.randint(200, 14 * 365) if child else rng.randint(15 * 365, 92 * 365)
        born = (when - timedelta(days=age_days)).date()
        area, street = self.address()
        foreign = rng.random() < 0.01
        return {
            "patient_id": patient_id, "name": self.name(male), "sex": "男" if male else "女",
            "date_of_birth": datetime(born.year, born.month, born.day),
            "id_type": "护照" if foreign else "身份证",
            "id_no": f"E{rng.randrange(10**7, 10**8)}" if foreign
            else resident_id(rng, area[:6], born, male),
            "nation": rng.choice(_NATIONS), "citizenship": "USA" if foreign else "CHN",
            "area_code": area, "native_area_code": area, "mailing_address": street,
            "native_address": street, "phone": self.phone(),
            "next_of_kin": self.name(not male), "next_of_kin_phone": self.phone(),
            "unit_name": "无" if child else rng.choice(self.companies),
            "marital_status": "未婚" if child else rng.choice(_MARITAL),
            "education": "小学" if child else rng.choice(_EDUCATION),
            "occupation": ("TE" if age_days < 6 * 365 else "ST") if child
            else rng.choice(_OCCUPATIONS),
            "create_time": when, "modify_time": when,
        }
