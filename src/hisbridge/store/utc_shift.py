"""Moving times that older versions wrote as China local time to UTC (for migrations).

Before the store kept UTC everywhere, some tables were written with China-time values: SQLite
keeps a timestamp as naive text, so those columns hold Beijing wall time there (PostgreSQL's
``timestamptz`` stored the right instant and needs nothing); and the sources' watermarks and
poll windows were HIS wall times as text on both stores. A migration shifts them by the offset
of the zone they were written in (Asia/Shanghai: +08:00, no daylight saving since 1991).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy import Connection, inspect, text

__all__ = ["CHINA_OFFSET_HOURS", "shift_tables", "shift_to_utc"]

CHINA_OFFSET_HOURS = 8


def _shifted(dialect: str, column: str, hours: int) -> str:
    if dialect == "sqlite":  # keeps the fraction digits the text had
        return f"strftime('%Y-%m-%d %H:%M:%S', {column}, '{hours:+d} hours') || substr({column}, 20)"
    return f"to_char(CAST({column} AS timestamp) + interval '{hours} hours', 'YYYY-MM-DD HH24:MI:SS.US')"


def shift_to_utc(conn: Connection, table: str, columns: Iterable[str], *, as_text: bool,
                 hours: int = -CHINA_OFFSET_HOURS) -> None:
    """Shift ``columns`` of every row of ``table`` by ``hours`` (China time to UTC: -8).

    ``as_text``: the columns are text on every store (watermarks); otherwise they are
    timestamps, shifted on SQLite only.
    """
    dialect = conn.dialect.name
    if not as_text and dialect != "sqlite":
        return
    for column in columns:
        quoted = conn.dialect.identifier_preparer.quote(column)
        conn.execute(text(f"UPDATE {table} SET {quoted} = {_shifted(dialect, quoted, hours)} "
                          f"WHERE {quoted} IS NOT NULL"))


def shift_tables(conn: Connection, timestamps: Mapping[str, Iterable[str]],
                 texts: Mapping[str, Iterable[str]] | None = None, *,
                 hours: int = -CHINA_OFFSET_HOURS) -> None:
    """``shift_to_utc`` over timestamp columns and text columns, table by table; a table this
    store does not have (yet) is skipped, so the revision can sit anywhere in its branch."""
    present = set(inspect(conn).get_table_names())
    for table, columns in timestamps.items():
        if table in present:
            shift_to_utc(conn, table, columns, as_text=False, hours=hours)
    for table, columns in (texts or {}).items():
        if table in present:
            shift_to_utc(conn, table, columns, as_text=True, hours=hours)
