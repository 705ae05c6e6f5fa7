"""Find the table in a sheet: the header row below any title rows, the columns, the data rows.

What a typical office sheet looks like, and what we do about it:

- title rows ("令和5年度 財産台帳", "単位：円") above the header have few filled cells: the
  header is the first row that fills at least half of the table's width with text, not numbers
  or dates;
- two-row headers whose upper cells group the lower ones (「建築」 over 「年月日」「構造」) become
  names joined by one space, 「建築 年月日」, which reads naturally and still matches a one-row
  header 「建築年月日」 when field names are compared without spaces. Upper cells merged down over
  both rows (「名称」) keep their single name; a key, legend or unit line merged across the top
  (「凡例：○ 有 × 無」) is a title, not a group label;
- spaces that only spread a name over its cell go (「学　　級　　数」 → 「学級数」);
- spacer columns (no header, no data) are dropped;
- which rows under the header are records is the row classifier's say (`importing/rows.py`):
  totals, notes, section labels, repeated headers, a second table … are left out, with a warning;
- cells merged down over several data rows give their value to every row they cover.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from daicho.error_codes import Code
from daicho.i18n import gettext as _
from daicho.importing.errors import ImportFileError
from daicho.importing.outline import DATA, HEADER, RowOutline, RowSelection
from daicho.importing.readers import Merge
from daicho.importing.rows import classify, filled
from daicho.importing.rows import count_filled as _count
from daicho.importing.rows import texty as _texty
from daicho.importing.values import text_of

_SCAN_ROWS = 60  # header candidates: the first rows that have anything in them


@dataclass
class Detection:
    header_index: int  # 0-based row of the (first) header row
    header_rows: int  # 1 or 2
    names: list[str]
    sources: list[int]  # 0-based sheet column of each name
    data_indices: list[int]
    warnings: list[dict[str, Any]] = field(default_factory=list)
    outline: RowOutline = field(default_factory=RowOutline)


def detect(rows: list[list[Any]], merged: Sequence[Merge] = (), *,
           header_row: int | None = None, fixed_header: bool = False,
           selection: RowSelection | None = None) -> Detection:
    if not rows:
        raise _empty_sheet()
    width = max(map(len, rows))
    if min(map(len, rows)) < width:  # calamine's grids are already even: no loop for them
        for r in rows:
            if len(r) < width:
                r.extend([""] * (width - len(r)))
    if fixed_header:
        names = [_label(v) for v in rows[0]]
        outline = RowOutline(kinds=[None] * len(rows))
        outline.kinds[0] = HEADER
        for i in range(1, len(rows)):
            if any(map(filled, rows[i])):
                outline.kinds[i] = DATA
        data = _select(outline, selection)
        return Detection(0, 1, _unique(names, list(range(width))), list(range(width)), data,
                         outline.warnings(), outline)
    if header_row is not None:
        h = header_row - 1
        if not 0 <= h < len(rows) or not _count(rows[h]):
            raise ImportFileError(
                Code.HEADER_ROW_INVALID,
                _("Row %(row)d has no headings. Check the number of the heading row.")
                % {"row": header_row})
    else:
        h = _find_header(rows)
    upper, count = _header_span(rows, merged, h, width, explicit=header_row is not None)
    names, sources = _names(rows, merged, upper, count, width)
    start = upper + count
    _fill_merged_down(rows, merged, start)
    outline = classify(rows, header_index=upper, header_rows=count, width=width)
    data = _select(outline, selection)
    names, sources = _drop_spacers(rows, data, names, sources)
    if not names:
        raise ImportFileError(Code.NO_TABLE, _("No table headings were found."))
    return Detection(upper, count, _unique(names, sources), sources, data, outline.warnings(),
                     outline)


def _select(outline: RowOutline, selection: RowSelection | None) -> list[int]:
    """0-based rows read as records: the data rows, with the user's choices applied."""
    kinds = outline.kinds
    if selection is None or not (selection.narrows or selection.include):
        return [i for i, kind in enumerate(kinds) if kind == DATA]
    data = []
    for i, kind in enumerate(kinds):
        if kind is None:
            continue
        if kind == DATA:
            if selection.keeps(i + 1):
                data.append(i)
            else:
                outline.excluded.add(i)
        elif i + 1 in selection.include:
            data.append(i)
            outline.included.add(i)
    return data


def _empty_sheet() -> ImportFileError:
    return ImportFileError(Code.NO_TABLE, _("There is no data (the sheet is empty)."))


def _find_header(rows: list[list[Any]]) -> int:
    scanned: list[tuple[int, int]] = []
    for i, row in enumerate(rows):
        n = _count(row)
        if n:
            scanned.append((i, n))
            if len(scanned) >= _SCAN_ROWS:
                break
    if not scanned:
        raise _empty_sheet()
    widest = max(n for _, n in scanned)
    need = 1 if widest == 1 else max(2, math.ceil(widest / 2))
    width = len(rows[0])
    for k, (i, n) in enumerate(scanned):
        if not _texty(rows[i]):
            continue
        # An upper header row of groups is sparse; with the labels under it, it is complete.
        if i + 1 < len(rows) and _count(rows[i + 1]) and _texty(rows[i + 1]):
            upper, lower = rows[i], rows[i + 1]
            if any(filled(upper[c]) and not filled(lower[c]) for c in range(width)):
                n = sum(1 for c in range(width) if filled(upper[c]) or filled(lower[c]))
        # The header is about as wide as the rows under it; a "作成者 管財課" line is not.
        below = max((m for _, m in scanned[k + 1 : k + 4]), default=0)
        if n >= need and (n * 4 >= below * 3 or n >= below - 1):
            return i
    return next(i for i, n in scanned if n == widest)


def _merges_in_row(merged: Sequence[Merge], r: int) -> list[Merge]:
    return [m for m in merged if m[0] == r]


def _header_span(rows: list[list[Any]], merged: Sequence[Merge], h: int, width: int, *,
                 explicit: bool) -> tuple[int, int]:
    """(first header row, number of header rows): h alone, h and h+1, or h-1 and h."""
    if h + 1 < len(rows) and _is_group_pair(rows, merged, h, width):
        return h, 2
    if not explicit and h > 0 and merged and _is_group_pair(rows, merged, h - 1, width,
                                                           merges_only=True):
        return h - 1, 2
    return h, 1


def _is_group_pair(rows: list[list[Any]], merged: Sequence[Merge], u: int, width: int, *,
                   merges_only: bool = False) -> bool:
    upper, lower = rows[u], rows[u + 1]
    if not _count(lower) or not _texty(lower) or not _count(upper) or not _texty(upper):
        return False
    lo = min((c for c in range(width) if filled(upper[c]) or filled(lower[c])), default=0)
    hi = max((c for c in range(width) if filled(upper[c]) or filled(lower[c])), default=0)
    in_row = _merges_in_row(merged, u)
    if _legend_line(upper, in_row, lo, hi):
        return False
    if in_row:
        if any(m[2] > u and m[1] <= hi and m[3] >= lo for m in in_row):
            return True  # a header cell merged down over both rows
        for m in in_row:
            spans_all = m[1] <= lo and m[3] >= hi
            under = sum(1 for c in range(m[1], min(m[3], width - 1) + 1) if filled(lower[c]))
            if m[3] > m[1] and not spans_all and under >= 2:
                return True  # a group label merged across two or more sub-labels
        return False
    if merges_only:
        return False
    # No merge information (CSV, or merging not used): an upper label followed by empty upper
    # cells, with two or more lower labels under it, and a column whose label is only upper.
    only_upper = any(filled(upper[c]) and not filled(lower[c]) for c in range(lo, hi + 1))
    if not only_upper:
        return False
    for c in range(lo, hi + 1):
        if filled(upper[c]) and filled(lower[c]):
            end = c + 1
            while end <= hi and not filled(upper[end]):
                end += 1
            if end - c >= 2 and sum(1 for k in range(c, end) if filled(lower[k])) >= 2:
                return True
    return False


def _legend_line(upper: list[Any], merges: list[Merge], lo: int, hi: int) -> bool:
    """A key, legend or unit line above the headings (「凡例：○ 有 × 無」, 「（単位：円）」),
    merged across them: its words are not a group label to put in front of every name."""
    cells = [_label(v) for v in upper if filled(v)]
    if any(len(t) > 12 or any(ch in t for ch in "：:=＝。、…※")
           or t.startswith(("凡例", "注", "単位", "(", "（")) for t in cells):
        return True
    wide = [m for m in merges if (m[3] - m[1] + 1) * 4 >= (hi - lo + 1) * 3]
    return len(cells) == 1 and bool(wide) and hi - lo >= 3


def _label(value: Any) -> str:
    text = text_of(value) if filled(value) else ""
    if "\n" in text or "\r" in text:
        return " ".join(_unspaced(part.strip()) for part in text.splitlines() if part.strip())
    return _unspaced(text)


def _unspaced(text: str) -> str:
    """Spaces that only spread a name over its cell (「学　　級　　数」, 「氏　名」: every piece
    one or two characters) go; spaces between words (「本庁舎 別館」, 「発生日時　　分」) stay."""
    if " " not in text and "\u3000" not in text:
        return text
    parts = text.split()
    if len(parts) >= 2 and all(len(p) <= 2 for p in parts) and not text.isascii():
        return "".join(parts)
    return text


def _names(rows: list[list[Any]], merged: Sequence[Merge], u: int, count: int,
           width: int) -> tuple[list[str], list[int]]:
    upper = [_label(v) for v in rows[u]]
    if count == 1:
        return upper, list(range(width))  # a merged header cell names only its first column
    lower = [_label(v) for v in rows[u + 1]]
    group = list(upper)
    merges = _merges_in_row(merged, u)
    if merges:
        for m in merges:
            for c in range(m[1], min(m[3], width - 1) + 1):
                group[c] = upper[m[1]]
    else:
        label = ""
        for c in range(width):
            if upper[c]:
                label = upper[c] if lower[c] else ""
            elif lower[c] and label:
                group[c] = label
            else:
                label = ""
    names = []
    for c in range(width):
        g, low = group[c], lower[c]
        if g and low and g != low:
            names.append(f"{g} {low}")
        else:
            names.append(g or low)
    return names, list(range(width))


def _fill_merged_down(rows: list[list[Any]], merged: Sequence[Merge], start: int) -> None:
    for r0, c0, r1, _c1 in merged:
        if r0 >= start and r1 > r0 and r0 < len(rows):
            value = rows[r0][c0]
            for r in range(r0 + 1, min(r1, len(rows) - 1) + 1):
                if not filled(rows[r][c0]):
                    rows[r][c0] = value


def _drop_spacers(rows: list[list[Any]], data: list[int], names: list[str],
                  sources: list[int]) -> tuple[list[str], list[int]]:
    keep_names, keep_sources = [], []
    for name, col in zip(names, sources, strict=True):
        if name or any(filled(rows[i][col]) for i in data):
            keep_names.append(name)
            keep_sources.append(col)
    return keep_names, keep_sources


def _unique(names: list[str], sources: list[int]) -> list[str]:
    """Empty names become 列N (N = the sheet's column number), repeats get " (2)", " (3)" …

    Real header names are reserved first, so a generated name never takes one of them."""
    taken = {n for n in names if n}
    seen: set[str] = set()
    out: list[str] = []
    for name, col in zip(names, sources, strict=True):
        if name and name not in seen:
            seen.add(name)
            out.append(name)
            continue
        base = name or f"列{col + 1}"
        candidate = base if not name and base not in taken else ""
        k = 2
        while not candidate or candidate in taken:
            candidate = f"{base} ({k})"
            k += 1
        taken.add(candidate)
        seen.add(candidate)
        out.append(candidate)
    return out
