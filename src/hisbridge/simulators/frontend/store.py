"""The simulator's own store: the 20 national tables, a request log, the message queue, and
the keys and waiting visits of ``durable.py``.

SQLite (in memory by default, a file with WAL) or PostgreSQL. Tables are created on start
with ``create_all``, which adds the tables an older database file lacks and leaves the rest
alone; this is a test double's database, not the gateway's, so it has no migrations (a new
column on an existing table would need one, or an explicit ``ALTER`` here).
The hot path talks to the driver connection directly with SQL built once per table (the
front-end replaces a record by its key, so an upsert writes every column). On SQLite writes
are committed in small batches (every ``commit_every`` writes or ``commit_interval_s``); all
reads go through the same connection, so they see every write at once. PostgreSQL runs in
autocommit so that a refused row (e.g. a value too long) never aborts its neighbours.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Column, Integer, MetaData, String, Table, Text
from sqlalchemy.pool import StaticPool

from hisbridge.dictionary import Dictionary, TableSpec
from hisbridge.dictionary.schema import national_metadata
from hisbridge.simulators.frontend.durable import durable_tables
from hisbridge.store.engine import make_engine

__all__ = ["MESSAGE_COLUMNS", "REQUEST_COLUMNS", "SimStore", "StoreError"]

REQUEST_COLUMNS = (
    "seq", "at", "method", "path", "key_style", "body", "result", "error_code", "http_status",
)
MESSAGE_COLUMNS = (
    "seq", "msg_id", "type", "level", "title", "content", "patient_id", "serial_number",
    "org_code", "dept_code", "user_id", "create_time", "dedupe_key",
)


class StoreError(Exception):
    """A row the database refused (the front-end answers 01 数据入库失败)."""


def _sim_tables(metadata: MetaData) -> None:
    Table(
        "sim_request", metadata,
        Column("seq", Integer, primary_key=True, autoincrement=False),
        Column("at", String(26)), Column("method", String(10)), Column("path", Text),
        Column("key_style", String(10)), Column("body", Text), Column("result", Integer),
        Column("error_code", String(4)), Column("http_status", Integer),
        comment="模拟器收到的每个请求 / every request the simulator received",
    )
    Table(
        "sim_message", metadata,
        Column("seq", Integer, primary_key=True, autoincrement=False),
        *(Column(name, Text) for name in MESSAGE_COLUMNS[1:-2]),
        Column("create_time", String(19)), Column("dedupe_key", String(200), unique=True),
        comment="预警消息 / warning messages produced by the warning engine",
    )
    durable_tables(metadata)


class SimStore:
    """One open connection to the simulator's database; not thread-safe by design."""

    def __init__(
        self, url: str | None, dictionary: Dictionary, *,
        commit_every: int = 256, commit_interval_s: float = 0.05, request_log_keep: int = 0,
    ) -> None:
        self.url = url or "sqlite://"
        self.dictionary = dictionary
        self.metadata = national_metadata(dictionary)
        _sim_tables(self.metadata)
        self.engine = self._engine(self.url)
        self.metadata.create_all(self.engine)
        self._raw = self.engine.raw_connection()
        self.db: Any = self._raw.driver_connection
        self.sqlite = self.engine.dialect.name == "sqlite"
        if not self.sqlite:
            self.db.autocommit = True
        self.ph = "?" if self.sqlite else "%s"
        self._upserts = {t.name: self._upsert_sql(t) for t in dictionary}
        self._commit_every, self._commit_interval = commit_every, commit_interval_s
        self._pending = 0
        self._timer: asyncio.TimerHandle | None = None
        self._timer_loop: asyncio.AbstractEventLoop | None = None
        self._log: list[tuple[Any, ...]] = []
        self.request_log_keep = request_log_keep
        self.request_seq = self._max_seq("sim_request")
        self.message_seq = self._max_seq("sim_message")

    @staticmethod
    def _engine(url: str) -> Any:
        if url.startswith("sqlite"):
            memory = url in ("sqlite://", "sqlite:///:memory:")
            extra: dict[str, Any] = {"poolclass": StaticPool} if memory else {}
            return make_engine(url, connect_args={"check_same_thread": False}, **extra)
        return make_engine(url)

    def _upsert_sql(self, table: TableSpec) -> tuple[str, tuple[str, ...]]:
        columns = tuple(f.name for f in table.fields)
        names = ", ".join(columns)
        marks = ", ".join([self.ph] * len(columns))
        updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c != table.primary_key)
        sql = (f"INSERT INTO {table.name} ({names}) VALUES ({marks}) "
               f"ON CONFLICT ({table.primary_key}) DO UPDATE SET {updates}")
        return sql, columns

    # -- writes -----------------------------------------------------------------------------

    def upsert(self, table: str, record: Mapping[str, Any]) -> None:
        """Insert or replace one record of a national table (absent fields become NULL)."""
        sql, columns = self._upserts[table]
        self._write(sql, tuple(map(record.get, columns)))

    def delete(self, table: TableSpec, key: str) -> int:
        """Delete by primary key; the number of rows removed (0 or 1)."""
        sql = f"DELETE FROM {table.name} WHERE {table.primary_key} = {self.ph}"
        return self._write(sql, (key,))

    def write(self, sql: str, params: Sequence[Any], *, commit: bool = False) -> int:
        """Run one statement on the simulator's own tables; ``commit`` ends the batch now."""
        count = self._write(sql, params)
        if commit:
            self.commit()
        return count

    def _write(self, sql: str, params: Sequence[Any]) -> int:
        try:
            cursor = self.db.execute(sql, params)
        except Exception as exc:  # any driver error is the front-end's 01
            if not self.sqlite:
                self.db.rollback()
            raise StoreError(f"{type(exc).__name__}: {str(exc).splitlines()[0]}") from exc
        self._written()
        return int(cursor.rowcount)

    def log_request(self, row: Sequence[Any]) -> int:
        """Queue one request-log row (``REQUEST_COLUMNS`` without ``seq``); returns its seq."""
        self.request_seq += 1
        self._log.append((self.request_seq, *row))
        self._written()
        return self.request_seq

    def add_message(self, message: Mapping[str, Any]) -> bool:
        """Store a message unless one with the same ``dedupe_key`` exists; True if stored."""
        if self.find("sim_message", "dedupe_key", message["dedupe_key"]) is not None:
            return False
        self.message_seq += 1
        row = {**message, "seq": self.message_seq}
        marks = ", ".join([self.ph] * len(MESSAGE_COLUMNS))
        sql = f"INSERT INTO sim_message ({', '.join(MESSAGE_COLUMNS)}) VALUES ({marks})"
        self._write(sql, tuple(row.get(c) for c in MESSAGE_COLUMNS))
        return True

    def _written(self) -> None:
        self._pending += 1
        if self._pending >= self._commit_every:
            self.commit()
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # used outside an event loop: no batching
            self.commit()
            return
        # A timer left on another (e.g. a finished test's) loop would never fire.
        if self._timer is None or self._timer_loop is not loop:
            self._timer = loop.call_later(self._commit_interval, self.commit)
            self._timer_loop = loop

    def commit(self) -> None:
        """Write the queued request log and end the open transaction."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._log:
            rows, self._log = self._log, []
            marks = ", ".join([self.ph] * len(REQUEST_COLUMNS))
            self.db.cursor().executemany(
                f"INSERT INTO sim_request ({', '.join(REQUEST_COLUMNS)}) VALUES ({marks})", rows)
            self._trim_request_log()
        if self.sqlite:
            self.db.commit()
        self._pending = 0

    def _trim_request_log(self) -> None:
        """Keep the newest ``request_log_keep`` requests (a range delete on the key)."""
        oldest_kept = self.request_seq - self.request_log_keep
        if self.request_log_keep > 0 and oldest_kept > 0:
            self.db.execute(f"DELETE FROM sim_request WHERE seq <= {self.ph}", (oldest_kept,))

    # -- reads ------------------------------------------------------------------------------

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """Rows of a SELECT as dicts (pending log rows are written first)."""
        if self._log:
            self.commit()
        cursor = self.db.execute(sql, params)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def find(self, table: str, column: str, value: Any) -> dict[str, Any] | None:
        rows = self.query(f"SELECT * FROM {table} WHERE {column} = {self.ph} LIMIT 1", (value,))
        return rows[0] if rows else None

    def counts(self) -> dict[str, int]:
        """Row count of each of the 20 tables."""
        out = {}
        for table in self.dictionary.names:
            out[table] = int(self.query(f"SELECT COUNT(*) AS n FROM {table}")[0]["n"])
        return out

    def requests(self, limit: int, after: int | None = None) -> list[dict[str, Any]]:
        """The last ``limit`` requests, oldest first; with ``after``, the first ``limit``
        requests after that seq (to page through the log)."""
        return self._page("sim_request", limit, after)

    def messages(self, limit: int, after: int | None = None) -> list[dict[str, Any]]:
        """Messages in seq order, ``limit`` of them: the last ones, or the first after ``after``."""
        return self._page("sim_message", limit, after)

    def _page(self, table: str, limit: int, after: int | None) -> list[dict[str, Any]]:
        if after is not None:
            return self.query(f"SELECT * FROM {table} WHERE seq > {self.ph} ORDER BY seq "
                              f"LIMIT {self.ph}", (after, limit))
        rows = self.query(f"SELECT * FROM {table} ORDER BY seq DESC LIMIT {self.ph}", (limit,))
        return rows[::-1]

    def message_kinds(self) -> dict[str, int]:
        """How many messages of each type."""
        rows = self.query("SELECT type, COUNT(*) AS n FROM sim_message GROUP BY type")
        return {str(r["type"]): int(r["n"]) for r in rows}

    def reset(self, tables: Iterable[str] | None = None) -> None:
        """Empty every table (or the given ones)."""
        self._log.clear()
        for name in tables or self.metadata.tables:
            self.db.execute(f"DELETE FROM {name}")
        self.commit()
        self.request_seq = self.message_seq = 0

    def _max_seq(self, table: str) -> int:
        row = self.query(f"SELECT MAX(seq) AS m FROM {table}")[0]
        return int(row["m"] or 0)

    def close(self) -> None:
        self.commit()
        self._raw.close()
        self.engine.dispose()
