"""``hisbridge sync file PATH --table T``: accept a JSONL or CSV file into the store.

Lines that cannot be read are listed with their line numbers; records that fail validation are
quarantined with their violations. Delivery is the gateway's job (``hisbridge run``), or pass
``--deliver`` to deliver now and wait until the queue is idle.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from itertools import islice
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from hisbridge.cli.listing import plain
from hisbridge.settings import Settings, load_settings
from hisbridge.sources.files import FileRow, read_records
from hisbridge.store.ports import AcceptResult

__all__ = ["app"]

app = typer.Typer(help="从数据源同步 / pull records from sources", no_args_is_help=True)
console = Console()
_CHUNK = 1000


def _accept_file(settings: Settings, config: Path | None, path: Path, table: str, op: str,
                 encoding: str | None) -> tuple[AcceptResult, list[FileRow], Any]:
    from hisbridge.runtime.delivery import DeliveryService
    from hisbridge.store.migrate import open_store

    engine = open_store(settings.store.url, config)
    service = DeliveryService.from_settings(settings, engine)
    used, rows = read_records(path, encoding)
    console.print(f"读取 reading {plain(path)} ({used})", markup=False, highlight=False)
    total, unreadable = AcceptResult(), []
    while chunk := list(islice(rows, _CHUNK)):
        unreadable += [r for r in chunk if r.record is None]
        good = [r for r in chunk if r.record is not None]
        records = [r.record for r in good if r.record is not None]
        result = service.accept(table, records, op=op,  # type: ignore[arg-type]
                                source=f"file:{path.name}")
        total.accepted += result.accepted
        total.unchanged += result.unchanged
        total.withheld += result.withheld
        total.rejected += [type(x)(good[x.index].line, x.record_id, x.violations)
                           for x in result.rejected]
    return total, unreadable, service


@app.command("file")
def sync_file(
    path: Annotated[Path, typer.Argument(help="JSONL 或 CSV 文件")],
    table: Annotated[str, typer.Option("--table", "-t", help="表名 table")],
    config: Annotated[Path | None, typer.Option("--config", "-c", help="配置文件")] = None,
    op: Annotated[str, typer.Option(help="upsert | delete")] = "upsert",
    encoding: Annotated[str | None, typer.Option(help="如 gbk；默认自动识别")] = None,
    deliver: Annotated[bool, typer.Option(help="立即投递并等待完成 deliver now")] = False,
    timeout: Annotated[float, typer.Option(help="--deliver 最长等待秒数")] = 600.0,
) -> None:
    """导入文件 / accept a file's records (one transaction per 1,000 lines)."""
    if op not in ("upsert", "delete"):
        raise typer.BadParameter("--op 只能是 upsert 或 delete")
    settings = load_settings(config)
    total, unreadable, service = _accept_file(settings, config, path, table, op, encoding)
    console.print(f"接收 accepted {total.accepted}，未变化 unchanged {total.unchanged}，"
                  f"隔离 quarantined {len(total.rejected)}，无法读取 unreadable {len(unreadable)}")
    if total.withheld:
        console.print(f"上级记录已删除、不发送 withheld (parent deleted): {total.withheld}")
    for row in unreadable[:20]:
        console.print(f"  第 {row.line} 行 line {row.line}: {plain(row.error)}", markup=False,
                      highlight=False)
    for rejected in total.rejected[:20]:
        errors = [v for v in rejected.violations if v.severity == "error"] or rejected.violations
        first = errors[0].summary() if errors else ""
        console.print(f"  第 {rejected.index} 行 id={plain(rejected.record_id)}: {plain(first)}",
                      markup=False, highlight=False)
    if deliver:
        idle = asyncio.run(deliver_until_idle(service, timeout))
        console.print("投递完成 delivered" if idle else "投递未在时限内完成 still delivering")
    if unreadable or total.rejected:
        raise typer.Exit(1)


async def deliver_until_idle(service: Any, timeout: float) -> bool:
    """Deliver until the queue is idle or ``timeout`` passes, then stop the worker."""
    try:
        return bool(await service.run_until_idle(timeout))
    finally:
        await service.stop()


@app.command("once")
def sync_once(
    config: Annotated[Path, typer.Option("--config", "-c", help="配置文件 hisbridge.yaml")],
    table: Annotated[list[str] | None, typer.Option("--table", "-t", help="只同步这些表")] = None,
    since: Annotated[datetime | None, typer.Option(help="从此时间起重新抽取 (HIS 本地时间)")] = None,
    timeout: Annotated[float, typer.Option(help="投递最长等待秒数 delivery timeout")] = 600.0,
    allow_held: Annotated[bool, typer.Option(
        "--allow-held", help="有记录被扣留时仍以 0 退出（供只关心抽取与投递的调度器）"
                             " exit 0 although records are held")] = False,
    sweep_deletes: Annotated[bool, typer.Option(
        "--sweep-deletes", help="抽取后比对键集，发送 HIS 物理删除的记录 (昨天与今天)")] = False,
) -> None:
    """手动同步一轮 / one manual pass: extract from the HIS, then deliver until idle.

    结尾列出送达、扣留（隔离与等待上级）、死信数量及主要原因（详见 hisbridge outbox held）。
    退出码 exit code 1 when a table failed to extract, anything ended dead, or records are held
    (quarantined or waiting for a parent; ``--allow-held`` keeps exit code 0 for those).
    """
    from hisbridge.runtime.extraction import open_pipeline
    from hisbridge.store.held import held_records

    with open_pipeline(config) as pipe:
        tables = [pipe.project.dictionary.table(t).name for t in table] if table else \
            pipe.project.tables()
        before = _finished(pipe.engine)
        reports = _extract_with_progress(pipe.poller, tables, since)
        if sweep_deletes:
            reports += pipe.poller.sweep(tables)
        idle = asyncio.run(_deliver_with_progress(pipe.delivery, pipe.engine, timeout))
        after = _finished(pipe.engine)
        held = held_records(pipe.engine, tables=tables)
    dead = after[1] - before[1]
    _print_pass(reports, idle)
    _print_outcome(after[0] - before[0], dead, sum(r.counts.rejected for r in reports), held)
    if dead or any(r.error for r in reports) or not idle or (held and not allow_held):
        raise typer.Exit(1)


def _finished(engine: Any) -> tuple[int, int]:
    """(delivered, dead) entries in the store now."""
    from hisbridge._clock import system_clock
    from hisbridge.store.queries import outbox_status

    status = outbox_status(engine, system_clock.now())
    return status.total("delivered"), status.total("dead")


def _print_outcome(delivered: int, dead: int, quarantined: int, held: list[Any]) -> None:
    from hisbridge.store.held import top_reasons

    parked = sum(1 for h in held if h.kind == "quarantined")
    colour = "red" if dead or held else "green"
    console.print(f"[{colour}]本轮 this pass: 送达 delivered {delivered}，本轮隔离 quarantined "
                  f"{quarantined}，死信 dead {dead}；当前扣留 held now {len(held)}（隔离 "
                  f"quarantined {parked}，等待上级记录 waiting for a parent "
                  f"{len(held) - parked}）[/]", highlight=False, soft_wrap=True)
    if held:
        console.print("主要原因 top reasons:", highlight=False)
        for reason, count in top_reasons(held):
            console.print(f"  {count}× {reason}", highlight=False, markup=False, soft_wrap=True)
        console.print("详见 see: hisbridge outbox held -c FILE", highlight=False)


def _extract_with_progress(poller: Any, tables: list[str], since: datetime | None) -> list[Any]:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from hisbridge.runtime.extraction import extract

    columns = (TextColumn("抽取 extract {task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("", total=len(tables))

        def advance(report: Any) -> None:
            progress.update(task, advance=1, description=report.table)

        return extract(poller, tables, since=since, on_table=advance)


async def _deliver_with_progress(service: Any, engine: Any, timeout: float) -> bool:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from hisbridge._clock import system_clock
    from hisbridge.store.queries import outbox_status

    def waiting() -> int:
        status = outbox_status(engine, system_clock.now())
        return sum(status.total(s) for s in ("pending", "in_flight", "retry_wait"))

    total = max(waiting(), 1)
    columns = (TextColumn("投递 deliver"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("", total=total)
        run = asyncio.ensure_future(service.run_until_idle(timeout))
        while not run.done():
            progress.update(task, completed=total - await asyncio.to_thread(waiting))
            await asyncio.wait({run}, timeout=0.5)
        progress.update(task, completed=total - waiting())
    try:
        return bool(run.result())
    finally:
        await service.stop()


_SHOWN_CODES = 10


def code_warnings(table: str, dropped: list[tuple[str, str, str, int]],
                  generalised: list[tuple[str, str, str, str, int]]) -> list[str]:
    """Lines naming the codes an optional code map left out (``(column, code_set, code, count)``)
    and the codes sent as a broader one (``(column, code_set, code, sent, count)``), most
    frequent first: never silent; past the first ten of each, the rest are counted and the
    console page that lists them is named."""
    lines = [f"[yellow]警告 {table}.{column} 丢弃代码 dropped {escape(plain(value))} ×{n}[/] → "
             f"codemaps/{code_set}.csv" for column, code_set, value, n in dropped[:_SHOWN_CODES]]
    lines += _more(table, "被丢弃 dropped", dropped[_SHOWN_CODES:])
    lines += [f"[yellow]警告 {table}.{column} 泛化 generalised {escape(plain(value))} → "
              f"{escape(plain(sent))} ×{n}[/]"
              for column, _set, value, sent, n in generalised[:_SHOWN_CODES]]
    lines += _more(table, "被泛化 generalised", generalised[_SHOWN_CODES:])
    return lines


def _more(table: str, what: str, rest: list[tuple[Any, ...]]) -> list[str]:
    if not rest:
        return []
    return [f"[yellow]警告 {table} 另有 {len(rest)} 个代码{what} {sum(r[-1] for r in rest)} 次 "
            f"({len(rest)} more codes)[/] → 控制台 数据质量 console data-quality page "
            "(/console/quality)"]


def _print_codes(reports: list[Any]) -> None:
    """Codes an optional code map left out or the hierarchy generalised this pass, per table
    and code (never silent)."""
    for r in reports:
        dropped = [(*key, n) for key, n in r.dropped.most_common()]
        generalised = [(*key, n) for key, n in r.generalised.most_common()]
        for line in code_warnings(r.table, dropped, generalised):
            console.print(line, highlight=False, soft_wrap=True)


def _print_pass(reports: list[Any], idle: bool) -> None:
    from hisbridge.cli.listing import Listing, emit

    listing = Listing("同步结果 sync once", (
        "table", "read", "accepted", "unchanged", "quarantined", "filtered", "deleted",
        "withheld 上级已删除", "excluded 按规则排除", "error"))
    for r in reports:
        c = r.counts
        listing.rows.append((r.table, c.rows_read, c.accepted, c.unchanged, c.rejected, c.filtered,
                             c.deleted, c.withheld, sum(r.excluded.values()), r.error or ""))
    emit(listing, console=console)  # piped: TSV, nothing cut
    _print_codes(reports)
    if not idle:
        console.print("[yellow]投递未在时限内完成 delivery not finished within the timeout[/]")


@app.command("deletes")
def sync_deletes(
    config: Annotated[Path, typer.Option("--config", "-c", help="配置文件 hisbridge.yaml")],
    day: Annotated[datetime | None, typer.Option(
        "--date", formats=["%Y-%m-%d"], help="比对的日期；默认昨天与今天")] = None,
    table: Annotated[list[str] | None, typer.Option("--table", "-t", help="只比对这些表")] = None,
    timeout: Annotated[float, typer.Option(help="投递最长等待秒数 delivery timeout")] = 600.0,
) -> None:
    """发送物理删除 / send the deletes of rows deleted outright in the HIS, now.

    The same key-set sweep ``hisbridge run`` does at 23:30 (his.closing_sweep_cron): the keys
    sent for the day minus the keys the HIS still returns become deletes (children first), then
    they are delivered. For sites that run ``sync once`` from a scheduler.
    退出码 exit code 1 when a table failed or anything ended dead.
    """
    from hisbridge.runtime.extraction import open_pipeline
    from hisbridge.store.held import held_records

    with open_pipeline(config) as pipe:
        tables = [pipe.project.dictionary.table(t).name for t in table] if table else None
        before = _finished(pipe.engine)
        reports = pipe.poller.sweep(tables, [day.date()] if day else None)
        idle = asyncio.run(_deliver_with_progress(pipe.delivery, pipe.engine, timeout))
        after = _finished(pipe.engine)
        held = held_records(pipe.engine, tables=tables)
    dead = after[1] - before[1]
    _print_pass(reports, idle)
    _print_outcome(after[0] - before[0], dead, 0, held)
    if dead or any(r.error for r in reports) or not idle:
        raise typer.Exit(1)
