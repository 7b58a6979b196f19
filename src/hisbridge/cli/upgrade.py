"""``hisbridge upgrade -c FILE [--check] [--json] [--yes]``: bring the store up to this version.

Every other command that opens the store refuses an older one with one line naming this
command; only an empty store is given its schema implicitly (the first start).
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from sqlalchemy import Engine

from hisbridge import _json
from hisbridge._clock import system_clock
from hisbridge.cli.listing import JsonOpt, Listing, emit
from hisbridge.settings import load_settings
from hisbridge.store.migrate import Migration

__all__ = ["upgrade"]

console = Console()
notes = Console(stderr=True)


def upgrade(
    config: Annotated[Path | None, typer.Option("--config", "-c", help="配置文件 config file")]
        = None,
    check: Annotated[bool, typer.Option("--check", help="只列出待应用的迁移 list only")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="已备份，不再确认 backed up: do not ask")]
        = False,
    as_json: JsonOpt = False,
) -> None:
    """升级存储结构 / apply the store's pending migrations, after a backup.

    --check 列出待应用的迁移（修订号、分支、说明），有待应用的迁移时退出码 1 / lists them and
    exits 1 when some are pending, 0 when the store is current. Otherwise they are applied:
    a SQLite store is first copied next to itself (0600) and the copy named; on PostgreSQL or
    MariaDB the pg_dump/mysqldump command to run first is printed and confirmed (--yes: it has
    been run). Stop the gateway (hisbridge run) before upgrading.
    """
    from hisbridge.store.engine import make_engine
    from hisbridge.store.migrate import current_heads, pending_migrations

    url = load_settings(config).store.url
    engine = make_engine(url)
    try:
        waiting = pending_migrations(engine)
        if check:
            _list(current_heads(engine), waiting, as_json, config)
            raise typer.Exit(1 if waiting else 0)
        backup = _backup(url, yes, as_json) if waiting and current_heads(engine) else None
        done = _apply(engine, len(waiting), as_json)
    finally:
        engine.dispose()
    _report(done, backup, as_json)


def _list(heads: set[str], waiting: list[Migration], as_json: bool, config: Path | None) -> None:
    from hisbridge.store.migrate import upgrade_command

    document = {"current": sorted(heads), "pending": [asdict(m) for m in waiting]}
    emit(Listing(f"待应用的迁移 pending migrations ({len(waiting)})",
                 ("revision", "branch", "description"),
                 [(m.revision, m.branch, m.description) for m in waiting], document),
         as_json=as_json, console=console)
    if not as_json:
        notes.print(f"{len(waiting)} 个迁移待应用 pending: 运行 run {upgrade_command(config)}" if waiting
                    else "存储已是最新 the store is current", highlight=False)


def _backup(url: str, yes: bool, as_json: bool) -> str | None:
    """The SQLite copy made now, or (server databases) the dump command shown and confirmed."""
    from hisbridge.store.backup import backup_sqlite, dump_command
    from hisbridge.store.engine import sqlite_file

    now = system_clock.now()
    database = sqlite_file(url)
    if database is not None:
        return str(backup_sqlite(database, now))
    line = dump_command(url, now)
    if line is None or yes:
        return None
    say = notes if as_json else console
    say.print("请先备份存储 back up the store first (hisbridge 不会替你运行 / not run for you):",
              highlight=False)
    say.print(f"  {line}", highlight=False, markup=False, soft_wrap=True)
    if not typer.confirm("已备份，继续升级？ backed up: upgrade now?", err=as_json):
        raise typer.Exit(1)
    return None


def _apply(engine: Engine, total: int, as_json: bool) -> list[Migration]:
    """Apply every pending migration under a progress bar; the migrations applied."""
    from hisbridge.store.migrate import upgrade as apply_all

    done: list[Migration] = []
    columns = (TextColumn("升级 upgrade {task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=notes, disable=as_json or not total) as bar:
        task = bar.add_task("", total=total)

        def applied(migration: Migration) -> None:
            done.append(migration)
            bar.update(task, advance=1, description=migration.revision)

        apply_all(engine, applied)
    return done


def _report(done: list[Migration], backup: str | None, as_json: bool) -> None:
    if as_json:
        typer.echo(_json.dumps_str({"applied": [asdict(m) for m in done], "backup": backup}))
        return
    if backup:
        console.print(f"已备份 backup: {backup}", highlight=False, markup=False)
    if not done:
        console.print("存储已是最新，无需升级 the store is current: nothing to apply")
        return
    console.print(f"已应用 {len(done)} 个迁移 applied {len(done)} migrations:")
    for m in done:
        console.print(f"  {m.revision} [{m.branch}] {m.description}", highlight=False,
                      markup=False, soft_wrap=True)
