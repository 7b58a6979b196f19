"""Bad keys at the push API (``POST /api/v1/events/{table}``): a blank key or a key holding
control characters gets a clear per-record rejection; control characters in other text are
refused too, while tab and newline in free text are kept."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine

from hisbridge.dictionary import Validator
from hisbridge.settings import Settings
from hisbridge.testing import sample_record
from hisbridge.web.app import create_app

TOKEN = "push-token-for-key-tests"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
TABLE = "emr_patient_info"

pytestmark = pytest.mark.services  # SQLite, then PostgreSQL


@pytest.fixture
def engine(store_engine: Engine) -> Engine:
    """The migrated store: SQLite, then PostgreSQL (tests/conftest.py)."""
    return store_engine


@pytest.fixture
async def client(engine: Engine) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(Settings(push={"token": TOKEN}), engine)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as http:
        yield http


async def _push(client: httpx.AsyncClient, records: list[dict[str, Any]], op: str = "upsert",
                table: str = TABLE) -> dict[str, Any]:
    reply = await client.post(f"/api/v1/events/{table}", headers=AUTH,
                              json={"op": op, "records": records})
    assert reply.status_code == 202, reply.text
    return reply.json()  # type: ignore[no-any-return]


def _only_violation(reply: dict[str, Any], rule: str | None = None) -> dict[str, Any]:
    """The one rejected record's violation of ``rule`` (else its first error)."""
    assert reply["accepted"] == 0 and len(reply["rejected"]) == 1, reply
    errors = [v for v in reply["rejected"][0]["violations"] if v["severity"] == "error"]
    assert len(errors) == 1, errors  # one clear reason, not also "required field empty"
    assert rule is None or errors[0]["rule"] == rule, errors
    return errors[0]  # type: ignore[no-any-return]


@pytest.mark.parametrize(("key", "rule"), [
    ("   ", "key_blank"), ("\u3000", "key_blank"), ("P1\x00", "control_chars"),
    ("P\x1b1", "control_chars"), ("P1\t", "control_chars"), ("P\n1", "control_chars"),
])
async def test_a_bad_key_is_rejected_with_table_field_rule_and_hint(
    client: httpx.AsyncClient, key: str, rule: str
) -> None:
    record = sample_record(TABLE, "p1") | {"id": key}
    violation = _only_violation(await _push(client, [record]), rule)
    assert (violation["table"], violation["field"], violation["rule"]) == (TABLE, "id", rule)
    assert violation["label_zh"] and violation["hint_zh"] and violation["hint_en"]


async def test_a_blank_key_is_refused_for_deletes_too(client: httpx.AsyncClient) -> None:
    violation = _only_violation(await _push(client, [{"id": "  "}], op="delete"))
    assert violation["field"] == "id" and "空白" in violation["hint_zh"]


async def test_a_blank_parent_key_is_rejected(client: httpx.AsyncClient) -> None:
    record = sample_record("emr_activity_info", "a1") | {"patient_id": " \t "}
    violation = _only_violation(await _push(client, [record], table="emr_activity_info"),
                                "control_chars")
    assert violation["field"] == "patient_id"
    record["patient_id"] = "   "
    violation = _only_violation(await _push(client, [record], table="emr_activity_info"),
                                "key_blank")
    assert violation["field"] == "patient_id"


async def test_control_characters_in_free_text_are_refused_but_tab_and_newline_kept(
    client: httpx.AsyncClient,
) -> None:
    bad = sample_record(TABLE, "p1") | {"patient_name": "张\x00三"}
    violation = _only_violation(await _push(client, [bad]), "control_chars")
    assert violation["field"] == "patient_name"
    assert "U+0000" in violation["hint_zh"]
    fine = sample_record(TABLE, "p2") | {"patient_name": "张三\t(住院)\r\n"}
    assert (await _push(client, [fine]))["accepted"] == 1


_CONTROLS = st.characters(min_codepoint=0, max_codepoint=0x9F).filter(
    lambda c: not c.isprintable() and c not in "\t\n\r")


@given(prefix=st.text(max_size=5), control=_CONTROLS, suffix=st.text(max_size=5))
def test_no_control_character_passes_in_any_text_field(prefix: str, control: str, suffix: str) -> None:
    record = sample_record(TABLE, "p1") | {"patient_name": prefix + control + suffix}
    rules = {v.rule for v in Validator("lenient").errors(TABLE, record)}
    assert "control_chars" in rules
