"""The URL forms docs/his-databases.md gives, on the machine's real PostgreSQL and MariaDB:
``hisbridge check``'s connection test answers, through the portable liveness query, and the
PostgreSQL engine learns the server's version through the fallback KingbaseES and openGauss need.
(The worked example's full day on both servers: test_sql_poll_databases.py.)
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Dialect

from hisbridge.project.example import write_example
from hisbridge.runtime.extraction import open_project
from hisbridge.settings import load_settings
from hisbridge.sources.his_databases import PING
from hisbridge.sources.readiness import check_connections
from hisbridge.sources.sql_session import open_source

pytestmark = pytest.mark.services


def _bare(url: str) -> str:
    """The URL as a hospital writes it: the scheme without a driver."""
    scheme, rest = url.split("://", 1)
    return f"{scheme.split('+')[0]}://{rest}"


def _his_answers(tmp_path: Path, his_url: str) -> str:
    write_example(tmp_path, his_url=his_url, frontend_url="http://127.0.0.1:9/",
                  store_url=f"sqlite:///{tmp_path / 'store.db'}")
    settings = load_settings(tmp_path / "hisbridge.yaml")
    project = open_project(tmp_path / "hisbridge.yaml", settings)
    readiness, source = check_connections(project, settings.store.url, settings.gdhealth,
                                          polls_warnings=False)
    if source is not None:
        source.dispose()
    return str(readiness.connections[f"HIS {project.source_name}"])


def _probe(url: str, sql: str) -> tuple[object, object, Dialect]:
    """The liveness query's answer, ``sql``'s answer and the dialect, on a fresh engine."""
    engine = open_source(url)
    try:
        with engine.connect() as conn:
            return conn.execute(PING).scalar_one(), conn.execute(text(sql)).scalar_one(), engine.dialect
    finally:
        engine.dispose()


def test_postgresql_url_without_driver(tmp_path: Path, pg_url: str) -> None:
    assert _his_answers(tmp_path, _bare(pg_url)) == "ok"
    one, read_only, dialect = _probe(_bare(pg_url), "SHOW default_transaction_read_only")
    assert (one, read_only, dialect.driver) == (1, "on", "psycopg")
    assert dialect.server_version_info is not None and int(dialect.server_version_info[0]) >= 9


def test_mariadb_url_without_driver(tmp_path: Path, mysql_url: str) -> None:
    assert _his_answers(tmp_path, _bare(mysql_url)) == "ok"
    one, read_only, dialect = _probe(_bare(mysql_url), "SELECT @@session.tx_read_only")
    assert (one, read_only, dialect.driver) == (1, 1, "pymysql")
