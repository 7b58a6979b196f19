"""The synthetic hospital's rows: deterministic, valid ID numbers, realistic shares."""

from __future__ import annotations

import random
from collections import Counter
from datetime import datetime

from hisbridge.dictionary.idcard import IdCardInfo, parse_id_card
from hisbridge.simulators.his.build import visit_times
from hisbridge.simulators.his.encounters import admission, inpatient_day, outpatient
from hisbridge.simulators.his.hospital import Hospital
from hisbridge.simulators.his.people import PeoplePool, resident_id
from hisbridge.simulators.his.vocab import DRUGS, INFECTIOUS_DIAGNOSES

DAY = datetime(2026, 3, 2)


def _visits(seed: int, n: int) -> Counter[str]:
    h = Hospital(seed, DAY)
    counts: Counter[str] = Counter()
    for when in visit_times(random.Random(seed), DAY, n, None):
        for table, rows in outpatient(h, when).items():
            counts[table] += len(rows)
    return counts


def test_same_seed_same_hospital() -> None:
    assert _visits(5, 150) == _visits(5, 150)
    assert _visits(5, 150) != _visits(6, 150)


def test_resident_ids_are_valid_and_match_birth_and_sex() -> None:
    rng = random.Random(1)
    for _ in range(300):
        born = datetime(rng.randint(1930, 2025), rng.randint(1, 12), rng.randint(1, 28)).date()
        male = rng.random() < 0.5
        info = parse_id_card(resident_id(rng, "440106", born, male))
        assert isinstance(info, IdCardInfo)
        assert info.birth_date == born and info.gender_code == ("1" if male else "2")


def test_patients_use_local_codes_not_standard_ones() -> None:
    pool = PeoplePool(3)
    rows = [pool.patient(f"P{n}", DAY) for n in range(200)]
    assert {r["sex"] for r in rows} <= {"男", "女"}
    assert {r["id_type"] for r in rows} <= {"身份证", "护照"}
    assert all(len(r["area_code"]) == 9 for r in rows)


def test_a_day_has_notifiable_diseases_some_without_cards_and_filtered_drugs() -> None:
    h = Hospital(11, DAY)
    diag: list[str] = []
    cards = 0
    drugs: Counter[str] = Counter()
    for when in visit_times(random.Random(11), DAY, 1500, None):
        rows = outpatient(h, when)
        diag += [d["diag_code"] for d in rows["diagnosis"] if d["main_flag"] == "1"]
        cards += len(rows.get("infect_report", []))
        drugs.update(d["drug_code"] for d in rows.get("presc_detail", []))
    infectious = sum(code in INFECTIOUS_DIAGNOSES for code in diag)
    assert 0.005 < infectious / len(diag) < 0.1, infectious
    assert 0 < cards < infectious                      # some cards are missing: warnings fire
    assert sum(n for c, n in drugs.items() if c >= "Y1000") > 0.3 * sum(drugs.values())
    assert set(drugs) <= set(DRUGS)


def test_inpatients_have_vitals_with_icu_flags_and_some_leave() -> None:
    h = Hospital(2, DAY)
    rows = [inpatient_day(h, DAY.replace(hour=6)) for _ in range(400)]
    vitals = [v for r in rows for v in r["vital_signs_rec"]]
    assert {v["icu_flag"] for v in vitals} == {"Y", "N"}
    assert any(v["ventilator_flag"] == "Y" for v in vitals)
    assert any(r["pat_visit"][0]["discharge_time"] for r in rows)
    assert any("death_record" in r for r in rows)
    new = admission(h, DAY.replace(hour=10))
    assert {n["note_type"] for n in new["emr_note"]} == {"RYJL", "SCBC"}


def test_visit_times_stay_before_now_for_today() -> None:
    now = DAY.replace(hour=9, minute=30)
    times = visit_times(random.Random(1), DAY, 500, now)
    assert times == sorted(times) and times[-1] < now and times[0] >= DAY
