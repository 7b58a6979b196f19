"""A HIS webhook delivery given up is found, with its reason, from the CLI and the console,
and ``hisbridge outbox webhooks --requeue`` sends it again."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, insert
from typer.testing import CliRunner

from hisbridge.cli import _register, app
from hisbridge.connectors.frontend.interaction_config import WebhookSettings
from hisbridge.settings import load_settings
from hisbridge.store.engine import make_engine
from hisbridge.store.migrate import upgrade
from hisbridge.store.schema.warnings import warning_messages
from hisbridge.store.webhooks import dead_webhooks, enqueue
from hisbridge.testing import ManualClock
from hisbridge.testing.console import FAST_ARGON2, add_role_users, login
from hisbridge.warnings.webhook import WebhookSender
from hisbridge.web.app import create_app

if not any(group.name == "outbox" for group in app.registered_groups):
    _register()
ID_NUMBER = "440106199001011237"


async def _a_dead_webhook(engine: Engine, clock: ManualClock) -> None:
    """One warning whose HIS endpoint refuses it (quoting a patient's ID number) until given up."""
    with engine.begin() as conn:
        conn.execute(insert(warning_messages).values(
            msg_id="W1", seq=1, type="missed_report", level="高", title="疑似漏报", content="…",
            polled_at=clock.now(), raw="{}"))
        enqueue(conn, "W1", clock.now())
    refuse = httpx.MockTransport(lambda _: httpx.Response(422, text=f"bad patient {ID_NUMBER}"))
    async with httpx.AsyncClient(transport=refuse) as http:
        sender = WebhookSender(engine, http, WebhookSettings(
            url="http://his/hook", secret="s" * 24, max_attempts=2, backoff_base_s=1), clock)
        for _ in range(2):
            assert await sender.send_due() == 1
            clock.advance(5)


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    upgrade(engine)
    await _a_dead_webhook(engine, ManualClock())
    yield engine
    engine.dispose()


async def test_dead_webhooks_are_listed_with_the_reason_and_requeued(engine: Engine,
                                                                    tmp_path: Path) -> None:
    [dead] = dead_webhooks(engine)
    assert (dead.msg_id, dead.attempts, dead.error_code) == ("W1", 2, "422")
    assert "gave up after 2 attempts: HTTP 422" in dead.reason
    assert dead.reply is not None and ID_NUMBER not in dead.reply  # masked for every reader
    config = tmp_path / "hisbridge.yaml"
    config.write_text(f"store:\n  url: {engine.url.render_as_string()}\n", "utf-8")
    runner = CliRunner()
    listed = runner.invoke(app, ["outbox", "webhooks", "-c", str(config)], env={"COLUMNS": "200"})
    assert listed.exit_code == 0 and "W1" in listed.output and "HTTP 422" in listed.output
    again = runner.invoke(app, ["outbox", "webhooks", "-c", str(config), "--requeue"])
    assert again.exit_code == 0 and "requeued 1" in again.output
    assert dead_webhooks(engine) == []


async def test_the_console_shows_dead_webhooks_on_the_dead_letters_page(engine: Engine) -> None:
    add_role_users(engine)
    web = create_app(load_settings(console={"argon2": FAST_ARGON2}), engine)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=web),
                                 base_url="http://c.test") as client:
        await login(client, "operator1")
        page = await client.get("/console/dead")
    assert page.status_code == 200
    hooks = page.text.split('data-testid="dead-webhooks"')[1]
    assert "W1" in hooks and "HTTP 422" in hooks and ID_NUMBER not in page.text
