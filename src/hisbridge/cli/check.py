"""``hisbridge check -c FILE``: a readiness report, sending nothing."""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from hisbridge.settings import Settings, load_settings

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
    from hisbridge.runtime.extraction import open_project
    from hisbridge.sources.readiness import check_connections, check_mapping

    settings = load_settings(config)
    project = open_project(config, settings)
    report, source = check_connections(project, settings.store.url, settings.gdhealth,
                                       polls_warnings=settings.interaction.poller.enabled)
    for name, state in report.connections.items():
        mark = "[green]✓" if state == "ok" else "[red]✗"
        console.print(f"{mark} {name}[/]: {state}")
    for notice in report.notices:
        console.print(f"[yellow]! {notice}[/]", highlight=False, soft_wrap=True)
    secrets_ok = _print_secrets(settings)
    _print_exposed(config, settings.store.url)
    if source is not None:
        for name in table or project.tables():
            report.mappings.append(check_mapping(project, source, name, limit=limit))
        _print_mappings(report.mappings)
        if lab_items is not None:
            _export_lab_items(project, source, lab_items)
        source.dispose()
    ready = report.ready and secrets_ok
    verdict = "[green]就绪 ready" if ready else "[red]未就绪 not ready"
    console.print(f"\n{verdict}[/]（未发送任何数据 nothing was sent）")
    raise typer.Exit(0 if ready else 1)


_SECRET_MARKS = {"set": ("[green]✓", "已设置 set"), "missing": ("[red]✗", "未设置 missing"),
                 "weak": ("[red]✗", "不安全 weak"), "off": ("[dim]·", "未设置（可选）off")}


def _print_secrets(settings: Settings) -> bool:
    """One line per secret setting (never its value); False when ``run`` would refuse."""
    from hisbridge.settings.secrets import secret_entries, secret_verdicts

    verdicts = secret_verdicts(secret_entries(settings))
    for v in verdicts:
        mark, label = _SECRET_MARKS[v.verdict]
        why = f"（{v.reason}）" if v.verdict == "weak" else ""
        console.print(f"{mark} 密钥 secret {v.name}[/]: {label}{why}", highlight=False,
                      soft_wrap=True)
    if any(v.blocks for v in verdicts):
        console.print("  生成 generate: hisbridge secrets new NAME（docs/security.md）", highlight=False)
    return not any(v.blocks for v in verdicts)


def _print_exposed(config: Path, store_url: str) -> None:
    """Warn about the config and the SQLite store (with -wal/-shm) open to other users."""
    from hisbridge._files import open_to_others
    from hisbridge.store.engine import sqlite_file

    files = [config]
    database = sqlite_file(store_url)
    if database is not None:
        files += [Path(f"{database}{suffix}") for suffix in ("", "-wal", "-shm")]
    for path in files:
        if open_to_others(path):
            console.print(f"[yellow]⚠ 其他用户可读写 readable by others[/]: {path}"
                          f"（chmod 600 {path}）", highlight=False, soft_wrap=True)


def _print_mappings(checks: list) -> None:  # type: ignore[type-arg]
    from hisbridge.cli.listing import Listing, emit

    listing = Listing("映射试运行 / mappings on sample rows",
                      ("table", "rows", "ok", "rejected", "filtered", "unmapped", "ready"))
    for c in checks:
        listing.rows.append((c.table, c.rows, c.ok, c.rejected, c.filtered,
                             sum(c.unmapped.values()), "✓" if c.ready else "✗"))
    emit(listing, console=console)  # piped: TSV, nothing cut
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
