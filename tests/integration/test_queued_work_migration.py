"""Upgrading a store with queued work to one durable queue loses nothing (SQLite, PostgreSQL).

The store is built at the heads main had before ``messages_0003_h18a``: outbox entries pending,
waiting for a retry and dead, and HIS webhook deliveries in the old home-made queue (pending,
``sending``, retry, dead, delivered; Unix-second floats). After the upgrade every record and
every webhook delivery is there in the matching state, dead ones with their reason, and all of
them are delivered afterwards (dead ones once replayed or requeued).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from random import Random

import httpx
import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy import Engine, select

from hisbridge import _json
from hisbridge.connectors.frontend.interaction_config import WebhookSettings
from hisbridge.delivery.outcome import Outcome
from hisbridge.delivery.retry import RetryPolicy
from hisbridge.dictionary import Validator
from hisbridge.store.engine import make_engine
from hisbridge.store.intake import StoreIntake
from hisbridge.store.migrate import alembic_config, applied, pending, upgrade
from hisbridge.store.outbox import Completion, OutboxQueue
from hisbridge.store.queries import DeadFilter, ReplayFilter, dead_letters, replay
from hisbridge.store.schema.outbox import outbox
from hisbridge.store.schema.warnings import warning_webhook_deliveries as deliveries
from hisbridge.store.times import UtcDateTime, to_store
from hisbridge.store.webhooks import dead_webhooks, requeue_dead
from hisbridge.testing import ManualClock, sample_record
from hisbridge.warnings.webhook import WebhookSender

pytestmark = pytest.mark.services
# Every branch's head on main before this change.
OLD_HEADS = ("outbox_0003_h15b", "sources_0003_h15b", "audit_0001", "consent_0002_htime",
             "console_0002_h14b", "messages_0002_h17a")
TABLE = "emr_patient_info"
DEAD_REASON = "04 身份证号无效 invalid ID number"

_messages = sa.table(
    "messages", sa.column("msg_id", sa.String), sa.column("seq", sa.BigInteger),
    sa.column("type", sa.String), sa.column("level", sa.String), sa.column("title", sa.String),
    sa.column("content", sa.Text), sa.column("user_id", sa.String),
    sa.column("polled_at", UtcDateTime()), sa.column("raw", sa.Text))
_old_outbox = sa.table(
    "outbox", sa.column("record_id", sa.String), sa.column("state", sa.String),
    sa.column("attempts", sa.Integer), sa.column("next_attempt_at", UtcDateTime()),
    sa.column("finished_at", UtcDateTime()), sa.column("last_error", sa.Text),
    sa.column("error_code", sa.String))
_hooks = sa.table(
    "message_webhook_deliveries", sa.column("msg_id", sa.String), sa.column("state", sa.String),
    sa.column("attempts", sa.Integer), sa.column("next_attempt_at", sa.Float),
    sa.column("claimed_until", sa.Float), sa.column("last_status", sa.Integer),
    sa.column("last_error", sa.Text), sa.column("delivered_at", UtcDateTime()))


def _old_webhooks(clock: ManualClock) -> list[dict[str, object]]:
    """As the old sender left them: one of each state, times as Unix seconds."""
    now = clock.now().timestamp()
    base = {"claimed_until": None, "last_status": None, "last_error": None, "delivered_at": None}
    return [
        {**base, "msg_id": "W-PENDING", "state": "pending", "attempts": 0, "next_attempt_at": now},
        {**base, "msg_id": "W-SENDING", "state": "sending", "attempts": 1,
         "next_attempt_at": now - 10, "claimed_until": now + 15},
        {**base, "msg_id": "W-RETRY", "state": "retry_wait", "attempts": 2,
         "next_attempt_at": now + 4, "last_status": 503, "last_error": "HTTP 503"},
        {**base, "msg_id": "W-DEAD", "state": "dead", "attempts": 10, "next_attempt_at": now - 60,
         "last_status": 500, "last_error": "HTTP 500"},
        {**base, "msg_id": "W-DONE", "state": "delivered", "attempts": 1,
         "next_attempt_at": now - 120, "last_status": 200, "delivered_at": clock.now()},
    ]


def _build_old_store(engine: Engine, clock: ManualClock) -> None:
    """Records pending, waiting for a retry and dead; webhook deliveries in the old queue."""
    cfg = alembic_config(engine)
    for head in OLD_HEADS:
        command.upgrade(cfg, head)
    assert pending(engine) and "messages_0003_h18a" not in applied(engine)
    StoreIntake(engine, Validator("lenient"), clock=clock, wire=False).accept(
        TABLE, [sample_record(TABLE, f"p{i}", serial=i) for i in range(6)])
    now = to_store(clock.now())
    o = _old_outbox.c
    with engine.begin() as conn:  # as the old queue left them: two retrying, two dead
        conn.execute(_old_outbox.update().where(o.record_id.in_(["p0", "p1"])).values(
            state="retry_wait", attempts=1, next_attempt_at=now + timedelta(seconds=60),
            last_error="HTTP 503"))
        conn.execute(_old_outbox.update().where(o.record_id.in_(["p2", "p3"])).values(
            state="dead", attempts=1, finished_at=now, last_error=DEAD_REASON,
            error_code="04"))
    hooks = _old_webhooks(clock)
    with engine.begin() as conn:
        conn.execute(_messages.insert(), [
            {"msg_id": h["msg_id"], "seq": n, "type": "missed_report", "level": "高",
             "title": "疑似漏报", "content": "…", "user_id": "D001", "polled_at": now, "raw": "{}"}
            for n, h in enumerate(hooks, start=1)])
        conn.execute(_hooks.insert(), hooks)


def _outbox_rows(engine: Engine) -> list[dict[str, object]]:
    """The outbox as the old schema had it (later upgrades add ``attempt_id``, ``institution``)."""
    old = [c for c in outbox.c if c.name not in {"attempt_id", "institution"}]
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(*old).order_by(outbox.c.id)).mappings()]


def _webhooks(engine: Engine) -> dict[str, dict[str, object]]:
    with engine.connect() as conn:
        return {r.msg_id: dict(r._mapping) for r in conn.execute(select(deliveries))}


class His:
    """A HIS webhook endpoint that accepts everything and remembers what it got."""

    def __init__(self) -> None:
        self.got: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.got.append(_json.loads(request.content)["id"])
        return httpx.Response(200, json={"ok": True})


def _deliver_outbox(engine: Engine, clock: ManualClock) -> set[str]:
    """Run a worker that the front-end always accepts until nothing is due; what it sent."""
    queue, sent = OutboxQueue(engine, clock=clock), set()
    policy, now = RetryPolicy(), clock.now()
    while items := queue.claim("new-worker", 10, 60.0):
        done = [Completion(i, Outcome.delivered(), policy.decide(Outcome.delivered(),
                                                                 i.attempt_no, now, Random()), now)
                for i in items]
        queue.complete("new-worker", "http://fe", done)
        sent |= {i.record_id for i in items}
    return sent


async def _deliver_webhooks(engine: Engine, clock: ManualClock, his: His) -> None:
    async with httpx.AsyncClient(transport=httpx.MockTransport(his)) as http:
        sender = WebhookSender(engine, http, WebhookSettings(url="http://his/hook",
                                                             secret="s" * 24), clock)
        while await sender.send_due():
            pass


@pytest.fixture
def engine(store_url: str) -> Iterator[Engine]:
    engine = make_engine(store_url)
    yield engine
    engine.dispose()


async def test_queued_records_and_webhook_deliveries_survive_the_upgrade(engine: Engine) -> None:
    clock = ManualClock()
    _build_old_store(engine, clock)
    records_before = _outbox_rows(engine)
    assert sorted(r["state"] for r in records_before) == [
        "dead", "dead", "pending", "pending", "retry_wait", "retry_wait"]

    upgrade(engine)

    assert not pending(engine) and "messages_0003_h18a" in applied(engine)
    assert _outbox_rows(engine) == records_before  # the outbox is untouched
    hooks, now = _webhooks(engine), to_store(clock.now())
    assert {k: (v["state"], v["attempts"]) for k, v in hooks.items()} == {
        "W-PENDING": ("pending", 0), "W-SENDING": ("in_flight", 2), "W-RETRY": ("retry_wait", 2),
        "W-DEAD": ("dead", 10), "W-DONE": ("delivered", 1)}
    assert hooks["W-SENDING"]["lease_expires_at"] == now + timedelta(seconds=15)
    assert hooks["W-RETRY"]["next_attempt_at"] == now + timedelta(seconds=4)
    assert hooks["W-DONE"]["finished_at"] == now
    assert all(h["created_at"] == now for h in hooks.values())
    assert [(d.msg_id, d.reason, d.error_code) for d in dead_webhooks(engine)] == [
        ("W-DEAD", "HTTP 500", "500")]
    assert {(d.record_id, d.reason) for d in dead_letters(engine, DeadFilter(TABLE))} == {
        ("p2", DEAD_REASON), ("p3", DEAD_REASON)}

    # Afterwards everything is delivered: retries when due, dead ones once replayed/requeued.
    clock.advance(61)
    assert replay(engine, ReplayFilter(TABLE), clock.now()).replayed == 2
    assert _deliver_outbox(engine, clock) == {f"p{i}" for i in range(6)}
    assert requeue_dead(engine, clock) == 1
    his = His()
    await _deliver_webhooks(engine, clock, his)
    assert sorted(his.got) == ["W-DEAD", "W-PENDING", "W-RETRY", "W-SENDING"]
    assert {h["state"] for h in _webhooks(engine).values()} == {"delivered"}



@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    url = f"sqlite:///{tmp_path / 'store.db'}" if request.param == "sqlite" else str(
        request.getfixturevalue("pg_url" if request.param == "postgresql" else "mysql_url"))
    engine = make_engine(url)
    yield engine
    engine.dispose()


def _old_rows(engine: Engine) -> list[list[dict[str, object]]]:
    """The old tables' rows; a delivered delivery's 2xx status is not kept (it has no error)."""
    with engine.connect() as conn:
        rows = [[dict(r._mapping) for r in conn.execute(select(t).order_by(t.c.msg_id))]
                for t in (_messages, _hooks)]
    for hook in rows[1]:
        if hook["state"] == "delivered":
            hook["last_status"] = None
    return rows


def test_the_warning_tables_move_there_and_back_on_every_store(any_store: Engine) -> None:
    """The messages branch alone (MariaDB too): renamed with every row, and back again."""
    engine, clock = any_store, ManualClock()
    cfg = alembic_config(engine)
    command.upgrade(cfg, "messages_0002_h17a")
    hooks = _old_webhooks(clock)
    with engine.begin() as conn:
        conn.execute(_messages.insert(), [
            {"msg_id": h["msg_id"], "seq": n, "type": "t", "level": "高", "title": "标题",
             "content": "…", "user_id": "D001", "polled_at": clock.now(), "raw": "{}"}
            for n, h in enumerate(hooks, start=1)])
        conn.execute(_hooks.insert(), hooks)
    before = _old_rows(engine)
    command.upgrade(cfg, "messages@head")
    tables = set(sa.inspect(engine).get_table_names())
    assert {"warning_messages", "warning_receipts", "warning_poll_state", "warning_poller_lease",
            "warning_webhook_deliveries"} <= tables
    assert not tables & {"messages", "message_receipts", "message_webhook_deliveries"}
    assert {k: v["state"] for k, v in _webhooks(engine).items()} == {
        "W-PENDING": "pending", "W-SENDING": "in_flight", "W-RETRY": "retry_wait",
        "W-DEAD": "dead", "W-DONE": "delivered"}
    command.downgrade(cfg, "messages_0002_h17a")
    assert _old_rows(engine) == before
