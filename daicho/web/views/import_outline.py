"""The whole file at a glance for the import wizard: every row's kind, with counts, and the rows
themselves in runs ("data rows 5–339 (335)"), each left-out row with its reason.

The kinds come from the row classifier (ParsedTable.outline). What is imported is what the
table holds as data after the user's choices (first/last data row, rows left out or kept), so a
row is shown as imported exactly when the import would store it."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy, pgettext_lazy

from daicho.importing import ParsedTable, text_of

# Rows of one run shown at a time; longer runs are paged.
PAGE = 50
# Runs after this many are listed without their rows (a file of a thousand sections).
MAX_RUNS = 300
# At most this many rows are named in the row choices kept in the session.
MAX_CHOSEN = 5000
# At most this many row numbers are read from one field of the rows form (a page shows fewer).
MAX_PARSED = PAGE * MAX_RUNS + 1000
KIND_LABELS = {
    "title": pgettext_lazy("row kind", "Title"),
    "header": pgettext_lazy("row kind", "Header"),
    "data": pgettext_lazy("row kind", "Data"),
    "note": pgettext_lazy("row kind", "Note"),
    "subtotal": pgettext_lazy("row kind", "Subtotal or total"),
    "section": pgettext_lazy("row kind", "Section label"),
    "repeated_header": pgettext_lazy("row kind", "Repeated header"),
    "second_table": pgettext_lazy("row kind", "Second table"),
    "metadata": pgettext_lazy("row kind", "Metadata"),
    "numbering_only": pgettext_lazy("row kind", "Number only"),
    "blank": pgettext_lazy("row kind", "Blank"),
    "other": pgettext_lazy("row kind", "Left out"),
}
LEFT_OUT_BY_USER = gettext_lazy("You left this row out.")
KEPT_BY_USER = gettext_lazy("You chose to import this row.")
OUTSIDE_RANGE = gettext_lazy("Outside the first and last data rows you set.")


@dataclass(frozen=True)
class Line:
    """One row of the file as the classifier saw it (ParsedTable.outline's RowKind)."""

    row: int
    kind: str
    reason: str = ""


@dataclass
class Row:
    number: int
    kind: str
    reason: str
    kept: bool  # imported as a record
    cells: list[str]  # the cells of the table's columns, as in the file
    text: str = ""  # every filled cell of a row that is not data, joined


@dataclass
class Run:
    """Consecutive rows of one kind and fate (blank rows do not break a run)."""

    kind: str
    kept: bool
    reason: str
    numbers: list[int] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)  # the page of them shown
    start: int = 0  # index in numbers of rows[0]
    changed: bool = False  # the user's choice made the difference
    opened: bool = False  # shown unfolded
    @property
    def first(self) -> int:
        return self.numbers[0]

    @property
    def last(self) -> int:
        return self.numbers[-1]

    @property
    def count(self) -> int:
        return len(self.numbers)

    @property
    def label(self) -> str:
        return str(KIND_LABELS.get(self.kind, self.kind))

    @property
    def previous_page(self) -> int | None:
        return self.numbers[max(0, self.start - PAGE)] if self.start else None

    @property
    def next_page(self) -> int | None:
        end = self.start + PAGE
        return self.numbers[end] if end < len(self.numbers) else None

    @property
    def shown_last(self) -> int:
        return self.numbers[min(len(self.numbers), self.start + PAGE) - 1]


@dataclass
class Outline:
    runs: list[Run]
    counts: list[tuple[str, str, int]]  # (kind, label, rows)
    kept: int  # rows to import
    left_out: int
    shown: str  # the row numbers with a checkbox on the page ("5-54,330")
    was: str  # those of them checked (imported)


@dataclass
class Choices:
    """What the user changed about the rows; kept in the wizard's session state."""

    first_row: int | None = None
    last_row: int | None = None
    exclude: frozenset[int] = frozenset()
    include: frozenset[int] = frozenset()

    @classmethod
    def of(cls, state: dict[str, Any]) -> Choices:
        rows = state.get("rows") or {}
        return cls(first_row=_positive(rows.get("first")), last_row=_positive(rows.get("last")),
                   exclude=frozenset(_positives(rows.get("exclude"))),
                   include=frozenset(_positives(rows.get("include"))))

    def save(self, state: dict[str, Any]) -> None:
        if self == Choices():
            state.pop("rows", None)
            return
        state["rows"] = {"first": self.first_row, "last": self.last_row,
                         "exclude": sorted(self.exclude)[:MAX_CHOSEN],
                         "include": sorted(self.include)[:MAX_CHOSEN]}

    def as_options(self) -> dict[str, Any]:
        return {"first_row": self.first_row, "last_row": self.last_row,
                "exclude_rows": self.exclude, "include_rows": self.include}


def _positive(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and \
        0 < value <= 1_048_576 else None


def _positives(values: Any) -> list[int]:
    if not isinstance(values, list):
        return []
    return [v for v in map(_positive, values) if v is not None]


def parse_rows(text: str) -> list[int]:
    """"5-54,330" → [5, …, 54, 330] (what `Outline.shown` wrote); anything else is skipped, and
    no more rows are read than a page can show."""
    out: list[int] = []
    for part in text.split(",")[:MAX_CHOSEN]:
        low, _sep, high = part.strip().partition("-")
        if not low.isdigit() or (high and not high.isdigit()):
            continue
        first, last = int(low), int(high or low)
        if 0 < first <= last <= 1_048_576:
            out.extend(range(first, min(last, first + MAX_PARSED - len(out) - 1) + 1))
        if len(out) >= MAX_PARSED:
            break
    return out


def _ranges(numbers: Iterable[int]) -> str:
    parts: list[str] = []
    start = prev = None
    for n in numbers:
        if prev is not None and n == prev + 1:
            prev = n
            continue
        if start is not None:
            parts.append(f"{start}-{prev}" if prev != start else str(start))
        start = prev = n
    if start is not None:
        parts.append(f"{start}-{prev}" if prev != start else str(start))
    return ",".join(parts)


def lines_of(table: ParsedTable) -> list[Line]:
    """The classifier's outline (importing/outline.py); for a table without one, what the table
    itself tells: the rows above the header, the header, the data rows and the rows the
    warnings name."""
    if table.outline:
        return [Line(k.row, k.kind, k.reason) for k in table.outline]
    lines = {n: Line(n, "title") for n in range(1, table.header_row)}
    for n in range(table.header_row, table.header_row + table.header_rows):
        lines[n] = Line(n, "header")
    for n in table.numbers:
        lines[n] = Line(n, "data")
    for w in table.warnings:
        row = w.get("row")
        if isinstance(row, int) and row not in lines:
            lines[row] = Line(row, "other", str(w.get("message", "")))
    return [lines[n] for n in sorted(lines)]


def build(table: ParsedTable, choices: Choices, *, grid: Sequence[Sequence[Any]] | None,
          show: Callable[[Any], str], page_from: int | None) -> Outline:
    """The outline of `table` (read with `choices`). `grid` is the sheet as read (its rows'
    cells), when the file was small enough to read it again for the page; else data rows show
    their converted values and other rows only their reason."""
    kept_rows = {n: i for i, n in enumerate(table.numbers)}
    sources = [c.source_index for c in table.columns]
    runs: list[Run] = []
    counts: dict[str, int] = {}
    for line in lines_of(table):
        if line.kind == "blank":
            continue
        counts[line.kind] = counts.get(line.kind, 0) + 1
        kept = line.row in kept_rows
        reason, changed = line.reason, False
        if line.kind == "data" and not kept:
            changed = True
            reason = str(OUTSIDE_RANGE if _outside(line.row, choices) else LEFT_OUT_BY_USER)
        elif line.kind not in ("data",) and kept:
            changed, reason = True, str(KEPT_BY_USER)
        if line.kind == "header" or (line.kind == "data" and kept):
            reason = ""
        last = runs[-1] if runs else None
        if last is None or (last.kind, last.kept, last.reason, last.changed) != \
                (line.kind, kept, reason, changed):
            last = Run(line.kind, kept, reason, changed=changed)
            runs.append(last)
        last.numbers.append(line.row)
    shown: list[int] = []
    was: list[int] = []
    for run in runs[:MAX_RUNS]:
        if page_from is not None and run.first <= page_from <= run.last:
            run.start = max(0, next(i for i, n in enumerate(run.numbers) if n >= page_from))
            run.opened = True
        elif run.changed or (not run.kept and run.kind != "header" and run.count <= PAGE):
            run.opened = True
        for n in run.numbers[run.start:run.start + PAGE]:
            run.rows.append(_row(n, run, table, kept_rows, sources, grid, show))
            if run.kind != "header":
                shown.append(n)
                if run.kept:
                    was.append(n)
    order = [k for k in KIND_LABELS if k in counts] + sorted(set(counts) - set(KIND_LABELS))
    return Outline(
        runs=runs, counts=[(k, str(KIND_LABELS.get(k, k)), counts[k]) for k in order],
        kept=len(table.numbers),
        left_out=sum(run.count for run in runs if not run.kept and run.kind != "header"),
        shown=_ranges(sorted(shown)), was=_ranges(sorted(was)))


def _outside(row: int, choices: Choices) -> bool:
    return (choices.first_row is not None and row < choices.first_row) or \
        (choices.last_row is not None and row > choices.last_row)


def _row(n: int, run: Run, table: ParsedTable, kept_rows: dict[int, int], sources: list[int],
         grid: Sequence[Sequence[Any]] | None, show: Callable[[Any], str]) -> Row:
    cells: list[str] = []
    if grid is not None and n - 1 < len(grid):
        source = grid[n - 1]
        cells = [text_of(source[i])[:200] if i < len(source) and source[i] not in (None, "")
                 else "" for i in sources]
    elif n in kept_rows:
        cells = [show(column[kept_rows[n]]) for column in table.values]
    text = "" if run.kind == "data" else "　".join(c for c in cells if c)[:300]
    return Row(n, run.kind, run.reason, run.kept, cells, text)


def apply_post(post: Any, table: ParsedTable, choices: Choices) -> Choices:
    """The rows form: the first/last data row, and a checkbox per shown row (checked: import
    it). Only the boxes the user changed count (`was` lists the shown rows that were checked):
    a row unchecked is left out, a row checked is imported even if the classifier did not take
    it for data, or it lies outside the first and last data rows."""
    kinds = {line.row: line.kind for line in lines_of(table)}
    first = _changed_number(post, "first_row", choices.first_row)
    last = _changed_number(post, "last_row", choices.last_row)
    moved = Choices(first_row=first, last_row=last)
    exclude, include = set(choices.exclude), set(choices.include)
    keep = set(parse_rows(",".join(post.getlist("keep"))))
    was = set(parse_rows(post.get("was", "")))
    for n in parse_rows(post.get("shown", "")):
        if kinds.get(n) in (None, "header") or (n in keep) == (n in was):
            continue
        if n in keep:
            exclude.discard(n)
            if kinds.get(n) != "data" or _outside(n, moved):
                include.add(n)
        else:
            include.discard(n)
            if kinds.get(n) == "data":
                exclude.add(n)
    return Choices(first_row=first, last_row=last, exclude=frozenset(exclude),
                   include=frozenset(include))


def _changed_number(post: Any, name: str, current: int | None) -> int | None:
    """The number the user typed, if they changed it from the one shown (kept as it was when
    they did not: the detected first or last row follows the header row then)."""
    text = (post.get(name) or "").strip()
    if text == (post.get(f"{name}_shown") or "").strip():
        return current
    return int(text) if text.isdigit() and 0 < int(text) <= 1_048_576 else None
