"""Reconciliation in the console with the HIS extraction wired: HIS keys vs the store, and
resending what is missing from the browser's form."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

from hisbridge._clock import CHINA_TZ
from hisbridge.project.example import write_example
from hisbridge.runtime.extraction import extract, open_pipeline
from hisbridge.settings import load_settings
from hisbridge.simulators.his import build_day
from hisbridge.store.engine import make_engine
from hisbridge.testing import ManualClock
from hisbridge.testing.console import FAST_ARGON2, add_role_users, login
from hisbridge.web.app import create_app
from hisbridge.web.services import AppServices

DAY = date(2026, 3, 2)


def _row(html: str, table: str) -> list[int]:
    """The numbers of one table's line on the page."""
    line = html.split(f"<code>{table}</code>", 1)[1].split("</tr>", 1)[0]
    return [int(n) for n in re.findall(r'class="num[^"]*">(\d+)<', line)]


@asynccontextmanager
async def _console(pipe: Any, clock: ManualClock) -> AsyncIterator[httpx.AsyncClient]:
    """The console over the pipeline's store, with the HIS side wired, and its users."""
    add_role_users(pipe.engine)
    app = create_app(load_settings(console={"argon2": FAST_ARGON2}), pipe.engine, clock=clock,
                     services=AppServices(poller=pipe.poller))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://c") as client:
        yield client


async def test_missing_keys_are_shown_and_resent(tmp_path: Path) -> None:
    his_url = f"sqlite:///{tmp_path / 'his.sqlite'}"
    build_day(make_engine(his_url), DAY, 20, seed=4)
    write_example(tmp_path, his_url=his_url, store_url=f"sqlite:///{tmp_path / 'store.db'}")
    clock = ManualClock(datetime(2026, 3, 3, 8, 0, tzinfo=CHINA_TZ))
    with open_pipeline(tmp_path / "hisbridge.yaml", clock=clock) as pipe:
        extract(pipe.poller, ["emr_patient_info"])  # the visits are not extracted yet
        async with _console(pipe, clock) as client:
            token = await login(client, "operator1")
            page = (await client.get(f"/console/reconcile?date={DAY}")).text
            source, accepted, *_, missing = _row(page, "emr_patient_info")
            assert source > 0 and accepted == source and missing == 0
            visits = _row(page, "emr_outpatient_record")
            assert visits[0] > 0 and visits[1] == 0 and visits[-1] == visits[0]
            assert 'data-testid="resend-emr_outpatient_record"' in page
            done = await client.post("/console/reconcile/resend", data={
                "csrf": token, "table": "emr_outpatient_record", "date": DAY.isoformat()})
            assert done.status_code == 303 and f"requeued={visits[0]}" in done.headers["location"]
            after = (await client.get(done.headers["location"])).text
            assert _row(after, "emr_outpatient_record")[-1] == 0
            await login(client, "auditor1")
            assert (await client.get("/console/reconcile")).status_code == 403
            await login(client, "admin1")
            log = (await client.get("/console/actions?action=reconcile.resend")).text
            assert "operator1" in log and "emr_outpatient_record" in log


async def test_records_in_flight_are_in_flight_not_missing(tmp_path: Path) -> None:
    """Without the HIS side, accepted records still on their way are shown as in flight; only
    the dead are marked (they used to be counted as "not delivered", in red)."""
    from hisbridge.dictionary import Validator
    from hisbridge.store.intake import StoreIntake
    from hisbridge.store.migrate import upgrade
    from hisbridge.store.outbox import OutboxQueue
    from hisbridge.testing import sample_record

    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    upgrade(engine)
    clock = ManualClock(datetime(2026, 3, 3, 8, 0, tzinfo=CHINA_TZ))
    StoreIntake(engine, Validator("lenient"), clock=clock).accept(
        "emr_patient_info", [sample_record("emr_patient_info", f"p{i}", serial=i) for i in range(5)])
    OutboxQueue(engine, clock=clock).claim("w", 2, 60.0)  # two in flight, three pending
    add_role_users(engine)
    app = create_app(load_settings(console={"argon2": FAST_ARGON2}), engine, clock=clock)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://c") as client:
        await login(client, "operator1")
        page = (await client.get("/console/reconcile?date=2026-03-03")).text
    line = page.split("<code>emr_patient_info</code>", 1)[1].split("</tr>", 1)[0]
    assert 'data-testid="in-flight-emr_patient_info">5<' in line
    assert "sev-critical" not in line
    engine.dispose()


async def test_rows_deleted_outright_show_as_only_at_the_front_end(tmp_path: Path) -> None:
    """A lab result deleted outright in the HIS after it was sent: the page counts it in
    "仅前置机有", names the command, and its resend button sends the delete."""
    his_url = f"sqlite:///{tmp_path / 'his.sqlite'}"
    his = make_engine(his_url)
    build_day(his, DAY, 20, seed=4)
    write_example(tmp_path, his_url=his_url, store_url=f"sqlite:///{tmp_path / 'store.db'}")
    clock = ManualClock(datetime(2026, 3, 3, 8, 0, tzinfo=CHINA_TZ))
    with open_pipeline(tmp_path / "hisbridge.yaml", clock=clock) as pipe:
        extract(pipe.poller, ["emr_ex_lab", "emr_ex_lab_item"])
        with his.begin() as conn:
            gone = conn.execute(text("SELECT min(result_id) FROM lab_result")).scalar_one()
            conn.execute(text("DELETE FROM lab_result WHERE result_id = :k"), {"k": gone})
        async with _console(pipe, clock) as client:
            token = await login(client, "operator1")
            page = (await client.get(f"/console/reconcile?date={DAY}")).text
            assert 'data-testid="frontend-only-emr_ex_lab_item">1<' in page
            assert "仅前置机有" in page and "hisbridge sync deletes" in page
            done = await client.post("/console/reconcile/resend", data={
                "csrf": token, "table": "emr_ex_lab_item", "date": DAY.isoformat()})
            assert done.status_code == 303
            after = (await client.get(done.headers["location"])).text
            assert 'data-testid="frontend-only-emr_ex_lab_item">0<' in after
    his.dispose()
