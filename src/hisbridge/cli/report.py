"""``hisbridge report acceptance -c FILE --from D --to D``: the printable go-live report (上线验收)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.console import Console
from sqlalchemy import Engine

from hisbridge import _json
from hisbridge.ops.acceptance import AcceptanceReport, HisLine

__all__ = ["app"]

app = typer.Typer(help="报告 / reports", no_args_is_help=True)
console = Console()
HisDay = Callable[[date], Iterable[HisLine]]


@app.command("acceptance")
def acceptance(
    config: Annotated[Path, typer.Option("--config", "-c", help="配置文件 hisbridge.yaml")],
    first: Annotated[datetime, typer.Option("--from", formats=["%Y-%m-%d"], help="开始日期 first day")],
    last: Annotated[datetime, typer.Option("--to", formats=["%Y-%m-%d"], help="结束日期 last day")],
    out: Annotated[Path | None, typer.Option("--out", "-o", help="输出文件 output file")] = None,
    fmt: Annotated[Literal["html", "pdf"], typer.Option("--format", help="html 或 pdf")] = "html",
    no_his: Annotated[bool, typer.Option("--no-his", help="不连接 HIS，只按网关存储计算完整性")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="JSON 输出各项数字")] = False,
) -> None:
    """上线验收报告 / the acceptance report: completeness against the HIS, timeliness,
    rejections by reason, field completeness and warnings, per table and day, with a
    signature block; HTML (charts inline, prints from any browser) or PDF (needs WeasyPrint).
    """
    from hisbridge.web.report import render_acceptance

    report = _gather(config, first.date(), last.date(), use_his=not no_his)
    target = out or Path(f"acceptance-{first:%Y%m%d}-{last:%Y%m%d}.{fmt}")
    _write(render_acceptance(report), target, fmt)
    if as_json:
        typer.echo(_json.dumps_str({**report.as_dict(), "file": str(target)}))
        return
    _print_summary(report, target)


def _write(html: str, target: Path, fmt: str) -> None:
    """The page, or its PDF; without WeasyPrint the HTML is written beside, and named."""
    from hisbridge.errors import ConfigError
    from hisbridge.web.report import to_pdf

    if fmt == "html":
        target.write_text(html, "utf-8")
        return
    try:
        target.write_bytes(to_pdf(html))
    except ConfigError as exc:
        page = target.with_suffix(".html")
        page.write_text(html, "utf-8")
        raise ConfigError(exc.message, hint=f"已写入 HTML written: {page}") from exc


def _gather(config: Path, first: date, last: date, *, use_his: bool) -> AcceptanceReport:
    import hisbridge
    from hisbridge._clock import system_clock
    from hisbridge.errors import ConfigError
    from hisbridge.ops.acceptance import Period
    from hisbridge.ops.acceptance_reads import Header, gather
    from hisbridge.settings import load_settings

    settings = load_settings(config)
    try:
        period = Period(first, last, settings.his.zone(), settings.his.timezone)
    except ValueError as exc:
        raise ConfigError(f"验收期间有误 bad period: {exc}") from exc
    front = settings.frontend
    header = Header(front.org_name, front.org_code, hisbridge.__version__, system_clock.now())
    his = use_his and settings.his.source_url is not None
    with _sources(config, settings.store.url, his) as (engine, his_day):
        return gather(engine, period, header, his_day)


@contextmanager
def _sources(config: Path, store_url: str, his: bool) -> Iterator[tuple[Engine, HisDay | None]]:
    """The migrated store and, when the HIS is configured, its reconciliation of a day."""
    if his:
        from hisbridge.runtime.extraction import open_pipeline
        from hisbridge.sources.reconcile import reconcile_day

        with open_pipeline(config) as pipe:
            yield pipe.engine, lambda day: reconcile_day(pipe.poller, pipe.engine, day)
        return
    from hisbridge.store.engine import make_engine
    from hisbridge.store.migrate import upgrade

    engine = make_engine(store_url)
    try:
        upgrade(engine)
        yield engine, None
    finally:
        engine.dispose()


def _print_summary(report: AcceptanceReport, target: Path) -> None:
    s = report.summary()

    def pct(key: str) -> str:
        value = s[key]
        return "—" if value is None else f"{float(value) * 100:.1f}%"

    mode = "与 HIS 核对 checked against the HIS" if report.his_checked else \
        "未连接 HIS，按网关存储 store only (HIS not checked)"
    console.print(f"上线验收报告 acceptance report {report.period.first} – {report.period.last} "
                  f"({report.period.zone_name}); {mode}", highlight=False)
    console.print(f"  完整率 completeness {pct('completeness')}, 缺失 missing {s['missing']}; "
                  f"实时表 5 分钟内 realtime ≤5 min {pct('realtime_on_time')}; "
                  f"T+0 当日 same day {pct('t0_on_time')}", highlight=False)
    console.print(f"  拒收 rejected {s['rejected']}; 必填字段 mandatory filled "
                  f"{pct('mandatory_filled')}; 预警 warnings {s['warnings']} "
                  f"(已读 read {pct('warnings_read')})", highlight=False)
    console.print(f"已写入 written: {target}", highlight=False, markup=False)
