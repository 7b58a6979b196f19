"""The simulator's data API: every table's add, update and delete in all three key styles,
strict versus lenient, and replies to bad input (in-process through httpx.ASGITransport)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hisbridge._clock import ManualClock
from hisbridge.dictionary import load_dictionary
from hisbridge.dictionary.wire import KEY_STYLES, to_wire
from hisbridge.simulators.frontend import FrontendSimConfig, create_frontend_app
from hisbridge.testing.documents import valid_record

TABLES = load_dictionary().tables
REPLY_KEYS = {"result", "desc", "id", "errorCode", "errorName"}


async def _client(mode: str = "lenient", store_url: str | None = None) -> Any:
    app = create_frontend_app(FrontendSimConfig(mode=mode), clock=ManualClock(),  # type: ignore[arg-type]
                              store_url=store_url)
    transport = httpx.ASGITransport(app=app)
    return app, httpx.AsyncClient(transport=transport, base_url="http://frontend")


@pytest.fixture
async def lenient() -> AsyncIterator[httpx.AsyncClient]:
    app, client = await _client("lenient")
    async with client:
        yield client
    app.sim.close()


@pytest.fixture
async def strict() -> AsyncIterator[httpx.AsyncClient]:
    app, client = await _client("strict")
    async with client:
        yield client
    app.sim.close()


async def _stored(client: httpx.AsyncClient, table: str, key: str) -> dict[str, Any] | None:
    response = await client.get(f"/sim/tables/{table}/{key}")
    return response.json() if response.status_code == 200 else None


def _as_sent(row: dict[str, Any] | None, sent: dict[str, Any]) -> dict[str, Any] | None:
    """The stored row without the receive stamp the simulator adds (unless it was sent)."""
    if row is None:
        return None
    return {k: v for k, v in row.items() if k != "create_date" or k in sent}


@pytest.mark.parametrize("style", KEY_STYLES)
@pytest.mark.parametrize("table", TABLES, ids=lambda t: t.name)
async def test_add_update_delete_every_table(
    lenient: httpx.AsyncClient, table: Any, style: str
) -> None:
    key = f"{table.name}-{style}-1"
    record = valid_record(table, full=True, **{table.primary_key: key})
    path = table.api_path

    added = (await lenient.post(path, json=to_wire(table, record, style))).json()
    assert added["result"] is True, added
    assert added["id"] == key
    assert _as_sent(await _stored(lenient, table.name, key), record) == record

    changed_field = next(f.name for f in table.sent_fields
                         if f.name != table.primary_key and f.type in ("varchar", "text")
                         and f.name not in {p.field for p in table.parent_keys} and not f.code_set)
    dropped_field = next(f.name for f in reversed(table.sent_fields)
                         if f.name not in (table.primary_key, changed_field)
                         and f.name not in {p.field for p in table.parent_keys})
    update = {**record, changed_field: "改"}
    del update[dropped_field]
    updated = (await lenient.post(path, json=to_wire(table, update, style))).json()
    assert updated["result"] is True, updated
    assert _as_sent(await _stored(lenient, table.name, key), update) == update

    counts = (await lenient.get("/sim/tables")).json()
    assert counts[table.name] == 1
    deleted = (await lenient.request("DELETE", path, json=to_wire(table, {table.primary_key: key},
                                                                  style))).json()
    if table.name == "base_dept":
        assert deleted["result"] is False
        assert deleted["errorCode"] == "04"
        assert "不允许删除" in deleted["desc"]
        assert await _stored(lenient, table.name, key) is not None
    else:
        assert deleted == {"result": True, "desc": "删除成功", "id": key,
                           "errorCode": "", "errorName": ""}
        assert await _stored(lenient, table.name, key) is None

    log = (await lenient.get("/sim/requests?limit=10")).json()
    assert [e["key_style"] for e in log if e["method"] == "POST"] == [style, style]


async def test_absent_null_and_empty_are_alike(lenient: httpx.AsyncClient) -> None:
    path = "/hclient/emr/receive/emrPatientInfo"
    for body in ({"id": "p1", "tel": None}, {"id": "p1", "tel": ""}, {"id": "p1"}):
        assert (await lenient.post(path, json=body)).json()["result"] is True
        assert "tel" not in (await _stored(lenient, "emr_patient_info", "p1") or {})


async def test_numbers_are_accepted_as_strings(lenient: httpx.AsyncClient) -> None:
    reply = (await lenient.post("/hclient/emr/receive/emrVitalSignsRecord",
                                json={"id": 7, "patientId": "p1", "TEMPERATURE": 36.5})).json()
    assert reply["result"] is True and reply["id"] == 7
    row = await _stored(lenient, "emr_vital_signs_record", "7")
    assert row is not None and row["patient_id"] == "p1"


async def test_strict_rejects_empty_gender_and_lenient_accepts(
    strict: httpx.AsyncClient, lenient: httpx.AsyncClient
) -> None:
    record = valid_record("emr_patient_info", full=True, id="p-strict", gender_code="")
    body = to_wire(load_dictionary().table("emr_patient_info"), record)
    refused = (await strict.post("/hclient/emr/receive/emrPatientInfo", json=body)).json()
    assert refused["result"] is False
    assert refused["errorCode"] == "04"
    assert refused["errorName"] == "数据校验错误"
    assert "gender_code" in refused["desc"] and "性别" in refused["desc"]
    assert await _stored(strict, "emr_patient_info", "p-strict") is None
    accepted = (await lenient.post("/hclient/emr/receive/emrPatientInfo", json=body)).json()
    assert accepted["result"] is True
    assert await _stored(lenient, "emr_patient_info", "p-strict") is not None


async def test_strict_masks_values_in_desc(strict: httpx.AsyncClient) -> None:
    record = valid_record("emr_patient_info", full=True, id="p-mask",
                          id_card="110105198001010029", tel="1" * 60)
    body = to_wire(load_dictionary().table("emr_patient_info"), record)
    reply = (await strict.post("/hclient/emr/receive/emrPatientInfo", json=body)).json()
    assert reply["result"] is False
    assert "110105198001010029" not in reply["desc"]
    assert "1" * 60 not in reply["desc"]


@pytest.mark.parametrize(("body", "code"), [
    ({"id": "p1", "operationTime": "2026/03/01"}, "03"),
    ({"id": "p1", "birthDate": "1980-02-30"}, "03"),
    ({"id": "p1", "patientName": {"nested": "object"}}, "03"),
    ({"patientName": "无主键"}, "04"),
])
async def test_lenient_still_refuses_what_cannot_be_read(
    lenient: httpx.AsyncClient, body: dict[str, Any], code: str
) -> None:
    reply = (await lenient.post("/hclient/emr/receive/emrPatientInfo", json=body)).json()
    assert reply["result"] is False
    assert reply["errorCode"] == code


async def test_child_without_parent_key_is_refused_in_lenient(lenient: httpx.AsyncClient) -> None:
    reply = (await lenient.post("/hclient/emr/receive/emrExLabItem", json={"id": "i1"})).json()
    assert reply["errorCode"] == "04"
    assert "ex_lab_id" in reply["desc"]


def _deep(depth: int) -> bytes:
    return b'{"id":"p1","patientName":' + b"[" * depth + b"]" * depth + b"}"


BAD_BODIES = {
    "not json": (b"id=p1&name=x", "05"),
    "empty": (b"", "05"),
    "json array": (b'[{"id":"p1"}]', "05"),
    "json scalar": (b'"p1"', "05"),
    "deeply nested": (_deep(5000), "05"),
    "nested in a field": (_deep(50), "03"),
    "gbk bytes": ('{"id":"p1","patientName":"张三"}'.encode("gbk"), "05"),
    "10 MB": (b'{"id":"p1","patientName":"' + b"a" * 10_000_000 + b'"}', "05"),
    "truncated": (b'{"id":"p1","patientName":"', "05"),
}


@pytest.mark.parametrize("name", BAD_BODIES)
async def test_bad_bodies_get_a_protocol_reply(lenient: httpx.AsyncClient, name: str) -> None:
    raw, code = BAD_BODIES[name]
    response = await lenient.post("/hclient/emr/receive/emrPatientInfo", content=raw,
                                  headers={"Content-Type": "application/json"})
    assert response.status_code == 200
    reply = response.json()
    assert set(reply) == REPLY_KEYS
    assert reply["result"] is False and reply["errorCode"] == code
    still = await lenient.post("/hclient/emr/receive/emrPatientInfo", json={"id": "ok"})
    assert still.json()["result"] is True


async def test_unknown_table_path_is_404_with_protocol_body(lenient: httpx.AsyncClient) -> None:
    response = await lenient.post("/hclient/emr/receive/emrNoSuchTable", json={"id": "x"})
    assert response.status_code == 404
    assert set(response.json()) == REPLY_KEYS
    other = await lenient.get("/hclient/somewhere/else")
    assert other.status_code == 404 and other.json()["result"] is False


async def test_other_methods_are_405(lenient: httpx.AsyncClient) -> None:
    response = await lenient.put("/hclient/emr/receive/emrPatientInfo", json={"id": "x"})
    assert response.status_code == 405
    assert response.json()["result"] is False


async def test_request_log_keeps_arrival_order_and_details(lenient: httpx.AsyncClient) -> None:
    await lenient.post("/hclient/emr/receive/baseUser", json={"ID": "u1", "USER_NAME": "李医生"})
    await lenient.post("/hclient/emr/receive/baseUser", content=b"not json")
    await lenient.post("/hclient/emr/receive/baseUser", json={"id": "u2", "user_name": "赵医生"})
    log = (await lenient.get("/sim/requests?limit=3")).json()
    assert [e["key_style"] for e in log] == ["upper", None, "snake"]
    assert [e["result"] for e in log] == [True, False, True]
    assert [e["errorCode"] for e in log] == ["", "05", ""]
    assert log[0]["body"] == {"ID": "u1", "USER_NAME": "李医生"}
    assert {"time", "method", "path"} <= set(log[0])
    assert (await lenient.get("/sim/requests?limit=1")).json()[0]["body"]["id"] == "u2"


async def test_reset_empties_everything(lenient: httpx.AsyncClient) -> None:
    await lenient.post("/hclient/emr/receive/emrPatientInfo", json={"id": "p1"})
    assert (await lenient.post("/sim/reset")).json()["result"] is True
    assert set((await lenient.get("/sim/tables")).json().values()) == {0}
    assert (await lenient.get("/sim/requests")).json() == []


@pytest.mark.services
async def test_postgres_store(pg_url: str) -> None:
    app, client = await _client("lenient", pg_url)
    table = load_dictionary().table("emr_ex_lab_item")
    async with client:
        record = valid_record(table, full=True, id="li-1", ex_lab_id="lab-1")
        assert (await client.post(table.api_path, json=to_wire(table, record))).json()["result"]
        row = await _stored(client, "emr_ex_lab_item", "li-1")
        assert _as_sent(row, record) == record
        too_long = {**record, "id": "li-2", "item_code": "x" * 500}
        reply = (await client.post(table.api_path, json=to_wire(table, too_long))).json()
        assert reply["result"] is False and reply["errorCode"] == "01"
        assert (await client.post(table.api_path, json=to_wire(table, record))).json()["result"]
        assert (await client.get("/sim/tables")).json()["emr_ex_lab_item"] == 1
    app.sim.close()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.floats(allow_nan=False)
    | st.text(max_size=30),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(
        st.text(max_size=10), children, max_size=3),
    max_leaves=10,
)
field_keys = st.sampled_from(
    [f.camel for f in load_dictionary().table("emr_activity_info").fields] + ["ID", "x_y", ""])


@settings(max_examples=150, deadline=None)
@given(body=st.dictionaries(field_keys, json_values, max_size=8) | json_values)
def test_any_json_body_gets_a_protocol_reply(body: Any) -> None:
    intake = _shared_app().sim.intake
    table = load_dictionary().table("emr_activity_info")
    for method in ("POST", "DELETE"):
        outcome = intake.handle(table, method, orjson.dumps(body))
        assert set(outcome.reply) == REPLY_KEYS
        assert outcome.reply["errorCode"] in ("", "01", "03", "04", "05")


_APPS: list[Any] = []


def _shared_app() -> Any:
    if not _APPS:
        _APPS.append(create_frontend_app(FrontendSimConfig(mode="strict")))
    return _APPS[0]


def test_writes_reach_the_file_across_event_loops(tmp_path: Any) -> None:
    """One app used from two event loops (as function-scoped test loops do): the batch timer
    follows the running loop, so another connection sees the rows shortly after."""
    import asyncio
    import sqlite3

    url = f"sqlite:///{tmp_path}/sim.db"
    app = create_frontend_app(FrontendSimConfig(commit_interval_s=0.01), store_url=url)

    async def post(key: str, wait: float) -> None:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://fe") as client:
            await client.post("/hclient/emr/receive/emrPatientInfo", json={"id": key})
            await asyncio.sleep(wait)

    asyncio.run(post("first", 0))  # the loop ends before its commit timer fires
    asyncio.run(post("second", 0.05))
    with sqlite3.connect(f"{tmp_path}/sim.db") as other:
        ids = sorted(r[0] for r in other.execute("SELECT id FROM emr_patient_info"))
    assert ids == ["first", "second"]
    app.sim.close()
