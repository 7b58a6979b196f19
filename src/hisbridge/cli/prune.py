"""``hisbridge outbox prune [--dry-run]``: apply the ``retention`` settings to the store now."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn

from hisbridge import _json
from hisbridge._clock import system_clock
from hisbridge.cli.listing import Listing, emit
from hisbridge.settings import RetentionSettings, load_settings
from hisbridge.store.retention import PruneReport, prune

__all__ = ["prune_cmd"]

console = Console()
NEVER = ("从不清理 never pruned: 未完成的投递（pending / in_flight / retry_wait）、每条记录的最新版本、"
         "审计日志、授权记录、前置机消息、密钥 — queued entries, the newest version of every "
         "record, the audit log, consents, front-end messages, secret keys")


def _kept_for(settings: RetentionSettings) -> dict[str, str]:
    def days(n: int) -> str:
        return f"{n} 天 days" if n else "永久 forever"

    s = settings
    return {
        "attempts": f"{days(s.attempts_days)}（已投递 delivered）",
        "outbox": f"已投递 delivered {days(s.delivered_days)}; 死信 dead {days(s.dead_days)}",
        "records": "旧版本随其投递记录 old versions with their entries",
        "quarantine": days(s.quarantine_days), "source_runs": days(s.source_runs_days),
        "source_rejects": days(s.source_rejects_days), "source_seen_keys": days(s.seen_keys_days),
        "warning_webhook_deliveries": f"{days(s.delivered_days)}（已投递 delivered）",
        "console_sessions": f"过期后 after expiry {days(s.sessions_days)}",
        "console_login_attempts": days(s.login_attempts_days),
        "console_actions": days(s.actions_days),
        "alert_events": f"恢复后 after resolved {days(s.alerts_days)}",
    }


def _show(report: PruneReport, settings: RetentionSettings) -> None:
    verb = "将删除 would delete" if report.dry_run else "已删除 deleted"
    listing = Listing("保留期清理 retention" + ("（预览 dry run）" if report.dry_run else ""),
                      ("表 table", "保留 kept for", verb))
    kept = _kept_for(settings)
    for table, rows in report.counts.items():
        listing.rows.append((table, kept.get(table, "-"), rows))
    listing.rows.append(("合计 total", "", report.total))
    emit(listing, console=console)
    console.print(NEVER)
    if report.dry_run:
        console.print("预览 dry run：未删除任何数据 nothing was deleted")


def prune_cmd(
    config: Annotated[Path | None, typer.Option("--config", "-c", help="配置文件 config file")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="只统计不删除 count only")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="JSON output")] = False,
) -> None:
    """按保留期清理已完成的数据 / delete finished work older than the retention settings."""
    from hisbridge.store.migrate import open_store

    settings = load_settings(config)
    engine = open_store(settings.store.url, config)
    try:
        with Progress(SpinnerColumn(), TextColumn("{task.description}"), console=console,
                      transient=True, disable=as_json) as bar:
            task = bar.add_task("清理中 pruning…", total=None)
            totals: dict[str, int] = {}

            def moved(table: str, rows: int) -> None:
                totals[table] = totals.get(table, 0) + rows
                bar.update(task, description=f"清理中 pruning {table}: {totals[table]}")

            report = prune(engine, settings.retention, system_clock.now(), dry_run=dry_run,
                           progress=moved)
    finally:
        engine.dispose()
    if as_json:
        console.print_json(_json.dumps_str({"dry_run": report.dry_run, "counts": report.counts,
                                             "total": report.total}))
        return
    _show(report, settings.retention)
