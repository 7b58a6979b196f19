"""The acceptance report (上线验收) as one printable zh-CN HTML page, and as PDF where WeasyPrint
is installed (``pip install 'hisbridge[pdf]'``; it needs the system's Pango, which Linux servers
have and Windows usually lacks: there, open the HTML and print it to PDF from the browser).

The page carries everything inline — styles and SVG charts — and needs no script, so it prints
the same from any browser on an intranet with no internet access.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from hisbridge._clock import format_local
from hisbridge.dictionary import load_dictionary
from hisbridge.errors import ConfigError
from hisbridge.ops.acceptance import AcceptanceReport, CompletenessLine, Timeliness, level_rates, rate
from hisbridge.ops.chart import Bar, stacked_bars_svg

__all__ = ["render_acceptance", "to_pdf"]

_TEMPLATES = Path(__file__).resolve().parent / "templates"
_env = Environment(loader=FileSystemLoader(str(_TEMPLATES)), autoescape=select_autoescape(["html"]),
                   trim_blocks=True, lstrip_blocks=True)
_PRINT_HINT = ("请用浏览器打开 HTML 报告并“打印 → 另存为 PDF” / open the HTML report in a browser "
               "and print it to PDF")


_OK, _WARN, _BAD = "#4c9a5f", "#e3a33b", "#c8423b"  # the template's legend uses the same
_GROUPS = {"realtime": "实时表", "t0": "T+0 表"}


def _titles() -> dict[str, str]:
    return {spec.name: spec.title_zh for spec in load_dictionary()}


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _seconds(value: float | None) -> str:
    if value is None:
        return "—"
    if value < 120:
        return f"{value:.0f} 秒"
    return f"{value / 60:.1f} 分钟" if value < 7200 else f"{value / 3600:.1f} 小时"


def _completeness_chart(lines: Iterable[CompletenessLine]) -> str:
    """One bar per table over the period: delivered, in flight, and what did not arrive."""
    sums: dict[str, list[int]] = {}
    for x in lines:
        n = sums.setdefault(x.title_zh, [0, 0, 0])
        n[0], n[1] = n[0] + x.delivered, n[1] + x.in_flight
        n[2] += max(x.expected - x.delivered - x.in_flight, 0)
    bars = [Bar(name, ((ok, _OK, "已送达"), (wait, _WARN, "在途"), (gap, _BAD, "未送达")),
                _pct(rate(ok, ok + wait + gap))) for name, (ok, wait, gap) in sums.items()]
    return stacked_bars_svg(bars, "各表完整性 completeness per table")


def _timeliness_chart(lines: Iterable[Timeliness]) -> str:
    """One bar per day and group (real-time, T+0): a month stays readable."""
    sums: dict[tuple[date, str], list[int]] = {}
    for t in lines:
        n = sums.setdefault((t.day, t.group), [0, 0, 0])
        n[0], n[1], n[2] = n[0] + t.on_time, n[1] + t.late, n[2] + t.undelivered
    bars = [Bar(f"{day:%m-%d} {_GROUPS[group]}", ((ok, _OK, "按时"), (late, _WARN, "超时"),
                                                  (gone, _BAD, "未送达")),
                _pct(rate(ok, ok + late + gone)))
            for (day, group), (ok, late, gone) in sorted(sums.items())]
    return stacked_bars_svg(bars, "及时性 timeliness")


def _short(text: str, size: int = 16) -> str:
    return text if len(text) <= size else text[:size - 1] + "…"


def _head(reason: str) -> str:
    """``身份证件号（id_card）：…`` -> ``身份证件号``; ``错误码 04：…`` -> ``错误码 04``."""
    return reason.split("：", 1)[0].split("（", 1)[0]


def _rejections_chart(report: AcceptanceReport, titles: dict[str, str]) -> str:
    """The twelve most frequent reasons, each named by its table and field or error code."""
    bars = [Bar(_short(f"{titles.get(r.table, r.table)}·{_head(r.reason_zh)}"),
                ((r.count, _BAD if r.kind == "dead" else _WARN, r.kind_zh),), str(r.count))
            for r in report.rejections[:12]]
    return stacked_bars_svg(bars, "拒收原因 rejections by reason")


def _fields_chart(report: AcceptanceReport, titles: dict[str, str]) -> str:
    """Mandatory cells filled versus empty, per table."""
    sums: dict[str, list[int]] = {}
    for f in report.fields:
        if f.level == "mandatory":
            n = sums.setdefault(f.table, [0, 0])
            n[0], n[1] = n[0] + f.filled, n[1] + f.total - f.filled
    bars = [Bar(titles.get(table, table), ((ok, _OK, "已填"), (empty, _BAD, "为空")),
                _pct(rate(ok, ok + empty))) for table, (ok, empty) in sums.items()]
    return stacked_bars_svg(bars, "必填字段完整率 mandatory fields filled")


def _context(report: AcceptanceReport) -> dict[str, Any]:
    zone, titles = report.period.zone, _titles()
    return {
        "r": report, "summary": report.summary(), "pct": _pct, "seconds": _seconds,
        "generated": format_local(report.generated_at, zone),
        "level_rates": level_rates(report.fields), "titles": titles,
        "charts": {
            "completeness": _completeness_chart(report.completeness),
            "timeliness": _timeliness_chart(report.timeliness),
            "rejections": _rejections_chart(report, titles),
            "fields": _fields_chart(report, titles),
        },
    }


def render_acceptance(report: AcceptanceReport) -> str:
    """The report as one self-contained HTML page (zh-CN)."""
    return _env.get_template("report/acceptance.html").render(**_context(report))


def to_pdf(html: str) -> bytes:
    """The page as PDF through WeasyPrint; ``ConfigError`` (saying how to print from the
    browser instead) when it or the system libraries it loads are missing."""
    try:
        import weasyprint
    except (ImportError, OSError) as exc:  # OSError: Pango/GObject not found by cffi
        raise ConfigError(f"无法生成 PDF：未安装 WeasyPrint 或其系统库 cannot write PDF "
                             f"(pip install 'hisbridge[pdf]'; needs Pango) — {_PRINT_HINT}") from exc
    data: bytes = weasyprint.HTML(string=html).write_pdf()
    return data
