"""The outline of a sheet: what each row is (title, header, data, subtotal, note …) and why.

The classifier (`importing/rows.py`) writes one kind per row into a `RowOutline`, a list as long
as the sheet with a reason only for the rows that are not data: a million-row sheet is one list of
a million references to the same few strings, not a million objects. `RowKind`s, one per filled
row, are made only when someone asks for them (the import wizard); the import report needs only
the counts and the runs of rows left out, which `summary()` gives.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from daicho.error_codes import Code
from daicho.i18n import gettext as _
from daicho.importing.errors import ImportFileError

TITLE = "title"
HEADER = "header"
DATA = "data"
NOTE = "note"
SUBTOTAL = "subtotal"
SECTION = "section"
REPEATED_HEADER = "repeated_header"
SECOND_TABLE = "second_table"
METADATA = "metadata"
NUMBERING_ONLY = "numbering_only"
BLANK = "blank"
EXCLUDED = "excluded"  # a data row the user left out (first/last row, exclude_rows)

KINDS = (TITLE, HEADER, DATA, NOTE, SUBTOTAL, SECTION, REPEATED_HEADER, SECOND_TABLE, METADATA,
         NUMBERING_ONLY, BLANK)


@dataclass(frozen=True, slots=True)
class RowKind:
    row: int  # 1-based sheet row, as Excel numbers it
    kind: str  # one of KINDS
    reason: str  # a translated sentence; empty for data and header rows


@dataclass(frozen=True, slots=True)
class RowSelection:
    """The user's say over which rows are data (1-based sheet rows). Rows outside
    first_row..last_row and the rows of `exclude` are left out; the rows of `include` are read as
    data whatever the classifier thought of them (a blank row stays out: it holds nothing)."""

    first_row: int | None = None
    last_row: int | None = None
    exclude: frozenset[int] = frozenset()
    include: frozenset[int] = frozenset()

    def keeps(self, row: int) -> bool:
        if row in self.include:
            return True
        if row in self.exclude:
            return False
        return (self.first_row is None or row >= self.first_row) and \
            (self.last_row is None or row <= self.last_row)

    @property
    def narrows(self) -> bool:
        return bool(self.first_row is not None or self.last_row is not None or self.exclude)


@dataclass
class RowOutline:
    """kinds[i] is the kind of sheet row i + 1 (None: blank); texts[i] the words that decided it
    (「東灘区計」), for the reason shown."""

    kinds: list[str | None] = field(default_factory=list)
    texts: dict[int, str] = field(default_factory=dict)
    # 0-based rows that the user's selection changed: data left out, or other rows read as data
    excluded: set[int] = field(default_factory=set)
    included: set[int] = field(default_factory=set)

    def set(self, i: int, kind: str, text: str = "") -> None:
        self.kinds[i] = kind
        if text:
            self.texts[i] = _short(text)
        else:
            self.texts.pop(i, None)

    def kind_of(self, i: int) -> str | None:
        """The kind of 0-based row i as read: the user's choice over the classifier's."""
        kind = self.kinds[i]
        if kind is None:
            return None
        if i in self.excluded:
            return EXCLUDED
        if i in self.included:
            return DATA
        return kind

    def row_kinds(self) -> list[RowKind]:
        """Every filled row with the classifier's kind (the user's choices are not applied)."""
        texts = self.texts
        plain = {kind: kind_reason(kind) for kind in KINDS}  # translated once per kind
        return [RowKind(i + 1, kind, reason_for(kind, texts[i]) if i in texts else plain[kind])
                for i, kind in enumerate(self.kinds) if kind is not None]

    def left_out(self) -> list[dict[str, Any]]:
        """Runs of rows of one kind that were not read, blank rows between them ignored:
        [{"first": 12, "last": 329, "kind": "numbering_only", "reason": "…"}]."""
        runs: list[dict[str, Any]] = []
        last: dict[str, Any] | None = None
        excluded, included = self.excluded, self.included
        for i, kind in enumerate(self.kinds):  # a million rows: kept to plain comparisons
            if kind is None:
                continue
            if kind == DATA or kind == HEADER:
                if not excluded or i not in excluded:
                    last = None
                    continue
                kind = EXCLUDED
            elif included and i in included:
                last = None
                continue
            if last is not None and last["kind"] == kind:
                last["last"] = i + 1
                continue
            last = {"first": i + 1, "last": i + 1, "kind": kind, "text": self.texts.get(i, "")}
            runs.append(last)
        for run in runs:
            text = run.pop("text")
            run["reason"] = reason_for(run["kind"], text if run["first"] == run["last"] else "")
        return runs

    def counts(self) -> dict[str, int]:
        counted = Counter(k for k in self.kinds if k is not None)
        return {kind: counted[kind] for kind in KINDS if counted[kind]}

    def summary(self) -> dict[str, Any]:
        """The report's `outline`: counts per kind (as classified) and the runs of rows left out
        (as read: the user's choices applied)."""
        return {"kinds": self.counts(), "left_out": self.left_out()}

    def warnings(self) -> list[dict[str, Any]]:
        """One warning per run of rows left out (the first row of the run is its `row`)."""
        return [{"row": run["first"],
                 "message": run_message(run, self.texts.get(run["first"] - 1, ""))}
                for run in self.left_out()]


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 20 else text[:20] + "…"


def kind_reason(kind: str) -> str:
    """Why rows of a kind are not read, as a sentence for the outline."""
    reasons = {
        TITLE: _("A title or a line above the table."),
        NOTE: _("A note or footnote."),
        SUBTOTAL: _("A total, subtotal or comparison row."),
        SECTION: _("A section label between groups of rows."),
        REPEATED_HEADER: _("The title or headings repeated (a new printed page)."),
        SECOND_TABLE: _("Part of another table below the first."),
        METADATA: _("A row describing the columns, not data."),
        NUMBERING_ONLY: _("A row that holds only a running number."),
        EXCLUDED: _("Left out as you chose."),
    }
    return reasons.get(kind, "")


def reason_for(kind: str, text: str) -> str:
    if not text:
        return kind_reason(kind)
    with_text = {
        NOTE: _("A note or footnote (「%(text)s」)."),
        SUBTOTAL: _("A total, subtotal or comparison row (「%(text)s」)."),
        SECTION: _("A section label between groups of rows (「%(text)s」)."),
        METADATA: _("A row describing the columns, not data (「%(text)s」)."),
    }
    template = with_text.get(kind)
    return template % {"text": text} if template else kind_reason(kind)


def run_message(run: dict[str, Any], text: str) -> str:
    first, last, kind = run["first"], run["last"], run["kind"]
    if first != last:
        return _("Rows %(first)d to %(last)d were not imported. %(reason)s") % {
            "first": first, "last": last, "reason": kind_reason(kind)}
    # The messages of single rows that users already know.
    if kind == SUBTOTAL and text:
        return _("Row %(row)d is a total or subtotal row (「%(text)s」), so it was not imported."
                 ) % {"row": first, "text": text}
    if kind == NOTE and text:
        return _("Row %(row)d is a note (「%(text)s」), so it was not imported.") % {
            "row": first, "text": text}
    if kind == REPEATED_HEADER:
        return _("Row %(row)d repeats the headings, so it was not imported.") % {"row": first}
    return _("Row %(row)d was not imported. %(reason)s") % {"row": first,
                                                             "reason": run["reason"]}


_MAX_ROW = 2**31 - 1


def selection_of(first_row: int | None, last_row: int | None, exclude_rows: Iterable[int],
                 include_rows: Iterable[int]) -> RowSelection:
    """The user's row choices, checked: whole row numbers from 1, first_row ≤ last_row."""
    exclude, include = frozenset(exclude_rows), frozenset(include_rows)
    for name, value in (("first_row", first_row), ("last_row", last_row)):
        if value is not None and not _row_number(value):
            raise ImportFileError(Code.INVALID_ROW_CHOICE, _(
                "%(name)s must be a row number (a whole number from 1).") % {"name": name},
                details={"field": name})
    for name, rows in (("exclude_rows", exclude), ("include_rows", include)):
        if not all(_row_number(r) for r in rows):
            raise ImportFileError(Code.INVALID_ROW_CHOICE, _(
                "%(name)s must be a list of row numbers (whole numbers from 1).")
                % {"name": name}, details={"field": name})
    if first_row is not None and last_row is not None and last_row < first_row:
        raise ImportFileError(Code.INVALID_ROW_CHOICE, _(
            "The last data row (%(last)d) comes before the first data row (%(first)d).")
            % {"first": first_row, "last": last_row}, details={"field": "last_row"})
    return RowSelection(first_row, last_row, exclude, include)


def _row_number(value: object) -> bool:
    return type(value) is int and 1 <= value <= _MAX_ROW
