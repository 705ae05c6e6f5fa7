"""Look inside an xlsx/ods zip before calamine does, so hostile files are refused cheaply.

calamine holds each sheet as a dense rectangle and trusts the zip, so three attacks would cost
memory or time far beyond the file's size:

- zip bombs: members that inflate to gigabytes. We inflate every XML member ourselves, counting
  the real output (declared sizes can lie) and the compression ratio, and stop at the limit.
- sparse sheets: one cell at A1 and one at XFD1048576 make a 17-billion-cell rectangle. We find
  each sheet's far corner from the cell references while inflating.
- XML entity bombs ("billion laughs"): spreadsheets never need a DTD, so a DOCTYPE or ENTITY
  declaration is refused outright (calamine would also refuse the undefined entity).

The fast path for the corner is a regex that only matches references beyond column Z or row
99,999; only when those bounds could exceed the limits (or cells lack references) do we walk every
tag, which costs a few times more but is exact.
"""

from __future__ import annotations

import io
import posixpath
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

from daicho.error_codes import Code
from daicho.i18n import gettext as _
from daicho.importing import parts
from daicho.importing.errors import ImportFileError, Limits

_CHUNK = 1 << 20
_RATIO_MIN_BYTES = 1 << 20  # small members (styles, rels) may compress extremely well
_DTD = (b"<!DOCTYPE", b"<!ENTITY", b"<!doctype", b"<!entity")

# calamine reads column letters in either case, so "far" is two letters or more, or a row
# number of six digits or more (>= 100,000), in a reference written exactly as <c r="...".
_FAR_REF = re.compile(rb'<c r="([A-Za-z]{2,})([0-9]+)"|<c r="([A-Za-z])([0-9]{6,})"')
# The cells worth a second look: all but the plain near ones, <c r="A1"> to <c r="Z99999">,
# which are nearly every cell of a sheet and which this one pass in C skips. A far one is
# read with _FAR_REF; any other (calamine accepts them all: <c>, <c/>, <c s="1" r="A1">,
# <c r = "A1">, <c r='A1'>, <c\nr="A1">) calls for the exact walk, as do namespace prefixes
# (<x:c>) anywhere.
_UNPLAIN_CELL = re.compile(rb'<c(?:[\t\r\n>/]| (?!r="[A-Za-z][0-9]{1,5}"))')
_PREFIXED_CELL = re.compile(rb":c[\s>/]")  # <x:c ...>; x14:cfRule and the like do not match
_ATTRS = rb"""((?:[^>"']|"[^"]*"|'[^']*')*?)"""  # attribute values may hold ">"
_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(row|c)(?=[\s>/])" + _ATTRS + rb"/?>")
_R_ATTR = re.compile(rb"""(?:^|\s)r\s*=\s*["']([A-Za-z]*)([0-9]+)["']""")
_ODS_TAG = re.compile(
    rb"<(/?)(?:[\w.-]+:)?(table-row|table-cell|covered-table-cell|table)(?=[\s>/])"
    + _ATTRS + rb"(/?)>")
_ODS_REPEAT = re.compile(rb"""number-(?:rows|columns)-repeated\s*=\s*["']([0-9]+)""")
_ODS_NAME = re.compile(rb"""(?:^|\s)(?:[\w.-]+:)?name\s*=\s*["']([^"']*)""")


@dataclass
class SheetBounds:
    rows: int = 0  # 1-based index of the last row that can hold a value
    cols: int = 0
    values: int = 0  # roughly how many filled cells (for picking the main sheet)
    plain: bool = False  # xlsx: every cell is written <c r="...">, with its own reference


@dataclass
class ZipScan:
    kind: str  # "xlsx" or "ods"
    bounds: dict[str, SheetBounds] = field(default_factory=dict)  # by member (xlsx) or name (ods)
    sheet_members: dict[str, str] = field(default_factory=dict)  # xlsx sheet name -> member
    # Every XML part as inflated and checked, kept when small enough for reading a big sheet
    # in parts (daicho.importing.parts); empty otherwise.
    xml: dict[str, bytes] = field(default_factory=dict)


def col_index(letters: bytes) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + (ch - 64)
    return n


def scan_zip(path: Path, limits: Limits) -> ZipScan:
    try:
        with zipfile.ZipFile(path) as zf:
            return _scan(zf, path, limits)
    except (zipfile.BadZipFile, zlib.error, EOFError, struct.error) as exc:
        raise ImportFileError(Code.CORRUPT_FILE, _("The file is damaged or incomplete.")) from exc


def _scan(zf: zipfile.ZipFile, path: Path, limits: Limits) -> ZipScan:
    infos = zf.infolist()
    names = {i.filename for i in infos}
    if "xl/workbook.xml" in names:
        scan = ZipScan("xlsx")
    elif "content.xml" in names:
        scan = ZipScan("ods")
    elif "xl/workbook.bin" in names:
        raise ImportFileError(Code.UNSUPPORTED_FORMAT,
                              _("Workbooks in the binary format (.xlsb) are not supported. "
                                "Save the workbook as .xlsx in Excel."))
    else:
        raise ImportFileError(Code.WRONG_FILE_TYPE,
                              _("This is a ZIP file, but not an Excel or OpenDocument workbook."))
    if len(infos) > 100_000:
        raise ImportFileError(Code.ZIP_BOMB, _("The ZIP file holds too many files."))
    declared = sum(i.file_size for i in infos)
    if declared > limits.max_uncompressed_bytes:
        raise _too_big(declared, limits)
    parsed: set[str] = set()  # members calamine parses whatever their names end with
    if scan.kind == "xlsx":
        scan.sheet_members, parsed = _xlsx_parts(zf)
    sheets = set(scan.sheet_members.values())
    # Filled cells are only counted to pick the main sheet, so not when there is one sheet.
    counting = len(scan.sheet_members) != 1
    inflated = [i for i in infos if i.filename.endswith((".xml", ".rels")) or i.filename in parsed]
    keep = scan.kind == "xlsx" and parts.worth_keeping(sum(i.file_size for i in inflated))
    total = 0
    with path.open("rb") as raw:
        for info in infos:
            if info.flag_bits & 0x1:
                raise ImportFileError(Code.PASSWORD_PROTECTED,
                                      _("Files protected by a password cannot be read. "
                                        "Remove the password and save the file again."))
            if info.file_size > _RATIO_MIN_BYTES and (
                    info.file_size > limits.max_compression_ratio * max(info.compress_size, 1)):
                raise _bomb(info.filename)
            if not info.filename.endswith((".xml", ".rels")) and info.filename not in parsed:
                continue  # images and the like: calamine never inflates them
            consumer = _consumer_for(scan, info.filename, counting, sheets)
            feed = consumer.feed if consumer is not None else None
            size = 0
            kept: list[bytes] | None = [] if keep else None
            for chunk in _inflate(raw, info, limits, whole=keep):
                if size == 0 and any(d in chunk[:_CHUNK] for d in _DTD):
                    raise _unsafe()
                size += len(chunk)
                total += len(chunk)
                if total > limits.max_uncompressed_bytes:
                    raise _too_big(total, limits)
                if kept is not None:
                    kept.append(chunk)  # and scanned whole, below
                elif feed is not None:
                    feed(chunk)
            if size != info.file_size:
                raise ImportFileError(Code.CORRUPT_FILE,
                                      _("The file is damaged (the sizes inside the ZIP do "
                                        "not match)."))
            if kept is not None:
                scan.xml[info.filename] = whole = b"".join(kept)
                del kept
                if feed is not None:
                    feed(whole)
            if feed is not None:
                feed(b"")
            if isinstance(consumer, _XlsxSheetScanner):
                if consumer.trusted(limits):
                    consumer.bounds.plain = True
                else:
                    _exact_pass(raw, info, consumer.bounds, limits)
    _check_bounds(scan, limits)
    return scan


def _unsafe() -> ImportFileError:
    return ImportFileError(Code.UNSAFE_FILE, _("The file contains XML DTD/ENTITY declarations. "
                                            "For safety it is not read."))


def _too_big(size: int, limits: Limits) -> ImportFileError:
    return ImportFileError(
        Code.TOO_LARGE,
        _("The unpacked data is too large (%(size)s MB, at most %(max)s MB).")
        % {"size": f"{size // 1048576:,}", "max": f"{limits.max_uncompressed_bytes // 1048576:,}"})


def _bomb(name: str) -> ImportFileError:
    return ImportFileError(Code.ZIP_BOMB,
                           _("A part of the file (%(name)s) is compressed unusually strongly. "
                             "For safety it is not read.") % {"name": name})


def _inflate(raw: io.BufferedReader, info: zipfile.ZipInfo, limits: Limits, *,
             whole: bool = False) -> Iterator[bytes]:
    """Yield a member's real content, whatever its header claims, never more than the limits.

    `whole`: in one piece (one read, one call into zlib) when the caller keeps all of it
    anyway. The scan runs on a thread beside Django's start (daicho.importing.early), and zlib
    lets go of the GIL only while it inflates: a megabyte at a time, the scan would wait for
    the GIL again after every megabyte. The bounds are the same either way: no more than the
    declared size (plus a chunk) and the limit, checked on what zlib really gave."""
    piece = max(info.compress_size, 1) if whole else _CHUNK
    raw.seek(info.header_offset)
    header = raw.read(30)
    if len(header) < 30 or header[:4] != b"PK\x03\x04":
        raise zipfile.BadZipFile("bad local header")
    name_len, extra_len = struct.unpack("<HH", header[26:30])
    raw.seek(info.header_offset + 30 + name_len + extra_len)
    left = info.compress_size
    if info.compress_type == zipfile.ZIP_STORED:
        while left > 0:
            chunk = raw.read(min(piece, left))
            if not chunk:
                raise zipfile.BadZipFile("truncated")
            left -= len(chunk)
            yield chunk
        return
    if info.compress_type != zipfile.ZIP_DEFLATED:
        raise ImportFileError(Code.CORRUPT_FILE,
                              _("The ZIP uses a compression method that is not supported."))
    inflater = zlib.decompressobj(-15)
    produced = 0
    cap = max(info.file_size, 1) + _CHUNK  # a lie about the size shows up as more output
    most = min(cap, limits.max_uncompressed_bytes) + 1 if whole else _CHUNK
    while not inflater.eof:
        if inflater.unconsumed_tail:
            data = inflater.unconsumed_tail
        elif left > 0:
            data = raw.read(min(piece, left))
            if not data:
                raise zipfile.BadZipFile("truncated")
            left -= len(data)
        else:
            data = b""  # input used up: let zlib hand over what it still holds
        out = inflater.decompress(data, most)
        produced += len(out)
        if produced > cap or produced > limits.max_uncompressed_bytes:
            raise _bomb(info.filename)
        if out:
            yield out
        elif not data:
            break  # no input and no output: the stream ends early
    if not inflater.eof:
        raise zipfile.BadZipFile("truncated deflate stream")


def _consumer_for(scan: ZipScan, name: str, counting: bool,
                  sheets: set[str]) -> _XlsxSheetScanner | _OdsScanner | None:
    if scan.kind == "xlsx" and (name in sheets or (name.startswith("xl/worksheets/")
                                                   and name.count("/") == 2)):
        return _XlsxSheetScanner(scan.bounds.setdefault(name, SheetBounds()), counting)
    if scan.kind == "ods" and name == "content.xml":
        return _OdsScanner(scan.bounds)
    return None


def _exact_pass(raw: io.BufferedReader, info: zipfile.ZipInfo, bounds: SheetBounds,
                limits: Limits) -> None:
    """Walk every tag of one worksheet; stop as soon as it is known to be too large."""
    walker = _ExactWalker()
    probe = SheetBounds()
    for chunk in _inflate(raw, info, limits):
        walker.feed(chunk)
        probe.rows, probe.cols = walker.max_row, walker.max_col
        _check_one(probe, limits)
    walker.feed(b"")
    bounds.rows, bounds.cols = walker.max_row, walker.max_col


class _XlsxSheetScanner:
    """The cheap bound of a worksheet's far corner, and whether it can be trusted."""

    def __init__(self, bounds: SheetBounds, counting: bool = True) -> None:
        self.bounds = bounds
        self.counting = counting
        self.tail = b""
        self.far_rows = 0
        self.far_cols = 0
        self.odd = False

    def feed(self, chunk: bytes) -> None:
        # Searched up to the last "<" (the rest waits for the next chunk) with pos/endpos,
        # not by slicing: a sheet is tens of megabytes.
        buf = self.tail + chunk if self.tail else chunk
        cut = max(buf.rfind(b"<"), 0) if chunk else len(buf)
        self.tail = buf[cut:]
        if self.counting:  # cells holding a value (styled empty cells have neither)
            self.bounds.values += buf.count(b"<v>", 0, cut) + buf.count(b"<is>", 0, cut)
        if not self.odd and _PREFIXED_CELL.search(buf, 0, cut):
            self.odd = True
        for cell in _UNPLAIN_CELL.finditer(buf, 0, cut):
            m = _FAR_REF.match(buf, cell.start(), cut)
            if m is None:
                self.odd = True  # a cell written any other way than <c r="...">
                continue
            letters, digits = (m[1], m[2]) if m[1] else (m[3], m[4])
            self.far_cols = max(self.far_cols, col_index(letters))
            self.far_rows = max(self.far_rows, int(digits))
        if not chunk:
            # Refs beyond Z / row 99,999 are all we looked for, so those are the bounds.
            self.bounds.rows = max(self.far_rows, 99_999)
            self.bounds.cols = max(self.far_cols, 26)

    def trusted(self, limits: Limits) -> bool:
        """The cheap bound is exact enough when every cell has a reference and it fits."""
        b = self.bounds
        return (not self.odd and b.cols <= limits.max_columns
                and b.rows <= limits.max_rows and b.rows * b.cols <= limits.max_cells)


class _ExactWalker:
    """Positions the way calamine assigns them: a cell's r, else one right of the previous cell."""

    def __init__(self) -> None:
        self.tail = b""
        self.row = 0
        self.col = 0
        self.max_row = 0
        self.max_col = 0

    def feed(self, chunk: bytes) -> None:
        buf = self.tail + chunk
        cut = buf.rfind(b"<") if chunk else len(buf)
        part, self.tail = buf[: max(cut, 0)], buf[max(cut, 0):]
        for m in _TAG.finditer(part):
            ref = _R_ATTR.search(m[2])
            if m[1] == b"row":
                self.row = int(ref[2]) if ref else self.row + 1
                self.col = 0
                continue
            if ref and ref[1]:
                self.col = col_index(ref[1])
                row = int(ref[2])
            else:
                self.col += 1
                row = self.row
            self.max_row = max(self.max_row, row)
            self.max_col = max(self.max_col, self.col)


class _OdsScanner:
    """ODS repeats cells and rows by attribute; calamine expands them, so we count the expansion."""

    def __init__(self, bounds: dict[str, SheetBounds]) -> None:
        self.all = bounds
        self.tail = b""
        self.current: SheetBounds | None = None
        self.row = 0
        self.row_repeat = 1
        self.col = 0
        self.row_last = 0
        self.row_values = 0

    def feed(self, chunk: bytes) -> None:
        buf = self.tail + chunk
        cut = buf.rfind(b"<") if chunk else len(buf)
        part, self.tail = buf[: max(cut, 0)], buf[max(cut, 0):]
        for m in _ODS_TAG.finditer(part):
            closing, tag, attrs, selfclose = m[1], m[2], m[3], m[4]
            if tag == b"table":
                if not closing:
                    name = _ODS_NAME.search(attrs)
                    key = name[1].decode("utf-8", "replace") if name else str(len(self.all))
                    self.current = self.all.setdefault(key, SheetBounds())
                    self.row = 0
                continue
            if self.current is None:
                continue
            if tag == b"table-row":
                if closing or selfclose:
                    self._end_row()
                    continue
                rep = _ODS_REPEAT.search(attrs)
                self.row_repeat = int(rep[1]) if rep else 1
                self.col = self.row_last = self.row_values = 0
                continue
            if closing:
                continue
            rep = _ODS_REPEAT.search(attrs)
            n = int(rep[1]) if rep else 1
            self.col += n
            if not selfclose or b"value-type" in attrs:
                self.row_last = self.col
                self.row_values += n

    def _end_row(self) -> None:
        assert self.current is not None
        self.row += self.row_repeat
        if self.row_last:
            self.current.rows = self.row
            self.current.cols = max(self.current.cols, self.row_last)
            self.current.values += self.row_values * self.row_repeat
        self.row_repeat = 1


def _check_bounds(scan: ZipScan, limits: Limits) -> None:
    for bounds in scan.bounds.values():
        _check_one(bounds, limits)


def _check_one(bounds: SheetBounds, limits: Limits) -> None:
    if bounds.cols > limits.max_columns:
        raise ImportFileError(
            Code.TOO_LARGE, _("There are too many columns (%(n)s, at most %(max)s).")
            % {"n": f"{bounds.cols:,}", "max": f"{limits.max_columns:,}"})
    if bounds.rows > limits.max_rows:
        raise ImportFileError(
            Code.TOO_LARGE, _("There are too many rows (%(n)s, at most %(max)s).")
            % {"n": f"{bounds.rows:,}", "max": f"{limits.max_rows:,}"})
    if bounds.rows * bounds.cols > limits.max_cells:
        raise ImportFileError(
            Code.TOO_LARGE,
            _("The sheet is too large (%(rows)s rows × %(cols)s columns, at most %(max)s cells).")
            % {"rows": f"{bounds.rows:,}", "cols": f"{bounds.cols:,}", "max": f"{limits.max_cells:,}"})


def _xlsx_parts(zf: zipfile.ZipFile) -> tuple[dict[str, str], set[str]]:
    """(sheet name -> worksheet member, every member workbook.xml.rels points to), best effort.

    calamine follows these relationships, so a part is parsed whatever its name ends with."""
    try:
        book_xml = zf.read("xl/workbook.xml")
        rels_xml = zf.read("xl/_rels/workbook.xml.rels")
    except KeyError:
        return {}, set()
    if any(d in data for d in _DTD for data in (book_xml, rels_xml)):
        raise _unsafe()
    try:
        book = ElementTree.fromstring(book_xml)
        rels = ElementTree.fromstring(rels_xml)
    except ElementTree.ParseError:
        return {}, set()
    targets: dict[str, str] = {}
    for rel in rels:
        rid, target = rel.get("Id"), rel.get("Target")
        if rid and target:
            path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(
                posixpath.join("xl", target))
            targets[rid] = path
    members: dict[str, str] = {}
    rel_attr = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
    for sheet in book.iter():
        if sheet.tag.endswith("}sheet") and sheet.get("name") is not None:
            rid = sheet.get(rel_attr)
            if rid in targets:
                members[str(sheet.get("name"))] = targets[rid]
    return members, set(targets.values())
