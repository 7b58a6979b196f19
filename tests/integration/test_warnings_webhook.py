"""The HIS webhook: each new message POSTed, signed with HMAC, retried, dead at last."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import select

from hisbridge import _json
from hisbridge._clock import ManualClock
from hisbridge.runtime.gateway import message_settings
from hisbridge.settings import Settings
from hisbridge.store.engine import make_engine
from hisbridge.store.migrate import upgrade
from hisbridge.store.schema.warnings import warning_webhook_deliveries as deliveries
from hisbridge.testing.frontend_fake import FakeFrontendState, fake_frontend_app
from hisbridge.testing.warnings import HostRouter
from hisbridge.warnings.services import MessageServices, build_message_services
from hisbridge.warnings.webhook import signature


class HisReceiver:
    """A HIS endpoint that fails ``fail_first`` times, then accepts; it checks signatures."""

    def __init__(self, fail_first: int) -> None:
        self.fail_first = fail_first
        self.calls: list[dict[str, Any]] = []
        self.app = FastAPI()
        self.app.post("/hook")(self.hook)

    async def hook(self, request: Request) -> JSONResponse:
        body = await request.body()
        stamp = request.headers["x-hisbridge-timestamp"]
        valid = request.headers["x-hisbridge-signature"] == signature("hook-secret", stamp, body)
        self.calls.append({"valid": valid, "message": _json.loads(body)})
        if len(self.calls) <= self.fail_first:
            return JSONResponse({"error": "busy"}, 503)
        return JSONResponse({"ok": True})


def _services(tmp_path: Path, clock: ManualClock, state: FakeFrontendState,
              his: HisReceiver, max_attempts: int) -> MessageServices:
    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    upgrade(engine)
    settings = Settings(
        frontend={"license": "SIM-LICENSE-0001", "base_url": "http://fe"},
        interaction={"webhook": {"url": "http://his/hook", "secret": "hook-secret",
                                 "max_attempts": max_attempts, "backoff_base_s": 2}})
    router = HostRouter({"fe": fake_frontend_app(state), "his": his.app})  # hosts to apps
    return build_message_services(message_settings(settings), engine, clock, transport=router)


def _states(services: MessageServices) -> list[tuple[str, int]]:
    with services.store._engine.connect() as conn:
        rows = conn.execute(select(deliveries.c.state, deliveries.c.attempts)
                            .order_by(deliveries.c.id)).all()
    return [(r.state, r.attempts) for r in rows]


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


async def test_webhook_retries_with_backoff_until_delivered(tmp_path: Path,
                                                            clock: ManualClock) -> None:
    state, his = FakeFrontendState(clock=clock), HisReceiver(fail_first=2)
    services = _services(tmp_path, clock, state, his, max_attempts=5)
    state.add_message()
    await services.poller.step()
    assert services.webhook is not None
    assert await services.webhook.send_due() == 1
    assert _states(services) == [("retry_wait", 1)]
    assert await services.webhook.send_due() == 0  # not due before its back-off (2 s)
    clock.advance(2)
    await services.webhook.send_due()
    assert _states(services) == [("retry_wait", 2)]
    clock.advance(3)
    assert await services.webhook.send_due() == 0  # second back-off is 4 s
    clock.advance(1)
    await services.webhook.send_due()
    assert _states(services) == [("delivered", 3)]
    assert len(his.calls) == 3 and all(c["valid"] for c in his.calls)
    assert his.calls[-1]["message"]["id"] == "M000001"
    await services.aclose()


async def test_webhook_gives_up_after_max_attempts(tmp_path: Path, clock: ManualClock) -> None:
    state, his = FakeFrontendState(clock=clock), HisReceiver(fail_first=100)
    services = _services(tmp_path, clock, state, his, max_attempts=3)
    state.add_message()
    state.add_message()
    await services.poller.step()
    assert services.webhook is not None
    for _ in range(4):
        await services.webhook.send_due()
        clock.advance(60)
    assert _states(services) == [("dead", 3), ("dead", 3)]
    await services.aclose()


def test_signature_is_hmac_sha256_over_timestamp_and_body() -> None:
    import hashlib
    import hmac

    body = b'{"id":"M1"}'
    expected = hmac.new(b"s", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert signature("s", "1700000000", body) == "sha256=" + expected
    assert signature("s", "1700000001", body) != signature("s", "1700000000", body)
