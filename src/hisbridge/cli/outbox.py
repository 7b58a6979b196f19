"""``hisbridge outbox status | dead | replay | prune``: see and repair the delivery queue."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from sqlalchemy import Engine

from hisbridge._clock import format_local, system_clock
from hisbridge.cli.listing import JsonOpt, Listing, emit
from hisbridge.cli.prune import prune_cmd
from hisbridge.settings import load_settings
from hisbridge.store.queries import ReplayFilter, dead_entries, outbox_status, replay

__all__ = ["app"]

app = typer.Typer(help="投递队列 / the delivery outbox", no_args_is_help=True)
console = Console()
ConfigOpt = Annotated[Path | None, typer.Option("--config", "-c", help="配置文件 config file")]
STATES = ("pending", "in_flight", "retry_wait", "delivered", "dead")


@contextmanager
def _engine(config: Path | None) -> Iterator[Engine]:
    """The store (refused when it needs ``hisbridge upgrade``), closed when the command is done."""
    from hisbridge.store.migrate import open_store

    engine = open_store(load_settings(config).store.url, config)
    try:
        yield engine
    finally:
        engine.dispose()


@app.command("status")
def status(config: ConfigOpt = None, as_json: JsonOpt = False) -> None:
    """各表各状态的数量 / counts per table x state, oldest pending age."""
    with _engine(config) as engine:
        found = outbox_status(engine, system_clock.now())
    listing = Listing("投递队列 outbox", ("table", *STATES, "oldest pending", "replayed",
                                          "quarantined"), document=found.as_dict())
    for table in sorted(set(found.counts) | set(found.quarantined) | set(found.replayed)):
        counts = found.counts.get(table, {})
        age = found.oldest_pending_s.get(table)
        listing.rows.append((table, *(counts.get(s, 0) for s in STATES),
                             f"{age:.0f}s" if age is not None else "-",
                             found.replayed.get(table, 0), found.quarantined.get(table, 0)))
    emit(listing, as_json=as_json, console=console)


@app.command("dead")
def dead(config: ConfigOpt = None,
         table: Annotated[str | None, typer.Option(
             "--table", "-t", help="只看这张表 only this table (any key style)")] = None,
         limit: Annotated[int, typer.Option(help="最多显示 rows to show")] = 50,
         as_json: JsonOpt = False) -> None:
    """死信及原因 / dead letters with the reason and the receiver's reply."""
    from hisbridge.dictionary import load_dictionary

    name = load_dictionary().table(table).name if table else None
    with _engine(config) as engine:
        rows = dead_entries(engine, name, limit)
    listing = Listing(f"死信 dead letters ({len(rows)})",
                      ("outbox id", "table", "id", "v", "tries", "code", "reason"),
                      [(r.outbox_id, r.table, r.record_id, r.version, r.attempts,
                        r.error_code or "-", r.reason) for r in rows],
                      [r.as_dict() for r in rows])
    emit(listing, as_json=as_json, console=console)


@app.command("webhooks")
def webhooks(config: ConfigOpt = None,
             limit: Annotated[int, typer.Option(help="最多显示 rows to show")] = 50,
             requeue: Annotated[bool, typer.Option(
                 "--requeue", help="全部重新推送 send every dead one again")] = False,
             as_json: JsonOpt = False) -> None:
    """HIS 回调死信及原因 / dead HIS webhook deliveries (warnings) with the reason."""
    from hisbridge.store.webhooks import dead_webhooks, requeue_dead

    with _engine(config) as engine:
        if requeue:
            console.print(f"已重新排队 requeued {requeue_dead(engine)}")
            return
        rows = dead_webhooks(engine, limit)
    listing = Listing(f"HIS 回调死信 dead webhook deliveries ({len(rows)})",
                      ("delivery id", "warning", "tries", "code", "reason"),
                      [(r.delivery_id, r.msg_id, r.attempts, r.error_code or "-", r.reason)
                       for r in rows],
                      [r.as_dict() for r in rows])
    emit(listing, as_json=as_json, console=console)


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
    from hisbridge.dictionary import load_dictionary

    if state not in ("dead", "retry_wait"):
        raise typer.BadParameter("--state 只能是 dead 或 retry_wait")
    zone = load_settings(config).display_zone()
    flt = ReplayFilter(load_dictionary().table(table).name, state,  # type: ignore[arg-type]
                       _moment(since, zone), _moment(until, zone), error_code)
    with _engine(config) as engine:
        preview = replay(engine, flt, system_clock.now(), dry_run=True)
        console.print(f"匹配 matched {preview.matched}，其中已被新版本取代 superseded "
                      f"{preview.superseded}，将重发 to replay "
                      f"{preview.matched - preview.superseded}")
        if dry_run or preview.matched == preview.superseded:
            return
        if not yes and not typer.confirm("确认重发？ replay now?"):
            raise typer.Exit(1)
        done = replay(engine, flt, system_clock.now(), requested_by="cli")
    console.print(f"已重发 replayed {done.replayed}（replay #{done.replay_id}）")


@app.command("held")
def held(config: ConfigOpt = None,
         table: Annotated[str | None, typer.Option(
             "--table", "-t", help="只看这张表 only this table (any key style)")] = None,
         as_json: JsonOpt = False) -> None:
    """被扣留的记录及原因 / records held back: quarantined (with the rule and how to fix it)
    and children waiting for a parent that has not been delivered.

    修正 HIS 中的数据后再同步一次即放行 / fix the HIS row and sync again to release them.
    """
    from hisbridge.dictionary import load_dictionary
    from hisbridge.store.held import held_records

    name = load_dictionary().table(table).name if table else None
    with _engine(config) as engine:
        found = held_records(engine, name)
    zone = load_settings(config).display_zone()
    listing = Listing(f"扣留 held ({len(found)})", HELD_COLUMNS,
                      [_held_row(h, zone) for h in found], [h.as_dict() for h in found])
    emit(listing, as_json=as_json, console=console)


HELD_COLUMNS = ("kind", "table", "id", "field", "中文标签", "rule", "value (masked)", "since",
                "waits for", "提示", "hint")


def _held_row(h: Any, zone: tzinfo) -> tuple[Any, ...]:
    since = format_local(h.since, zone)
    parent = f"{h.parent_table} {h.parent_id}" if h.parent_id else ""
    return (h.kind, h.table, h.record_id or "", h.field, h.label_zh, h.rule, h.value or "",
            since, parent, h.hint_zh, h.hint_en)


_VERDICTS = {
    "queued": "已排队当前版本 current version queued",
    "requeued": "内容未变，已重新排队最新版本 unchanged: latest version queued again",
    "already_queued": "已在队列中 already queued",
    "not_found": "HIS 中找不到该主键（映射查询无结果）not found in the HIS through the mapping",
    "filtered": "该记录被映射的过滤规则排除（如药品类别）filtered out by the mapping",
    "invalid": "记录未通过校验，未发送 invalid, not sent",
}


@app.command("resend")
def resend(
    config: Annotated[Path, typer.Option("--config", "-c", help="配置文件 hisbridge.yaml")],
    table: Annotated[str, typer.Option("--table", "-t", help="表名 table")],
    key: Annotated[str, typer.Option("--id", help="记录主键 the record's key (id)")],
    timeout: Annotated[float, typer.Option(help="投递最长等待秒数 delivery timeout")] = 60.0,
) -> None:
    """按主键重发一条 / re-read one record from the HIS through its mapping and send its
    current version (or say why not: not found, filtered, invalid); audited as an action.

    退出码 exit code 0 when delivered, 1 otherwise.
    """
    import asyncio
    import getpass

    from hisbridge.cli.sync import deliver_until_idle
    from hisbridge.ops.actions import record_action
    from hisbridge.privacy import scrub
    from hisbridge.runtime.extraction import open_pipeline
    from hisbridge.sources.resend import latest_entry, resend_one

    with open_pipeline(config) as pipe:
        done = resend_one(pipe.poller, pipe.delivery, pipe.engine, table, key, system_clock.now())
        if done.sent:
            asyncio.run(deliver_until_idle(pipe.delivery, timeout))
        entry = latest_entry(pipe.engine, done.table, done.stored or key) if done.sent else None
        state = entry.state if entry is not None else None
        record_action(pipe.engine, at=system_clock.now(), user_name=f"cli:{getpass.getuser()}",
                      role="cli", action="resend", target={"table": done.table, "id": key},
                      outcome={"verdict": done.verdict, "state": state})
    console.print(f"{done.table} {key}: {_VERDICTS[done.verdict]}", highlight=False,
                  markup=False, soft_wrap=True)
    for v in done.violations:
        console.print(f"  {v.summary()} / {v.hint_en}", highlight=False, markup=False,
                      soft_wrap=True)
    if entry is not None:
        reason = f"：{scrub(entry.last_error)}" if entry.last_error else ""  # may quote the record
        console.print(f"投递状态 delivery state: {entry.state}{reason}", highlight=False,
                      markup=False, soft_wrap=True)
    raise typer.Exit(0 if state == "delivered" else 1)


app.command("prune")(prune_cmd)
