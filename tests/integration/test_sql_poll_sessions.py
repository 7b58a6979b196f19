"""HIS sessions are read-only and time-limited, on every database we test."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from hisbridge.sources.sql_session import (
    SourceQueryError,
    SourceUnavailable,
    open_source,
    stream_rows,
)
from hisbridge.store.engine import make_engine


def _refuses_writes(url: str) -> None:
    engine = open_source(url)
    try:
        with pytest.raises(DBAPIError), engine.begin() as conn:
            conn.execute(text("CREATE TABLE sneaky (a INTEGER)"))
    finally:
        engine.dispose()


def test_sqlite_is_read_only(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'his.sqlite'}"
    with make_engine(url).begin() as conn:
        conn.execute(text("CREATE TABLE t (a INTEGER)"))
    _refuses_writes(url)


def test_missing_column_names_the_file_and_column(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'his.sqlite'}"
    with make_engine(url).begin() as conn:
        conn.execute(text("CREATE TABLE t (a INTEGER)"))
    engine = open_source(url)
    with pytest.raises(SourceQueryError) as caught:
        list(stream_rows(engine, "SELECT t.b FROM t", {}, path=Path("m/01.sql")))
    assert caught.value.column == "t.b" and "m/01.sql" in str(caught.value)
    engine.dispose()


@pytest.mark.services
def test_postgresql_is_read_only_with_a_timeout(pg_url: str) -> None:
    _refuses_writes(pg_url)
    engine = open_source(pg_url, statement_timeout_s=0.3)
    try:
        with pytest.raises(SourceUnavailable):
            list(stream_rows(engine, "SELECT pg_sleep(3)", {}))
    finally:
        engine.dispose()


@pytest.mark.services
def test_mariadb_is_read_only_with_a_timeout(mysql_url: str) -> None:
    with make_engine(mysql_url).begin() as conn:
        conn.execute(text("CREATE TABLE t (a INTEGER)"))
    engine = open_source(mysql_url, statement_timeout_s=0.3)
    try:
        with pytest.raises(DBAPIError), engine.begin() as conn:
            conn.execute(text("INSERT INTO t VALUES (1)"))
        with pytest.raises(SourceUnavailable):
            list(stream_rows(engine, "SELECT a FROM t, (SELECT SLEEP(3)) s", {}))
    finally:
        engine.dispose()
