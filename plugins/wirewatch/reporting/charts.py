"""Small SVG charts rendered on the server: they work offline, need no script and no CDN.

Each returns an `<svg>` element with a `<title>` per bar or point, so hovering shows the figure.
"""

from __future__ import annotations

from html import escape

# Okabe-Ito: distinguishable with the common colour-vision deficiencies.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000")
OTHER = "#9aa5b1"  # the "other" series: grey, behind the named ones


def _colour(index: int, name: str) -> str:
    return OTHER if name == "other" else PALETTE[index % len(PALETTE)]


def _nice_max(value: float) -> int:
    """A round axis maximum at or above `value` (1, 2, 5 × 10^n)."""
    if value <= 1:
        return 1
    step = 1
    while True:
        for factor in (1, 2, 5):
            if step * factor >= value:
                return step * factor
        step *= 10


def bar_chart(labels: list[str], series: dict[str, list[int]], *, title: str, width: int = 720,
              height: int = 180, tick_every: int = 6) -> str:
    """Grouped bars: one group per label, one bar per series (each series in its colour)."""
    left, right, top, bottom = 36, 8, 24, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    top_value = _nice_max(max((v for values in series.values() for v in values), default=0))
    group_w = plot_w / max(len(labels), 1)
    bar_w = max(1.0, (group_w - 2) / max(len(series), 1))
    parts = [_frame(width, height, title, left, top, plot_w, plot_h, top_value)]
    for s, (name, values) in enumerate(series.items()):
        colour = _colour(s, name)
        for i, value in enumerate(values):
            h = plot_h * value / top_value
            x = left + i * group_w + 1 + s * bar_w
            parts.append(f'<rect x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                         f'fill="{colour}"><title>{escape(labels[i])}: {value} {escape(name)}</title></rect>')
    for i, label in enumerate(labels):
        if i % tick_every == 0:
            parts.append(f'<text x="{left + i * group_w:.1f}" y="{height - 10}" font-size="10">{escape(label)}</text>')
    legend, extra = _legend(list(series), width, height)
    parts.append(legend)
    return _svg(width, height + extra, title, parts)


def line_chart(labels: list[str], series: dict[str, list[int]], *, title: str, width: int = 720,
               height: int = 220) -> str:
    """One line per series over the labels (days), with a dot and a tooltip per point."""
    left, right, top, bottom = 36, 8, 24, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    top_value = _nice_max(max((v for values in series.values() for v in values), default=0))
    step = plot_w / max(len(labels) - 1, 1)
    parts = [_frame(width, height, title, left, top, plot_w, plot_h, top_value)]
    for s, (name, values) in enumerate(series.items()):
        colour = _colour(s, name)
        points = [(left + i * step, top + plot_h - plot_h * v / top_value) for i, v in enumerate(values)]
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" '
                     f'points="{" ".join(f"{x:.1f},{y:.1f}" for x, y in points)}"/>')
        parts += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"><title>{escape(labels[i])}: '
                  f'{values[i]} {escape(name)}</title></circle>' for i, (x, y) in enumerate(points)]
    for i, label in enumerate(labels):
        if i % 2 == 0 or len(labels) <= 8:
            parts.append(f'<text x="{left + i * step - 12:.1f}" y="{height - 10}" font-size="10">'
                         f'{escape(label[5:])}</text>')
    legend, extra = _legend(list(series), width, height)
    parts.append(legend)
    return _svg(width, height + extra, title, parts)


def _frame(width: int, height: int, title: str, left: int, top: int, plot_w: float, plot_h: float,
           top_value: int) -> str:
    return (f'<text x="{left}" y="14" font-size="12" font-weight="600">{escape(title)}</text>'
            f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#9aa5b1"/>'
            f'<line x1="{left}" y1="{top}" x2="{left + plot_w}" y2="{top}" stroke="#e4e9ee"/>'
            f'<text x="{left - 4}" y="{top + 4}" font-size="10" text-anchor="end">{top_value}</text>'
            f'<text x="{left - 4}" y="{top + plot_h}" font-size="10" text-anchor="end">0</text>')


def _legend(names: list[str], width: int, top: int) -> tuple[str, int]:
    """Colour keys in rows from `top` down, wrapped at the width. -> (svg, height used)."""
    x, y, items = 36.0, top, []
    for s, name in enumerate(names):
        size = 20 + 6.2 * len(name)
        if x + size > width and x > 36:
            x, y = 36.0, y + 16
        items.append(f'<rect x="{x:.0f}" y="{y}" width="10" height="10" fill="{_colour(s, name)}"/>'
                     f'<text x="{x + 13:.0f}" y="{y + 9}" font-size="11">{escape(name)}</text>')
        x += size
    return "".join(items), (y - top + 18 if names else 0)


def _svg(width: int, height: int, title: str, parts: list[str]) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" aria-label="{escape(title)}" '
            f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
            f'font-family="system-ui, sans-serif">{"".join(parts)}</svg>')
