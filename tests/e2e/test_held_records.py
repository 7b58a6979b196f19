"""Records held back are visible and released: a patient quarantined for a missing ID number,
its children waiting behind it — listed by ``outbox held``, counted by ``sync once`` (which
exits non-zero), shown on the console's data-quality page, and released by fixing the HIS row
and syncing again. The HIS is SQLite; the store SQLite, then PostgreSQL."""

from __future__ import annotations

import asyncio
import json
from datetime import date, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from hisbridge._clock import CHINA_TZ
from hisbridge.cli import _register, app
from hisbridge.project.example import write_example
from hisbridge.settings import load_settings
from hisbridge.simulators.frontend import create_frontend_app
from hisbridge.simulators.his import build_day
from hisbridge.store.engine import make_engine
from hisbridge.testing import serve_app
from hisbridge.testing.console import FAST_ARGON2, add_role_users, login
from hisbridge.web.app import create_app

runner = CliRunner()
TABLES = ("emr_patient_info", "emr_activity_info", "emr_outpatient_record", "emr_order",
          "emr_ex_lab")


@pytest.fixture(scope="module", autouse=True)
def _commands() -> None:
    if not app.registered_groups:
        _register()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    return str(request.getfixturevalue("pg_url"))


def _sync(config: Path, *extra: str) -> tuple[int, str]:
    args = ["sync", "once", "-c", str(config), *(a for t in TABLES for a in ("-t", t)), *extra]
    result = runner.invoke(app, args, env={"COLUMNS": "200"})
    return result.exit_code, " ".join(result.output.split())


def _held(config: Path) -> list[dict[str, object]]:
    result = runner.invoke(app, ["outbox", "held", "-c", str(config), "--json"])
    assert result.exit_code == 0, result.output
    return list(json.loads(result.output))


def _break_one_patient(his_url: str) -> tuple[str, list[str]]:
    """Erase one outpatient's ID number; return their patient id and their visits."""
    his = create_engine(his_url)
    with his.begin() as conn:
        patient = conn.execute(text(  # the outpatient with one visit and most lab tests
            "SELECT c.patient_id FROM clinic_master c JOIN lab_test_master t "
            "ON t.visit_no = c.visit_no WHERE c.cancel_flag = '0' GROUP BY c.patient_id "
            "HAVING count(DISTINCT c.visit_no) = 1 ORDER BY count(*) DESC, c.patient_id "
            "LIMIT 1")).scalar_one()
        conn.execute(text("UPDATE pat_master_index SET id_type = '01', id_no = NULL "
                          "WHERE patient_id = :p"), {"p": patient})
        visits = [r[0] for r in conn.execute(text(
            "SELECT visit_no FROM clinic_master WHERE patient_id = :p"), {"p": patient})]
    his.dispose()
    return patient, visits


def _fix_patient(his_url: str, patient: str) -> None:
    """Fix the ID number in the patient master, as the HIS does: only that row changes (its
    modify_time with it); the visits are untouched."""
    his = create_engine(his_url)
    later = datetime.now(CHINA_TZ).replace(tzinfo=None) - timedelta(seconds=2)
    with his.begin() as conn:
        conn.execute(text("UPDATE pat_master_index SET id_no = '110101199003070014', "
                          "modify_time = :t WHERE patient_id = :p"), {"t": later, "p": patient})
    his.dispose()


async def _quality_page(store_url: str) -> str:
    engine = make_engine(store_url)
    add_role_users(engine)
    settings = load_settings(store={"url": store_url}, console={"argon2": FAST_ARGON2})
    web = create_app(settings, engine)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=web),
                                     base_url="http://c.test") as client:
            await login(client, "operator1")
            reply = await client.get("/console/quality")
            assert reply.status_code == 200
            return reply.text
    finally:
        engine.dispose()


def test_a_quarantined_patient_and_its_children_are_listed_counted_shown_and_released(
        tmp_path: Path, store_url: str) -> None:
    his_url = f"sqlite:///{tmp_path / 'his.sqlite'}"
    day = (datetime.now(CHINA_TZ) - timedelta(days=1)).date()
    build_day(create_engine(his_url), date(day.year, day.month, day.day), "small", seed=3,
              reset=True)
    patient, visits = _break_one_patient(his_url)
    with serve_app(create_frontend_app(store_url=f"sqlite:///{tmp_path / 'fe.db'}")) as url:
        config = write_example(tmp_path / "p", his_url=his_url, frontend_url=url,
                               store_url=store_url)[0]
        code, out = _sync(config)
        held = _held(config)
        parked = [h for h in held if h["kind"] == "quarantined"]
        waiting = [h for h in held if h["kind"] == "waiting"]
        assert {h["record_id"] for h in parked} == set(visits)
        assert {(h["field"], h["rule"]) for h in parked} == {("id_card", "required")}
        assert all("99" in str(h["hint_zh"]) and "03" in str(h["hint_en"]) for h in parked)
        assert len(waiting) >= 3
        assert {h["parent_id"] for h in waiting} == set(visits)
        assert all(h["parent_table"] == "emr_patient_info" and h["since"] for h in waiting)
        assert code == 1
        assert f"当前扣留 held now {len(held)}" in out and "emr_patient_info.id_card [required]" in out
        assert _sync(config, "--allow-held")[0] == 0
        page = asyncio.run(_quality_page(store_url))
        assert all(v in page for v in visits) and "parent_wait" in page
        _fix_patient(his_url, patient)
        code, out = _sync(config)
        assert code == 0, out
        assert _held(config) == [] and "当前扣留 held now 0" in out


def _resend(config: Path, table: str, key: str) -> tuple[int, str]:
    result = runner.invoke(app, ["outbox", "resend", "-c", str(config), "-t", table, "--id", key],
                           env={"COLUMNS": "200"})
    return result.exit_code, " ".join(result.output.split())


def test_resend_one_record_by_its_his_key(tmp_path: Path) -> None:
    his_url = f"sqlite:///{tmp_path / 'his.sqlite'}"
    day = (datetime.now(CHINA_TZ) - timedelta(days=1)).date()
    build_day(create_engine(his_url), day, "small", seed=3, reset=True)
    patient, visits = _break_one_patient(his_url)
    store_url = f"sqlite:///{tmp_path / 'store.db'}"
    with serve_app(create_frontend_app(store_url=f"sqlite:///{tmp_path / 'fe.db'}")) as url:
        config = write_example(tmp_path / "p", his_url=his_url, frontend_url=url,
                               store_url=store_url)[0]
        assert _sync(config)[0] == 1
        code, out = _resend(config, "emr_patient_info", visits[0])
        assert code == 1 and "invalid" in out and "id_card" in out and "passport" in out
        assert "not found" in _resend(config, "emr_patient_info", "NO-SUCH-KEY")[1]
        _fix_patient(his_url, patient)  # fixed by hand; no new sync: resend reads the HIS
        code, out = _resend(config, "emr_patient_info", visits[0])
        assert code == 0 and "current version queued" in out and "delivered" in out, out
        code, out = _resend(config, "emr_patient_info", visits[0])
        assert code == 0 and "latest version queued again" in out, out
    store = make_engine(store_url)
    with store.connect() as conn:
        actions = conn.execute(text(
            "SELECT user_name, target, outcome FROM console_actions WHERE action = 'resend' "
            "ORDER BY id")).all()
        sent = conn.execute(text(
            "SELECT count(*) FROM outbox WHERE table_name = 'emr_patient_info' "
            "AND record_id = :k AND state = 'delivered'"), {"k": visits[0]}).scalar_one()
    store.dispose()
    assert [json.loads(a.outcome)["verdict"] for a in actions] == [
        "invalid", "not_found", "queued", "requeued"]
    assert all(a.user_name.startswith("cli:") and visits[0] in a.target
               for a in actions if "NO-SUCH" not in a.target)
    assert sent == 2


def test_resend_masks_what_the_receiver_quoted(tmp_path: Path) -> None:
    """The front-end's refusal may quote the record: resend's 'delivery state' line masks
    ID numbers and phones (no full ID number in any CLI output)."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    id_number, phone = "440106198810168414", "13912345678"

    async def refuse(request: Request) -> JSONResponse:
        return JSONResponse({"result": False, "errorCode": "04", "errorName": "数据校验错误",
                             "desc": f"身份证件号 {id_number} 校验失败，联系电话 {phone}"})

    his_url = f"sqlite:///{tmp_path / 'his.sqlite'}"
    day = (datetime.now(CHINA_TZ) - timedelta(days=1)).date()
    build_day(create_engine(his_url), day, "small", seed=3, reset=True)
    his = create_engine(his_url)
    with his.connect() as conn:
        visit = conn.execute(text("SELECT visit_no FROM clinic_master ORDER BY visit_no "
                                  "LIMIT 1")).scalar_one()
    his.dispose()
    receiver = Starlette(routes=[Route("/{path:path}", refuse, methods=["POST"])])
    with serve_app(receiver) as url:
        config = write_example(tmp_path / "p", his_url=his_url, frontend_url=url,
                               store_url=f"sqlite:///{tmp_path / 'store.db'}")[0]
        code, out = _resend(config, "emr_patient_info", visit)
    assert code == 1 and "dead" in out, out
    assert id_number not in out and phone not in out, out
