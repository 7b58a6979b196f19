"""The store's driver errors are translated once, at the engine (issue 18, item 4).

A constraint that refuses a row is the Terminal StoreIntegrityError, a connection lost mid-work
the Transient StoreUnavailable (a StoreUnreachable, as the CLI's one-line error is); both keep
the driver's error as their cause and never show the store's password. The web app still
answers a lost store 503 + Retry-After, and a constraint error stays an internal error (500).
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Column, Engine, Integer, MetaData, Table, make_url, select, text

from hisbridge.errors import StoreUnreachable, Terminal, Transient
from hisbridge.store.engine import make_engine
from hisbridge.store.errors import StoreIntegrityError, StoreUnavailable
from hisbridge.web.app import _install_error_handlers

PASSWORD = "Pw-never-shown-5521"
META = MetaData()
ITEMS = Table("r18e_items", META, Column("id", Integer, primary_key=True))


@pytest.fixture
def engine(store_url: str) -> Iterator[Engine]:
    url = make_url(store_url)
    if url.get_backend_name() == "postgresql":  # trust auth: the password is only carried
        url = url.set(password=PASSWORD)
    eng = make_engine(url.render_as_string(hide_password=False))
    META.create_all(eng)
    yield eng
    eng.dispose()


def test_a_duplicate_key_is_a_terminal_store_integrity_error(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(ITEMS.insert().values(id=1))
    with pytest.raises(StoreIntegrityError) as raised, engine.begin() as conn:
        conn.execute(ITEMS.insert().values(id=1))
    assert isinstance(raised.value, Terminal)
    assert isinstance(raised.value.__cause__, engine.dialect.loaded_dbapi.IntegrityError)
    assert "存储约束拒绝" in str(raised.value)
    assert PASSWORD not in str(raised.value)
    with engine.connect() as conn:  # the engine keeps working
        assert conn.execute(select(ITEMS.c.id)).scalars().all() == [1]


def _terminate(engine: Engine, pid: int) -> None:
    with engine.connect() as other:
        other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})


def test_a_lost_connection_is_a_transient_store_unavailable(pg_url: str) -> None:
    url = make_url(pg_url).set(password=PASSWORD).render_as_string(hide_password=False)
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
            _terminate(engine, pid)
            with pytest.raises(StoreUnavailable) as raised:
                conn.execute(text("SELECT 1"))
        assert isinstance(raised.value, Transient)
        assert isinstance(raised.value, StoreUnreachable)
        assert isinstance(raised.value.__cause__, engine.dialect.loaded_dbapi.OperationalError)
        assert PASSWORD not in str(raised.value)
        assert "***" in str(raised.value)
        with engine.connect() as conn:  # the pool reconnects
            assert conn.execute(text("SELECT 1")).scalar_one() == 1
    finally:
        engine.dispose()


async def test_the_web_answers_a_lost_store_503_and_a_constraint_500(
        engine: Engine) -> None:
    app = FastAPI()
    _install_error_handlers(app)

    @app.get("/r18e/lost")
    def lost() -> None:
        raise StoreUnavailable("存储暂不可用 store unavailable: test")

    @app.get("/r18e/duplicate")
    def duplicate() -> None:
        with engine.begin() as conn:
            conn.execute(ITEMS.insert().values(id=7))
            conn.execute(ITEMS.insert().values(id=7))

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://gw") as http:
        down = await http.get("/r18e/lost")
        refused = await http.get("/r18e/duplicate")
    assert down.status_code == 503
    assert down.headers["Retry-After"].isdigit()
    assert "存储暂不可用" in down.json()["error"]
    assert refused.status_code == 500
    assert refused.json()["error"] == "内部错误 internal error"
