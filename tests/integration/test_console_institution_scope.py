"""A user scoped to institution A, walking EVERY route of the gateway with A's and B's data in
the store: no B row appears in any response, every B action is refused (404 for an entry or a
filter of B, 403 for the gateway-wide API and pages), and the refusals are in the action log.

The routes come from ``app.routes`` (``walk_routes``): a route added later is walked too.
Rows of A are stored with the institution NULL (the default institution: the top-level
``frontend.org_code``), B's with its code: the one rule of ``hisbridge.store.scope``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, select

from hisbridge.ops.actions import list_actions
from hisbridge.ops.settings import Argon2Settings
from hisbridge.ops.users import UserStore
from hisbridge.settings import load_settings
from hisbridge.store.schema.outbox import outbox
from hisbridge.testing.console import FAST_ARGON2, login
from hisbridge.testing.institutions import DEAD_TABLE, group_settings_yaml, seed_institution
from hisbridge.testing.routes import walk_routes
from hisbridge.web.app import create_app
from hisbridge.web.console import dashboard

A, B = "ORG-A", "ORG-B"
MARK_A, MARK_B = "AMARK71", "BMARK93"
PASSWORD = "scoped-pass-2026"
SCOPED = {"adminA": "admin", "operatorA": "operator", "auditorA": "auditor"}
SKIPPED = ("/console/logout", "/console/login")  # would end the walk's own session


@dataclass
class World:
    engine: Engine
    client: httpx.AsyncClient
    app: object


def _users(engine: Engine) -> None:
    users = UserStore(engine, argon2=Argon2Settings(**FAST_ARGON2))
    for name, role in SCOPED.items():
        users.add(name, role, PASSWORD, [A])
    users.add("operatorB", "operator", PASSWORD, [B])
    users.add("admin1", "admin", PASSWORD)


@pytest.fixture
async def world(store_engine: Engine, tmp_path: Path,
                monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[World]:
    monkeypatch.setattr(dashboard, "STREAM_FOR_S", 0.2)  # the live stream ends at once
    seed_institution(store_engine, None, MARK_A)  # NULL: the default institution, A
    seed_institution(store_engine, B, MARK_B)
    _users(store_engine)
    config = tmp_path / "hisbridge.yaml"
    config.write_text(group_settings_yaml({A: "县人民医院", B: "乡镇卫生院"}, A), "utf-8")
    settings = load_settings(config, console={"argon2": FAST_ARGON2}, push={"token": "push-1"})
    app = create_app(settings, store_engine)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://g.test") as client:
        yield World(store_engine, client, app)


def _b_outbox(engine: Engine) -> list[tuple[object, ...]]:
    o = outbox.c
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(o.id, o.state, o.replayed)
                                               .where(o.institution == B).order_by(o.id))]


def _b_form(csrf: str) -> dict[str, str]:
    """A form aiming at B: its institution, table, user and day."""
    return {"csrf": csrf, "institution": B, "table": DEAD_TABLE, "name": "operatorB",
            "institutions": B, "role": "operator", "password": "new-user-pass-2026",
            "date": "2026-03-01"}


async def _walk(world: World, name: str) -> dict[tuple[str, str], int]:
    """Every route as ``name``, plain and aimed at B; returns the plain statuses."""
    csrf = await login(world.client, name, PASSWORD)
    statuses = {}
    for method, path in walk_routes(world.app.routes):  # type: ignore[attr-defined]
        if path in SKIPPED:
            continue
        data = _b_form(csrf) if method == "POST" else None
        plain = await world.client.request(method, path, data=data,
                                           headers={"X-CSRF-Token": csrf})
        assert MARK_B not in plain.text, (name, method, path)
        statuses[(method, path)] = plain.status_code
        aimed = await world.client.request(method, path, params={"institution": B}, data=data,
                                           headers={"X-CSRF-Token": csrf})
        assert MARK_B not in aimed.text, (name, method, path, "institution=B")
        if path.startswith("/console/") and aimed.status_code < 400 and method == "GET":
            raise AssertionError(f"{name} {path}?institution={B}: {aimed.status_code}")
        if method == "POST" and path.startswith("/console/") and path != "/console/alerts/evaluate":
            assert aimed.status_code in (403, 404), (name, path, aimed.status_code)
    return statuses


@pytest.mark.parametrize("name", sorted(SCOPED))
async def test_a_scoped_user_never_sees_nor_touches_another_institution(world: World, name: str) -> None:
    before = _b_outbox(world.engine)
    statuses = await _walk(world, name)
    assert len(statuses) > 60
    assert _b_outbox(world.engine) == before  # no replay of B's dead letters
    refused = [a for a in list_actions(world.engine, action="scope.refused") if a.user_name == name]
    assert refused, "refusals are written to the action log"
    # The gateway's API serves every institution: a scoped session gets 403, not data.
    assert statuses[("GET", "/api/v1/outbox/dead")] == 403
    assert statuses[("GET", "/console/config")] == 403


async def test_a_scoped_user_sees_its_own_rows(world: World) -> None:
    await login(world.client, "operatorA", PASSWORD)
    for path in ("/console/dead", "/console/quality", "/console/warnings",
                 f"/console/records?patient_id={MARK_A}", f"/console/records/{DEAD_TABLE}/{MARK_A}-P1"):
        reply = await world.client.get(path)
        assert reply.status_code == 200, path
        assert MARK_A in reply.text, path
    cells = (await world.client.get("/console/dashboard.json")).json()["cells"]
    assert cells["dead_outstanding"] == 1
    assert cells[f"{DEAD_TABLE}.rejected"] == 1
    await login(world.client, "auditorA", PASSWORD)
    for path in ("/console/consents", "/console/audit", "/console/audit.csv"):
        reply = await world.client.get(path)
        assert MARK_A in reply.text and MARK_B not in reply.text, path


async def test_the_record_of_another_institution_is_404_and_logged(world: World) -> None:
    await login(world.client, "operatorA", PASSWORD)
    reply = await world.client.get(f"/console/records/{DEAD_TABLE}/{MARK_B}-P1")
    assert reply.status_code == 404
    assert MARK_B not in reply.text
    assert list_actions(world.engine, action="scope.refused", user_name="operatorA")


async def test_a_scoped_replay_replays_only_its_own(world: World) -> None:
    csrf = await login(world.client, "operatorA", PASSWORD)
    before = _b_outbox(world.engine)
    reply = await world.client.post("/console/dead/replay", data={"csrf": csrf, "table": DEAD_TABLE})
    assert reply.status_code == 303
    assert "replayed=1" in reply.headers["location"]
    assert _b_outbox(world.engine) == before


async def test_an_unscoped_user_sees_every_institution_and_can_filter(world: World) -> None:
    await login(world.client, "admin1", PASSWORD)
    every = await world.client.get("/console/dead")
    assert MARK_A in every.text and MARK_B in every.text
    assert 'data-testid="institution-filter"' in every.text and "机构" in every.text
    only_b = await world.client.get(f"/console/dead?institution={B}")
    assert MARK_B in only_b.text and MARK_A not in only_b.text
    only_a = await world.client.get(f"/console/warnings?institution={A}")  # NULL rows are A's
    assert MARK_A in only_a.text and MARK_B not in only_a.text
    assert "<td>乡镇卫生院</td>" in every.text and "<td>县人民医院</td>" in every.text  # each row's
    audit = await world.client.get("/console/audit")
    assert "<td>乡镇卫生院</td>" in audit.text and "<td>县人民医院</td>" in audit.text
    english = await world.client.get("/console/dead?lang=en")
    assert "Institution" in english.text


async def test_a_scoped_admin_manages_only_users_within_its_scope(world: World) -> None:
    csrf = await login(world.client, "adminA", PASSWORD)
    listed = await world.client.get("/console/users")
    assert "operatorA" in listed.text and "operatorB" not in listed.text and "admin1" not in listed.text
    unscoped = await world.client.post("/console/users", data={
        "csrf": csrf, "name": "nobody", "role": "operator", "password": "new-user-pass-2026"})
    assert unscoped.status_code == 404  # a scoped admin cannot make a user of every institution
    made = await world.client.post("/console/users", data={
        "csrf": csrf, "name": "clerkA", "role": "operator", "password": "new-user-pass-2026",
        "institutions": A})
    assert made.status_code == 303
    users = UserStore(world.engine)
    assert users.get("clerkA").institutions == (A,)  # type: ignore[union-attr]
    assert users.get("nobody") is None


async def test_the_outbox_api_takes_an_institution(world: World) -> None:
    world.client.cookies.clear()
    push = {"Authorization": "Bearer push-1"}
    dead = (await world.client.get(f"/api/v1/outbox/dead?institution={B}", headers=push)).json()
    assert [(d["record_id"], d["institution"]) for d in dead["dead"]] == [(f"{MARK_B}-P1", B)]
    every = (await world.client.get("/api/v1/outbox/dead", headers=push)).json()
    assert {d["institution"] for d in every["dead"]} == {A, B}  # NULL: the default, A
    status = (await world.client.get(f"/api/v1/outbox/status?institution={A}", headers=push)).json()
    assert status["counts"][DEAD_TABLE] == {"dead": 1, "pending": 1}
    unknown = await world.client.get("/api/v1/outbox/dead?institution=ORG-Z", headers=push)
    assert unknown.status_code == 404 and B in unknown.text
    before = _b_outbox(world.engine)
    replayed = await world.client.post("/api/v1/outbox/replay", headers=push,
                                       json={"table": DEAD_TABLE, "institution": A})
    assert replayed.json()["replayed"] == 1
    assert _b_outbox(world.engine) == before


async def test_a_single_institution_gateway_hides_the_filter(tmp_path: Path, store_engine: Engine) -> None:
    _users(store_engine)
    seed_institution(store_engine, None, MARK_A)
    app = create_app(load_settings(console={"argon2": FAST_ARGON2}), store_engine)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://g.test") as client:
        await login(client, "admin1", PASSWORD)
        page = await client.get("/console/dead")
        assert MARK_A in page.text
        assert 'data-testid="institution-filter"' not in page.text
