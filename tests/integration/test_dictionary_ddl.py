"""`hisbridge dictionary ddl` output loads as is into PostgreSQL, MariaDB and SQLite."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect

from hisbridge.dictionary import load_dictionary
from hisbridge.dictionary.schema import emit_ddl

NAMES = set(load_dictionary().names)


def _statements(sql: str) -> list[str]:
    body = "\n".join(line for line in sql.splitlines() if not line.startswith("--"))
    return [s.strip() for s in body.split(";") if s.strip()]


def _load(url: str, dialect: str) -> set[str]:
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            for statement in _statements(emit_ddl(dialect)):
                conn.exec_driver_sql(statement)
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


@pytest.mark.services
def test_postgresql_ddl_loads(pg_url: str) -> None:
    assert _load(pg_url, "postgresql") == NAMES


@pytest.mark.services
def test_mysql_ddl_loads_into_mariadb(mysql_url: str) -> None:
    assert _load(mysql_url, "mysql") == NAMES


def test_sqlite_ddl_loads(tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    with sqlite3.connect(db) as conn:
        conn.executescript(emit_ddl("sqlite"))
        names = {r[0] for r in conn.execute("select name from sqlite_master where type='table'")}
    assert names == NAMES


def test_ddl_has_every_column_with_its_length() -> None:
    sql = emit_ddl("postgresql")
    t = load_dictionary().table("emr_patient_info")
    block = sql.split("CREATE TABLE emr_patient_info (")[1].split(";")[0]
    for f in t.fields:
        assert f"\t{f.name} " in block
    assert "id_card VARCHAR(50)" in block and "PRIMARY KEY (id)" in block
