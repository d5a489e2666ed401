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


@dataclass
class _Plot:
    """The drawing area inside the margins, and where a value lands on it."""

    width: int
    height: int
    top_value: float
    left: int = 64
    right: int = 12
    top: int = 28
    bottom: int = 46

    @property
    def plot_w(self):
        return self.width - self.left - self.right

    @property
    def plot_h(self):
        return self.height - self.top - self.bottom

    def y(self, value):
        return self.top + self.plot_h - self.plot_h * value / self.top_value


def _filled_series(chart):
    """Missing values drawn as 0; a series without a colour takes the next one of the palette."""
    return [
        Series(s.name, [v or 0 for v in s.values], s.color or PALETTE[i % len(PALETTE)])
        for i, s in enumerate(chart.series)
    ]


def _peak(chart, series):
    """The highest bar: the tallest stack, or the largest single value."""
    if chart.stacked:
        return max((sum(s.values[i] for s in series) for i in range(len(chart.categories))), default=0)
    return max((v for s in series for v in s.values), default=0)


def _header(chart, plot):
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {plot.width} {plot.height}" width="{plot.width}" '
        f'height="{plot.height}" role="img" aria-label="{escape(chart.title)}" class="report-chart" '
        f'font-family="sans-serif" font-size="11">',
        f"<title>{escape(chart.title)}</title>",
        f'<text x="{plot.left}" y="16" font-size="13" font-weight="bold">{escape(chart.title)}</text>',
    ]


def _grid(plot):
    """Five horizontal lines, each labelled with its value on the left."""
    out = []
    for k in range(5):
        value = plot.top_value * k / 4
        yy = plot.y(value)
        out.append(
            f'<line x1="{plot.left}" x2="{plot.width - plot.right}" y1="{yy:.1f}" y2="{yy:.1f}" stroke="#e5e7eb"/>'
        )
        out.append(
            f'<text x="{plot.left - 6}" y="{yy + 4:.1f}" text-anchor="end" fill="#555">{escape(_short(value))}</text>'
        )
    return out


def _bars(chart, series, plot):
    """One slot per category: its bars side by side (or stacked) and, where there is room, its label."""
    out = []
    n = max(len(chart.categories), 1)
    slot = plot.plot_w / n
    group = slot * 0.7
    bar = group / (1 if chart.stacked else max(len(series), 1))
    for i, category in enumerate(chart.categories):
        x0 = plot.left + slot * i + (slot - group) / 2
        base = 0
        for j, s in enumerate(series):
            value = s.values[i]
            if chart.stacked:
                y_top, y_bottom, x = plot.y(base + value), plot.y(base), x0
                base += value
            else:
                y_top, y_bottom, x = plot.y(value), plot.y(0), x0 + bar * j
            tip = f"{escape(category)} · {escape(s.name)}: {value:,}{escape(chart.unit)}"
            out.append(
                f'<rect x="{x:.1f}" y="{y_top:.1f}" width="{max(bar - 1, 1):.1f}" '
                f'height="{max(y_bottom - y_top, 0):.1f}" fill="{s.color}"><title>{tip}</title></rect>'
            )
        if n <= 16 or i % max(n // 12, 1) == 0:
            out.append(
                f'<text x="{plot.left + slot * i + slot / 2:.1f}" y="{plot.top + plot.plot_h + 14}" '
                f'text-anchor="middle" fill="#333">{escape(str(category))}</text>'
            )
    return out


def _target_line(chart, plot):
    if chart.target is None:
        return []
    yy = plot.y(chart.target)
    right = plot.width - plot.right
    return [
        f'<line x1="{plot.left}" x2="{right}" y1="{yy:.1f}" y2="{yy:.1f}" stroke="#111" stroke-dasharray="5 4"/>',
        f'<text x="{right}" y="{yy - 4:.1f}" text-anchor="end">{escape(chart.target_label)}</text>',
    ]


def _legend(series, plot):
    out = []
    legend_x = plot.left
    for s in series:
        out.append(f'<rect x="{legend_x}" y="{plot.height - 16}" width="10" height="10" fill="{s.color}"/>')
        out.append(f'<text x="{legend_x + 14}" y="{plot.height - 7}">{escape(s.name)}</text>')
        legend_x += 24 + sum(7 if ord(ch) < 128 else 12 for ch in s.name)  # Hangul is about twice as wide
    return out


def _render(chart, width, height):
    series = _filled_series(chart)
    plot = _Plot(width, height, top_value=_nice_max(max(_peak(chart, series), chart.target or 0)))
    out = [
        *_header(chart, plot),
        *_grid(plot),
        *_bars(chart, series, plot),
        *_target_line(chart, plot),
        *_legend(series, plot),
        "</svg>",
    ]
    return "".join(out)
