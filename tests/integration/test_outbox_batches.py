"""The outbox works in batches (SQLite, PostgreSQL): a claim is one statement per state that
returns the stored bodies, a completion writes one attempts row per delivered batch, and the
data API body is built once at intake and sent without decoding; versions stored before the
upgrade are still sent right."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from random import Random
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Engine, event, select

from hisbridge import _json
from hisbridge._clock import ManualClock
from hisbridge.connectors.frontend.client import FrontendApiClient
from hisbridge.connectors.frontend.config import DataApiConfig
from hisbridge.connectors.frontend.mapping import request_body
from hisbridge.delivery.outcome import DeliveryItem, Outcome
from hisbridge.delivery.retry import Decision, RetryPolicy
from hisbridge.dictionary import Validator, load_dictionary
from hisbridge.dictionary.wire import from_wire
from hisbridge.ops.records import read_story
from hisbridge.store.intake import StoreIntake
from hisbridge.store.migrate import alembic_config, upgrade
from hisbridge.store.outbox import Completion, OutboxQueue
from hisbridge.store.schema.outbox import attempts, outbox, records
from hisbridge.testing import ReceiverState, sample_record, serve_receiver

TABLE = "emr_patient_info"
SPEC = load_dictionary().table(TABLE)


@pytest.fixture
def receiver() -> Iterator[tuple[ReceiverState, str]]:
    state = ReceiverState()
    with serve_receiver(state) as url:
        yield state, url


def _statements(engine: Engine) -> list[str]:
    seen: list[str] = []

    def note(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(" ".join(statement.split()).upper())

    event.listen(engine, "before_cursor_execute", note)
    return seen


def _accept(engine: Engine, n: int, clock: ManualClock, **kwargs: Any) -> None:
    StoreIntake(engine, Validator("lenient"), clock=clock, **kwargs).accept(
        TABLE, [sample_record(TABLE, f"p{i}", serial=i) for i in range(n)])


def test_a_claim_is_one_statement_that_returns_the_stored_bodies(store_engine: Engine) -> None:
    clock = ManualClock()
    _accept(store_engine, 5, clock)
    seen = _statements(store_engine)
    items = OutboxQueue(store_engine, clock=clock).claim("w", 3, 60.0)
    writes = [s for s in seen if s.startswith(("UPDATE", "SELECT", "INSERT", "DELETE"))]
    # due retries, then pending entries: each one UPDATE ... RETURNING, no read of records
    assert len(writes) == 2 and all(s.startswith("UPDATE OUTBOX") for s in writes)
    with store_engine.connect() as conn:
        stored = {r.record_id: r for r in conn.execute(select(records))}
    assert [i.record_id for i in items] == ["p0", "p1", "p2"]
    for item in items:
        assert item.payload == stored[item.record_id].payload
        assert item.wire == stored[item.record_id].wire
        assert _json.loads(item.wire or "") == {f.camel: v for f in SPEC.fields
                                                if (v := item.record.get(f.name))}


def test_a_claim_for_a_target_that_writes_records_leaves_the_api_body_out(
        store_engine: Engine) -> None:
    clock = ManualClock()
    _accept(store_engine, 3, clock)
    seen = _statements(store_engine)
    items = OutboxQueue(store_engine, clock=clock, wire=False).claim("w", 3, 60.0)
    claims = [s for s in seen if s.startswith("UPDATE OUTBOX")]
    assert claims and not any("R.WIRE" in s for s in claims)  # one look-up per entry less
    assert all("R.PAYLOAD" in s for s in claims)
    assert [i.wire for i in items] == [None] * 3
    assert [i.record["id"] for i in items] == ["p0", "p1", "p2"]


def test_a_batch_is_completed_with_one_attempts_row_and_each_history_still_reads(
        store_engine: Engine) -> None:
    clock = ManualClock()
    _accept(store_engine, 5, clock)
    queue, seen = OutboxQueue(store_engine, clock=clock), _statements(store_engine)
    items, now = queue.claim("w", 5, 60.0), clock.now()
    failed = Outcome("transient", "HTTP 503", status_code=503)
    done = [Completion(i, Outcome.delivered(status_code=200), Decision("delivered"), now)
            for i in items[:4]]
    done.append(Completion(items[4], failed, Decision("retry", now + timedelta(seconds=9)), now))
    seen.clear()
    queue.complete("w", "frontend-api test", done)
    assert sum(s.startswith("UPDATE OUTBOX") for s in seen) == 2  # the four, then the one
    with store_engine.connect() as conn:
        rows = conn.execute(select(attempts).order_by(attempts.c.id)).all()
        entries = {r.record_id: r for r in conn.execute(select(outbox))}
    assert [(r.outbox_id, r.verdict, r.records) for r in rows] == [
        (entries["p4"].id, "transient", 1), (None, "delivered", 4)]
    assert {entries[f"p{i}"].attempt_id for i in range(4)} == {rows[1].id}
    assert entries["p4"].attempt_id is None and entries["p4"].state == "retry_wait"
    story = read_story(store_engine, TABLE, "p2")
    assert story is not None
    [history] = story.entries
    assert [(a["verdict"], a["attempt_no"], a["target"]) for a in history["attempt_rows"]] == [
        ("delivered", 1, "frontend-api test")]


def test_a_delivered_batch_is_completed_with_one_bound_value_for_its_ids(
        store_engine: Engine) -> None:
    clock = ManualClock()
    _accept(store_engine, 40, clock)
    queue, seen = OutboxQueue(store_engine, clock=clock), _statements(store_engine)
    texts = []
    for size in (3, 37):
        done = [Completion(i, Outcome.delivered(), Decision("delivered"), clock.now())
                for i in queue.claim("w", size, 60.0)]
        seen.clear()
        queue.complete("w", "frontend-db test", done)
        [update] = [s for s in seen if s.startswith("UPDATE OUTBOX")]
        texts.append(update)
    assert texts[0] == texts[1]  # the statement does not grow with the batch: ids go as one value
    with store_engine.connect() as conn:
        assert set(conn.execute(select(outbox.c.state)).scalars()) == {"delivered"}


async def test_the_api_body_is_sent_as_stored_without_decoding(
        store_engine: Engine, receiver: tuple[ReceiverState, str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    state, url = receiver
    clock = ManualClock()
    _accept(store_engine, 3, clock)
    items = OutboxQueue(store_engine, clock=clock).claim("w", 3, 60.0)
    expected = {i.record_id: _json.loads(i.wire or "") for i in items}

    def no_decoding(item: DeliveryItem) -> Any:
        raise AssertionError("the stored record was decoded on the way to the data API")

    client = FrontendApiClient(DataApiConfig(base_url=url))
    with monkeypatch.context() as patch:
        patch.setattr(DeliveryItem, "record", property(no_decoding))
        outcomes = [await client.deliver(item) for item in items]
    await client.aclose()
    assert [o.verdict for o in outcomes] == ["delivered"] * 3
    assert {r.record_id: r.body for r in state.received} == expected


async def test_versions_queued_before_the_upgrade_are_sent_from_their_payload(
        unmigrated_engine: Engine, receiver: tuple[ReceiverState, str]) -> None:
    """Stored at the previous head (no wire body), upgraded, then claimed and sent."""
    state, url = receiver
    engine, clock = unmigrated_engine, ManualClock()
    command.upgrade(alembic_config(engine), "outbox_0004_h19s")
    _accept(engine, 3, clock, wire=False)
    upgrade(engine)
    items = OutboxQueue(engine, clock=clock).claim("w", 3, 60.0)
    assert [i.wire for i in items] == [None] * 3
    client = FrontendApiClient(DataApiConfig(base_url=url))
    outcomes = [await client.deliver(item) for item in items]
    await client.aclose()
    assert [o.verdict for o in outcomes] == ["delivered"] * 3
    for got in state.received:
        assert got.method == "POST" and got.table == TABLE
        assert from_wire(SPEC, got.body).record == next(
            i.record for i in items if i.record_id == got.record_id)
        assert "patientName" in got.body  # camelCase, as the front-end expects
    policy, now = RetryPolicy(), clock.now()
    OutboxQueue(engine, clock=clock).complete("w", "t", [
        Completion(i, o, policy.decide(o, i.attempt_no, now, Random()), now)
        for i, o in zip(items, outcomes, strict=True)])
    with engine.connect() as conn:
        assert set(conn.execute(select(outbox.c.state)).scalars()) == {"delivered"}


def test_other_key_styles_are_built_from_the_stored_record(store_engine: Engine) -> None:
    clock = ManualClock()
    _accept(store_engine, 1, clock)
    [item] = OutboxQueue(store_engine, clock=clock).claim("w", 1, 60.0)
    assert request_body(SPEC, item, "camel") == (item.wire or "").encode()
    upper = _json.loads(request_body(SPEC, item, "upper"))
    assert upper == {f.upper: v for f in SPEC.fields if (v := item.record.get(f.name))}


def test_a_claim_for_the_data_api_leaves_out_the_payload_it_would_not_read(
        store_engine: Engine) -> None:
    """The data API sends the stored wire body as it is; the payload beside it is not read from
    the store (less to fetch and decode per record), except for a version stored without a
    body, which is still built from its payload."""
    clock = ManualClock()
    _accept(store_engine, 2, clock)
    StoreIntake(store_engine, Validator("lenient"), clock=clock, wire=False).accept(
        TABLE, [sample_record(TABLE, "bare", serial=9)])
    items = OutboxQueue(store_engine, clock=clock, sends_wire=True).claim("w", 10, 60.0)
    by_id = {i.record_id: i for i in items}
    assert {r: (i.wire is not None, i.payload != "{}") for r, i in by_id.items()} == {
        "p0": (True, False), "p1": (True, False), "bare": (False, True)}
    assert by_id["bare"].record["id"] == "bare"
    assert _json.loads(request_body(SPEC, by_id["p0"], "camel")) == _json.loads(
        by_id["p0"].wire or "")


def test_the_service_claims_without_payloads_only_for_the_data_api_it_builds(
        store_engine: Engine) -> None:
    from hisbridge.runtime.delivery import DeliveryService
    from hisbridge.settings import Settings
    from hisbridge.testing import RecordingTarget

    api = Settings(frontend={"mode": "api"})
    snake = Settings(frontend={"mode": "api", "key_style": "snake"})
    db = Settings(frontend={"mode": "db", "db_url": "sqlite://"})
    assert DeliveryService.from_settings(api, store_engine).queue.sends_wire
    assert not DeliveryService.from_settings(snake, store_engine).queue.sends_wire
    assert not DeliveryService.from_settings(db, store_engine,
                                             target=RecordingTarget()).queue.sends_wire
    assert not DeliveryService.from_settings(api, store_engine,
                                             target=RecordingTarget()).queue.sends_wire
