"""The database sink: upsert the 20 national tables into an intermediate PostgreSQL or MySQL/MariaDB
database that the front-end reads (``frontend.mode: db``).

Upserts are ``INSERT ... ON CONFLICT (pk) DO UPDATE`` (PostgreSQL) or ``INSERT ... ON DUPLICATE
KEY UPDATE`` (MySQL/MariaDB); deletes are by primary key; ``base_dept`` is never deleted. A batch
is written in one transaction with one statement per (table, operation); if it fails, each item is
retried alone so that one bad row is dead-lettered without taking its batch with it.
"""

from __future__ import annotations

import asyncio
import threading
from collections import defaultdict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import Connection, Engine, Table, delete
from sqlalchemy.dialects import mysql, postgresql
from sqlalchemy.exc import DBAPIError

from hisbridge.connectors.frontend.config import DbSinkConfig
from hisbridge.connectors.frontend.mapping import db_row
from hisbridge.delivery.outcome import DeliveryItem, Outcome
from hisbridge.dictionary import load_dictionary
from hisbridge.dictionary.schema import national_metadata
from hisbridge.errors import OperationRefused, RecordRejected, TargetUnavailable, Transient
from hisbridge.store.errors import STORE_ERRORS, driver_error

__all__ = ["FrontendDbSink"]

_COPY_FROM = 20  # batches at least this large go through COPY on PostgreSQL


class FrontendDbSink:
    """``deliver``/``deliver_batch`` into the intermediate database; creates missing tables."""

    def __init__(self, config: DbSinkConfig, *, engine: Engine | None = None) -> None:
        from hisbridge.store.engine import make_engine

        self.config = config
        self.engine = engine or make_engine(config.url)
        self.name = f"frontend-db {self.engine.dialect.name}"
        self.metadata = national_metadata(schema=config.schema)
        self._dictionary = load_dictionary()
        self._upserts: dict[str, Any] = {}
        self._ready = False
        self._lock = threading.Lock()
        # COPY talks to the driver directly, so its errors arrive untranslated.
        self._driver_error: type[Exception] = self.engine.dialect.loaded_dbapi.Error
        self._failures: tuple[type[Exception], ...] = (
            *STORE_ERRORS, ValueError, OSError, self._driver_error)
        self._thread = ThreadPoolExecutor(2, thread_name_prefix="hisbridge-sink")

    def ensure_tables(self) -> None:
        """Create the 20 tables if they are missing (never alters existing ones)."""
        with self._lock:  # two batch writers must not race on CREATE TABLE
            if not self._ready:
                self.metadata.create_all(self.engine, checkfirst=True)
                self._ready = True

    async def deliver(self, item: DeliveryItem) -> Outcome:
        [outcome] = await self.deliver_batch([item])
        return outcome

    async def deliver_batch(self, items: Sequence[DeliveryItem]) -> list[Outcome]:
        """One outcome per item, in order; never raises for a failed write."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._thread, self._write_batch, list(items))

    def _write_batch(self, items: list[DeliveryItem]) -> list[Outcome]:
        refused = {i.outbox_id for i in items if i.op == "delete" and i.table == "base_dept"}
        sendable = [i for i in items if i.outbox_id not in refused]
        try:
            if not self._ready:
                self.ensure_tables()
            with self.engine.begin() as conn:
                for (table, op), group in _grouped(sendable).items():
                    self._apply(conn, table, op, group)
            ok: dict[int, Outcome] = {i.outbox_id: Outcome.delivered() for i in sendable}
        except self._failures as caught:
            exc = driver_error(caught)  # the database's own words, as before the translation
            if len(sendable) <= 1 or _is_connection_error(exc):
                ok = {i.outbox_id: _outcome_for(exc) for i in sendable}
            else:
                ok = {i.outbox_id: self._write_batch([i])[0] for i in sendable}
        refusal = Outcome.from_error(OperationRefused("base_dept 不允许删除 delete refused"))
        return [refusal if i.outbox_id in refused else ok[i.outbox_id] for i in items]

    def _apply(self, conn: Connection, table_name: str, op: str, items: list[DeliveryItem]) -> None:
        spec = self._dictionary.table(table_name)
        table = self._table(table_name)
        records = [i.record for i in items]  # decoded here, once: the sink needs the fields
        if op == "delete":
            keys = [str(r[spec.primary_key]) for r in records]
            conn.execute(delete(table).where(table.c[spec.primary_key].in_(keys)))
            return
        latest = list({str(r.get(spec.primary_key)): r
                       for r in records}.values())  # one row per key: the last version wins
        if self.engine.dialect.name == "postgresql" and len(latest) >= _COPY_FROM:
            self._copy_upsert(conn, table, spec.primary_key, latest)
        else:
            rows = [db_row(spec, record) for record in latest]
            conn.execute(self._upsert(table, spec.primary_key), rows)

    def _copy_upsert(self, conn: Connection, table: Table, primary_key: str,
                     records: list[dict[str, Any]]) -> None:
        """PostgreSQL: rows whose key is new go straight in with ``COPY``; the rest through a
        temporary table and one ``INSERT ... ON CONFLICT``.

        A first connection's backlog is all new keys, so it costs what ``COPY`` costs; the
        staged upsert (COPY into the per-connection temporary table, which empties itself at
        commit) is for rows already there. Values go as the stored wire strings and PostgreSQL
        parses dates itself (a bad one fails the batch, then its row alone). A key that another
        writer inserts between the look-up and the ``COPY`` fails the batch, then each row is
        upserted alone: slower, never wrong.
        """
        quote = self.engine.dialect.identifier_preparer.quote
        target = (f"{quote(self.config.schema)}.{quote(table.name)}" if self.config.schema
                  else quote(table.name))
        names = [c.name for c in table.columns]
        columns = ", ".join(quote(n) for n in names)
        raw = conn.connection.driver_connection
        with raw.cursor() as cursor:  # type: ignore[union-attr]
            keys = [str(r.get(primary_key)) for r in records]
            cursor.execute(f"SELECT {quote(primary_key)} FROM {target} "
                           f"WHERE {quote(primary_key)} = ANY(%s)", [keys])
            present = {str(key) for (key,) in cursor}
            fresh = [r for r, key in zip(records, keys, strict=True) if key not in present]
            known = [r for r, key in zip(records, keys, strict=True) if key in present]
            if fresh:
                _copy(cursor, target, columns, names, fresh)
            if known:
                stage = quote(f"hb_stage_{table.name}")
                cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {stage} "
                               f"(LIKE {target}) ON COMMIT DELETE ROWS")
                _copy(cursor, stage, columns, names, known)
                updates = ", ".join(f"{quote(n)} = EXCLUDED.{quote(n)}"
                                    for n in names if n != primary_key)
                cursor.execute(f"INSERT INTO {target} ({columns}) SELECT {columns} FROM {stage} "
                               f"ON CONFLICT ({quote(primary_key)}) DO UPDATE SET {updates}")

    def _table(self, name: str) -> Table:
        key = f"{self.config.schema}.{name}" if self.config.schema else name
        return self.metadata.tables[key]

    def _upsert(self, table: Table, primary_key: str) -> Any:
        cached = self._upserts.get(table.name)
        if cached is not None:
            return cached
        others = [c.name for c in table.columns if c.name != primary_key]
        statement: Any
        if self.engine.dialect.name in ("mysql", "mariadb"):
            base = mysql.insert(table)
            statement = base.on_duplicate_key_update({c: base.inserted[c] for c in others})
        else:
            pg = postgresql.insert(table)
            statement = pg.on_conflict_do_update(index_elements=[primary_key],
                                                 set_={c: pg.excluded[c] for c in others})
        self._upserts[table.name] = statement
        return statement

    async def aclose(self) -> None:
        self._thread.shutdown(wait=True)
        self.engine.dispose()


def _copy(cursor: Any, into: str, columns: str, names: list[str],
          records: list[dict[str, Any]]) -> None:
    with cursor.copy(f"COPY {into} ({columns}) FROM STDIN") as copy:
        write = copy.write_row
        for record in records:
            get = record.get
            write([get(n) or None for n in names])


def _grouped(items: list[DeliveryItem]) -> dict[tuple[str, str], list[DeliveryItem]]:
    groups: dict[tuple[str, str], list[DeliveryItem]] = defaultdict(list)
    for item in items:
        groups[(item.table, item.op)].append(item)
    return groups


def _is_connection_error(exc: BaseException) -> bool:
    if isinstance(exc, DBAPIError):
        return exc.connection_invalidated or type(exc.orig).__name__ == "OperationalError"
    return type(exc).__name__ == "OperationalError" or isinstance(exc, OSError)


def _outcome_for(exc: BaseException) -> Outcome:
    """Connection trouble is transient; a row the database refuses is terminal."""
    text = str(exc).splitlines()[0][:400] if str(exc) else type(exc).__name__
    if _is_connection_error(exc):
        unreachable = TargetUnavailable(f"无法写入前置库 cannot reach the database: {text}")
        return Outcome.from_error(unreachable, reachable=False)
    if "deadlock" in text.lower():
        return Outcome.from_error(Transient(f"前置库死锁 deadlock: {text}"))
    return Outcome.from_error(RecordRejected(f"前置库拒收 the database refused the row: {text}"))
