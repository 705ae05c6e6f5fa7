"""Streaming xlsx export with XlsxWriter in constant_memory mode.

Every value goes through a per-column writer chosen once before the first row, so the per-cell
cost is one call and no type dispatch. Text is always written with write_string: a value that
starts with "=" stays a text cell (contract §3.2); such cells also get Excel's quote prefix so
they stay text when a person edits them.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import chain, islice
from typing import IO, Any

from xlsxwriter import Workbook

from daicho.dates.localtime import TOKYO
from daicho.exporting.columns import (
    FORMULA_TRIGGERS,
    NO_TEXT,
    YES_TEXT,
    ExportColumn,
    display_width,
)
from daicho.exporting.errors import (
    MAX_POSITIONS,
    CellTooLongError,
    TooLongPosition,
    TooManyRowsError,
)

# Excel's limits. Text length is counted in UTF-16 code units, so 𠮷 counts 2.
CELL_TEXT_LIMIT = 32_767
MAX_DATA_ROWS = 1_048_575  # 1,048,576 sheet rows less the header

DATE_FORMAT = "yyyy/m/d"
MONTH_FORMAT = "yyyy/m"
DATETIME_FORMAT = "yyyy/m/d h:mm"

# Enough rows to see typical widths without holding many rows back from the stream.
_WIDTH_SAMPLE_ROWS = 200
_MIN_WIDTH = 6
_MAX_WIDTH = 60
_HEADER_FILTER_BUTTON = 3  # the autofilter arrow covers the end of the header text

# Serial numbers of the 1900 date system: 1899-12-30 is day 0 from 1900-03-01 on (Excel keeps
# Lotus's non-existent 1900-02-29 as day 60); earlier dates in 1900 are one less.
_SERIAL_BASE = dt.date(1899, 12, 30).toordinal()
_LEAP_BUG_SERIAL = 61
_FIRST_EXCEL_DATE = dt.date(1900, 1, 1)

_SHEET_NAME_MAP = str.maketrans({"[": "［", "]": "］", ":": "：", "*": "＊", "?": "？",
                                 "/": "／", "\\": "＼"})
_SHEET_NAME_LIMIT = 31

CellWriter = Callable[[int, int, Any], None]
WidthOf = Callable[[Any], int]


class _TooLong(Exception):
    def __init__(self, length: int) -> None:
        self.length = length


def write_xlsx(
    path_or_file: str | os.PathLike[str] | IO[bytes],
    columns: Sequence[ExportColumn],
    rows: Iterable[Sequence[Any]],
    *,
    sheet_name: str = "台帳",
) -> int:
    """Write one sheet: a frozen, filtered header row and one row per record; return the count.

    Nothing is written to path_or_file unless the whole export succeeds: XlsxWriter assembles
    the file only at close(), and the row data waits in a private temporary directory.
    """
    with tempfile.TemporaryDirectory(prefix="daicho-xlsx-", ignore_cleanup_errors=True) as tmp:
        workbook = Workbook(path_or_file, {
            "constant_memory": True,
            "tmpdir": tmp,
            # Python's zipfile uses ZIP64 only for members that need it, so small files are
            # unchanged and a sheet over 4 GB does not fail at the very end.
            "use_zip64": True,
            # Defence in depth: we only call write_string, but nothing should ever turn data
            # into a formula or a hyperlink.
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        })
        sheet = workbook.add_worksheet(safe_sheet_name(sheet_name))
        try:
            count = _fill(workbook, sheet, columns, rows)
        except BaseException:
            # The temporary row file is still open; close it so the directory can go.
            close = getattr(sheet, "_opt_close", None)
            if close is not None:
                close()
            raise
        workbook.close()
    return count


def safe_sheet_name(name: str) -> str:
    """A sheet name Excel accepts, looking as close to the ledger name as possible."""
    name = name.translate(_SHEET_NAME_MAP).strip().strip("'")
    while len(name.encode("utf-16-le")) // 2 > _SHEET_NAME_LIMIT:
        name = name[:-1].rstrip().rstrip("'")
    if name.lower() == "history":  # reserved by Excel for change tracking
        name += "_"
    return name or "台帳"


def _fill(workbook: Any, sheet: Any, columns: Sequence[ExportColumn],
          rows: Iterable[Sequence[Any]]) -> int:
    width = len(columns)
    header = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1,
                                  "valign": "vcenter"})
    header_quoted = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1,
                                         "valign": "vcenter", "quote_prefix": True})
    for c, column in enumerate(columns):
        quoted = column.name[:1] in FORMULA_TRIGGERS
        sheet.write_string(0, c, column.name, header_quoted if quoted else header)

    plans = [_plan(workbook, sheet, column) for column in columns]
    writers = [p[0] for p in plans]
    it = iter(rows)
    sample = list(islice(it, _WIDTH_SAMPLE_ROWS))
    for c, (column, (_, width_of)) in enumerate(zip(columns, plans, strict=True)):
        sheet.set_column(c, c, _column_width(column, width_of, sample, c))

    last = _write_rows(sheet, columns, writers, chain(sample, it), width)

    if width:
        sheet.freeze_panes(1, 0)
        sheet.autofilter(0, 0, last, width - 1)
        sheet.repeat_rows(0)  # header on every printed page: ledgers get printed for meetings
    sheet.set_paper(9)  # A4
    return last


def _write_rows(sheet: Any, columns: Sequence[ExportColumn], writers: list[CellWriter],
                rows: Iterator[Sequence[Any]], width: int) -> int:
    cols = range(width)
    r = 0
    c = 0
    try:
        for r, row in enumerate(rows, start=1):  # r and c stay readable after the loop
            if len(row) != width:
                raise ValueError(f"row has {len(row)} values for {width} columns")
            if r > MAX_DATA_ROWS:
                raise TooManyRowsError(MAX_DATA_ROWS)
            for c, write, value in zip(cols, writers, row, strict=False):
                if value is not None:
                    write(r, c, value)
    except _TooLong as first:
        _report_too_long(columns, r, c, first.length, row, rows)
    return r


def _report_too_long(columns: Sequence[ExportColumn], r: int, c: int, length: int,
                     row: Sequence[Any], rows: Iterator[Sequence[Any]]) -> None:
    """Look at every remaining value, without writing, so the error lists every place."""
    positions = [TooLongPosition(row=r + 1, column=columns[c].name, length=length)]
    total = 1
    text_columns = [(i, col.name, col.cell.text) for i, col in enumerate(columns)
                    if col.kind not in _PLANS or col.kind == "link"]

    def scan(sheet_row: int, values: Sequence[Any], start: int) -> None:
        nonlocal total
        for i, name, form in text_columns:
            value = values[i]
            if i < start or value is None:
                continue
            n = _utf16_len(form(value))
            if n > CELL_TEXT_LIMIT:
                total += 1
                if len(positions) < MAX_POSITIONS:
                    positions.append(TooLongPosition(row=sheet_row + 1, column=name, length=n))

    scan(r, row, c + 1)
    for r2, later in enumerate(rows, start=r + 1):
        scan(r2, later, 0)
    raise CellTooLongError(positions, limit=CELL_TEXT_LIMIT, total=total)


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _column_width(column: ExportColumn, width_of: WidthOf, sample: list[Sequence[Any]],
                  c: int) -> int:
    widest = display_width(column.name) + _HEADER_FILTER_BUTTON
    for row in sample:
        value = row[c] if c < len(row) else None
        if value is not None:
            widest = max(widest, width_of(value))
    return max(_MIN_WIDTH, min(_MAX_WIDTH, widest + 1))


# --- per-kind plans: (cell writer, width estimate), built once per column ---------------------


def _plan(workbook: Any, sheet: Any, column: ExportColumn) -> tuple[CellWriter, WidthOf]:
    return _PLANS.get(column.kind, _text_plan)(workbook, sheet, column)


def _text_plan(workbook: Any, sheet: Any, column: ExportColumn) -> tuple[CellWriter, WidthOf]:
    cell = column.cell
    props: dict[str, Any] = {"text_wrap": True} if cell.wrap else {}
    plain = workbook.add_format(props) if props else None
    quoted = workbook.add_format({**props, "quote_prefix": True})
    write_string = sheet.write_string
    triggers = FORMULA_TRIGGERS
    half_limit = CELL_TEXT_LIMIT // 2
    form = cell.text

    if cell.values_are_str:
        def write(r: int, c: int, value: Any) -> None:
            text = value if value.__class__ is str else str(value)
            if not text:
                return
            # Fewer than half the limit in code points cannot exceed it in UTF-16 units.
            if len(text) > half_limit and _utf16_len(text) > CELL_TEXT_LIMIT:
                raise _TooLong(_utf16_len(text))
            write_string(r, c, text, quoted if text[0] in triggers else plain)
    else:
        def write(r: int, c: int, value: Any) -> None:
            text = form(value)
            if not text:
                return
            if len(text) > half_limit and _utf16_len(text) > CELL_TEXT_LIMIT:
                raise _TooLong(_utf16_len(text))
            write_string(r, c, text, quoted if text[0] in triggers else plain)

    def width_of(value: Any) -> int:
        lines = form(value)[:400].split("\n")
        return max(display_width(line) for line in lines)

    return write, width_of


def _yesno_plan(workbook: Any, sheet: Any, column: ExportColumn) -> tuple[CellWriter, WidthOf]:
    write_string = sheet.write_string

    def write(r: int, c: int, value: Any) -> None:
        write_string(r, c, YES_TEXT if value else NO_TEXT)

    return write, lambda value: display_width(NO_TEXT)


def _link_plan(workbook: Any, sheet: Any, column: ExportColumn) -> tuple[CellWriter, WidthOf]:
    write_text, _ = _text_plan(workbook, sheet, column)
    write_number = sheet.write_number

    def write(r: int, c: int, value: Any) -> None:
        # A record id is a number people sort and filter by; other link keys stay text.
        if value.__class__ is int:
            write_number(r, c, value)
        else:
            write_text(r, c, value)

    return write, lambda value: display_width(str(value))


def number_formats(options: dict[str, Any] | Any) -> tuple[str | None, str | None]:
    """Excel number formats for (integral values, fractional values) from the field options.

    With a fixed number of decimals both are the same. Without one, General shows a value as
    it is; the thousands separator has no General form, so whole numbers get "#,##0" and the
    others "#,##0.0#########" instead of being rounded for display.
    """
    decimals = options.get("decimals")
    separator = bool(options.get("separator"))
    unit = str(options.get("unit") or "").replace('"', "")
    suffix = f'"{unit}"' if unit else ""
    if isinstance(decimals, int) and not isinstance(decimals, bool) and decimals >= 0:
        fixed = ("#,##0" if separator else "0") + ("." + "0" * decimals if decimals else "")
        return fixed + suffix, fixed + suffix
    if separator:
        return "#,##0" + suffix, "#,##0.0#########" + suffix
    if suffix:
        return "General" + suffix, "General" + suffix
    return None, None


def _number_plan(workbook: Any, sheet: Any, column: ExportColumn) -> tuple[CellWriter, WidthOf]:
    whole_format, fraction_format = number_formats(column.options)
    whole = workbook.add_format({"num_format": whole_format}) if whole_format else None
    write_number = sheet.write_number
    if whole_format == fraction_format:
        def write(r: int, c: int, value: Any) -> None:
            write_number(r, c, value, whole)
    else:
        fraction = workbook.add_format({"num_format": fraction_format})

        def write(r: int, c: int, value: Any) -> None:
            write_number(r, c, value, whole if value % 1 == 0 else fraction)

    decimals = column.options.get("decimals")
    spec = ("," if column.options.get("separator") else "") + (
        f".{decimals}f" if isinstance(decimals, int) and decimals >= 0 else "")
    unit_width = display_width(str(column.options.get("unit") or ""))

    def width_of(value: Any) -> int:
        try:
            return len(format(value, spec)) + unit_width
        except (TypeError, ValueError):
            return len(str(value)) + unit_width

    return write, width_of


def _date_plan(workbook: Any, sheet: Any, column: ExportColumn) -> tuple[CellWriter, WidthOf]:
    month = column.month_precision
    fmt = workbook.add_format({"num_format": MONTH_FORMAT if month else DATE_FORMAT})
    write_number = sheet.write_number
    write_string = sheet.write_string

    def write(r: int, c: int, value: Any) -> None:
        # The serial number is what write_datetime stores, computed without its generic
        # conversion; the cell is a real date for Excel and for any reader.
        serial = value.toordinal() - _SERIAL_BASE
        if serial >= _LEAP_BUG_SERIAL:
            write_number(r, c, serial, fmt)
        elif value >= _FIRST_EXCEL_DATE:
            write_number(r, c, serial - 1, fmt)
        else:
            # Excel has no dates before 1900 (old land and family registers do); a text cell
            # in the same shape is better than a wrong number or ####.
            text = f"{value.year}/{value.month}" if month else (
                f"{value.year}/{value.month}/{value.day}")
            write_string(r, c, text)

    return write, lambda value: 7 if month else 10


def _datetime_plan(workbook: Any, sheet: Any, column: ExportColumn
                   ) -> tuple[CellWriter, WidthOf]:
    fmt = workbook.add_format({"num_format": DATETIME_FORMAT})
    write_number = sheet.write_number
    write_string = sheet.write_string
    tokyo = TOKYO

    def write(r: int, c: int, value: Any) -> None:
        if value.tzinfo is not None:
            value = value.astimezone(tokyo)
        days = value.toordinal() - _SERIAL_BASE
        if days < _LEAP_BUG_SERIAL:
            if value.year < _FIRST_EXCEL_DATE.year:
                write_string(r, c, f"{value.year}/{value.month}/{value.day} "
                                   f"{value.hour}:{value.minute:02d}")
                return
            days -= 1
        seconds = value.hour * 3600 + value.minute * 60 + value.second
        # Same arithmetic as XlsxWriter's own conversion, so the stored number is identical.
        write_number(r, c, days + (float(seconds) + float(value.microsecond) / 1e6) / 86400, fmt)

    return write, lambda value: 16


Plan = Callable[[Any, Any, ExportColumn], tuple[CellWriter, WidthOf]]

# Kind → plan; every other kind is a string cell (_text_plan).
_PLANS: dict[str, Plan] = {
    "number": _number_plan,
    "date": _date_plan,
    "datetime": _datetime_plan,
    "yesno": _yesno_plan,
    "link": _link_plan,
}
