"""``hisbridge quality | warnings | authorizations``: what the console's pages of the same name
show, from the command line, narrowed with ``--institution`` and printable as ``--json``."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from hisbridge._clock import format_local
from hisbridge.cli.listing import JsonOpt, Listing, emit
from hisbridge.cli.scope import InstitutionOpt, owned, scoped_store

__all__ = ["authorizations", "quality", "warnings"]

console = Console()
ConfigOpt = Annotated[Path | None, typer.Option("--config", "-c", help="配置文件 config file")]
LimitOpt = Annotated[int, typer.Option(help="最多显示 rows to show")]


def _not_installed(rows: Any, what: str) -> Any:
    if rows is None:
        raise typer.BadParameter(f"未启用 not installed: {what}（hisbridge upgrade 后再试）")
    return rows


def quality(config: ConfigOpt = None, table: Annotated[str | None, typer.Option(
                "--table", "-t", help="只看这张表 only this table")] = None,
            institution: InstitutionOpt = None, as_json: JsonOpt = False) -> None:
    """数据质量 / quarantined records grouped by table, field and rule, with masked examples."""
    from hisbridge.ops.quality import group_violations

    with scoped_store(config, institution) as (engine, scope, _):
        groups, scanned = group_violations(engine, table=table, scope=scope)
    listing = Listing(f"数据质量 data quality ({scanned} 条被拒 rejected)",
                      ("table", "field", "中文标签", "rule", "count", "examples (masked)", "提示"),
                      [(g.table, g.field, g.label_zh, g.rule, g.count, ", ".join(g.examples),
                        g.hint_zh) for g in groups],
                      {"institution": institution, "scanned": scanned,
                       "groups": [asdict(g) for g in groups]})
    emit(listing, as_json=as_json, console=console)


def warnings(config: ConfigOpt = None, limit: LimitOpt = 50, institution: InstitutionOpt = None,
             as_json: JsonOpt = False) -> None:
    """预警消息 / warning messages polled from the front-end, newest first."""
    from hisbridge.ops.warnings import warning_rows

    with scoped_store(config, institution) as (engine, scope, settings):
        found = _not_installed(warning_rows(engine, level=None, since=None, until=None, text=None,
                                            scope=scope), "warnings")[:limit]
    rows = owned(({k: v for k, v in r.items() if k not in ("receipts", "content")} for r in found),
                 scope)
    zone = settings.display_zone()
    listing = Listing(f"预警消息 warnings ({len(rows)})",
                      ("seq", "机构 institution", "level", "title", "dept", "polled at"),
                      [(r["seq"], r["institution"], r["level"], r["title"], r["dept_code"] or "",
                        format_local(r["polled_at"], zone)) for r in rows],
                      [{**r, "polled_at": r["polled_at"].isoformat() if r["polled_at"] else None}
                       for r in rows])
    emit(listing, as_json=as_json, console=console)


def authorizations(config: ConfigOpt = None, status: Annotated[str | None, typer.Option(
                       help="只看这个状态 only this status (GRANTED, PENDING...)")] = None,
                   limit: LimitOpt = 50, institution: InstitutionOpt = None,
                   as_json: JsonOpt = False) -> None:
    """患者授权 / patients' authorizations to view their records (masked), newest first."""
    from hisbridge.ops.consents import consent_rows

    with scoped_store(config, institution) as (engine, scope, settings):
        found = _not_installed(consent_rows(engine, status=status, since=None, until=None,
                                            scope=scope), "consent")[:limit]
    rows = owned(found, scope, key="org_code")
    zone = settings.display_zone()
    times = ("created_at", "granted_at", "valid_to", "ended_at")
    listing = Listing(f"授权 authorizations ({len(rows)})",
                      ("auth id", "机构 institution", "patient", "encounter", "status", "created"),
                      [(r["auth_id"], r["institution"], r["patient_masked"], r["encounter_id"],
                        r["status"], format_local(r["created_at"], zone)) for r in rows],
                      [{**r, **{k: r[k].isoformat() if r[k] else None for k in times}}
                       for r in rows])
    emit(listing, as_json=as_json, console=console)
