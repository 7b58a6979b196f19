"""Login, roles, CSRF, session expiry, lock-out and the user CLI, through the real app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from hisbridge.cli import _register
from hisbridge.cli import app as cli_app
from hisbridge.ops.sessions import SessionStore
from hisbridge.ops.settings import Argon2Settings
from hisbridge.ops.users import UserError, UserStore
from hisbridge.settings import load_settings
from hisbridge.store.engine import make_engine
from hisbridge.store.migrate import upgrade
from hisbridge.testing import ManualClock
from hisbridge.testing.console import FAST_ARGON2, ROLE_USERS, add_role_users, csrf_of, login
from hisbridge.web.app import create_app

FAST = Argon2Settings(**FAST_ARGON2)
PAGES = {  # page -> roles that may open it
    "/console/": {"admin", "operator", "auditor"},
    "/console/config": {"admin", "operator"},
    "/console/alerts": {"admin", "operator", "auditor"},
    "/console/actions": {"admin", "auditor"},
    "/console/users": {"admin"},
}


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    upgrade(engine)
    return engine


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def client(engine: Engine, clock: ManualClock) -> AsyncIterator[httpx.AsyncClient]:
    add_role_users(engine, clock)
    app = create_app(load_settings(console={"argon2": FAST_ARGON2}), engine, clock=clock)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://console.test") as c:
        yield c


@pytest.mark.parametrize("name", sorted(ROLE_USERS))
async def test_each_role_sees_what_it_may(client: httpx.AsyncClient, name: str) -> None:
    await login(client, name)
    role = ROLE_USERS[name][0]
    for path, roles in PAGES.items():
        reply = await client.get(path)
        assert reply.status_code == (200 if role in roles else 403), (name, path)
    menu = (await client.get("/console/")).text
    assert ("/console/users" in menu) is (role == "admin")
    assert ("/console/audit" in menu) is (role in {"admin", "auditor"})


async def test_wrong_password_then_lockout(client: httpx.AsyncClient, clock: ManualClock) -> None:
    form = await client.get("/console/login")
    token = csrf_of(form.text)
    wrong = {"user": "admin1", "password": "nope-nope-1", "csrf": token}
    for _ in range(4):
        bad = await client.post("/console/login", data=wrong)
        assert bad.status_code == 401 and "用户名或密码错误" in bad.text
    locked = await client.post("/console/login", data=wrong)
    assert locked.status_code == 401 and "用户名或密码错误" in locked.text  # a lock answers alike
    right = await client.post("/console/login", data={"user": "admin1", "password": ROLE_USERS["admin1"][1],
                                                      "csrf": token})
    assert right.status_code == 401  # even the right password waits out the lock (same address)
    clock.advance(minutes=16)
    await login(client, "admin1")


async def test_unknown_user_answers_like_wrong_password(client: httpx.AsyncClient) -> None:
    token = csrf_of((await client.get("/console/login")).text)
    ghost = {"user": "ghost", "password": "whatever-123", "csrf": token}
    reply = await client.post("/console/login", data=ghost)
    assert reply.status_code == 401 and "用户名或密码错误" in reply.text


async def test_login_needs_its_csrf_cookie(client: httpx.AsyncClient) -> None:
    reply = await client.post("/console/login", data={"user": "admin1", "password": ROLE_USERS["admin1"][1],
                                                      "csrf": "forged"})
    assert reply.status_code == 400 and "表单已过期" in reply.text


async def test_posts_need_the_session_csrf(client: httpx.AsyncClient) -> None:
    token = await login(client, "admin1")
    forged = await client.post("/console/users", data={"name": "x2", "role": "auditor",
                                                       "password": "long-enough-9", "csrf": "forged"})
    assert forged.status_code == 403
    made = await client.post("/console/users", data={"name": "x2", "role": "auditor",
                                                     "password": "long-enough-9", "csrf": token})
    assert made.status_code == 303
    weak = await client.post("/console/users", data={"name": "x3", "role": "auditor", "password": "x",
                                                     "csrf": token})
    assert weak.status_code == 400 and "密码至少" in weak.text
    actions = (await client.get("/console/actions")).text
    assert "users.add" in actions and "long-enough-9" not in actions


async def test_api_calls_with_the_cookie_need_the_csrf_header(client: httpx.AsyncClient) -> None:
    token = await login(client, "operator1")
    refused = await client.post("/api/v1/anything", json={})
    assert refused.status_code == 403
    passed = await client.post("/api/v1/anything", json={}, headers={"X-CSRF-Token": token})
    assert passed.status_code == 404  # through the gate; no such route


async def test_session_idles_out_and_logout_ends_it(client: httpx.AsyncClient, clock: ManualClock) -> None:
    token = await login(client, "operator1")
    clock.advance(minutes=29)
    assert (await client.get("/console/")).status_code == 200  # each request extends the session
    clock.advance(minutes=29)
    assert (await client.get("/console/")).status_code == 200
    clock.advance(minutes=31)
    expired = await client.get("/console/")
    assert expired.status_code == 302 and expired.headers["location"].startswith("/console/login")
    token = await login(client, "operator1")
    out = await client.post("/console/logout", data={"csrf": token})
    assert out.status_code == 303
    assert (await client.get("/console/")).status_code == 302


async def test_session_has_an_absolute_limit(engine: Engine, clock: ManualClock) -> None:
    add_role_users(engine, clock)
    sessions = SessionStore(engine, clock=clock)
    token = sessions.create("auditor1")
    for _ in range(25):  # active every 29 minutes for 12 hours
        clock.advance(minutes=29)
        if sessions.lookup(token) is None:
            break
    assert sessions.lookup(token) is None
    assert clock.now() - ManualClock().now() <= timedelta(hours=12, minutes=29)


async def test_language_switch(client: httpx.AsyncClient) -> None:
    await login(client, "admin1")
    english = await client.get("/console/config?lang=en")
    assert "Configuration (secrets hidden)" in english.text
    assert "Dead letters" in (await client.get("/console/")).text  # remembered in a cookie
    assert "死信" in (await client.get("/console/?lang=zh")).text


def test_user_store_refuses_bad_input(engine: Engine) -> None:
    users = UserStore(engine, argon2=FAST)
    users.add("zhang.san", "operator", "good-password-1")
    good = "good-password-2"
    for name, role, password in [("zhang.san", "operator", good), ("a", "operator", good),
                                 ("li si", "operator", good), ("lisi", "root", good),
                                 ("lisi", "operator", "short")]:
        with pytest.raises(UserError):
            users.add(name, role, password)
    assert users.authenticate("zhang.san", "good-password-1").status == "ok"


def test_user_cli_add_and_passwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("HISBRIDGE_STORE__URL", url)
    for key, value in FAST_ARGON2.items():
        monkeypatch.setenv(f"HISBRIDGE_CONSOLE__ARGON2__{key.upper()}", str(value))
    _register()
    runner = CliRunner()
    added = runner.invoke(cli_app, ["user", "add", "wang", "--role", "auditor", "--password-stdin"],
                          input="first-password-1\n")
    assert added.exit_code == 0, added.output
    bad = runner.invoke(cli_app, ["user", "add", "wang2", "--role", "boss", "--password-stdin"],
                        input="first-password-1\n")
    assert bad.exit_code != 0
    changed = runner.invoke(cli_app, ["user", "passwd", "wang", "--password-stdin"],
                            input="second-password-2\n")
    assert changed.exit_code == 0, changed.output
    listed = runner.invoke(cli_app, ["user", "list"])
    assert "wang" in listed.output and "auditor" in listed.output
    users = UserStore(make_engine(url), argon2=FAST)
    assert users.authenticate("wang", "second-password-2").status == "ok"
    assert users.authenticate("wang", "first-password-1").status == "bad"


@pytest.mark.services
def test_users_and_sessions_on_postgres(pg_url: str) -> None:
    engine = make_engine(pg_url)
    try:
        upgrade(engine)
        clock = ManualClock()
        add_role_users(engine, clock)
        sessions = SessionStore(engine, clock=clock)
        token = sessions.create("admin1")
        assert sessions.lookup(token) is not None
        clock.advance(minutes=31)
        assert sessions.lookup(token) is None
        users = UserStore(engine, clock=clock, argon2=FAST)
        for _ in range(5):
            users.authenticate("operator1", "wrong-wrong-1")
        assert users.authenticate("operator1", ROLE_USERS["operator1"][1]).status == "locked"
    finally:
        engine.dispose()


def test_old_sessions_and_attempts_are_purged(engine: Engine, clock: ManualClock) -> None:
    add_role_users(engine, clock)
    users, sessions = UserStore(engine, clock=clock, argon2=FAST), SessionStore(engine, clock=clock)
    token = sessions.create("admin1")
    users.authenticate("admin1", "wrong-wrong-1")
    clock.advance(days=91)
    assert sessions.purge_expired() == 1 and sessions.lookup(token) is None
    assert users.purge_attempts() == 1 and users.purge_attempts() == 0
