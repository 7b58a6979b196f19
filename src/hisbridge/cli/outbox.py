"""``hisbridge outbox status | dead | replay | prune``: see and repair the delivery queue."""

from __future__ import annotations

from datetime import datetime, tzinfo
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine

from hisbridge import _json
from hisbridge._clock import system_clock
from hisbridge.cli.prune import prune_cmd
from hisbridge.settings import load_settings
from hisbridge.store.queries import ReplayFilter, dead_entries, outbox_status, replay

__all__ = ["app"]

app = typer.Typer(help="投递队列 / the delivery outbox", no_args_is_help=True)
console = Console()
ConfigOpt = Annotated[Path | None, typer.Option("--config", "-c", help="配置文件 config file")]
STATES = ("pending", "in_flight", "retry_wait", "delivered", "dead")


def _engine(config: Path | None) -> Engine:
    from hisbridge.store.engine import make_engine
    from hisbridge.store.migrate import upgrade

    engine = make_engine(load_settings(config).store.url)
    upgrade(engine)
    return engine


@app.command("status")
def status(config: ConfigOpt = None,
           as_json: Annotated[bool, typer.Option("--json", help="JSON output")] = False) -> None:
    """各表各状态的数量 / counts per table x state, oldest pending age."""
    found = outbox_status(_engine(config), system_clock.now())
    if as_json:
        console.print_json(_json.dumps_str(found.as_dict()))
        return
    view = Table(title="投递队列 outbox")
    for column in ("table", *STATES, "oldest pending", "replayed", "quarantined"):
        view.add_column(column, justify="left" if column == "table" else "right")
    tables = sorted(set(found.counts) | set(found.quarantined) | set(found.replayed))
    for table in tables:
        counts = found.counts.get(table, {})
        age = found.oldest_pending_s.get(table)
        view.add_row(table, *(str(counts.get(s, 0)) for s in STATES),
                     f"{age:.0f}s" if age is not None else "-",
                     str(found.replayed.get(table, 0)), str(found.quarantined.get(table, 0)))
    console.print(view)


@app.command("dead")
def dead(config: ConfigOpt = None,
         table: Annotated[str | None, typer.Option(
             "--table", "-t", help="只看这张表 only this table (any key style)")] = None,
         limit: Annotated[int, typer.Option(help="最多显示 rows to show")] = 50) -> None:
    """死信及原因 / dead letters with the reason and the receiver's reply."""
    from hisbridge.spec import load_dictionary

    name = load_dictionary().table(table).name if table else None
    rows = dead_entries(_engine(config), name, limit)
    view = Table(title=f"死信 dead letters ({len(rows)})")
    for column in ("outbox id", "table", "id", "v", "tries", "code", "reason"):
        view.add_column(column)
    for r in rows:
        view.add_row(str(r.outbox_id), r.table, r.record_id, str(r.version), str(r.attempts),
                     r.error_code or "-", r.reason[:160])
    console.print(view)


def _moment(text: str | None, zone: tzinfo) -> datetime | None:
    """A time typed on the command line; without a zone it is wall time in ``zone``."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise typer.BadParameter(f"时间格式应为 2026-03-01 或 2026-03-01T08:00 : {text}") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=zone)


@app.command("replay")
def replay_cmd(
    table: Annotated[str, typer.Option("--table", "-t", help="表名 table")],
    config: ConfigOpt = None,
    state: Annotated[str, typer.Option(help="dead | retry_wait")] = "dead",
    since: Annotated[str | None, typer.Option(help="接收时间起 since (显示时区 display zone)")] = None,
    until: Annotated[str | None, typer.Option(help="接收时间止 accepted before")] = None,
    error_code: Annotated[str | None, typer.Option("--error-code", help="如 04")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="只预览数量 preview only")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="不再确认 do not ask")] = False,
) -> None:
    """按条件重发 / replay by filter: preview the count first, new attempts link to the old."""
    from hisbridge.spec import load_dictionary

    if state not in ("dead", "retry_wait"):
        raise typer.BadParameter("--state 只能是 dead 或 retry_wait")
    engine = _engine(config)
    zone = load_settings(config).display_zone()
    flt = ReplayFilter(load_dictionary().table(table).name, state,  # type: ignore[arg-type]
                       _moment(since, zone), _moment(until, zone), error_code)
    preview = replay(engine, flt, system_clock.now(), dry_run=True)
    console.print(f"匹配 matched {preview.matched}，其中已被新版本取代 superseded "
                  f"{preview.superseded}，将重发 to replay {preview.matched - preview.superseded}")
    if dry_run or preview.matched == preview.superseded:
        return
    if not yes and not typer.confirm("确认重发？ replay now?"):
        raise typer.Exit(1)
    done = replay(engine, flt, system_clock.now(), requested_by="cli")
    console.print(f"已重发 replayed {done.replayed}（replay #{done.replay_id}）")


app.command("prune")(prune_cmd)
