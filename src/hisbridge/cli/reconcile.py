"""``hisbridge reconcile -c FILE --date D [--resend]``: prove a day is complete, table by table."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from hisbridge import _json
from hisbridge.cli.listing import Listing, emit, plain
from hisbridge.cli.scope import InstitutionOpt, scoped_store
from hisbridge.sources.reconcile import COLUMNS, DELETES_COMMAND, TableReconciliation

__all__ = ["reconcile"]

console = Console()
_HEADERS = {"pending": "in flight 在途", "withdrawn": "withdrawn 随上级删除",
            "frontend_only": "only at front-end 仅前置机有", "excluded": "excluded 按规则排除"}


def reconcile(
    config: Annotated[Path, typer.Option("--config", "-c", help="配置文件 hisbridge.yaml")],
    day: Annotated[datetime, typer.Option("--date", formats=["%Y-%m-%d"], help="对账日期")],
    table: Annotated[list[str] | None, typer.Option("--table", "-t", help="只核对这些表")] = None,
    resend_missing: Annotated[bool, typer.Option("--resend", help="重新排队缺失与死信")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="JSON 输出")] = False,
    institution: InstitutionOpt = None,
) -> None:
    """对账 / per table: HIS keys vs accepted vs delivered vs in flight vs dead vs missing, and
    what only the front-end still holds; exit 1 if anything is missing or only at the front-end.

    With --institution: that institution's side in the store (accepted, delivered, in flight,
    dead), since the HIS side is the whole HIS's; --resend re-extracts every institution's day.
    """
    if institution:
        if resend_missing:
            raise typer.BadParameter("--resend 重新抽取全部机构的当天数据，不能与 --institution 同用 "
                                     "re-extracts every institution's day", param_hint="--resend")
        _store_side(config, day.date(), table, institution, as_json)
        return
    from hisbridge._clock import system_clock
    from hisbridge.runtime.extraction import open_pipeline
    from hisbridge.sources.reconcile import reconcile_day, resend, totals

    wanted: date = day.date()
    with open_pipeline(config) as pipe:
        tables = [pipe.project.dictionary.table(t).name for t in table] if table else None
        lines = reconcile_day(pipe.poller, pipe.engine, wanted, tables)
        requeued = 0
        if resend_missing:
            for line in lines:
                if line.missing or line.dead or line.frontend_only:
                    requeued += resend(pipe.poller, pipe.engine, wanted, line, system_clock.now())
    if as_json:
        typer.echo(_json.dumps_str({"date": wanted.isoformat(), "tables": [
            x.as_dict() for x in lines], "totals": totals(lines), "requeued": requeued}))
    else:
        _print(wanted, lines, totals(lines), requeued, resend_missing)
    deletes_due = any(x.frontend_only for x in lines) and not resend_missing
    if deletes_due and not as_json:  # named even when rows are missing too
        console.print("[red]前置机仍有 HIS 已删除的记录 the front-end holds rows the HIS "
                      "deleted; "
                      f"发送删除 send the deletes: {DELETES_COMMAND.format(day=wanted)}[/]")
    if deletes_due or any(x.missing for x in lines):
        raise typer.Exit(1)


def _store_side(config: Path, day: date, tables: list[str] | None, institution: str,
                as_json: bool) -> None:
    from hisbridge.ops.reconcile import day_report

    with scoped_store(config, institution) as (engine, scope, settings):
        lines = [ln for ln in day_report(engine, day, settings.his.zone(), scope)
                 if (ln.accepted or ln.dead) and (not tables or ln.table in tables)]
    names = ("accepted", "delivered", "in_flight", "dead")
    rows = [{"table": ln.table, "institution": institution, **{k: getattr(ln, k) for k in names}}
            for ln in lines]
    if as_json:
        typer.echo(_json.dumps_str({"date": day.isoformat(), "institution": institution,
                                    "tables": rows}))
        return
    emit(Listing(f"对账 reconciliation {day.isoformat()} 机构 institution {institution}",
                 ("table", *names), [(r["table"], *(r[k] for k in names)) for r in rows]),
         console=console)


def _print(day: date, lines: list[TableReconciliation], sums: dict[str, int], requeued: int,
           resent: bool) -> None:
    headers = tuple(_HEADERS.get(c, c) for c in COLUMNS)
    listing = Listing(f"对账 reconciliation {day.isoformat()}", ("table", *headers))
    for line in lines:
        listing.rows.append((line.table, *(getattr(line, c) for c in COLUMNS)))
    listing.rows.append(("合计 total", *(sums.get(c, 0) for c in COLUMNS)))
    emit(listing, console=console)
    for line in lines:
        if line.missing_ids:  # HIS keys: plain text, never markup
            console.print(f"{line.table} 缺失 missing (前 50): "
                          + ", ".join(map(plain, line.missing_ids)), markup=False)
        if line.frontend_only_ids:
            console.print(f"{line.table} 仅前置机有 only at the front-end (前 50): "
                          + ", ".join(map(plain, line.frontend_only_ids)), markup=False)
        _print_codes(line)
        if line.excluded:
            console.print(f"{line.table} 按不上传规则排除 excluded by rule: {line.excluded}（未发送，"
                          "不计为缺失 never sent, not missing）")
    if resent:
        console.print(f"已重新排队 re-queued: {requeued}")


def _print_codes(line: TableReconciliation) -> None:
    """The day's codes left out by optional maps, and the generalised ones (never silent)."""
    from hisbridge.cli.sync import code_warnings

    dropped = [(c["column"], c["code_set"], c["code"], c["count"]) for c in line.codes
               if c["outcome"] == "dropped"]
    generalised = [(c["column"], c["code_set"], c["code"], c["sent"], c["count"])
                   for c in line.codes if c["outcome"] == "generalised"]
    for text in code_warnings(line.table, dropped, generalised):
        console.print(text, highlight=False, soft_wrap=True)
