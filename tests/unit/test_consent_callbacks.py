"""The key that makes a retried platform callback harmless (pure), as a table and properties."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hisbridge.sharing.consent.callbacks import CallbackNotice, parse_callback

BARE = {"event": "AUTHORIZATION_STATUS_CHANGED", "authId": "GDA1", "status": "revoked",
        "occurredAt": "2026-03-02T09:00:00+08:00", "reason": "PATIENT_REVOKED"}


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (BARE, CallbackNotice("GDA1", "REVOKED", "2026-03-02T09:00:00+08:00")),
        ({"data": BARE}, CallbackNotice("GDA1", "REVOKED", "2026-03-02T09:00:00+08:00")),
        ({**BARE, "callbackId": "CB9"}, CallbackNotice("GDA1", "REVOKED", BARE["occurredAt"], "CB9")),
        ({"authId": " GDA2 "}, CallbackNotice("GDA2", "", "")),
    ],
)
def test_parse_callback(payload: dict[str, Any], expected: CallbackNotice) -> None:
    assert parse_callback(payload) == expected


@pytest.mark.parametrize("payload", [[], "x", {}, {"authId": ""}, {"data": {"status": "GRANTED"}}])
def test_unusable_callbacks_are_refused(payload: Any) -> None:
    with pytest.raises(ValueError):
        parse_callback(payload)


texts = st.text(min_size=1, max_size=20)


@given(texts, texts, texts)
def test_every_delivery_of_one_callback_has_one_key(auth: str, status: str, when: str) -> None:
    first, retry = CallbackNotice(auth, status, when), CallbackNotice(auth, status, when)
    assert first.key == retry.key and len(first.key) == 64


def test_separators_in_values_do_not_collide() -> None:
    assert CallbackNotice("a|b", "c", "d").key != CallbackNotice("a", "b|c", "d").key


@given(st.tuples(texts, texts, texts), st.tuples(texts, texts, texts))
def test_different_callbacks_have_different_keys(
    a: tuple[str, str, str], b: tuple[str, str, str]
) -> None:
    assert (CallbackNotice(*a).key == CallbackNotice(*b).key) == (a == b)


@given(texts, texts)
def test_the_platforms_callback_id_decides_when_present(cb_id: str, when: str) -> None:
    first = CallbackNotice("GDA1", "GRANTED", "2026-03-02T09:00:00+08:00", cb_id)
    assert first.key == CallbackNotice("GDA1", "GRANTED", when, cb_id).key
