"""Routes renamed to one name per concept still answer at their old path: a 308 redirect that
keeps method, body and query, so a HIS, a bookmark or a signed link handed out before the
rename keeps working (``hisbridge.web.redirects``).

``warnings``: the front-end's warning messages (``alerts`` is only the operators' health
alerts); ``shared``: documents other institutions share with us under a patient's consent
(``records`` is only our own outgoing records).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from importlib import resources
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx
import pytest
from fastapi import FastAPI

from hisbridge._clock import CHINA_TZ, ManualClock
from hisbridge.ops.access import AccessPolicy, classify
from hisbridge.settings import load_settings
from hisbridge.store.engine import make_engine
from hisbridge.store.migrate import upgrade
from hisbridge.testing.gdhealth_rig import GdHealthRig, build_rig
from hisbridge.testing.routes import walk_routes
from hisbridge.testing.warnings import message_world
from hisbridge.web import documents_api, viewer, warnings_api, widgets
from hisbridge.web.app import create_app
from hisbridge.web.redirects import RENAMED, new_path, with_old_names
from hisbridge.web.signing import signed_query

# Every old route -> its new route (method, old, new). Static files are listed by name.
OLD_TO_NEW = [
    ("GET", "/api/v1/messages", "/api/v1/warnings"),
    ("GET", "/api/v1/messages/stream", "/api/v1/warnings/stream"),
    ("POST", "/api/v1/messages/{msg_id}/read", "/api/v1/warnings/{msg_id}/read"),
    ("POST", "/api/v1/messages/{msg_id}/handled", "/api/v1/warnings/{msg_id}/handled"),
    ("GET", "/ws/alerts", "/ws/warnings"),
    ("GET", "/ws/static/alerts.js", "/ws/static/warnings.js"),
    ("GET", "/ws/static/alerts.css", "/ws/static/warnings.css"),
    ("GET", "/api/v1/records/{consent_id}/index", "/api/v1/shared/{consent_id}/index"),
    ("GET", "/api/v1/records/{consent_id}/documents/{doc_id}",
     "/api/v1/shared/{consent_id}/documents/{doc_id}"),
    ("GET", "/ws/records", "/ws/shared"),
    ("GET", "/ws/records/doc/{doc_id}", "/ws/shared/doc/{doc_id}"),
    ("GET", "/ws/records/api/state", "/ws/shared/api/state"),
    ("POST", "/ws/records/api/{action}", "/ws/shared/api/{action}"),
    ("GET", "/ws/records/api/timeline", "/ws/shared/api/timeline"),
    ("GET", "/ws/records/api/doc/{doc_id}", "/ws/shared/api/doc/{doc_id}"),
    ("GET", "/ws/records/static/viewer.js", "/ws/shared/static/viewer.js"),
    ("GET", "/ws/records/static/viewer.css", "/ws/shared/static/viewer.css"),
]
NEW_PREFIXES = tuple(new for _, new in RENAMED)
PUSH = "push-token-for-renames"


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x1", path)


def _new_routes() -> set[tuple[str, str]]:
    """(method, path) of every route the renamed concerns serve, walked from their modules."""
    app = FastAPI()
    app.include_router(warnings_api.router)
    app.include_router(widgets.router)
    documents_api.mount(app)
    viewer.mount(app)
    return {(m, p) for m, p in walk_routes(app.routes) if not p.endswith("/anything")}


def test_the_table_is_the_redirects_and_lists_every_renamed_route() -> None:
    for _, old, new in OLD_TO_NEW:
        assert new_path(old) == new, old
    routed = {(m, _concrete(p)) for m, p in _new_routes()
              if any(p == n or p.startswith(n + "/") for n in NEW_PREFIXES)}
    listed = {(m, _concrete(new)) for m, _, new in OLD_TO_NEW}
    assert routed <= listed, routed - listed  # a route under a new name missing from the table
    static = resources.files("hisbridge.web") / "static"
    for _, _, new in OLD_TO_NEW:
        if "/static/" in new:
            folder = "viewer" if new.startswith("/ws/shared/") else "ws"
            assert (static / folder / new.rsplit("/", 1)[1]).is_file(), new
        else:
            assert any(_concrete(p) == _concrete(new) for _, p in _new_routes()), new


@pytest.fixture
def bare_app(tmp_path: Path) -> Iterator[FastAPI]:
    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    upgrade(engine)
    yield create_app(load_settings(push={"token": PUSH}), engine)
    engine.dispose()


@pytest.mark.parametrize(("method", "old", "new"), OLD_TO_NEW)
async def test_each_old_route_answers_308_to_its_new_route(bare_app: FastAPI, method: str,
                                                           old: str, new: str) -> None:
    query = "userId=D001&userName=%E5%BC%A0%20%E5%8C%BB%E7%94%9F&sig=v2.abc"
    headers = {"Authorization": f"Bearer {PUSH}"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=bare_app),
                                 base_url="http://g.test") as client:
        reply = await client.request(method, f"{_concrete(old)}?{query}", headers=headers,
                                     content=b'{"code": "123456"}' if method == "POST" else None)
    assert reply.status_code == 308, (old, reply.status_code)
    if "/static/" not in old:  # a signed query in Location is neither cached nor sent on
        assert reply.headers["cache-control"] == "no-store"
        assert reply.headers["referrer-policy"] == "no-referrer"
    location = reply.headers["location"]
    assert urljoin(f"http://g.test{_concrete(old)}", location) == \
        f"http://g.test{_concrete(new)}?{query}"
    # relative: still right when a proxy serves the gateway under a sub-path
    assert urljoin(f"https://his.example/gw{_concrete(old)}?{query}", location) == \
        f"https://his.example/gw{_concrete(new)}?{query}"


async def test_the_gate_judges_an_old_path_as_its_new_one(bare_app: FastAPI) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=bare_app),
                                 base_url="http://g.test") as client:
        refused = await client.get("/api/v1/records/C1/index?userId=D001")  # no push token
        assert refused.status_code == 401  # refused before any redirect, as the new path is
        assert (await client.get("/api/v1/shared/C1/index?userId=D001")).status_code == 401
        signed = await client.get("/api/v1/messages?userId=D001&sig=v2.x&exp=1")
        assert signed.status_code == 308  # a signed prefix passes; the route checks the sig


def test_a_settings_list_naming_either_name_guards_both() -> None:
    old_only = AccessPolicy(signed_api_prefixes=with_old_names(["/api/v1/messages", "/api/v1/sso"]),
                            push_token_prefixes=with_old_names(["/api/v1/records"]))
    for path in ("/api/v1/messages", "/api/v1/warnings/M1/read", "/api/v1/warnings/stream"):
        assert classify(path, old_only) == "signed", path
    for path in ("/api/v1/records/C1/index", "/api/v1/shared/C1/documents/D1"):
        assert classify(path, old_only) == "hospital", path
    defaults = AccessPolicy(
        signed_api_prefixes=with_old_names(AccessPolicy().signed_api_prefixes),
        push_token_prefixes=with_old_names(AccessPolicy().push_token_prefixes))
    assert classify("/api/v1/messages/M1/handled", defaults) == "signed"
    assert classify("/api/v1/records/C1/index", defaults) == "hospital"
    assert classify("/api/v1/recordsX", defaults) == "api"  # a prefix ends at a "/"


async def test_an_old_signed_widget_link_and_its_api_calls_still_work(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    upgrade(engine)
    async with message_world(engine) as world:
        world.state.add_message(msgId="M1", userId="D001", deptCode="A03")
        await world.services.poller.step()
        # What a HIS built before the rename: the old path, the query signed with web.secret_key.
        link = f"/ws/alerts?{world.query('D001', 'A03')}"
        page = await world.api.get(link, follow_redirects=True)
        assert page.status_code == 200 and "传染病预警提醒" in page.text
        assert page.url.path == "/ws/warnings" and [r.status_code for r in page.history] == [308]
        assert "static/warnings.js" in page.text
        tampered = link.replace("userId=D001", "userId=D002")
        assert (await world.api.get(tampered, follow_redirects=True)).status_code == 403
        listed = await world.api.get(f"/api/v1/messages?{world.query('D001', 'A03')}",
                                     follow_redirects=True)
        assert listed.status_code == 200 and [m["id"] for m in listed.json()["messages"]] == ["M1"]
        read = await world.api.post(f"/api/v1/messages/M1/read?{world.query('D001', 'A03')}",
                                    follow_redirects=True)
        assert read.status_code == 200 and read.json() == {"result": True, "id": "M1"}
        again = await world.api.get(f"/api/v1/warnings?{world.query('D001', 'A03')}")
        assert again.json()["messages"][0]["read"] is True
        script = await world.api.get("/ws/static/alerts.js", follow_redirects=True)
        assert script.status_code == 200 and "api/v1/warnings" in script.text
    engine.dispose()


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[GdHealthRig]:
    clock = ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=CHINA_TZ))
    built = build_rig(f"sqlite:///{tmp_path / 'gw.db'}", clock=clock)
    await built.register("P1", "MZ1", dept_code="0301")
    yield built
    await built.aclose()


def _old_viewer_link(rig: GdHealthRig) -> str:
    """A viewer link as ``viewer_url`` built it before the rename: ``/ws/records`` + the signed
    query (the path is not part of what is signed)."""
    params = {"patientId": "P1", "encounterType": "OUTPATIENT", "encounterId": "MZ1",
              "userId": "D0001", "deptCode": "0301", "userName": "张医生"}
    query = signed_query(params, rig.settings.web.secret_key.get_secret_value(),
                         now=rig.clock.now().timestamp())
    return f"/ws/records?{query}"


async def test_an_old_signed_viewer_link_and_its_calls_still_work(rig: GdHealthRig) -> None:
    link = _old_viewer_link(rig)
    page = await rig.gateway.get(link, follow_redirects=True)
    assert page.status_code == 200 and page.url.path == "/ws/shared"
    assert "/ws/shared/static/viewer.js" in page.text
    api = link.replace("/ws/records?", "/ws/records/api/{}?")
    applied = await rig.gateway.post(api.format("apply"), json={"channel": "SMS"},
                                     follow_redirects=True)  # 308 keeps POST and body
    assert applied.status_code == 200 and applied.json()["consent"]["channel"] == "SMS"
    code = rig.platform.sms_outbox[-1]["code"]
    granted = await rig.gateway.post(api.format("sms"), json={"code": code}, follow_redirects=True)
    assert granted.json()["statusText"] == "已授权"
    timeline = await rig.gateway.get(api.format("timeline"), follow_redirects=True)
    assert timeline.status_code == 200 and "既往诊疗" in timeline.text
    consent_id = granted.json()["consent"]["id"]
    old = await rig.gateway.get(f"/api/v1/records/{consent_id}/index",
                                params={"userId": "D0001"}, follow_redirects=True)
    new = await rig.gateway.get(f"/api/v1/shared/{consent_id}/index", params={"userId": "D0001"})
    assert old.status_code == new.status_code == 200
    assert old.json()["items"] and old.json()["items"] == new.json()["items"]
    assert urlsplit(str(old.url)).path.startswith("/api/v1/shared/")  # the push token went along
