"""Property tests: the validator never raises and never shows a full ID number or phone."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from hisbridge.dictionary import Validator, load_dictionary
from hisbridge.testing.documents import make_id_card

D = load_dictionary()
NAMES = [t.name for t in D]
FIELD_NAMES = sorted({f.name for t in D for f in t.fields} | {f.camel for t in D for f in t.fields})
VALIDATORS = [Validator("lenient"), Validator("strict")]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=60),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
keys = st.sampled_from(FIELD_NAMES) | st.text(max_size=20)
surrogates = st.text(alphabet=st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), min_size=1,
                     max_size=3)


@settings(max_examples=300, deadline=None)
@given(table=st.sampled_from(NAMES) | st.text(max_size=12),
       record=st.dictionaries(keys, json_values | surrogates, max_size=12) | json_values)
def test_never_raises_on_any_input(table: str, record: object) -> None:
    for validator in VALIDATORS:
        out = validator.validate(table, record)
        assert isinstance(out, list)
        for v in out:
            assert v.rule and v.hint_zh and v.hint_en


@settings(max_examples=200, deadline=None)
@given(seed=st.integers(0, 10**6), table=st.sampled_from(NAMES),
       field=st.sampled_from(FIELD_NAMES), wrap=st.sampled_from(["{}", "x{}y", "患者{}，", "{}"*2]))
def test_id_numbers_and_phones_never_shown_unmasked(seed: int, table: str, field: str, wrap: str) -> None:
    rng = random.Random(seed)
    id_number = make_id_card(rng, "1985-07-0" + str(rng.randrange(1, 9)), rng.choice("12"))
    phone = f"13{rng.randrange(10**9):09d}"
    record = {field: wrap.replace("{}", id_number), "tel": wrap.replace("{}", phone),
              "id_card": id_number[:-1] + "Z", "contacts_tel": phone + "0" * 80}
    for validator in VALIDATORS:
        for v in validator.validate(table, record):
            shown = f"{v.value} {v.hint_zh} {v.hint_en} {v.summary()}"
            assert id_number not in shown and id_number[:-1] not in shown
            assert phone not in shown


def test_ten_megabyte_string_gets_a_length_violation_quickly() -> None:
    huge = "汉" * (10 * 1024 * 1024)
    out = Validator("lenient").validate("emr_patient_info", {"id": "1", "patient_name": huge})
    [v] = [v for v in out if v.field == "patient_name"]
    assert v.rule == "length" and len(v.value or "") < 80
