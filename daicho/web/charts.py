"""Charts drawn by the app as SVG on the server: no script needed to see them, they print as
they look, and they satisfy a CSP without inline style (only presentation attributes are used).

Every mark carries its label and value as text (a <title> and a visible label or legend), so
colour is never the only way to tell groups apart; the page also shows the numbers as a table.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

# Okabe–Ito: distinguishable with the common colour-vision deficiencies and in greyscale print.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442",
           "#999999", "#7A5195", "#2F4B7C", "#A05195")
MAX_BARS = 60
MAX_POINTS = 400
MAX_SLICES = 10
FONT = 'font-family="sans-serif" font-size="13"'


@dataclass
class Point:
    label: str
    value: float


def number(value: float) -> str:
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def text_width(text: str, size: float = 13) -> float:
    """An upper estimate of the drawn width of `text` in pixels: a full-width (CJK) character
    is one em, any other about 0.62 em in the sans-serif fonts browsers pick."""
    return sum(size if unicodedata.east_asian_width(ch) in "WF" else size * 0.62 for ch in text)


def fit(text: str, pixels: float, size: float = 13) -> str:
    """`text` cut with "…" so that it is drawn within `pixels` (the full text is in <title>)."""
    if text_width(text, size) <= pixels:
        return text
    while text and text_width(text + "…", size) > pixels:
        text = text[:-1]
    return text + "…"


def _open(width: int, height: int, title: str) -> list[str]:
    return [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
            f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
            f'aria-label="{escape(title)}"><title>{escape(title)}</title>']


def bar(points: list[Point], title: str) -> SafeString:
    """Horizontal bars: long Japanese labels stay readable and need no rotation."""
    shown = points[:MAX_BARS]
    row, label_w, bar_w = 26, 220, 420
    top = 8
    height = top + row * max(1, len(shown)) + 24
    out = _open(label_w + bar_w + 120, height, title)
    peak = max((abs(p.value) for p in shown), default=0) or 1
    for i, p in enumerate(shown):
        y = top + i * row
        w = max(1.0, bar_w * abs(p.value) / peak) if p.value else 0
        out.append(f'<g><title>{escape(p.label)}: {escape(number(p.value))}</title>'
                   f'<text x="{label_w - 8}" y="{y + 17}" text-anchor="end" {FONT}>'
                   f'{escape(fit(p.label, label_w - 12))}</text>'
                   f'<rect x="{label_w}" y="{y + 4}" width="{w:.1f}" height="{row - 8}" '
                   f'fill="{PALETTE[0]}"/>'
                   f'<text x="{label_w + w + 6:.1f}" y="{y + 17}" {FONT}>{escape(number(p.value))}'
                   f'</text></g>')
    out.append(f'<line x1="{label_w}" y1="{top}" x2="{label_w}" y2="{height - 24}" '
               'stroke="#333"/>')
    if len(points) > MAX_BARS:
        out.append(f'<text x="{label_w}" y="{height - 6}" {FONT}>'
                   + escape(_("%(n)d more groups are not drawn; see the table.")
                            % {"n": len(points) - MAX_BARS}) + "</text>")
    out.append("</svg>")
    return mark_safe("".join(out))  # every text in it was escaped above


def pie(points: list[Point], title: str) -> SafeString:
    positive = sorted((p for p in points if p.value > 0), key=lambda p: -p.value)
    if len(positive) > MAX_SLICES:
        rest = sum(p.value for p in positive[MAX_SLICES - 1:])
        positive = [*positive[: MAX_SLICES - 1], Point(_("Others"), rest)]
    total = sum(p.value for p in positive) or 1
    r, cx, cy = 130, 150, 150
    height = max(300, 24 * len(positive) + 20)
    legends = [f"{p.label}: {number(p.value)} ({p.value / total * 100:.1f}%)" for p in positive]
    legend_w = min(520, max((text_width(t) for t in legends), default=0) + 12)
    out = _open(max(620, int(332 + legend_w)), height, title)
    angle = -math.pi / 2
    for i, p in enumerate(positive):
        share = p.value / total
        colour = PALETTE[i % len(PALETTE)]
        label = f"{p.label}: {number(p.value)} ({share * 100:.1f}%)"
        if share >= 0.9999:
            shape = f'<circle cx="{cx}" cy="{cy}" r="{r}" fill="{colour}"/>'
        else:
            end = angle + share * 2 * math.pi
            x1, y1 = cx + r * math.cos(angle), cy + r * math.sin(angle)
            x2, y2 = cx + r * math.cos(end), cy + r * math.sin(end)
            large = 1 if share > 0.5 else 0
            shape = (f'<path d="M{cx},{cy} L{x1:.2f},{y1:.2f} A{r},{r} 0 {large} 1 {x2:.2f},{y2:.2f} Z" '
                     f'fill="{colour}" stroke="#fff"/>')
            angle = end
        ly = 20 + i * 24
        out.append(f'<g><title>{escape(label)}</title>{shape}'
                   f'<rect x="310" y="{ly}" width="14" height="14" fill="{colour}" stroke="#333"/>'
                   f'<text x="332" y="{ly + 12}" {FONT}>{escape(fit(label, legend_w - 4))}</text></g>')
    out.append("</svg>")
    return mark_safe("".join(out))  # every text in it was escaped above


def _ticks(low: float, high: float, count: int = 5) -> list[float]:
    span = (high - low) or 1
    step = 10 ** math.floor(math.log10(span / count))
    for m in (1, 2, 5, 10):
        if span / (step * m) <= count:
            step *= m
            break
    start = math.floor(low / step) * step
    return [start + i * step for i in range(int((high - start) / step) + 2)]


LABEL_MAX = 220  # pixels of a category label under the line chart; the rest is cut with …
SLANT = math.radians(40)


def _axis_labels(labels: list[str], slot: float) -> tuple[list[str], bool, float]:
    """The labels under a line chart, whether they are slanted, and the height they need.
    Labels that fit their slot stand level; longer ones are slanted by 40° (both fit the box:
    the margins are made from their widths)."""
    cut = [fit(text, LABEL_MAX) for text in labels]
    widest = max((text_width(t) for t in cut), default=0)
    if widest <= slot - 6:
        return cut, False, 24
    return cut, True, 14 + widest * math.sin(SLANT) + 13 * math.cos(SLANT) + 6


def line(points: list[Point], title: str) -> SafeString:
    shown = points[:MAX_POINTS]
    right, top, plot_h = 24, 16, 250
    width = max(640, min(1400, 64 * len(shown) + 120))  # 64: room for 2024年度 level
    if not shown:
        return mark_safe("".join([*_open(width, top + plot_h + 24, title), "</svg>"]))
    ticks = _ticks(min(0.0, *(p.value for p in shown)), max(0.0, *(p.value for p in shown)))
    low, high = ticks[0], ticks[-1]
    every = max(1, math.ceil(len(shown) / 30))
    labelled = [(i, p.label) for i, p in enumerate(shown) if i % every == 0]
    # The left margin holds the value axis' numbers and what a slanted first label reaches
    # left of its point; the slot is the room between two labelled points.
    left = 16 + max(text_width(number(t)) for t in ticks)
    for _pass in range(2):
        slot = (width - left - right) * every / len(shown)
        texts, slanted, bottom = _axis_labels([label for _i, label in labelled], slot)
        if slanted:
            reach = max(text_width(t) * math.cos(SLANT) + 13 * math.sin(SLANT)
                        - (width - left - right) * (i + 0.5) / len(shown)
                        for (i, _label), t in zip(labelled, texts, strict=True))
            left = max(left, reach + 8)
    out = _open(width, int(top + plot_h + bottom), title)
    plot_w = width - left - right

    def y_of(value: float) -> float:
        return top + plot_h - (value - low) / ((high - low) or 1) * plot_h

    def x_of(i: int) -> float:
        return left + (plot_w * (i + 0.5) / len(shown))

    for t in ticks:
        out.append(f'<line x1="{left:.1f}" x2="{width - right}" y1="{y_of(t):.1f}" '
                   f'y2="{y_of(t):.1f}" stroke="#ddd"/><text x="{left - 6:.1f}" '
                   f'y="{y_of(t) + 4:.1f}" text-anchor="end" {FONT}>{escape(number(t))}</text>')
    coords = " ".join(f"{x_of(i):.1f},{y_of(p.value):.1f}" for i, p in enumerate(shown))
    out.append(f'<polyline points="{coords}" fill="none" stroke="{PALETTE[0]}" stroke-width="2"/>')
    for i, p in enumerate(shown):
        x, y = x_of(i), y_of(p.value)
        out.append(f'<g><title>{escape(p.label)}: {escape(number(p.value))}</title>'
                   f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{PALETTE[0]}"/></g>')
    base = top + plot_h
    for (i, label), text in zip(labelled, texts, strict=True):
        if slanted:
            out.append(f'<text transform="translate({x_of(i):.1f},{base + 14}) '
                       f'rotate(-{math.degrees(SLANT):.0f})" text-anchor="end" {FONT}>'
                       f'<title>{escape(label)}</title>{escape(text)}</text>')
        else:
            out.append(f'<text x="{x_of(i):.1f}" y="{base + 18}" text-anchor="middle" {FONT}>'
                       f'<title>{escape(label)}</title>{escape(text)}</text>')
    out.append(f'<line x1="{left:.1f}" y1="{base}" x2="{width - right}" y2="{base}" '
               'stroke="#333"/>')
    out.append("</svg>")
    return mark_safe("".join(out))  # every text in it was escaped above


def compare(labels: list[str], series: list[tuple[str, list[float | None]]],
            title: str) -> SafeString:
    """Grouped vertical bars: per label (a fiscal year) one bar per series (target, actual).
    The first series is drawn as an outline and the others filled, and every bar carries its
    value, so the series differ in shape and text as well as colour. None draws no bar."""
    left, right, top, bottom = 70, 20, 40, 30
    group_w = max(90, 34 * len(series) + 24)
    width = max(480, left + right + group_w * len(labels))
    height = 300
    plot_h = height - top - bottom
    out = _open(width, height, title)
    values = [v for _name, vs in series for v in vs if v is not None]
    ticks = _ticks(min(0.0, *values), max(1.0, *values)) if values else [0.0, 1.0]
    low, high = ticks[0], ticks[-1]

    def y_of(value: float) -> float:
        return top + plot_h - (value - low) / ((high - low) or 1) * plot_h

    for n, (name, _values) in enumerate(series):
        lx = left + n * 150
        colour = PALETTE[n % len(PALETTE)]
        fill = "#fff" if n == 0 else colour
        out.append(f'<rect x="{lx}" y="6" width="14" height="14" fill="{fill}" stroke="{colour}" '
                   f'stroke-width="2"/><text x="{lx + 20}" y="18" {FONT}>{escape(name)}</text>')
    for t in ticks:
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{y_of(t):.1f}" y2="{y_of(t):.1f}" '
                   f'stroke="#ddd"/><text x="{left - 6}" y="{y_of(t) + 4:.1f}" text-anchor="end" '
                   f'{FONT}>{escape(number(t))}</text>')
    bar_w = (group_w - 24) / max(1, len(series))
    for i, label in enumerate(labels):
        x0 = left + i * group_w + 12
        for n, (name, vs) in enumerate(series):
            value = vs[i] if i < len(vs) else None
            x = x0 + n * bar_w
            colour = PALETTE[n % len(PALETTE)]
            text = number(value) if value is not None else "—"
            out.append(f'<g><title>{escape(label)} {escape(name)}: {escape(text)}</title>')
            if value is not None:
                y, base = y_of(max(value, low)), y_of(max(low, 0.0))
                fill = "#fff" if n == 0 else colour
                out.append(f'<rect x="{x + 2:.1f}" y="{min(y, base):.1f}" width="{bar_w - 4:.1f}" '
                           f'height="{abs(base - y):.1f}" fill="{fill}" stroke="{colour}" '
                           f'stroke-width="2"/>')
                label_y = min(y, base) - 4
            else:
                label_y = y_of(max(low, 0.0)) - 4
            out.append(f'<text x="{x + bar_w / 2:.1f}" y="{label_y:.1f}" text-anchor="middle" '
                       f'font-family="sans-serif" font-size="11">{escape(text)}</text></g>')
        out.append(f'<text x="{x0 + (group_w - 24) / 2:.1f}" y="{top + plot_h + 18}" '
                   f'text-anchor="middle" {FONT}>{escape(_clip(label, 10))}</text>')
    out.append(f'<line x1="{left}" y1="{y_of(max(low, 0.0)):.1f}" x2="{width - right}" '
               f'y2="{y_of(max(low, 0.0)):.1f}" stroke="#333"/>')
    out.append("</svg>")
    return mark_safe("".join(out))  # every text in it was escaped above


RENDERERS = {"bar": bar, "pie": pie, "line": line}


def render(kind: str, points: list[Point], title: str) -> SafeString:
    return RENDERERS.get(kind, bar)(points, title)
