"""Signed links mean one thing: no parameter can be folded into another, the first format is
refused with a clear message, and a rotated key keeps working during its grace period."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import SecretStr

from hisbridge._clock import CHINA_TZ, ManualClock
from hisbridge.runtime.sharing import viewer_url
from hisbridge.testing.gdhealth_rig import GATEWAY, GdHealthRig, build_rig
from hisbridge.web.signing import SignatureError, canonical, signed_query, verify

SECRET = "a-long-random-secret-for-tests"
NOW = 1767225600


def _folded(query: str) -> dict[str, str]:
    """The folding attack: ``userId`` and ``userName`` of a signed link become one ``userId``
    value (``DOC1&userName=…``) with the same signature and expiry."""
    params = dict(parse_qsl(query))
    forged = {"userId": f"{params.pop('userId')}&userName={params.pop('userName')}"}
    return {**forged, **params}


def _old_format(params: dict[str, str], secret: str) -> dict[str, str]:
    """A link signed the first way: raw ``k=v`` joined, plain hex HMAC."""
    text = "&".join(f"{k}={params[k]}" for k in sorted(params))
    return {**params, "sig": hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()}


def test_a_folded_parameter_does_not_verify() -> None:
    query = signed_query({"userId": "DOC1", "userName": "张医生", "deptCode": "A03"}, SECRET,
                         now=NOW)
    verify(dict(parse_qsl(query)), SECRET, now=NOW)  # the link as issued is fine
    with pytest.raises(SignatureError) as refused:
        verify(_folded(query), SECRET, now=NOW)
    assert refused.value.reason == "bad"


def test_the_old_format_is_refused_with_its_own_reason() -> None:
    old = _old_format({"userId": "DOC1", "exp": str(NOW + 60)}, SECRET)
    with pytest.raises(SignatureError) as refused:
        verify(old, SECRET, now=NOW)
    assert refused.value.reason == "old_format"


def test_a_repeated_parameter_is_refused() -> None:
    from hisbridge.web.signing import single_values

    with pytest.raises(SignatureError):
        single_values([("userId", "DOC1"), ("userId", "DOC2")])


_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=8)


@given(a=st.dictionaries(_TEXT, _TEXT, max_size=4), b=st.dictionaries(_TEXT, _TEXT, max_size=4))
def test_the_signed_string_is_one_to_one(a: dict[str, str], b: dict[str, str]) -> None:
    a.pop("sig", None)
    b.pop("sig", None)
    assert (canonical(a) == canonical(b)) == (a == b)


def test_rotation_accepts_previous_keys_and_signs_with_the_current() -> None:
    old_link = dict(parse_qsl(signed_query({"userId": "DOC1"}, "old-key", now=NOW)))
    verify(old_link, ["new-key", "old-key"], now=NOW)
    with pytest.raises(SignatureError):
        verify(old_link, ["new-key"], now=NOW)


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[GdHealthRig]:
    clock = ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=CHINA_TZ))
    built = build_rig(f"sqlite:///{tmp_path / 'gw.db'}", clock=clock)
    built.settings.web.secret_key = SecretStr("new-key-after-rotation")
    built.settings.web.previous_secret_keys = [SecretStr("key-before-rotation")]
    yield built
    await built.aclose()


async def test_the_viewer_refuses_folding_and_old_links_and_honours_rotation(rig: GdHealthRig) -> None:
    url = viewer_url(rig.settings, GATEWAY, patient_id="P1", encounter_type="OUTPATIENT",
                     encounter_id="MZ1", user_id="DOC1", dept_code="0301", user_name="张医生",
                     now=rig.clock.now())
    assert "sig=v2." in url  # new links: the current key, the v2 format
    page = await rig.gateway.get(url.removeprefix(GATEWAY))
    assert page.status_code == 200
    folded = _folded(url.split("?", 1)[1])
    forged = await rig.gateway.get("/ws/shared?" + urlencode(folded))
    assert forged.status_code == 403 and "签名无效" in forged.text
    exp = str(int(rig.clock.now().timestamp()) + 600)
    plain = {"patientId": "P1", "encounterType": "OUTPATIENT", "encounterId": "MZ1",
             "userId": "DOC1", "deptCode": "0301", "exp": exp}
    old = await rig.gateway.get("/ws/shared?" + urlencode(_old_format(plain, "key-before-rotation")))
    assert old.status_code == 403 and "旧的签名格式" in old.text
    rotated = signed_query(plain | {"exp": None}, "key-before-rotation",
                           now=rig.clock.now().timestamp(), ttl_s=600)
    assert (await rig.gateway.get("/ws/shared?" + rotated)).status_code == 200


def test_widget_links_are_signed_with_the_current_key() -> None:
    from hisbridge.settings import Settings
    from hisbridge.web.widgets import widget_url

    settings = Settings(web={"secret_key": "current-key", "previous_secret_keys": ["old-key"]})
    url = widget_url(settings, "DOC1", "A03", now=time.time())
    params = dict(parse_qsl(url.split("?", 1)[1]))
    verify(params, "current-key", now=time.time())
    with pytest.raises(SignatureError):
        verify(params, "old-key", now=time.time())
