"""Charts as server-side SVG (no script, no CDN, prints as is): pure text.

The console's 24-hour throughput, and the acceptance report's stacked horizontal bars.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from hisbridge.ops.dashboard import HourBar

__all__ = ["Bar", "stacked_bars_svg", "throughput_svg"]

_W, _H, _LEFT, _BOTTOM, _TOP = 960, 180, 40, 22, 10


def _scale_top(peak: int) -> int:
    """The smallest of 1, 2, 5, 10, 20, 50, ... at or above ``peak``."""
    magnitude = 1
    while True:
        for step in (1, 2, 5):
            if step * magnitude >= peak:
                return step * magnitude
        magnitude *= 10


def throughput_svg(hours: Sequence[HourBar], title: str) -> str:
    """Stacked bars per hour (delivered below, failed above), y axis with a round maximum."""
    peak = max((h.delivered + h.failed for h in hours), default=0)
    top = _scale_top(max(peak, 1))
    plot_h, slot = _H - _BOTTOM - _TOP, (_W - _LEFT) / max(len(hours), 1)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_W} {_H}" role="img" '
             f'aria-label="{escape(title)}"><title>{escape(title)}</title>']
    for frac in (0, 0.5, 1):
        y = _TOP + plot_h * (1 - frac)
        parts.append(f'<line x1="{_LEFT}" x2="{_W}" y1="{y:.1f}" y2="{y:.1f}"/>'
                     f'<text x="{_LEFT - 4}" y="{y + 3:.1f}" text-anchor="end">{int(top * frac)}</text>')
    for i, h in enumerate(hours):
        x = _LEFT + i * slot + 2
        ok_h, bad_h = plot_h * h.delivered / top, plot_h * h.failed / top
        base = _TOP + plot_h
        label = f"{h.start:%H}:00 ✓{h.delivered} ✗{h.failed}"
        width = slot - 4
        parts.append(f'<g><title>{label}</title>'
                     f'<rect class="bar-ok" x="{x:.1f}" y="{base - ok_h:.1f}" width="{width:.1f}" '
                     f'height="{ok_h:.1f}"/><rect class="bar-bad" x="{x:.1f}" '
                     f'y="{base - ok_h - bad_h:.1f}" width="{width:.1f}" height="{bad_h:.1f}"/></g>')
        if i % 3 == 0:
            parts.append(f'<text x="{x + width / 2:.1f}" y="{_H - 6}" text-anchor="middle">'
                         f'{h.start:%H}</text>')
    parts.append("</svg>")
    return "".join(parts)


@dataclass(frozen=True, slots=True)
class Bar:
    """One row: a label, its segments as (value, colour, legend text), a note on the right."""

    label: str
    segments: tuple[tuple[int, str, str], ...]
    note: str = ""


_ROW, _LABEL_W, _NOTE_W, _BAR_W = 22, 190, 90, 520


def stacked_bars_svg(bars: Sequence[Bar], title: str) -> str:
    """Horizontal bars, each split into coloured segments, scaled to the longest bar. Colours
    are attributes, not the page's CSS, so PDF renderers that ignore ``fill`` in CSS agree."""
    top = max((sum(v for v, _, _ in b.segments) for b in bars), default=0) or 1
    height = _ROW * max(len(bars), 1) + 6
    width = _LABEL_W + _BAR_W + _NOTE_W
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
             f'width="{width}" height="{height}" font-size="11" role="img" aria-label="{escape(title)}">'
             f"<title>{escape(title)}</title>"]
    for i, bar in enumerate(bars):
        y = 3 + i * _ROW
        parts.append(f'<text x="{_LABEL_W - 6}" y="{y + 14}" text-anchor="end">'
                     f"{escape(bar.label)}</text>")
        x = float(_LABEL_W)
        for value, colour, legend in bar.segments:
            w = _BAR_W * value / top
            if w > 0:
                parts.append(f'<rect fill="{escape(colour)}" x="{x:.1f}" y="{y + 2}" width="{w:.1f}" '
                             f'height="{_ROW - 6}"><title>{escape(legend)} {value}</title></rect>')
            x += w
        parts.append(f'<text x="{x + 6:.1f}" y="{y + 14}">{escape(bar.note)}</text>')
    parts.append("</svg>")
    return "".join(parts)
