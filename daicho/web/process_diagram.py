"""The process designer's diagram: statuses as boxes and actions as labelled arrows, drawn on the
server as SVG (no script, no library: it prints, and works in the closed network).

Statuses are placed in columns by how many actions they are from the initial one (the first
column), top to bottom in the order they are listed. An action to a later column is a straight
arrow; one back to the same or an earlier column (差戻し) curves below the boxes, so a loop never
hides a forward arrow. Labels sit on a white plate so crossing lines do not make them unreadable."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

BOX_W, BOX_H = 150, 46
GAP_X, GAP_Y = 110, 56
PAD = 24
LOOP_DEPTH = 34
CHAR_W = 13  # width of one full-width character at the label size, for the label plates


@dataclass(frozen=True)
class Box:
    name: str
    x: int
    y: int
    initial: bool

    @property
    def mid_y(self) -> int:
        return self.y + BOX_H // 2


def _levels(statuses: list[str], initial: str, actions: list[dict[str, Any]]) -> dict[str, int]:
    level = {initial: 0}
    queue = deque([initial])
    while queue:
        here = queue.popleft()
        for a in actions:
            if a.get("from") == here and a.get("to") in statuses and a["to"] not in level:
                level[a["to"]] = level[here] + 1
                queue.append(a["to"])
    deepest = max(level.values(), default=0)
    for s in statuses:  # unreachable ones (a saved process has none) go last
        level.setdefault(s, deepest + 1)
    return level


def layout(statuses: list[str], initial: str, actions: list[dict[str, Any]]) -> dict[str, Box]:
    level = _levels(statuses, initial, actions)
    rows: dict[int, int] = {}
    boxes: dict[str, Box] = {}
    for s in statuses:
        column = level[s]
        row = rows.get(column, 0)
        rows[column] = row + 1
        boxes[s] = Box(s, PAD + column * (BOX_W + GAP_X), PAD + row * (BOX_H + GAP_Y),
                       s == initial)
    return boxes


def _label(x: float, y: float, text: str) -> str:
    width = max(2, len(text)) * CHAR_W + 10
    return (f'<rect class="label-plate" x="{x - width / 2:.0f}" y="{y - 11:.0f}" width="{width}" '
            f'height="20" rx="4"/><text class="action-label" x="{x:.0f}" y="{y + 4:.0f}" '
            f'text-anchor="middle">{escape(text)}</text>')


def svg(statuses: list[str], initial: str, actions: list[dict[str, Any]],
        title: str = "") -> SafeString:
    """The diagram as an inline SVG element (an accessible image with `title`)."""
    if not statuses:
        return mark_safe("")
    boxes = layout(statuses, initial, actions)
    width = max(b.x for b in boxes.values()) + BOX_W + PAD
    bottom = max(b.y for b in boxes.values()) + BOX_H
    loops = 0
    parts: list[str] = []
    labels: list[str] = []
    pairs: dict[tuple[str, str], int] = {}
    for a in actions:
        start, end = boxes.get(a.get("from", "")), boxes.get(a.get("to", ""))
        if start is None or end is None:
            continue
        n = pairs.get((start.name, end.name), 0)
        pairs[(start.name, end.name)] = n + 1
        name = str(a.get("name", ""))
        if end.x > start.x:
            x1, y1 = start.x + BOX_W, start.mid_y + n * 12
            x2, y2 = end.x, end.mid_y + n * 12
            parts.append(f'<path class="arrow" d="M{x1},{y1} L{x2 - 2},{y2}" '
                         'marker-end="url(#arrowhead)"/>')
            labels.append(_label((x1 + x2) / 2, (y1 + y2) / 2 - 12, name))
        else:
            loops += 1
            depth = bottom + LOOP_DEPTH * loops
            x1, x2 = start.x + BOX_W // 2 + 14, end.x + BOX_W // 2 - 14
            y1, y2 = start.y + BOX_H, end.y + BOX_H
            parts.append(f'<path class="arrow back" d="M{x1},{y1} C{x1},{depth} {x2},{depth} '
                         f'{x2},{y2 + 2}" marker-end="url(#arrowhead)"/>')
            labels.append(_label((x1 + x2) / 2, depth - LOOP_DEPTH / 4, name))
    height = bottom + PAD + LOOP_DEPTH * loops
    for b in boxes.values():
        cls = "status initial" if b.initial else "status"
        parts.append(f'<rect class="{cls}" x="{b.x}" y="{b.y}" width="{BOX_W}" height="{BOX_H}" '
                     f'rx="8"/><text class="status-name" x="{b.x + BOX_W // 2}" '
                     f'y="{b.mid_y + 5}" text-anchor="middle">{escape(b.name)}</text>')
    head = ('<defs><marker id="arrowhead" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" '
            'markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
            'class="arrowhead"/></marker></defs>')
    # Every text in it was escaped above.
    return mark_safe(
        f'<svg class="process-diagram" xmlns="http://www.w3.org/2000/svg" role="img" '
        f'aria-label="{escape(title)}" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}"><title>{escape(title)}</title>{head}{"".join(parts)}'
        f'{"".join(labels)}</svg>')
