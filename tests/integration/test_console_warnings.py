"""The console over the warning messages polled from the front-end."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, insert

from hisbridge.settings import load_settings
from hisbridge.store.engine import make_engine
from hisbridge.store.migrate import upgrade
from hisbridge.store.schema.warnings import warning_messages, warning_poll_state, warning_receipts
from hisbridge.testing.console import FAST_ARGON2, add_role_users, login
from hisbridge.web.app import create_app

NOW = datetime.now(UTC)
ID_NUMBER = "440106199001011237"


def _seed(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(insert(warning_messages), [
            {"msg_id": f"m{n}", "seq": n, "type": "missed_report", "level": level, "title": f"疑似漏报 {n}",
             "content": f"患者身份证 {ID_NUMBER} 未上报传染病报告卡", "patient_id": "P-1",
             "serial_number": f"MZ-{n}", "org_code": "440100001", "dept_code": "D01", "user_id": "doc1",
             "create_time": "2026-03-01 08:00:00", "polled_at": NOW,
             "raw": "{}"} for n, level in ((1, "high"), (2, "low"))])
        conn.execute(insert(warning_poll_state).values(
            name="frontend", cursor=None, last_seq=2, last_ok_at=NOW, last_attempt_at=NOW, failures=0,
            last_error=None))


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, Engine]]:
    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    upgrade(engine)
    add_role_users(engine)
    _seed(engine)
    app = create_app(load_settings(console={"argon2": FAST_ARGON2}), engine)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://c.test") as c:
        yield c, engine
    engine.dispose()


async def test_warnings_page_masks_and_filters(world: tuple[httpx.AsyncClient, Engine]) -> None:
    client, _ = world
    await login(client, "operator1")
    page = await client.get("/console/warnings")
    assert page.status_code == 200 and "疑似漏报 1" in page.text and "frontend" in page.text
    assert ID_NUMBER not in page.text and ID_NUMBER[-4:] in page.text
    high = await client.get("/console/warnings?level=high")
    assert "疑似漏报 1" in high.text and "疑似漏报 2" not in high.text
    assert (await client.get("/console/warnings?from=2026-99-01")).status_code == 400


async def test_warnings_page_shows_each_doctors_state_with_who_and_when(
    world: tuple[httpx.AsyncClient, Engine]
) -> None:
    client, engine = world
    with engine.begin() as conn:
        conn.execute(insert(warning_receipts).values(
            msg_id="m1", user_id="doc1", read_at=NOW, read_by="doc2", handled_at=NOW,
            handled_by="doc2"))
    await login(client, "operator1")
    page = await client.get("/console/warnings")
    assert page.status_code == 200
    cells = page.text.split('data-testid="receipts">')
    assert cells[1].startswith("—")  # m2 (newest first): nobody read it
    assert "doc1：已处理 doc2" in cells[2]  # m1: doc1's warning, handled by doc2
