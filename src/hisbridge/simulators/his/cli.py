"""``hisbridge simulate his``: build a synthetic HIS day, optionally keep it live."""

from __future__ import annotations

import time
from datetime import date
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from hisbridge._clock import CHINA_TZ, system_clock
from hisbridge.simulators.his.group import HisGroup

__all__ = ["register"]

console = Console()


def his(
    db: Annotated[str, typer.Option("--db", help="HIS 数据库 URL（SQLite/PostgreSQL/MariaDB）")]
        = "sqlite:///hisbridge-his-sim.sqlite",
    day: Annotated[str | None, typer.Option("--date", help="日期 yyyy-mm-dd（默认今天）")] = None,
    scale: Annotated[str, typer.Option(help="small≈200 / medium≈3000 / large≈20000 visits")]
        = "small",
    seed: Annotated[int, typer.Option(help="随机种子 / seed (same seed, same hospital)")] = 1,
    reset: Annotated[bool, typer.Option(help="先清空模拟 HIS / drop and recreate first")] = False,
    corrections: Annotated[float, typer.Option(
        help="当日作废/更正/删除的比例 / share of rows cancelled, corrected or deleted")] = 0.02,
    live: Annotated[bool, typer.Option(help="持续产生实时业务 / keep adding activity")] = False,
    interval: Annotated[float, typer.Option(help="--live 每步间隔秒数 / seconds per step")] = 5.0,
    group: Annotated[bool, typer.Option(
        "--group", help="医共体 HIS：县医院 + 3 个乡镇卫生院 / a county group's HIS (docs/group.md)")]
        = False,
) -> None:
    """模拟医院信息系统（HIS）/ build a synthetic HIS day (and keep it live)."""
    from hisbridge.simulators.his.build import SCALES, build_day
    from hisbridge.simulators.his.group import COUNTY_GROUP
    from hisbridge.store.engine import make_engine

    if scale not in SCALES:
        raise typer.BadParameter(f"choose one of {', '.join(SCALES)}", param_hint="--scale")
    now = system_clock.now().astimezone(CHINA_TZ).replace(tzinfo=None, microsecond=0)
    target = date.fromisoformat(day) if day else now.date()
    engine = make_engine(db)
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console) as bar:
        task = bar.add_task(f"模拟 HIS {target} ({scale})", total=SCALES[scale])
        report = build_day(engine, target, SCALES[scale], seed, reset=reset,
                           now=now if target == now.date() else None, corrections=corrections,
                           group=COUNTY_GROUP if group else None,
                           progress=lambda done, total: bar.update(task, completed=done))
    _print_counts(report.counts, f"{target} · {report.visits} visits · {report.seconds:.1f}s")
    if report.changes:
        console.print("当日更正 changes over the day: " + ", ".join(
            f"{name} {count}" for name, count in sorted(report.changes.items())))
    if live:
        _run_live(engine, seed, interval, COUNTY_GROUP if group else None)


def _print_counts(counts: dict[str, int], title: str) -> None:
    view = Table(title=f"模拟 HIS 行数 / rows per HIS table — {title}")
    view.add_column("HIS table")
    view.add_column("rows", justify="right")
    for table, count in sorted(counts.items()):
        view.add_row(table, f"{count:,}")
    view.add_row("[bold]total", f"[bold]{sum(counts.values()):,}")
    console.print(view)


def _run_live(engine: object, seed: int, interval: float, group: HisGroup | None) -> None:
    from hisbridge.simulators.his.live import LiveActivity

    live = LiveActivity(engine, seed=seed, group=group)  # type: ignore[arg-type]
    console.print(f"实时业务中（每 {interval:g} 秒一步），Ctrl+C 结束 / live, Ctrl+C to stop")
    try:
        while True:
            added = live.step()
            stamp = system_clock.now().astimezone(CHINA_TZ).strftime("%H:%M:%S")
            console.print(f"{stamp} +{added.get('clinic_master', 0)} visits, "
                          f"+{added.get('diagnosis', 0)} diagnoses, "
                          f"+{added.get('lab_result', 0)} lab results")
            time.sleep(interval)
    except KeyboardInterrupt:
        console.print(f"停止 stopped; total {dict(live.total)}")


def register(app: typer.Typer) -> None:
    """Add ``his`` to the ``simulate`` group."""
    app.command("his")(his)
