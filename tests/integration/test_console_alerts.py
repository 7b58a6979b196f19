"""Alert evaluation end to end: rules over a snapshot, cool-down in the store, signed webhook."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine

from hisbridge import _json
from hisbridge.ops.alerts import store
from hisbridge.ops.alerts.rules import Snapshot
from hisbridge.ops.alerts.service import AlertService
from hisbridge.ops.alerts.snapshot import read_snapshot
from hisbridge.ops.alerts.webhook import WebhookNotifier
from hisbridge.ops.settings import AlertSettings
from hisbridge.store.engine import make_engine
from hisbridge.store.migrate import upgrade
from hisbridge.testing import ManualClock
from hisbridge.testing.console import FAST_ARGON2

SECRET = "webhook-secret"


class Hook:
    """A webhook receiver that checks the signature and keeps what it got."""

    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.bodies: list[dict[str, object]] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        stamp = request.headers["X-Hisbridge-Timestamp"]
        mac = hmac.new(SECRET.encode(), f"{stamp}.".encode() + request.content, hashlib.sha256)
        assert request.headers["X-Hisbridge-Signature"] == "sha256=" + mac.hexdigest()
        self.bodies.append(_json.loads(request.content))
        return httpx.Response(self.status)


class Scripted:
    """A snapshot reader whose dead-letter counts the test sets."""

    def __init__(self) -> None:
        self.dead: dict[str, int] = {}

    def __call__(self, _: Engine, now: datetime, __: timedelta) -> Snapshot:
        return Snapshot(at=now, dead_recent=dict(self.dead))


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    upgrade(engine)
    return engine


def _service(engine: Engine, hook: Hook, reader: Scripted, clock: ManualClock) -> AlertService:
    cfg = AlertSettings(webhook_url="http://hook.test/alerts", cooldown_minutes=30, dead_growth=5)
    notifier = WebhookNotifier(cfg.webhook_url or "", SECRET, transport=httpx.MockTransport(hook.handle))
    return AlertService(engine, cfg, clock=clock, notifier=notifier, reader=reader)


async def test_alerts_are_sent_once_per_cooldown_and_resolved(engine: Engine) -> None:
    hook, reader, clock = Hook(), Scripted(), ManualClock()
    service = _service(engine, hook, reader, clock)
    reader.dead = {"emr_order": 7}
    await service.run_once()
    assert [a["subject"] for a in hook.bodies[-1]["firing"]] == ["emr_order"]  # type: ignore[index]
    for _ in range(5):  # a flood of evaluations within the cool-down sends nothing more
        clock.advance(minutes=5)
        await service.run_once()
    assert len(hook.bodies) == 1
    active = store.list_alerts(engine, active=True)
    assert [(a.rule, a.subject, a.seen) for a in active] == [("dead_growth", "emr_order", 6)]
    clock.advance(minutes=6)  # 31 minutes after the first send: a reminder
    await service.run_once()
    assert len(hook.bodies) == 2
    reader.dead = {}
    await service.run_once()
    assert hook.bodies[-1]["resolved"] == [{"rule": "dead_growth", "subject": "emr_order"}]
    assert store.list_alerts(engine, active=True) == []
    assert [a.subject for a in store.list_alerts(engine, active=False)] == ["emr_order"]


async def test_a_failed_webhook_is_tried_again_next_time(engine: Engine) -> None:
    hook, reader, clock = Hook(status=503), Scripted(), ManualClock()
    service = _service(engine, hook, reader, clock)
    reader.dead = {"emr_ex_lab": 9}
    await service.run_once()
    assert store.list_alerts(engine, active=True)[0].last_sent_at is None
    hook.status = 200
    clock.advance(minutes=1)
    await service.run_once()
    assert len(hook.bodies) == 2 and store.list_alerts(engine, active=True)[0].last_sent_at == clock.now()


async def test_unreachable_webhook_never_raises(engine: Engine) -> None:
    def refuse(_: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused")

    notifier = WebhookNotifier("http://hook.test/", SECRET, transport=httpx.MockTransport(refuse))
    assert await notifier.send({"firing": []}, ManualClock().now()) is False


def test_snapshot_of_an_empty_store(engine: Engine) -> None:
    snapshot = read_snapshot(engine, ManualClock().now(), timedelta(hours=1))
    assert snapshot.dead_recent == {} and snapshot.oldest_pending_s == {}


async def test_the_app_evaluates_alerts_while_it_runs(engine: Engine) -> None:
    from hisbridge.settings import load_settings
    from hisbridge.web.app import create_app

    hook, reader, clock = Hook(), Scripted(), ManualClock()
    reader.dead = {"emr_order": 50}
    app = create_app(load_settings(console={"argon2": FAST_ARGON2}), engine, clock=clock)
    app.state.alerts = _service(engine, hook, reader, clock)
    async with app.router.lifespan_context(app):
        for _ in range(100):
            if hook.bodies:
                break
            await asyncio.sleep(0.02)
    assert hook.bodies and store.list_alerts(engine, active=True)[0].subject == "emr_order"
