"""``hisbridge audit verify [-c FILE]``: check the audit log's hash chain; ``prune`` applies
the retention period; ``list`` shows the newest entries (of one institution with
``--institution``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from hisbridge.audit.log import AuditLog
from hisbridge.cli.listing import JsonOpt, Listing, emit
from hisbridge.cli.scope import InstitutionOpt, owned, scoped_store
from hisbridge.settings import Settings

__all__ = ["app"]

ConfigOption = Annotated[Path | None, typer.Option("-c", "--config", help="hisbridge 配置文件 / config file")]
app = typer.Typer(help="审计日志 / the tamper-evident audit log", no_args_is_help=True)
console = Console()


def _log(config: Path | None) -> tuple[Settings, AuditLog]:
    from hisbridge.settings import load_settings
    from hisbridge.store.engine import make_engine

    settings = load_settings(config)
    engine = make_engine(settings.store.url)
    return settings, AuditLog(engine, algorithm=settings.gdhealth.audit_hash)


@app.command("verify")
def verify(
    config: ConfigOption = None,
) -> None:
    """逐条校验哈希链 / walk the chain in order; exit 1 naming the first broken entry."""
    _, log = _log(config)
    try:
        checked, broken = log.verify()
    finally:
        log.engine.dispose()
    if broken is not None:
        console.print(f"[bold red]审计日志校验失败 audit chain broken[/] at {broken.describe()}")
        raise typer.Exit(1)
    console.print(f"[green]审计日志完整 audit chain intact[/]: {checked} 条 entries checked")


@app.command("list")
def list_entries(
    config: ConfigOption = None,
    action: Annotated[str | None, typer.Option(help="只看这个操作 only this action")] = None,
    institution: InstitutionOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """审计日志条目 / the newest entries (patients masked), each with its institution."""
    from hisbridge.ops.audit import AuditFilter, audit_rows

    with scoped_store(config, institution) as (engine, scope, _):
        found = audit_rows(engine, AuditFilter(action=action, scope=scope))
    rows = owned((found or ([], 0))[0], scope)
    listing = Listing(f"审计日志 audit log ({len(rows)})",
                      ("seq", "time", "机构 institution", "action", "actor", "patient", "outcome"),
                      [(r["seq"], r["occurred_at"], r["institution"], r["action"], r["actor_id"],
                        r["patient_masked"], r["outcome"]) for r in rows], rows)
    emit(listing, as_json=as_json, console=console)


@app.command("prune")
def prune(
    config: ConfigOption = None,
) -> None:
    """按保留期清理 / delete entries older than gdhealth.audit_retention_days; chain stays valid."""
    settings, log = _log(config)
    try:
        gone = log.prune(settings.gdhealth.audit_retention_days)
    finally:
        log.engine.dispose()
    console.print(f"已清理 pruned {gone} 条 entries")
