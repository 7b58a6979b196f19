"""Sign-in resists guessing and cannot be used to lock people out: guessing many names from
one address is throttled; a wrong password and a lock answer alike; an attacker elsewhere
cannot lock the real user out; locks expire and ``hisbridge user unlock`` lifts them; weak
passwords are refused with the reason in Chinese; cookies are Secure and HSTS is sent under TLS."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from alembic import command
from fastapi import FastAPI
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from hisbridge.cli import _register
from hisbridge.cli import app as cli_app
from hisbridge.ops.passwords import new_password, password_problems
from hisbridge.ops.settings import Argon2Settings
from hisbridge.ops.users import UserError, UserStore
from hisbridge.settings import load_settings
from hisbridge.store.engine import make_engine
from hisbridge.store.migrate import alembic_config, upgrade
from hisbridge.store.schema.console import console_login_attempts
from hisbridge.testing import ManualClock
from hisbridge.testing.console import FAST_ARGON2, ROLE_USERS, add_role_users, csrf_of
from hisbridge.web.app import create_app

FAST = Argon2Settings(**FAST_ARGON2)
ADMIN, ADMIN_PW = "admin1", ROLE_USERS["admin1"][1]
OFFICE, ATTACKER = "10.1.2.3", "10.66.66.66"

pytestmark = pytest.mark.services  # SQLite, then PostgreSQL


@pytest.fixture
def engine(store_engine: Engine) -> Engine:
    """The migrated store: SQLite, then PostgreSQL (tests/conftest.py)."""
    return store_engine


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def users(engine: Engine, clock: ManualClock) -> UserStore:
    add_role_users(engine, clock)
    return UserStore(engine, clock=clock, argon2=FAST)


def test_guessing_many_names_from_one_address_is_throttled(users: UserStore) -> None:
    answers = [users.authenticate(f"guess{i:02d}", "Spring2026!!", ATTACKER).status
               for i in range(20)]
    assert answers == ["bad"] * 19 + ["locked"]  # the 20th failure throttles the address
    assert users.authenticate(ADMIN, ADMIN_PW, ATTACKER).status == "locked"
    assert users.authenticate(ADMIN, ADMIN_PW, OFFICE).status == "ok"  # others are unaffected


def test_an_attacker_elsewhere_cannot_lock_the_real_user_out(users: UserStore,
                                                             clock: ManualClock) -> None:
    for _ in range(60):
        users.authenticate(ADMIN, "wrong-password-x", ATTACKER)
        clock.advance(seconds=10)
    assert users.authenticate(ADMIN, ADMIN_PW, ATTACKER).status == "locked"
    assert users.authenticate(ADMIN, ADMIN_PW, OFFICE).status == "ok"


def test_a_lock_expires(users: UserStore, clock: ManualClock) -> None:
    for _ in range(5):
        users.authenticate(ADMIN, "wrong-password-x", OFFICE)
    assert users.authenticate(ADMIN, ADMIN_PW, OFFICE).status == "locked"
    clock.advance(minutes=16)
    assert users.authenticate(ADMIN, ADMIN_PW, OFFICE).status == "ok"


def test_an_attack_from_many_addresses_locks_the_name_until_it_expires_or_is_lifted(
    users: UserStore, clock: ManualClock
) -> None:
    for i in range(100):
        users.authenticate(ADMIN, "wrong-password-x", f"10.9.{i // 250}.{i % 250}")
    assert users.authenticate(ADMIN, ADMIN_PW, OFFICE).status == "locked"
    users.unlock(ADMIN)
    assert users.authenticate(ADMIN, ADMIN_PW, OFFICE).status == "ok"
    with pytest.raises(UserError):
        users.unlock("nobody-here")


def test_hisbridge_user_unlock_lifts_the_lock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("HISBRIDGE_STORE__URL", url)
    engine = make_engine(url)
    upgrade(engine)
    add_role_users(engine)
    users = UserStore(engine, argon2=FAST)
    for _ in range(5):
        users.authenticate(ADMIN, "wrong-password-x", OFFICE)
    assert users.authenticate(ADMIN, ADMIN_PW, OFFICE).status == "locked"
    _register()
    done = CliRunner().invoke(cli_app, ["user", "unlock", ADMIN])
    assert done.exit_code == 0 and "已解锁" in done.output, done.output
    assert users.authenticate(ADMIN, ADMIN_PW, OFFICE).status == "ok"
    unknown = CliRunner().invoke(cli_app, ["user", "unlock", "nobody-here"])
    assert unknown.exit_code != 0 and "用户不存在" in str(unknown.exception)
    engine.dispose()


async def _app(engine: Engine, clock: ManualClock, **web: object) -> FastAPI:
    add_role_users(engine, clock)
    settings = load_settings(console={"argon2": FAST_ARGON2}, web=web)
    return create_app(settings, engine, clock=clock)


@pytest.fixture
async def client(engine: Engine, clock: ManualClock) -> AsyncIterator[httpx.AsyncClient]:
    app = await _app(engine, clock)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as http:
        yield http


def _without_token(html: str) -> str:
    return re.sub(r'value="[^"]{20,}"', "", html)


async def test_a_lock_answers_exactly_like_a_wrong_password(client: httpx.AsyncClient) -> None:
    token = csrf_of((await client.get("/console/login")).text)
    wrong = {"user": ADMIN, "password": "wrong-password-x", "csrf": token}
    first = await client.post("/console/login", data=wrong)
    for _ in range(5):
        await client.post("/console/login", data=wrong)
    locked = await client.post("/console/login", data={**wrong, "password": ADMIN_PW})
    ghost = await client.post("/console/login", data={**wrong, "user": "nobody-here"})
    assert first.status_code == locked.status_code == ghost.status_code == 401
    assert _without_token(first.text) == _without_token(locked.text)
    assert _without_token(ghost.text) == _without_token(first.text).replace(ADMIN, "nobody-here")


@pytest.mark.parametrize(("password", "reason"), [
    ("Abcdefg123!", "至少 12 个字符"),            # 11 characters
    ("Password1234", "常用密码"),                 # long enough, but a common pattern
    ("qwertyuiop123", "密码强度不足"),
])
def test_weak_passwords_are_refused_with_the_reason_in_chinese(password: str, reason: str) -> None:
    problems = password_problems(password, "zhang.san")
    assert problems and reason in " ".join(problems)


def test_a_generated_password_passes_the_policy() -> None:
    for _ in range(20):
        assert password_problems(new_password("demo"), "demo") == []


async def test_cookies_are_secure_and_hsts_sent_behind_a_tls_proxy(engine: Engine,
                                                                   clock: ManualClock) -> None:
    app = await _app(engine, clock, behind_tls_proxy=True)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://gw") as http:
        form = await http.get("/console/login")
        assert "secure" in form.headers["set-cookie"].lower()
        assert form.headers["strict-transport-security"].startswith("max-age=")
        reply = await http.post("/console/login", data={"user": ADMIN, "password": ADMIN_PW,
                                                        "csrf": csrf_of(form.text)})
    assert reply.status_code == 303
    session = [c for c in reply.headers.get_list("set-cookie") if c.startswith("hb_session")]
    assert session and "secure" in session[0].lower()


async def test_plain_http_without_a_proxy_sends_no_hsts(client: httpx.AsyncClient) -> None:
    form = await client.get("/console/login")
    assert "strict-transport-security" not in form.headers
    assert "secure" not in form.headers["set-cookie"].lower()


@pytest.fixture(params=["sqlite", "postgresql"])
def bare_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    url = (f"sqlite:///{tmp_path / 'old.db'}" if request.param == "sqlite"
           else request.getfixturevalue("pg_url"))
    eng = make_engine(url)
    yield eng
    eng.dispose()


def test_the_outcome_migration_keeps_every_attempt(bare_engine: Engine) -> None:
    cfg = alembic_config(bare_engine)
    command.upgrade(cfg, "console_0001")
    old = console_login_attempts.c
    with bare_engine.begin() as conn:
        for i, ok in enumerate([True, False, False]):
            conn.execute(console_login_attempts.insert().values(
                user_name=ADMIN, at=ManualClock().now(), ok=ok, remote=f"10.0.0.{i}"))
            # (the outcome column does not exist yet: only the old columns are written)
    upgrade(bare_engine)
    with bare_engine.connect() as conn:
        rows = conn.execute(select(old.remote, old.ok, old.outcome).order_by(old.id)).all()
    assert [tuple(r) for r in rows] == [("10.0.0.0", True, "ok"), ("10.0.0.1", False, "bad"),
                                        ("10.0.0.2", False, "bad")]
