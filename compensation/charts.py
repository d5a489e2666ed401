"""Server-rendered SVG charts for the admin report pages: no JavaScript, no CDN.

Each chart is drawn from the same rows the page shows in a table beside it, so the numbers
are always readable without the picture. `Chart` holds categories (x axis) and series; bars
are grouped or stacked, an optional dashed line marks a target.
"""

from dataclasses import dataclass, field

from django.utils.html import escape
from django.utils.safestring import mark_safe

PALETTE = ("#2563eb", "#f59e0b", "#dc2626", "#16a34a", "#7c3aed", "#64748b")


@dataclass
class Series:
    name: str
    values: list
    color: str = ""


@dataclass
class Chart:
    title: str
    categories: list
    series: list = field(default_factory=list)
    stacked: bool = False
    target: float | None = None
    target_label: str = ""
    unit: str = ""

    def rows(self):
        """(category, [value per series]) for the table beside the chart."""
        return [(cat, [s.values[i] for s in self.series]) for i, cat in enumerate(self.categories)]

    def svg(self, width=640, height=260):
        return mark_safe(_render(self, width, height))  # noqa: S308 - every text is escaped in _render


def _nice_max(value):
    if value <= 0:
        return 1
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def _short(value):
    """Axis labels: 3,000,000,000 → 30억, 12,500 → 12,500."""
    if abs(value) >= 100_000_000:
        return f"{value / 100_000_000:,.1f}억".replace(".0억", "억")
    if abs(value) >= 10_000:
        return f"{value / 10_000:,.1f}만".replace(".0만", "만")
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _render(chart, width, height):
    left, right, top, bottom = 64, 12, 28, 46
    plot_w, plot_h = width - left - right, height - top - bottom
    n = max(len(chart.categories), 1)
    series = [
        Series(s.name, [v or 0 for v in s.values], s.color or PALETTE[i % len(PALETTE)])
        for i, s in enumerate(chart.series)
    ]
    if chart.stacked:
        peak = max((sum(s.values[i] for s in series) for i in range(len(chart.categories))), default=0)
    else:
        peak = max((v for s in series for v in s.values), default=0)
    top_value = _nice_max(max(peak, chart.target or 0))
    y = lambda v: top + plot_h - plot_h * v / top_value  # noqa: E731
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="{escape(chart.title)}" class="report-chart" font-family="sans-serif" font-size="11">',
        f"<title>{escape(chart.title)}</title>",
        f'<text x="{left}" y="16" font-size="13" font-weight="bold">{escape(chart.title)}</text>',
    ]
    for k in range(5):
        value = top_value * k / 4
        yy = y(value)
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{yy:.1f}" y2="{yy:.1f}" stroke="#e5e7eb"/>')
        out.append(
            f'<text x="{left - 6}" y="{yy + 4:.1f}" text-anchor="end" fill="#555">{escape(_short(value))}</text>'
        )
    slot = plot_w / n
    group = slot * 0.7
    bar = group / (1 if chart.stacked else max(len(series), 1))
    for i, category in enumerate(chart.categories):
        x0 = left + slot * i + (slot - group) / 2
        base = 0
        for j, s in enumerate(series):
            value = s.values[i]
            if chart.stacked:
                y_top, y_bottom, x = y(base + value), y(base), x0
                base += value
            else:
                y_top, y_bottom, x = y(value), y(0), x0 + bar * j
            tip = f"{escape(category)} · {escape(s.name)}: {value:,}{escape(chart.unit)}"
            out.append(
                f'<rect x="{x:.1f}" y="{y_top:.1f}" width="{max(bar - 1, 1):.1f}" '
                f'height="{max(y_bottom - y_top, 0):.1f}" fill="{s.color}"><title>{tip}</title></rect>'
            )
        if n <= 16 or i % max(n // 12, 1) == 0:
            out.append(
                f'<text x="{left + slot * i + slot / 2:.1f}" y="{top + plot_h + 14}" text-anchor="middle" '
                f'fill="#333">{escape(str(category))}</text>'
            )
    if chart.target is not None:
        yy = y(chart.target)
        out.append(
            f'<line x1="{left}" x2="{width - right}" y1="{yy:.1f}" y2="{yy:.1f}" stroke="#111" stroke-dasharray="5 4"/>'
        )
        out.append(f'<text x="{width - right}" y="{yy - 4:.1f}" text-anchor="end">{escape(chart.target_label)}</text>')
    legend_x = left
    for s in series:
        out.append(f'<rect x="{legend_x}" y="{height - 16}" width="10" height="10" fill="{s.color}"/>')
        out.append(f'<text x="{legend_x + 14}" y="{height - 7}">{escape(s.name)}</text>')
        legend_x += 24 + sum(7 if ord(ch) < 128 else 12 for ch in s.name)  # Hangul is about twice as wide
    out.append("</svg>")
    return "".join(out)
