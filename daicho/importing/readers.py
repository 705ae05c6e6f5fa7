"""Turn a file into raw grids of cell values, one per sheet, refusing what we should not read.

The format is decided by the file's first bytes, not by its name: offices rename files, and
"Excel" downloads from business systems are often HTML or tab-separated text named .xls.
Cell values are what calamine/csv/mdbtools give: str ("" for an empty cell), float, int, bool,
date, datetime, time, timedelta, Decimal or None. Row i of a grid is row i+1 of the sheet.
"""

from __future__ import annotations

import contextlib
import tempfile
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import python_calamine as calamine

from daicho.error_codes import Code
from daicho.i18n import gettext as _
from daicho.i18n import gettext_lazy, join_list
from daicho.importing import access, parts, textfile
from daicho.importing.errors import ImportFileError, Limits
from daicho.importing.sheets import PROBE_ROWS, Probe, SheetInfo, choose, probe
from daicho.importing.zipcheck import ZipScan, scan_zip

SPREADSHEET_EXTENSIONS = frozenset({".xlsx", ".xlsm", ".xls", ".ods"})
TEXT_EXTENSIONS = frozenset({".csv", ".tsv", ".txt"})
ACCESS_EXTENSIONS = frozenset({".mdb", ".accdb"})
SUPPORTED = SPREADSHEET_EXTENSIONS | TEXT_EXTENSIONS | ACCESS_EXTENSIONS

_ZIP = (b"PK\x03\x04", b"PK\x05\x06")
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED = "EncryptedPackage".encode("utf-16-le")
_XML_2003 = b"urn:schemas-microsoft-com:office:spreadsheet"
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF", gettext_lazy("a PDF file")),
    (b"\x89PNG", gettext_lazy("a PNG image")),
    (b"\xff\xd8\xff", gettext_lazy("a JPEG image")),
    (b"GIF8", gettext_lazy("a GIF image")),
    (b"Rar!", gettext_lazy("a RAR archive")),
    (b"7z\xbc\xaf", gettext_lazy("a 7-Zip archive")),
    (b"\x1f\x8b", gettext_lazy("a gzip archive")),
)

Merge = tuple[int, int, int, int]  # first row, first col, last row, last col (0-based, inclusive)


@dataclass
class RawSheet:
    name: str
    rows: list[list[Any]]
    merged: list[Merge] = field(default_factory=list)
    fixed_header: bool = False  # Access tables: row 0 is the header, every other row is data


@dataclass
class RawBook:
    kind: str  # xlsx, xls, ods, csv, access
    sheet_names: list[str]
    sheets: list[RawSheet]  # the sheet actually read (the requested one or daicho.importing.sheets)
    encoding: str | None = None
    delimiter: str | None = None
    warnings: list[dict[str, Any]] = field(default_factory=list)
    survey: list[SheetInfo] = field(default_factory=list)  # every sheet, what was found on it


def read_book(path: Path, *, filename: str | None = None, sheet: str | None = None,
              encoding: str | None = None, limits: Limits | None = None,
              scan: ZipScan | None = None) -> RawBook:
    """The file's sheets as rows of cell values. `scan` is the file's zip scan when the caller
    made it already; a zip workbook is scanned here otherwise."""
    limits = limits or Limits()
    ext, head = _opening(path, filename, limits)
    if ext in ACCESS_EXTENSIONS:
        return _read_access(path, sheet, limits)
    if head.startswith(_ZIP):
        scan = scan or scan_zip(path, limits)
        book = _read_calamine(path, scan.kind, sheet, limits, scan)
        if ext in TEXT_EXTENSIONS:
            book.warnings.append(_workbook_named(ext))
        return book
    if head.startswith(_OLE):
        data = path.read_bytes()
        if _ENCRYPTED in data:
            raise _password()
        book = _read_calamine(path, "xls", sheet, limits, None)
        if ext in TEXT_EXTENSIONS:
            book.warnings.append(_workbook_named(ext))
        return book
    for magic, label in _SIGNATURES:
        if head.startswith(magic):
            raise ImportFileError(Code.WRONG_FILE_TYPE,
                                  _("This is %(kind)s. Choose an Excel, CSV or Access file.")
                                  % {"kind": label})
    if ext in (".xlsx", ".xlsm", ".ods"):
        raise ImportFileError(
            Code.WRONG_FILE_TYPE if _is_text(path) else Code.CORRUPT_FILE,
            _("The file cannot be read as %(ext)s: it is damaged or a file of another kind.")
            % {"ext": ext})
    return _read_text(path, ext, encoding, limits)


def _opening(path: Path, filename: str | None, limits: Limits) -> tuple[str, bytes]:
    """The file's extension and first bytes, after the checks every file passes first."""
    ext = Path(filename or path.name).suffix.lower()
    if ext and ext not in SUPPORTED:
        raise ImportFileError(
            Code.UNSUPPORTED_FORMAT,
            _("Files of type 「%(ext)s」 are not supported. "
              "Choose Excel (.xlsx/.xls), CSV/TSV or Access (.mdb/.accdb).") % {"ext": ext})
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ImportFileError(Code.CORRUPT_FILE, _("The file cannot be opened.")) from exc
    if size == 0:
        raise ImportFileError(Code.EMPTY_FILE, _("The file is empty."))
    if size > limits.max_file_bytes:
        raise ImportFileError(
            Code.TOO_LARGE,
            _("The file is too large (%(size)s MB, at most %(max)s MB).")
            % {"size": f"{size / 1048576:,.1f}", "max": f"{limits.max_file_bytes / 1048576:,.0f}"})
    with path.open("rb") as fh:
        return ext, fh.read(8)


def _note(message: str) -> dict[str, Any]:
    return {"row": None, "message": message}


def _workbook_named(ext: str) -> dict[str, Any]:
    return _note(_("The file name ends in %(ext)s but the file is an Excel workbook.")
                 % {"ext": ext})


def _password() -> ImportFileError:
    return ImportFileError(Code.PASSWORD_PROTECTED,
                           _("Files protected by a password cannot be read. Remove the password "
                             "in Excel and save the file again."))


def _is_text(path: Path) -> bool:
    with path.open("rb") as fh:
        return b"\x00" not in fh.read(4096)


def _read_text(path: Path, ext: str, encoding: str | None, limits: Limits) -> RawBook:
    data = path.read_bytes()
    sniff = data[:2048].lstrip().lower()
    if ext == ".xls" or not ext:
        if sniff.startswith((b"<!doctype html", b"<html")) or b"<table" in sniff:
            raise ImportFileError(
                Code.UNSUPPORTED_FORMAT,
                _("The file is HTML, not a real Excel file. "
                  "Open it in Excel and save it as .xlsx."))
        if sniff.startswith(b"<?xml") and _XML_2003 in data[:8192]:
            raise ImportFileError(
                Code.UNSUPPORTED_FORMAT,
                _("The file is in the XML Spreadsheet 2003 format. "
                  "Open it in Excel and save it as .xlsx."))
    table = textfile.read_delimited(data, encoding=encoding, extension=ext, limits=limits)
    # A text file has no sheets: no names, and the one grid is nameless.
    book = RawBook("csv", [], [RawSheet("", table.rows)], encoding=table.encoding,
                   delimiter=table.delimiter)
    if ext == ".xls":
        book.warnings.append(_note(_("The file name ends in .xls but the file is delimited text.")))
    return book


def _read_calamine(path: Path, kind: str, sheet: str | None, limits: Limits,
                   scan: ZipScan | None) -> RawBook:
    try:
        if kind == "xls":
            # Content sniffing (from_filelike) hides an xls password behind "cannot detect
            # format"; opened by an .xls name, calamine reports it as a PasswordError.
            with _named_as(path, ".xls") as named:
                workbook = calamine.CalamineWorkbook.from_path(named)
                return _load_sheets(workbook, kind, sheet, limits, scan)
        with path.open("rb") as fh:
            workbook = calamine.CalamineWorkbook.from_filelike(fh)
            return _load_sheets(workbook, kind, sheet, limits, scan)
    except calamine.PasswordError:
        raise _password() from None
    except ImportFileError:
        raise
    except (calamine.CalamineError, ValueError, OSError) as exc:
        raise ImportFileError(Code.CORRUPT_FILE, _("The file is damaged or incomplete."),
                              details={"detail": str(exc)[:500]}) from exc


@contextlib.contextmanager
def _named_as(path: Path, suffix: str) -> Iterator[Path]:
    if path.suffix.lower() == suffix:
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="daicho-import-") as folder:
        link = Path(folder) / f"book{suffix}"
        link.symlink_to(path.resolve())
        yield link


def _load_sheets(workbook: calamine.CalamineWorkbook, kind: str, sheet: str | None,
                 limits: Limits, scan: ZipScan | None) -> RawBook:
    metas = [m for m in workbook.sheets_metadata
             if m.typ in (calamine.SheetTypeEnum.WorkSheet, calamine.SheetTypeEnum.DialogSheet)]
    names = [m.name for m in metas]
    visible = [m.name for m in metas if m.visible == calamine.SheetVisibleEnum.Visible]
    survey = [SheetInfo(n, hidden=n not in visible) for n in names]
    if sheet is not None:
        chosen = _match_sheet(sheet, names)
    elif not names:
        raise ImportFileError(Code.NO_TABLE, _("The workbook has no sheet that can be read."))
    else:
        chosen = names[0]
    kept: tuple[str, calamine.CalamineSheet] | None = None
    if len(names) > 1:
        # Every sheet is looked at for the report; without --sheet, the first one holding a
        # table is read (daicho.importing.sheets). The parse of the sheet likely to be read is
        # kept for reading it whole; one other sheet's parse at a time is in memory besides.
        candidates = visible or names
        probes: dict[str, Probe] = {}
        for info in survey:
            found, raw = _probe(workbook, info, scan)
            likely = info.name == chosen if sheet is not None else (
                found.table and info.name in candidates
                and not any(probes[n].table for n in candidates if n in probes))
            probes[info.name] = found
            if likely and raw is not None and _parts_member(scan, info.name) is None:
                kept = (info.name, raw)
            del raw
        if sheet is None:
            chosen = choose(survey, probes, candidates)
    rows, merged = _read_sheet(workbook, chosen, limits, scan,
                               kept[1] if kept is not None and kept[0] == chosen else None)
    del kept
    for info in survey:
        info.read = info.name == chosen
        if info.read:
            info.rows = len(rows)
    if scan is not None:
        scan.xml.clear()  # the workbook's XML, kept for _read_in_parts
    return RawBook(kind, names, [RawSheet(chosen, rows, merged)], survey=survey)


def _probe(workbook: calamine.CalamineWorkbook, info: SheetInfo, scan: ZipScan | None
           ) -> tuple[Probe, calamine.CalamineSheet | None]:
    """Fill in `info` from the sheet's first rows; the sheet as parsed, if it was."""
    if _scanned_empty(scan, info.name):
        return Probe(False, False, None, 0), None
    top = _top_in_parts(scan, info)
    if top is not None:  # a sheet read in parts is not parsed whole for a look at its top
        head, merged = top
        raw = None
    else:
        raw = workbook.get_sheet_by_name(info.name)
        end = raw.end
        if end is None:
            return Probe(False, False, None, 0), raw
        info.rows = end[0] + 1
        start = raw.start
        pad = [""] * (start[1] if start else 0)
        head = []
        for row in raw.iter_rows():
            head.append(pad + row if pad else row)
            if len(head) >= PROBE_ROWS:
                break
        merged = [(a[0], a[1], b[0], b[1]) for a, b in (raw.merged_cell_ranges or [])]
    found = probe(head, merged)
    info.table, info.header_row, info.columns = found.table, found.header_row, found.columns
    return found, raw


def _top_in_parts(scan: ZipScan | None, info: SheetInfo
                  ) -> tuple[list[list[Any]], list[Merge]] | None:
    """The first rows of a sheet that is read in parts, from the XML the scan kept."""
    member = _parts_member(scan, info.name)
    if scan is None or member is None or parts.part_count(scan.xml, member) < 2:
        return None
    top = parts.head(scan.xml, list(scan.sheet_members.values()), member, info.name, PROBE_ROWS)
    if top is not None:
        info.rows = parts.last_row(scan.xml, member) or len(top[0])
    return top


def _read_sheet(workbook: calamine.CalamineWorkbook, name: str, limits: Limits,
                scan: ZipScan | None, raw: calamine.CalamineSheet | None
                ) -> tuple[list[list[Any]], list[Merge]]:
    """The whole grid of one sheet (on several cores when daicho.importing.parts can)."""
    in_parts = _read_in_parts(scan, name)
    if in_parts is not None:
        rows, merged = in_parts
        _check_size(name, (len(rows) - 1, len(rows[0]) - 1) if rows else None, limits)
        return rows, merged
    if raw is None:
        raw = workbook.get_sheet_by_name(name)
    end = raw.end
    _check_size(name, end, limits)
    if end is None:
        rows = []
    elif (end[0] + 1) * (end[1] + 1) > _SHARED_TEXT_CELLS:
        rows = _rows_sharing_texts(raw, end)
    else:
        rows = raw.to_python(skip_empty_area=False)
    return rows, [(a[0], a[1], b[0], b[1]) for a, b in (raw.merged_cell_ranges or [])]


def _check_size(name: str, end: tuple[int, int] | None, limits: Limits) -> None:
    """Refuse a sheet past the limits."""
    if end is None:
        return
    if end[1] + 1 > limits.max_columns or end[0] + 1 > limits.max_rows or (
            (end[0] + 1) * (end[1] + 1) > limits.max_cells):
        raise ImportFileError(
            Code.TOO_LARGE,
            _("The sheet 「%(name)s」 is too large (%(rows)s rows × %(cols)s columns).")
            % {"name": name, "rows": f"{end[0] + 1:,}", "cols": f"{end[1] + 1:,}"})


def _read_in_parts(scan: ZipScan | None, name: str) -> tuple[list[list[Any]], list[Merge]] | None:
    """The sheet read on several cores (daicho.importing.parts) when the scan kept its XML."""
    member = _parts_member(scan, name)
    if scan is None or member is None:
        return None
    return parts.read(scan.xml, list(scan.sheet_members.values()), member, name)


def _parts_member(scan: ZipScan | None, name: str) -> str | None:
    """The sheet's zip member when it can be read in parts, else None."""
    if scan is None or not scan.xml:
        return None
    member = scan.sheet_members.get(name)
    bounds = scan.bounds.get(member) if member is not None else None
    return member if bounds is not None and bounds.plain else None


# From this many cells on, a sheet is read row by row with equal texts shared (one str object
# for every 「土地」 or 「総務課」): calamine's own copy of the sheet and the Python rows are in
# memory together while it is read, and a full sheet (1,048,576 rows) must stay within 1.5 GB.
_SHARED_TEXT_CELLS = 2_000_000


def _rows_sharing_texts(sheet: calamine.CalamineSheet, end: tuple[int, int]) -> list[list[Any]]:
    """The grid as to_python(skip_empty_area=False) gives it, with equal texts shared."""
    texts: dict[str, str] = {}
    share = texts.setdefault
    rows: list[list[Any]] = [[share(v, v) if v.__class__ is str else v for v in row]
                             for row in sheet.iter_rows()]
    # iter_rows starts at row 0 but at the first used column; pad to the sheet's own grid.
    start = sheet.start
    left = start[1] if start else 0
    if left:
        pad = [""] * left
        rows = [pad + row for row in rows]
    missing = end[0] + 1 - len(rows)
    if missing > 0:
        rows[:0] = [[""] * (end[1] + 1) for _ in range(missing)]
    return rows


def _scanned_empty(scan: ZipScan | None, name: str) -> bool:
    """Whether the zip scan saw no value on the sheet (then it need not be parsed)."""
    if scan is None:
        return False
    key = name if scan.kind == "ods" else scan.sheet_members.get(name)
    bounds = scan.bounds.get(key) if key is not None else None
    return bounds is not None and not bounds.values


def _match_sheet(wanted: str, names: list[str]) -> str:
    if wanted in names:
        return wanted
    key = _sheet_key(wanted)
    for name in names:
        if _sheet_key(name) == key:
            return name
    raise ImportFileError(Code.SHEET_NOT_FOUND,
                          _("There is no sheet 「%(sheet)s」. The workbook has %(sheets)s.")
                          % {"sheet": wanted, "sheets": join_list(names)},
                          details={"sheets": names})


def _sheet_key(name: str) -> str:
    return "".join(unicodedata.normalize("NFKC", name).split()).casefold()


def _read_access(path: Path, table: str | None, limits: Limits) -> RawBook:
    with path.open("rb") as fh:
        head = fh.read(32)
    if b"Standard Jet DB" not in head and b"Standard ACE DB" not in head:
        raise ImportFileError(Code.WRONG_FILE_TYPE, _("This is not an Access database file."))
    result = access.read_table(path, table=table, limits=limits)
    rows: list[list[Any]] = [list(result.columns), *result.rows]
    sheet = RawSheet(result.name, rows, fixed_header=True)
    # An Access table is a table; its rows are its records (where mdb-count could count them).
    survey = [SheetInfo(name, rows=result.counts.get(name, 0), table=True,
                        read=name == result.name, header_row=1 if name == result.name else None,
                        columns=len(result.columns) if name == result.name else 0)
              for name in result.tables]
    return RawBook("access", result.tables, [sheet], survey=survey)
