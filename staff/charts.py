"""Bar charts drawn by the console as inline SVG: no script, no library, no inline style.

Colours are SVG presentation attributes (allowed by the console's CSP, which forbids
inline style). Every label is escaped; each bar carries a <title> with its number, and
the chart an aria-label, and the page offers the same numbers as CSV.
"""

from __future__ import annotations

from html import escape
from typing import List, Sequence, Tuple

from markupsafe import Markup

PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")
Series = Tuple[str, Sequence[float]]


def _nice_max(value: float) -> float:
    """The smallest of 1, 2, 5, 10, 20, 50, ... at or above `value` (the axis maximum)."""
    scale = 1.0
    while True:
        for step in (1, 2, 5):
            if step * scale >= value:
                return step * scale
        scale *= 10


def _legend(series: Sequence[Series], x: float, y: float, colours: Sequence[str]) -> List[str]:
    parts = []
    for index, (name, _) in enumerate(series):
        row = y + index * 16
        parts.append(f'<rect x="{x}" y="{row}" width="10" height="10" fill="{colours[index]}"/>')
        parts.append(f'<text x="{x + 14}" y="{row + 9}" font-size="11">{escape(name)}</text>')
    return parts


def stacked_bars(
    label: str,
    categories: Sequence[str],
    series: Sequence[Series],
    colours: Sequence[str] = PALETTE,
    unit: str = "",
    width: int = 760,
    height: int = 240,
) -> Markup:
    """Vertical bars, one per category, stacked by series (e.g. days by topic).

    Args:
        label: What the chart shows (its accessible name).
        categories: The x-axis labels.
        series: (name, one value per category) pairs, stacked in this order.
        colours: One colour per series.
        unit: Appended to the numbers in the bar titles.
    """
    left, right, top, bottom = 40, 170, 10, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    totals = [sum(values[i] for _, values in series) for i in range(len(categories))]
    top_value = _nice_max(max(totals, default=0))
    step = plot_w / max(1, len(categories))
    bar_w = max(2.0, step * 0.7)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(label)}">',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#888"/>',
        f'<text x="{left - 4}" y="{top + 8}" font-size="10" text-anchor="end">{top_value:g}</text>',
        f'<text x="{left - 4}" y="{top + plot_h}" font-size="10" text-anchor="end">0</text>',
    ]
    every = max(1, len(categories) // 10)
    for i, category in enumerate(categories):
        x = left + i * step + (step - bar_w) / 2
        base = float(top + plot_h)
        for index, (name, values) in enumerate(series):
            value = values[i]
            if value <= 0:
                continue
            h = plot_h * value / top_value
            base -= h
            parts.append(
                f'<rect class="bar" x="{x:.1f}" y="{base:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                f'fill="{colours[index % len(colours)]}"><title>{escape(category)}, {escape(name)}: '
                f'{value:g}{escape(unit)}</title></rect>'
            )
        if i % every == 0:
            parts.append(
                f'<text x="{x + bar_w / 2:.1f}" y="{top + plot_h + 14}" font-size="10" '
                f'text-anchor="middle">{escape(category)}</text>'
            )
    parts += _legend(series, width - right + 12, top, [colours[i % len(colours)] for i in range(len(series))])
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every label and number above is escaped


def grouped_hbars(
    label: str,
    categories: Sequence[str],
    series: Sequence[Series],
    colours: Sequence[str] = PALETTE,
    unit: str = "",
    width: int = 760,
) -> Markup:
    """Horizontal bars, one group per category, one bar per series (e.g. channels by percentile)."""
    left, right, top, bar_h, gap = 90, 230, 10, 12, 10
    group_h = bar_h * len(series) + gap
    height = top * 2 + group_h * max(1, len(categories))
    plot_w = width - left - right
    top_value = _nice_max(max((v for _, values in series for v in values), default=0))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(label)}">'
    ]
    for i, category in enumerate(categories):
        y0 = top + i * group_h
        parts.append(f'<text x="{left - 6}" y="{y0 + bar_h}" font-size="11" text-anchor="end">{escape(category)}</text>')
        for index, (name, values) in enumerate(series):
            value = values[i]
            w = plot_w * value / top_value if value > 0 else 0
            y = y0 + index * bar_h
            parts.append(
                f'<rect class="bar" x="{left}" y="{y}" width="{w:.1f}" height="{bar_h - 2}" '
                f'fill="{colours[index % len(colours)]}"><title>{escape(category)}, {escape(name)}: '
                f'{value:g}{escape(unit)}</title></rect>'
            )
            parts.append(f'<text x="{left + w + 4:.1f}" y="{y + bar_h - 3}" font-size="10">{value:g}</text>')
    parts += _legend(series, width - right + 50, top, [colours[i % len(colours)] for i in range(len(series))])
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every label and number above is escaped
