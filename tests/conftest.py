"""Shared fixtures: fresh PostgreSQL and MariaDB databases on the machine's real servers.

With HISBRIDGE_REQUIRE_SERVICES=1 (set by .ci/run) a missing service fails the test instead of
skipping it, and any skipped test fails the session: CI never passes by skipping.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from sqlalchemy import Engine

REQUIRE_SERVICES = os.environ.get("HISBRIDGE_REQUIRE_SERVICES") == "1"
PG_ADMIN = os.environ.get("HISBRIDGE_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
MYSQL_ADMIN = os.environ.get("HISBRIDGE_TEST_MYSQL", "mysql+pymysql://root@127.0.0.1:3306/test")


def need_service(reason: str) -> None:
    """Skip locally, fail in CI."""
    if REQUIRE_SERVICES:
        pytest.fail(f"required service unavailable: {reason}")
    pytest.skip(reason)


def _fresh_database(admin_url: str, kind: str) -> Iterator[str]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import OperationalError

    name = f"hbt_{uuid.uuid4().hex[:12]}"
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(f"CREATE DATABASE {name}"))
    except OperationalError as exc:
        engine.dispose()
        need_service(f"{kind} at {admin_url} is not reachable: {str(exc).splitlines()[0]}")
    base = admin_url.rsplit("/", 1)[0]
    suffix = "?charset=utf8mb4" if kind == "mariadb" else ""
    try:
        yield f"{base}/{name}{suffix}"
    finally:
        with engine.connect() as conn:
            force = " WITH (FORCE)" if kind == "postgresql" else ""
            conn.execute(text(f"DROP DATABASE IF EXISTS {name}{force}"))
        engine.dispose()


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A new, empty PostgreSQL database, dropped afterwards."""
    yield from _fresh_database(PG_ADMIN, "postgresql")


@pytest.fixture
def mysql_url() -> Iterator[str]:
    """A new, empty MariaDB database, dropped afterwards."""
    yield from _fresh_database(MYSQL_ADMIN, "mariadb")


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty store: a SQLite file, then a fresh PostgreSQL database."""
    return (f"sqlite:///{tmp_path / 'store.db'}" if request.param == "sqlite"
            else str(request.getfixturevalue("pg_url")))


@pytest.fixture
def unmigrated_engine(store_url: str) -> Iterator[Engine]:
    """The empty store's engine, for tests that migrate step by step."""
    from hisbridge.store.engine import make_engine

    engine = make_engine(store_url)
    yield engine
    engine.dispose()


@pytest.fixture
def store_engine(unmigrated_engine: Engine) -> Engine:
    """The gateway's store, migrated: a SQLite file, then a fresh PostgreSQL database."""
    from hisbridge.store.migrate import upgrade

    upgrade(unmigrated_engine)
    return unmigrated_engine


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if not REQUIRE_SERVICES:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if skipped:
        print(f"\nHISBRIDGE_REQUIRE_SERVICES=1: {len(skipped)} skipped test(s) count as failures")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
