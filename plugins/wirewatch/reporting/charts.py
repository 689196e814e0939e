"""Small SVG charts rendered on the server: they work offline, need no script and no CDN.

Each returns an `<svg>` element with a `<title>` per bar or point, so hovering shows the figure.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
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


@dataclass(frozen=True)
class MapPoint:
    latitude: float
    longitude: float
    series: str  # its colour, as in the other charts' legends
    label: str  # the tooltip
    tag: str = ""  # written beside the points (once per tag): a country code
    size: int | None = None  # the circle's area grows with it; None: the smallest circle, hollow
    id: str = ""  # data-id of its circle


# Degrees between graticule lines: the smallest step that draws at most this many across the map.
GRATICULE_STEPS = (1, 2, 5, 10, 15, 30, 45, 60)
MAX_GRATICULE_LINES = 8


def point_map(points: list[MapPoint], *, series: list[str], title: str, width: int = 720, height: int = 380,
              note: str = "") -> str:
    """Points on an equirectangular map fitted to them (its standard parallel at the map's middle
    latitude, so mid-latitude places keep their shape), over country outlines when countryinfo is
    installed and a graticule; drawn here, with no tiles and nothing fetched."""
    left, right, top, bottom = 34, 8, 24, 20
    plot_w, plot_h = width - left - right, height - top - bottom
    view = _Projection.fit([(p.longitude, p.latitude) for p in points], plot_w, plot_h, left, top)
    parts = [f'<text x="{left}" y="14" font-size="12" font-weight="600">{escape(title)}</text>',
             f'<clipPath id="map-clip"><rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}"/></clipPath>',
             f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="#eef5fb" stroke="#9aa5b1"/>',
             f'<g clip-path="url(#map-clip)">{_land(view)}{_graticule(view)}</g>', _graticule_labels(view)]
    colours = {name: _colour(s, name) for s, name in enumerate(series)}
    for p in sorted(points, key=lambda p: -(p.size or 0)):  # small circles on top of big ones
        x, y = view(p.longitude, p.latitude)
        radius = min(16.0, 3 + 1.5 * (p.size or 0) ** 0.5)
        colour = colours.get(p.series, OTHER)
        fill = f'fill="{colour}" fill-opacity="0.65"' if p.size else 'fill="#fff"'
        parts.append(f'<circle class="event" data-id="{escape(p.id)}" cx="{x:.1f}" cy="{y:.1f}" r="{radius:.1f}" '
                     f'{fill} stroke="{colour}" stroke-width="1.2"><title>{escape(p.label)}</title></circle>')
    tags: dict[str, list[tuple[float, float]]] = {}
    for p in points:
        if p.tag:
            tags.setdefault(p.tag, []).append(view(p.longitude, p.latitude))
    for tag, spots in sorted(tags.items()):
        x, y = sum(s[0] for s in spots) / len(spots), sum(s[1] for s in spots) / len(spots)
        parts.append(f'<text class="tag" x="{x + 7:.1f}" y="{y - 6:.1f}" font-size="10" font-weight="600" '
                     f'stroke="#fff" stroke-width="3" paint-order="stroke">{escape(tag)}</text>')
    legend, extra = _legend(series, width, height)
    parts.append(legend)
    if note:
        parts.append(f'<text x="{left}" y="{height + extra + 4}" font-size="10" fill="#5b6b7b">{escape(note)}</text>')
        extra += 16
    return _svg(width, height + extra, title, parts).replace('class="chart"', 'class="chart map"', 1)


class _Projection:
    """Longitude, latitude -> x, y on the plot: equirectangular, standard parallel `parallel`."""

    def __init__(self, west: float, north: float, scale: float, parallel: float, box: tuple[float, ...]):
        self.west, self.north, self.scale, self.parallel = west, north, scale, parallel
        self.stretch = max(0.2, math.cos(math.radians(parallel)))
        self.left, self.top, self.plot_w, self.plot_h = box
        self.east = west + self.plot_w / (scale * self.stretch)
        self.south = north - self.plot_h / scale

    def __call__(self, lon: float, lat: float) -> tuple[float, float]:
        return (self.left + (lon - self.west) * self.scale * self.stretch, self.top + (self.north - lat) * self.scale)

    @classmethod
    def fit(cls, spots: list[tuple[float, float]], plot_w: float, plot_h: float, left: float,
            top: float) -> _Projection:
        """The view of `spots` with a margin, at least 16° × 8°, at most the world."""
        lons, lats = [s[0] for s in spots] or [-180.0, 180.0], [s[1] for s in spots] or [-60.0, 80.0]
        mid_lon, mid_lat = (min(lons) + max(lons)) / 2, (min(lats) + max(lats)) / 2
        stretch = max(0.2, math.cos(math.radians(mid_lat)))
        lon_span = max(16.0, (max(lons) - min(lons)) * 1.3 + 2)
        lat_span = max(8.0, (max(lats) - min(lats)) * 1.3 + 2)
        world = min(plot_w / (360 * stretch), plot_h / 180)
        scale = max(world, min(plot_w / (lon_span * stretch), plot_h / lat_span))
        half_lon, half_lat = plot_w / (scale * stretch) / 2, plot_h / scale / 2
        west = min(max(mid_lon - half_lon, -180.0), 180.0 - 2 * half_lon) if half_lon < 180 else mid_lon - half_lon
        north = max(min(mid_lat + half_lat, 90.0), -90.0 + 2 * half_lat) if half_lat < 90 else mid_lat + half_lat
        return cls(west, north, scale, mid_lat, (left, top, plot_w, plot_h))

    def meridians(self) -> range:
        step = self.step()
        return range(math.ceil(max(self.west, -180) / step) * step, math.floor(min(self.east, 180)) + 1, step)

    def parallels(self) -> range:
        step = self.step()
        return range(math.ceil(max(self.south, -90) / step) * step, math.floor(min(self.north, 90)) + 1, step)

    def step(self) -> int:
        span = max(self.east - self.west, self.north - self.south)
        return next((s for s in GRATICULE_STEPS if span / s <= MAX_GRATICULE_LINES), GRATICULE_STEPS[-1])


def _graticule(view: _Projection) -> str:
    lines = []
    for lon in view.meridians():
        (x, y0), (_, y1) = view(lon, view.north), view(lon, view.south)
        lines.append(f"M{x:.1f},{y0:.1f}V{y1:.1f}")
    for lat in view.parallels():
        (x0, y), (x1, _) = view(view.west, lat), view(view.east, lat)
        lines.append(f"M{x0:.1f},{y:.1f}H{x1:.1f}")
    return f'<path class="graticule" d="{"".join(lines)}" fill="none" stroke="#c9d6e3" stroke-width="0.6"/>'


def _graticule_labels(view: _Projection) -> str:
    labels, bottom = [], view.top + view.plot_h
    for lon in view.meridians():
        x, _ = view(lon, 0)
        labels.append(f'<text x="{x:.1f}" y="{bottom + 13:.1f}" font-size="9" text-anchor="middle" fill="#5b6b7b">'
                      f'{abs(lon)}°{"E" if lon > 0 else "W" if lon < 0 else ""}</text>')
    for lat in view.parallels():
        _, y = view(0, lat)
        labels.append(f'<text x="{view.left - 3}" y="{y + 3:.1f}" font-size="9" text-anchor="end" fill="#5b6b7b">'
                      f'{abs(lat)}°{"N" if lat > 0 else "S" if lat < 0 else ""}</text>')
    return "".join(labels)


def _land(view: _Projection) -> str:
    """The country outlines inside the view, as one path (nothing without countryinfo)."""
    rings = []
    for (west, south, east, north), ring in country_outlines():
        if east < view.west or west > view.east or north < view.south or south > view.north:
            continue
        points, last = [], None
        for lon, lat in ring:
            x, y = view(lon, lat)
            spot = f"{x:.1f},{y:.1f}"
            if spot != last:
                points.append(spot)
                last = spot
        if len(points) > 2:
            rings.append(f"M{'L'.join(points)}Z")
    if not rings:
        return ""
    return f'<path class="land" d="{"".join(rings)}" fill="#f4f1e8" stroke="#b3bcc6" stroke-width="0.6"/>'


Ring = tuple[tuple[float, float, float, float], tuple[tuple[float, float], ...]]


@lru_cache(maxsize=1)
def country_outlines() -> tuple[Ring, ...]:
    """The countries' outer rings as (bounding box, points), from the Natural Earth 1:110m shapes
    the countryinfo package ships (a few small countries have none); () when it is not installed."""
    try:
        from countryinfo import all_countries
    except ImportError:
        return ()
    rings, seen = [], set()
    for country in all_countries():
        for feature in (country.geo_json() or {}).get("features", []):
            geometry = feature.get("geometry") or {}
            if feature.get("id") in seen or geometry.get("type") not in ("Polygon", "MultiPolygon"):
                continue
            seen.add(feature.get("id"))
            polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
            for polygon in polygons:
                ring = tuple((float(lon), float(lat)) for lon, lat, *_ in polygon[0])
                lons, lats = [p[0] for p in ring], [p[1] for p in ring]
                rings.append(((min(lons), min(lats), max(lons), max(lats)), ring))
    return tuple(rings)
