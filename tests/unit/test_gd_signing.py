"""Signatures (SM3 / HMAC-SHA256), timestamp window and nonce replay; SM4 field encryption."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hisbridge._gm import FieldCipher
from hisbridge.connectors.gdhealth.signing import (
    NonceLedger,
    SignedHeaders,
    check_signed,
    sign,
    sm3_hex,
)
from hisbridge.errors import ConfigError

NOW = 1_767_225_600_000
BODY = b'{"data":{"authId":"GDA1"}}'


def test_sm3_known_vector() -> None:
    # GB/T 32905-2016 example 1: SM3("abc")
    assert sm3_hex(b"abc") == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"


def _headers(
    method: str = "sm3",
    secret: str = "s3cret",
    ts: int = NOW,
    nonce: str = "n1",
    body: bytes = BODY,
) -> SignedHeaders:
    return SignedHeaders("P1", str(ts), nonce, sign(method, "P1", secret, str(ts), nonce, body))


def _check(
    headers: SignedHeaders,
    body: bytes = BODY,
    method: str = "sm3",
    ledger: NonceLedger | None = None,
) -> str | None:
    return check_signed(
        headers,
        body,
        method=method,
        secret="s3cret",
        expected_partner="P1",
        now_ms=NOW,
        window_s=900,
        nonces=ledger or NonceLedger(900_000),
    )


@pytest.mark.parametrize(
    ("headers", "body", "code"),
    [
        (_headers(), BODY, None),
        (_headers(secret="other"), BODY, "1001"),
        (_headers(), BODY + b" ", "1001"),
        (_headers(ts=NOW - 901_000), BODY, "1002"),
        (_headers(ts=NOW + 901_000), BODY, "1002"),
        (_headers(ts=NOW - 899_000), BODY, None),
        (SignedHeaders("P2", str(NOW), "n", "x"), BODY, "1004"),
        (SignedHeaders("P1", str(NOW), "n", ""), BODY, "1001"),
        (SignedHeaders("P1", "yesterday", "n", "x"), BODY, "1002"),
    ],
)
def test_check_signed_table(headers: SignedHeaders, body: bytes, code: str | None) -> None:
    assert _check(headers, body) == code


def test_hmac_variant_and_replay() -> None:
    ledger = NonceLedger(900_000)
    headers = _headers(method="hmac-sha256")
    assert _check(headers, method="hmac-sha256", ledger=ledger) is None
    assert _check(headers, method="hmac-sha256", ledger=ledger) == "1003"
    assert _check(headers, method="sm3") == "1001"  # the schemes are not interchangeable


def test_nonce_ledger_forgets_outside_window_and_is_bounded() -> None:
    ledger = NonceLedger(1000, max_entries=3)
    assert ledger.first_use("a", 0) and not ledger.first_use("a", 500)
    assert ledger.first_use("a", 2000)  # the old use is outside the window
    for n in "bcde":
        ledger.first_use(n, 2001)
    assert len(ledger._seen) <= 3


@given(st.text(min_size=0, max_size=40))
def test_sm4_round_trip(plain: str) -> None:
    cipher = FieldCipher("0123456789abcdef")
    token = cipher.encrypt(plain)
    assert cipher.decrypt(token) == plain


def test_sm4_key_must_be_16_bytes() -> None:
    with pytest.raises(ConfigError, match="16"):
        FieldCipher("short")
    assert FieldCipher("0123456789abcdef").decrypt("not base64!") is None


@given(st.binary(max_size=200))
def test_openssl_and_gmssl_sm3_agree(data: bytes) -> None:
    from gmssl import func, sm3

    assert sm3_hex(data) == sm3.sm3_hash(func.bytes_to_list(data))
