"""The HIS database families without their servers (docs/his-databases.md).

MariaDB and PostgreSQL run the worked example for real (tests/integration/
test_sql_poll_databases.py). For Oracle, SQL Server, DM and the PostgreSQL-compatible KingbaseES
and openGauss this machine has no server, so here: each family's URL opens an engine on its
driver (installed by the dev extra), the worked example's 20 mapping files are compiled by that
family's SQLAlchemy dialect with the window's datetimes rendered as the dialect's own date
literals, and the result parses in that database's grammar (sqlglot). The files stay portable:
no function beyond COALESCE and CASE, no paging, no concatenation, no date literal of their own.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from importlib import resources
from types import SimpleNamespace
from typing import Any

import pytest
import sqlglot
from sqlalchemy import DateTime, Engine, bindparam, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlglot import exp
from sqlglot.errors import ErrorLevel

from hisbridge.sources.his_databases import (
    PING,
    lenient_pg_version,
    server_version_tuple,
    with_driver,
)
from hisbridge.sources.sql_session import (
    SourceQueryError,
    SourceUnavailable,
    _connect_args,
    _session_hook,
    open_source,
    translate,
)

SINCE = datetime(2026, 3, 2, 8, 0, 0)
DAY_END = datetime(2026, 3, 2, 23, 59, 59, 999999)  # a day window's inclusive upper bound
# family: (URL as docs/his-databases.md writes it, dialect, driver, sqlglot grammar)
FAMILIES = {
    "Oracle": ("oracle://his_ro:pw@his-db:1521/?service_name=HIS", "oracle", "oracledb", "oracle"),
    "SQL Server": ("mssql://his_ro:pw@his-db:1433/his", "mssql", "pymssql", "tsql"),
    "MySQL/MariaDB": ("mysql://his_ro:pw@his-db:3306/his", "mysql", "pymysql", "mysql"),
    "PostgreSQL": ("postgresql://his_ro:pw@his-db:5432/his", "postgresql", "psycopg", "postgres"),
    "KingbaseES": ("postgresql://his_ro:pw@his-db:54321/his", "postgresql", "psycopg", "postgres"),
    "openGauss": ("postgresql://his_ro:pw@his-db:5432/his", "postgresql", "psycopg", "postgres"),
    "DM": ("dm://his_ro:pw@his-db:5236", "dm", "dmPython", "oracle"),
}
# how each dialect writes the window's bounds when they are rendered into the SQL text
DATE_FORMS = {"oracle": ("TO_DATE('2026-03-02 08:00:00'", "TO_TIMESTAMP('2026-03-02 23:59:59.999999'"),
              "postgresql": ("'2026-03-02 08:00:00'", "'2026-03-02 23:59:59.999999'")}
PORTABLE_FUNCTIONS = {exp.And, exp.Or, exp.Case, exp.If, exp.Coalesce}
NOT_PORTABLE = (exp.Concat, exp.DPipe, exp.Limit, exp.Fetch, exp.Cast, exp.TryCast)


def _mappings() -> list[tuple[str, str]]:
    folder = resources.files("hisbridge.mapping") / "templates" / "mappings"
    return sorted((p.name, p.read_text("utf-8")) for p in folder.iterdir() if p.name.endswith(".sql"))


MAPPINGS = _mappings()


@pytest.fixture(params=list(FAMILIES), scope="module")
def family(request: pytest.FixtureRequest) -> Iterator[tuple[str, Engine]]:
    """A family's name and an engine on it (never connected)."""
    engine = open_source(FAMILIES[request.param][0])
    yield request.param, engine
    engine.dispose()


def test_twenty_mappings() -> None:
    assert len(MAPPINGS) == 20


def test_each_url_opens_its_dialect_and_driver(family: tuple[str, Engine]) -> None:
    name, engine = family
    _, dialect, driver, _ = FAMILIES[name]
    assert (engine.dialect.name, engine.dialect.driver) == (dialect, driver)


def test_the_liveness_query_needs_dual_where_the_database_does(family: tuple[str, Engine]) -> None:
    name, engine = family
    sql = str(PING.compile(dialect=engine.dialect))
    assert sql == ("SELECT 1 FROM DUAL" if name in ("Oracle", "DM") else "SELECT 1")


def test_result_columns_come_back_in_lower_case(family: tuple[str, Engine]) -> None:
    """Oracle and DM fold unquoted aliases to upper case; their dialects give them back in lower
    case, which is how the national fields are spelt."""
    _, engine = family
    assert engine.dialect.normalize_name("PATIENT_NAME") == "patient_name"


@pytest.mark.parametrize(("file", "sql"), MAPPINGS, ids=[m[0] for m in MAPPINGS])
def test_each_mapping_compiles_and_parses_in_each_family(family: tuple[str, Engine], file: str,
                                                         sql: str) -> None:
    name, engine = family
    grammar = FAMILIES[name][3]
    window = text(sql).bindparams(bindparam("since", SINCE, type_=DateTime),
                                  bindparam("until", DAY_END, type_=DateTime))
    compiled = str(window.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True}))
    for form in DATE_FORMS.get(engine.dialect.name, ()):
        assert form in compiled, f"{file}: {name} writes its window bounds as {form}…"
    tree = sqlglot.parse_one(compiled, read=grammar, error_level=ErrorLevel.RAISE)
    again = tree.sql(dialect=grammar, unsupported_level=ErrorLevel.RAISE)
    assert sqlglot.parse_one(again, read=grammar) == tree
    bound = str(text(sql).compile(dialect=engine.dialect))
    assert ":since" not in bound or engine.dialect.paramstyle == "named"  # the driver's own markers


@pytest.mark.parametrize(("file", "sql"), MAPPINGS, ids=[m[0] for m in MAPPINGS])
def test_each_mapping_is_portable(file: str, sql: str) -> None:
    """Dates arrive as the driver's typed parameters, compared as they are with columns; rows are
    streamed, not paged; nothing is concatenated or converted."""
    tree = sqlglot.parse_one(sql, read="postgres")
    functions = {type(node) for node in tree.find_all(exp.Func)}
    assert functions <= PORTABLE_FUNCTIONS, f"{file}: {functions - PORTABLE_FUNCTIONS}"
    assert not list(tree.find_all(*NOT_PORTABLE)), file
    bounds = list(tree.find_all(exp.Placeholder))
    assert {b.name for b in bounds} == {"since", "until"}, file
    assert all(isinstance(b.parent, exp.GTE | exp.LTE) for b in bounds), file
    literals = [lit.this for lit in tree.find_all(exp.Literal) if lit.is_string]
    assert not [v for v in literals if v[:2] in ("19", "20") and "-" in v], f"{file}: a date literal"


def _connection(version: str, server_version: int) -> Any:
    """What SQLAlchemy hands the dialect at first connect: ``version()`` and libpq's number."""
    result = SimpleNamespace(scalar=lambda: version)
    info = SimpleNamespace(server_version=server_version)
    return SimpleNamespace(exec_driver_sql=lambda _sql: result,
                           connection=SimpleNamespace(dbapi_connection=SimpleNamespace(info=info)))


@pytest.mark.parametrize(("said", "number", "expected"), [
    ("KingbaseES V008R006C008B0014 on x86_64-pc-linux-gnu, compiled by gcc (GCC) 4.8.5, 64-bit",
     120001, (12, 1)),
    ("(openGauss-lite 7.0.0-RC3 build ) compiled at 2026-04-21 15:29:26 commit 0 last mr  release",
     90204, (9, 2, 4)),
    ("PostgreSQL 9.2.4 (openGauss 5.0.0 build a07d57c3) compiled at 2023-03-29 03:37:13", 90204,
     (9, 2, 4)),
    ("PostgreSQL 16.4 (Debian 16.4-1.pgdg120+1) on x86_64-pc-linux-gnu", 160004, (16, 4)),
])
def test_postgresql_compatible_servers_are_accepted(said: str, number: int,
                                                    expected: tuple[int, ...]) -> None:
    engine = open_source("postgresql://his_ro@his-db/his")
    try:
        version = engine.dialect._get_server_version_info(_connection(said, number))
    finally:
        engine.dispose()
    assert version == expected


def test_an_unknown_version_string_still_fails_without_the_fallback() -> None:
    """The fallback is what accepts KingbaseES: SQLAlchemy's own parse refuses it."""
    engine = open_source("postgresql://his_ro@his-db/his")
    strict = type(engine.dialect)._get_server_version_info
    try:
        with pytest.raises(AssertionError, match="Could not determine version"):
            strict(engine.dialect, _connection("KingbaseES V008R006C008B0014", 120001))
        lenient_pg_version(engine)  # twice is harmless: still this engine's dialect only
    finally:
        engine.dispose()


def test_server_version_numbers() -> None:
    assert server_version_tuple(90620) == (9, 6, 20)
    assert server_version_tuple(150008) == (15, 8)


@pytest.mark.parametrize(("said", "unavailable", "column"), [
    ("DPY-6005: cannot connect to database (CONNECTION_ID=yjGn6Q==).\n[Errno 111] Connection refused",
     True, None),
    ("[CODE:-70028]Create SOCKET connection failure", True, None),
    ("(20009, b'DB-Lib error message 20009, severity 9:\\nUnable to connect: TDS server is "
     "unavailable or does not exist (10.0.0.9)\\nNet-Lib error during Connection refused (111)')",
     True, None),
    ("(207, b\"Invalid column name 'modify_tme'.DB-Lib error message 20018, severity 16\")",
     False, "modify_tme"),
    ('ORA-00904: "N"."MODIFY_TME": invalid identifier', False, "N.MODIFY_TME"),
    ("[CODE:-2111]无效的列名[MODIFY_TME]", False, "MODIFY_TME"),
])
def test_driver_errors_of_each_family_are_translated(said: str, unavailable: bool,
                                                     column: str | None) -> None:
    """Each driver's own words for "cannot reach the server" mean retry later; a wrong column
    names the column, so that `check` points at the mapping file's mistake."""
    error = translate(OperationalError("SELECT …", {}, Exception(said)), None)
    assert isinstance(error, SourceUnavailable) is unavailable
    if not unavailable:
        assert isinstance(error, SourceQueryError)
        assert error.column == column


class _RecordingConnection:
    """A DB-API connection that keeps what the session hook did to it."""

    def __init__(self) -> None:
        self.executed: list[str] = []

    def cursor(self) -> _RecordingConnection:
        return self

    def execute(self, sql: str) -> None:
        self.executed.append(sql)

    def close(self) -> None:
        pass


@pytest.mark.parametrize(("url", "connect_args", "executed", "attributes"), [
    ("oracle://u:p@his-db/?service_name=HIS", {}, [], {"call_timeout": 30000}),
    ("mssql://u:p@his-db/his", {"timeout": 30}, ["SET DATEFORMAT ymd"], {}),
    ("mssql+pyodbc://u:p@his-db/his", {}, [], {"timeout": 30}),
    ("dm://u:p@his-db:5236", {}, [], {}),
])
def test_each_family_session_gets_its_timeout(url: str, connect_args: dict[str, Any],
                                              executed: list[str],
                                              attributes: dict[str, Any]) -> None:
    """Where the driver has a statement timeout, each new connection gets it (30 s here); DM's
    driver has none, so its sessions rely on the account's grants (docs/his-databases.md)."""
    parsed = with_driver(make_url(url))
    assert _connect_args(parsed, 30000) == connect_args
    hook = _session_hook(parsed, 30000)
    conn = _RecordingConnection()
    if hook is not None:
        hook(conn, None)
    assert conn.executed == executed
    assert {k: v for k, v in vars(conn).items() if k != "executed"} == attributes
