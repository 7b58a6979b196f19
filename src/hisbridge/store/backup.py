"""A copy of the store before it is changed on purpose (``hisbridge upgrade``).

A SQLite store is copied by SQLite's online backup API (a consistent copy even while another
process has the file open) to a private file next to it. A server database is the DBA's to back
up: ``dump_command`` says the ``pg_dump``/``mysqldump`` line to run; hisbridge never runs it.
"""

from __future__ import annotations

import shlex
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import make_url

from hisbridge._files import touch_private

__all__ = ["backup_sqlite", "dump_command"]


def backup_sqlite(database: Path, now: datetime) -> Path:
    """Copy the SQLite ``database`` to ``<name>.pre-upgrade-<UTC time>`` beside it (0600)."""
    target = _free_name(database, f"pre-upgrade-{now.astimezone(UTC):%Y%m%dT%H%M%SZ}")
    touch_private(target)
    source = sqlite3.connect(database)
    try:
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)
        finally:
            copy.close()
    finally:
        source.close()
    return target


def _free_name(database: Path, label: str) -> Path:
    target, n = database.with_name(f"{database.name}.{label}"), 1
    while target.exists():
        target, n = database.with_name(f"{database.name}.{label}-{n}"), n + 1
    return target


def dump_command(url: str, now: datetime) -> str | None:
    """The shell line that dumps the server database at ``url`` to a file (no password in it:
    the tool asks for it, or reads ``PGPASSWORD``/``~/.pgpass``, ``~/.my.cnf``); None for SQLite."""
    parsed = make_url(url)
    backend, name = parsed.get_backend_name(), parsed.database or ""
    file = f"{name}-pre-upgrade-{now.astimezone(UTC):%Y%m%dT%H%M%SZ}"
    args = [("-h", parsed.host), ("-p" if backend == "postgresql" else "-P", parsed.port),
            ("-U" if backend == "postgresql" else "-u", parsed.username)]
    where = [f"{flag} {shlex.quote(str(value))}" for flag, value in args if value]
    if backend == "postgresql":
        return " ".join(["pg_dump", *where, "-Fc", "-f", f"{file}.dump", shlex.quote(name)])
    if backend in ("mysql", "mariadb"):
        password = ["-p"] if parsed.password else []
        return " ".join(["mysqldump", *where, *password, "--single-transaction", "--routines",
                         shlex.quote(name), ">", f"{file}.sql"])
    return None
