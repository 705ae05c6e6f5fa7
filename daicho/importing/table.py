"""read_table: one call from a file on disk to named, typed, converted columns and rows.

Pure Python (no Django, no database): the importing service decides what to do with the result.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from daicho.error_codes import Code
from daicho.i18n import gettext as _
from daicho.importing.collector import no_cycle_collection
from daicho.importing.detect import detect
from daicho.importing.errors import ImportFileError, Limits
from daicho.importing.infer import TextReason, infer_column
from daicho.importing.outline import RowKind as RowKind  # re-exported: the wizard reads it here
from daicho.importing.outline import RowOutline, RowSelection, selection_of
from daicho.importing.readers import RawBook, read_book
from daicho.importing.sheets import SheetInfo

Progress = Callable[[int, int], None]


@dataclass(slots=True)
class ParsedColumn:
    name: str
    type: str  # text textarea number date datetime yesno choice email url
    options: dict[str, Any]
    source_index: int  # 0-based column of the sheet/file (A = 0)

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "type": self.type, "options": self.options,
                "source_index": self.source_index}


@dataclass(slots=True)
class ParsedRow:
    number: int  # 1-based row of the file, as Excel shows it
    values: list[Any]  # converted, aligned with ParsedTable.columns; None = empty
    raw: list[Any]  # the cell values as read (text stripped), for re-conversion with parse_value


@dataclass
class ParsedTable:
    """The table column by column: a million-row sheet is ten lists, not a million row objects.

    `numbers[i]` is the file row of record i, `values[k][i]` its converted value in column k and
    `raw[k][i]` the cell as read. `rows` gives the same data row by row (built on first use)."""

    sheet: str | None  # None for CSV/TSV
    sheets: list[str]  # every sheet (or Access table) in the file
    header_row: int  # 1-based
    encoding: str | None  # for text files: utf-8, utf-8-sig, utf-16, cp932, …
    columns: list[ParsedColumn]
    numbers: list[int] = field(default_factory=list)
    values: list[list[Any]] = field(default_factory=list)  # per column, aligned with numbers
    raw: list[list[Any]] = field(default_factory=list)  # per column: cells as read, "" as None
    warnings: list[dict[str, Any]] = field(default_factory=list)  # {"row": int|None, "message"}
    text_reasons: list[TextReason] = field(default_factory=list)
    format: str = ""  # xlsx, xls, ods, csv, access
    delimiter: str | None = None
    header_rows: int = 1  # 2 for a two-row header (header_row is the upper one)
    # What every row of the sheet is (importing/outline.py); `outline` lists it row by row.
    row_outline: RowOutline = field(default_factory=RowOutline, repr=False)
    _rows: list[ParsedRow] | None = field(default=None, repr=False, compare=False)
    _outline: list[RowKind] | None = field(default=None, repr=False, compare=False)
    # every sheet of the file and what was found on it (daicho.importing.sheets)
    survey: list[SheetInfo] = field(default_factory=list)

    @property
    def row_count(self) -> int:
        return len(self.numbers)

    @property
    def outline(self) -> list[RowKind]:
        """Every filled row of the sheet with its kind and, when it is not data or header, the
        reason (built on first use; the user's first/last/exclude/include choices are not
        applied here: it is what the classifier found)."""
        if self._outline is None:
            self._outline = self.row_outline.row_kinds()
        return self._outline

    @property
    def rows(self) -> list[ParsedRow]:
        if self._rows is None:
            self._rows = _rows(self.numbers, self.values, self.raw)
        return self._rows

    def release_cells(self) -> None:
        """Let go of the cells — `values`, `raw` and the row view — once a reader has taken what it
        needs from them (an import, its converted columns): on a full sheet they are hundreds of
        MB. What describes the table (columns, numbers, sheets, warnings) stays."""
        self.values, self.raw, self._rows = [], [], None


def read_table(path: Path, *, filename: str | None = None, sheet: str | None = None,
               header_row: int | None = None, encoding: str | None = None,
               limits: Limits | None = None, progress: Progress | None = None,
               book: RawBook | None = None, first_row: int | None = None,
               last_row: int | None = None, exclude_rows: frozenset[int] = frozenset(),
               include_rows: frozenset[int] = frozenset()) -> ParsedTable:
    """Read a spreadsheet, delimited text or Access file and return its main table.

    Raises ImportFileError for any file it refuses. progress(done, total) is called with
    total = 100 as the work advances (reading is the first 40, detection 50, then columns).
    `book` is the file already read by read_book (daicho.importing.early).
    The rows read as records are the rows classified as data (importing/rows.py) between
    `first_row` and `last_row`, without `exclude_rows`, plus `include_rows` whatever their kind
    (all 1-based sheet rows, as Excel numbers them)."""
    limits = limits or Limits()
    report = progress or _no_progress
    selection = selection_of(first_row, last_row, exclude_rows, include_rows)
    with no_cycle_collection():
        report(0, 100)
        if book is None:
            book = read_book(Path(path), filename=filename, sheet=sheet, encoding=encoding,
                             limits=limits)
        report(40, 100)
        table = build_table(book, header_row=header_row, limits=limits, progress=report,
                            selection=selection)
        table.survey = book.survey
        return table


def _no_progress(done: int, total: int) -> None:
    return None


def build_table(book: RawBook, *, header_row: int | None, limits: Limits,
                progress: Progress, selection: RowSelection | None = None) -> ParsedTable:
    raw = book.sheets[0]
    found = detect(raw.rows, raw.merged, header_row=header_row, fixed_header=raw.fixed_header,
                   selection=selection)
    progress(50, 100)
    # A header with no data rows is still a table: the ledger gets its fields and no records.
    numbers = [i + 1 for i in found.data_indices]
    raw_columns: list[tuple[Any, ...]]
    if numbers:
        data = [raw.rows[i] for i in found.data_indices]
        by_col = list(zip(*data, strict=True))
        raw_columns = [by_col[c] for c in found.sources]
        del data, by_col
    else:
        raw_columns = [() for _ in found.sources]
    # The grid's row lists are not needed any more (the cell values live on in the columns):
    # on a full sheet they are a million lists.
    raw.rows = []
    columns: list[ParsedColumn] = []
    converted: list[list[Any]] = []
    raws: list[list[Any]] = []
    warnings = list(book.warnings) + found.warnings
    reasons: list[TextReason] = []
    count = len(found.names)
    for k, (name, source) in enumerate(zip(found.names, found.sources, strict=True)):
        result = infer_column(name, source, raw_columns[k], numbers, limits)
        raw_columns[k] = ()  # the stripped copy in result.raw replaces it
        columns.append(ParsedColumn(name, result.type, result.options, source))
        converted.append(result.values)
        raws.append(result.raw)
        warnings.extend(result.warnings)
        if result.reason is not None:
            reasons.append(result.reason)
        progress(50 + (k + 1) * 50 // max(count, 1), 100)
    if numbers and not converted:
        raise ImportFileError(Code.NO_TABLE, _("No columns of a table were found."))
    warnings.sort(key=lambda w: (w["row"] is not None, w["row"] or 0))
    progress(100, 100)
    return ParsedTable(
        sheet=raw.name or None, sheets=book.sheet_names, header_row=found.header_index + 1,
        encoding=book.encoding, columns=columns, numbers=numbers, values=converted, raw=raws,
        warnings=warnings, text_reasons=reasons, format=book.kind, delimiter=book.delimiter,
        header_rows=found.header_rows, row_outline=found.outline)


def _rows(numbers: list[int], converted: list[list[Any]],
          raw_columns: list[list[Any]]) -> list[ParsedRow]:
    if not numbers or not converted:
        return []
    # Detection already left out rows without a filled cell, so every row here is a record.
    value_rows = zip(*converted, strict=True)
    raw_rows = zip(*raw_columns, strict=True)
    return list(map(ParsedRow, numbers, map(list, value_rows), map(list, raw_rows)))
