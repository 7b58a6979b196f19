"""``hisbridge check -c FILE``: a readiness report, sending nothing."""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from hisbridge.sources.readiness import MappingCheck

__all__ = ["check"]

console = Console()


def check(
    config: Annotated[Path, typer.Option("-c", "--config", help="hisbridge.yaml")],
    limit: Annotated[int, typer.Option(help="每个映射最多试读行数 / rows per mapping")] = 200,
    table: Annotated[list[str] | None, typer.Option("--table", help="只检查这些表")] = None,
    lab_items: Annotated[Path | None, typer.Option(
        "--lab-items", help="导出本院检验项目字典（CSV）供前置软件管理员对照")] = None,
) -> None:
    """连接并试运行每个映射，列出将被拒收的记录及原因 / readiness report."""
    from hisbridge.mapping import load_project
    from hisbridge.sources.readiness import check_connections, check_mapping

    project = load_project(config)
    report, source = check_connections(project)
    for name, state in report.connections.items():
        mark = "[green]✓" if state == "ok" else "[red]✗"
        console.print(f"{mark} {name}[/]: {state}")
    if source is not None:
        for name in table or project.tables():
            report.mappings.append(check_mapping(project, source, name, limit=limit))
        _print_mappings(report.mappings)
        if lab_items is not None:
            _export_lab_items(project, source, lab_items)
        source.dispose()
    verdict = "[green]就绪 ready" if report.ready else "[red]未就绪 not ready"
    console.print(f"\n{verdict}[/]（未发送任何数据 nothing was sent）")
    raise typer.Exit(0 if report.ready else 1)


def _print_mappings(checks: list) -> None:  # type: ignore[type-arg]
    view = Table(title="映射试运行 / mappings on sample rows")
    for col in ("table", "rows", "ok", "rejected", "filtered", "unmapped"):
        view.add_column(col, justify="left" if col == "table" else "right", no_wrap=True)
    for c in checks:
        style = "" if c.ready else "red"
        view.add_row(c.table, str(c.rows), str(c.ok), str(c.rejected),
                     str(c.filtered), str(sum(c.unmapped.values())), style=style)
    console.print(view)
    for c in checks:
        lines = [f"  ✗ {p}" for p in c.problems]
        lines += [_reason("拒收 rejected", n, r, c.keys) for r, n in c.reasons.most_common(8)]
        lines += [_reason("警告 warning", n, r, c.keys) for r, n in c.warnings.most_common(5)]
        lines += [f"  未对照 unmapped {n}× {u}: 在 codemaps/ 中补一行 add a code-map line"
                  for u, n in c.unmapped.most_common(5)]
        lines += _code_lines(c)
        if lines:
            console.print(f"[bold]{c.table}[/] ({c.file})", highlight=False, soft_wrap=True)
            console.print("\n".join(lines), highlight=False, markup=False, soft_wrap=True)


def _reason(kind: str, count: int, reason: str, keys: dict[str, list[str]]) -> str:
    """One line: how many, which rule with both languages' hints, and example record keys."""
    shown = ", ".join(keys.get(reason, []))
    return f"  {kind} {count}× {reason}  (id: {shown})"


def _code_lines(c: MappingCheck) -> list[str]:
    """Codes an optional map left out (with the code map to extend) and codes generalised."""
    lines = [f"  警告 {n}× 可选代码映射丢弃 dropped {d}" for d, n in c.dropped.most_common(10)]
    if len(c.dropped) > 10:
        lines.append(f"  … 共丢弃 {c.dropped.total()} 次、{len(c.dropped)} 个代码 "
                     f"dropped {c.dropped.total()} times, {len(c.dropped)} codes in all")
    lines += [f"  警告 {n}× 诊断代码泛化 generalised {g}" for g, n in c.generalised.most_common(5)]
    return lines


def _export_lab_items(project: object, source: object, out: Path) -> None:
    from hisbridge.sources.readiness import lab_item_codes

    seen = lab_item_codes(project, source, datetime(2000, 1, 1),  # type: ignore[arg-type]
                          datetime(2999, 1, 1))
    with out.open("w", newline="", encoding="utf-8-sig") as f:
        writer = csv.writer(f)
        writer.writerow(["item_code", "item_name", "unit", "count"])
        for (code, name, unit), count in sorted(seen.items()):
            writer.writerow([code, name, unit, count])
    console.print(f"检验项目字典 lab item dictionary: {len(seen)} items -> {out}")
