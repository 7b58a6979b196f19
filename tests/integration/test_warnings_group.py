"""A hospital group's warnings (issue 21, item 2): each institution polls its own front-end with
its own licence and key, one front-end down never stops the others, and a doctor's signed link
shows only the warnings of the institution it names (SQLite, in process)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from hisbridge.errors import ConfigError
from hisbridge.runtime.gateway import message_settings
from hisbridge.settings import Settings
from hisbridge.store.engine import make_engine
from hisbridge.store.migrate import upgrade
from hisbridge.store.schema.warnings import frontend_secret_keys, warning_messages
from hisbridge.store.schema.warnings import warning_poller_lease as leases
from hisbridge.testing.warnings import GroupWorld, group_settings, group_world, message_world
from hisbridge.warnings.institution import InstitutionMessages
from hisbridge.warnings.services import build_message_services, launch_sso

FAST = {"poller": {"interval_s": 0.05, "backoff_base_s": 0.02, "backoff_cap_s": 0.05}}


@pytest.fixture
def engine(tmp_path: Path) -> AsyncIterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
async def world(engine: Engine) -> AsyncIterator[GroupWorld]:
    async with group_world(engine, interaction=FAST) as built:
        yield built


def _stored(engine: Engine) -> dict[str, str | None]:
    m = warning_messages.c
    with engine.connect() as conn:
        return {r.msg_id: r.institution for r in conn.execute(select(m.msg_id, m.institution))}


async def _until(done: object, timeout_s: float = 5.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not done() and time.monotonic() < deadline:  # type: ignore[operator]
        await asyncio.sleep(0.02)


async def _poll_all(world: GroupWorld) -> None:
    for desk in world.services.desks.values():
        await desk.poller.step()


async def test_one_front_end_down_does_not_stop_the_others(world: GroupWorld,
                                                            engine: Engine) -> None:
    h01, t01 = world.services.desk("H01"), world.services.desk("T01")
    assert h01 is not None and t01 is not None
    await _poll_all(world)  # both hold a key: T01's queries reach its front-end, and hang
    world.states["T01"].down = True
    world.states["T01"].latency_s = 2.0  # down and slow: its queries hang, then fail
    world.add("T01")
    stop = asyncio.Event()
    running = asyncio.create_task(world.services.run(stop))
    try:
        for n in range(3):
            world.add("H01", userId=f"D00{n}")
            started = time.monotonic()
            await _until(lambda n=n: f"H01-{n + 1}" in _stored(engine))
            assert f"H01-{n + 1}" in _stored(engine), "H01 stopped while T01 was down"
            assert time.monotonic() - started < 1.0, "H01 waited for T01's hanging query"
        assert "T01-1" not in _stored(engine)  # T01's query is still hanging
        await _until(lambda: t01.store.poll_state().failures > 0)
        assert t01.status()["delayed"], "T01's doctors are told warnings may be delayed"
        assert not h01.status()["delayed"] and h01.store.poll_state().failures == 0
        world.states["T01"].down = False
        world.states["T01"].latency_s = 0.0
        await _until(lambda: "T01-1" in _stored(engine))
    finally:
        stop.set()
        await running
    assert _stored(engine) == {"H01-1": "H01", "H01-2": "H01", "H01-3": "H01", "T01-1": "T01"}
    assert world.states["H01"].max_in_flight == world.states["T01"].max_in_flight == 1


async def test_each_institution_has_its_own_lease_key_and_cursor(world: GroupWorld,
                                                                 engine: Engine) -> None:
    for org in ("H01", "T01"):
        for _ in range(2):
            world.add(org)  # both front-ends count seq from 1
    for desk in world.services.desks.values():
        result = await desk.poller.step()
        assert result.stored == 2 and not result.standby
    with engine.connect() as conn:
        lease_names = set(conn.scalars(select(leases.c.name)))
        key_purposes = set(conn.scalars(select(frontend_secret_keys.c.purpose)))
        seqs = sorted(conn.execute(select(warning_messages.c.institution, warning_messages.c.seq)))
    assert lease_names == {"messages:H01", "messages:T01"}
    assert key_purposes == {"message:H01", "message:T01"}
    assert seqs == [("H01", 1), ("H01", 2), ("T01", 1), ("T01", 2)]
    # each licence was used only at its own front-end
    assert all(len(state.keys) == 1 for state in world.states.values())


async def test_a_doctor_sees_only_the_warnings_of_the_institution_the_link_names(
        world: GroupWorld) -> None:
    world.add("H01")
    world.add("T01")
    world.add("T01", userId="D002", deptCode="B01")
    await _poll_all(world)
    for org in ("H01", "T01"):
        body = (await world.api.get(f"/api/v1/warnings?{world.query('D001', 'A03', org)}")).json()
        assert [m["id"] for m in body["messages"]] == [f"{org}-1"]
        assert {m["institution"] for m in body["messages"]} == {org}
    page = await world.api.get(f"/ws/warnings?{world.query('D001', 'A03', 'H01')}")
    assert page.status_code == 200


@pytest.mark.parametrize("org", [None, "T09"])
async def test_a_link_naming_no_served_institution_is_refused(world: GroupWorld,
                                                              org: str | None) -> None:
    world.add("H01")
    await _poll_all(world)
    answer = await world.api.get(f"/api/v1/warnings?{world.query('D001', 'A03', org)}")
    assert answer.status_code == 403 and "orgCode" in answer.text
    page = await world.api.get(f"/ws/warnings?{world.query('D001', 'A03', org)}")
    assert page.status_code == 403 and "H01" not in page.text


async def test_a_link_for_one_institution_cannot_read_another(world: GroupWorld) -> None:
    world.add("T01")
    await _poll_all(world)
    forged = world.query("D001", "A03", "H01").replace("orgCode=H01", "orgCode=T01")
    assert "orgCode=T01" in forged
    answer = await world.api.get(f"/api/v1/warnings?{forged}")
    assert answer.status_code == 403 and "T01-1" not in answer.text
    # nor act on another institution's warning
    marked = await world.api.post(f"/api/v1/warnings/T01-1/read?{world.query('D001', 'A03', 'H01')}")
    assert marked.status_code == 404


async def test_sso_signs_on_with_the_institutions_own_licence(world: GroupWorld) -> None:
    for org in ("H01", "T01"):
        answer = await world.api.post(f"/api/v1/sso/prepare?{world.query('D001', None, org)}")
        body = answer.json()
        assert body["result"] is True and body["license"] == f"LIC-{org}"
    refused = await world.api.post(f"/api/v1/sso/prepare?{world.query('D001', None, None)}")
    assert refused.status_code == 403 and refused.json()["result"] is False


async def test_the_stream_of_an_institution_reads_only_its_warnings(world: GroupWorld) -> None:
    for org in ("T01", "H01", "H01"):
        world.add(org)
    await _poll_all(world)
    desk: InstitutionMessages | None = world.services.desk("H01")
    assert desk is not None
    assert [m["id"] for m in desk.store.after(0)] == ["H01-1", "H01-2"]
    assert desk.store.max_seq() == 2


@pytest.mark.parametrize(("org", "status"), [(None, 200), ("440100001", 200), ("H01", 403)])
async def test_a_single_hospital_takes_links_with_or_without_its_own_org_code(
        engine: Engine, org: str | None, status: int) -> None:
    async with message_world(engine) as world:
        world.state.add_message()
        await world.services.poller.step()
        answer = await world.api.get(f"/api/v1/warnings?{world.query('D001', 'A03', org=org)}")
    assert answer.status_code == status
    if status == 200:
        assert [m["institution"] for m in answer.json()["messages"]] == ["440100001"]


async def test_sso_from_a_workstation_names_a_served_institution_and_sees_only_its_warnings(
        world: GroupWorld, engine: Engine) -> None:
    world.add("T01")
    await _poll_all(world)
    settings = world.services.settings
    unknown = await launch_sso(settings, engine, "D001", org_code="T09")
    assert unknown.problem == "unknown_institution"
    assert (await launch_sso(settings, engine, "D001")).problem == "unknown_institution"
    other = await launch_sso(settings, engine, "D001", org_code="H01", msg_id="T01-1")
    assert other.problem == "no_such_message"  # T01's warning, asked for at H01


def test_two_institutions_sharing_one_licence_are_refused(engine: Engine) -> None:
    settings = group_settings({"T01": "http://fe", "T02": "http://fe"})
    listed = [{**i, "frontend": {"license": "SHARED"}}
              for i in settings.model_dump()["institutions"]]
    shared = message_settings(Settings(frontend={"base_url": "http://fe"}, institutions=listed))
    with pytest.raises(ConfigError, match="T01, T02"):
        build_message_services(shared, engine)
