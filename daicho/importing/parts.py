"""Reading one big worksheet on several cores.

calamine parses a worksheet on one core, and for a big ledger that parse is most of an import's
reading. Its XML is a run of <row> elements, so the sheet can be cut between rows into parts
that are worksheets of their own: the same head (up to <sheetData>) and tail (merged cells and
the rest), each with a share of the rows. The zip scan has inflated and checked every XML part
of the workbook already (daicho.importing.zipcheck keeps them when they are small enough); here
each part becomes a small uncompressed workbook on disk, calamine parses them on threads at
once (it does not hold the GIL while it parses), and the rows are put back together.

The grid is the one a single parse gives. The cut is made only where it cannot change it:
- every cell of the sheet carries its own reference (<c r="B7">), so a part's cells keep
  their places wherever the part begins;
- the XML holds no CDATA section or comment, so "<row " can only be a row's start tag;
- the parts' rows follow each other (each part starts below the last row of the one before):
  rows written out of order, or twice, are read whole, by one parse.
Anything else — and any part calamine cannot read — falls back to the single parse.
"""

from __future__ import annotations

import os
import re
import tempfile
import threading
import zipfile
from itertools import pairwise
from pathlib import Path
from typing import Any

import python_calamine as calamine

# Below this much sheet XML a parse takes a fraction of a second: no parts.
MIN_PART_BYTES = 8 << 20
# The zip scan keeps a workbook's XML for this only up to this much of it in all. Bigger
# sheets (a full million-row sheet is 600 MB of XML) are parsed whole, as before.
MAX_KEPT_BYTES = 160 << 20
MAX_PARTS = 4

_EMPTY_SHEET = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns='
                b'"http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData/>'
                b'</worksheet>')

Merge = tuple[int, int, int, int]


def cores() -> int:
    return min(MAX_PARTS, len(os.sched_getaffinity(0)))


def worth_keeping(xml_bytes: int) -> bool:
    """Whether the zip scan should keep a workbook's XML (that much of it) for read()."""
    return cores() > 1 and xml_bytes <= MAX_KEPT_BYTES


def part_count(xml: dict[str, bytes], member: str) -> int:
    """How many parts read() would cut the sheet into (below 2: it reads none)."""
    sheet = xml.get(member)
    return min(cores(), len(sheet) // MIN_PART_BYTES) if sheet is not None else 0


def read(xml: dict[str, bytes], sheet_members: list[str], member: str,
         name: str) -> tuple[list[list[Any]], list[Merge]] | None:
    """The grid of sheet `name` (XML part `member`) as to_python(skip_empty_area=False) gives
    it, and its merged ranges, parsed in parts; None when the sheet is not cut (see above)."""
    sheet = xml.get(member)
    count = part_count(xml, member)
    if sheet is None or count < 2:
        return None
    pieces = split(sheet, count)
    if pieces is None:
        return None
    with tempfile.TemporaryDirectory(prefix="daicho-parts-") as folder:
        paths = []
        for k, piece in enumerate(pieces):
            path = Path(folder) / f"part{k}.xlsx"
            _write_book(path, xml, sheet_members, member, piece)
            paths.append(path)
        del pieces
        sheets: list[Any] = [None] * len(paths)
        blocks: list[list[list[Any]]] = [[] for _ in paths]
        failed: list[BaseException] = []

        def parse(k: int) -> None:
            try:
                book = calamine.CalamineWorkbook.from_path(str(paths[k]))
                sheets[k] = book.get_sheet_by_name(name)
                if sheets[k].end is not None:
                    blocks[k] = sheets[k].to_python(skip_empty_area=True)
            except Exception as exc:  # read whole by the caller, which reports it
                failed.append(exc)

        threads = [threading.Thread(target=parse, args=(k,), name=f"daicho-part-{k}",
                                    daemon=True) for k in range(1, len(paths))]
        for thread in threads:
            thread.start()
        parse(0)
        for thread in threads:
            thread.join()
    if failed:
        return None
    return _assemble(sheets, blocks)


def head(xml: dict[str, bytes], sheet_members: list[str], member: str, name: str,
         rows: int) -> tuple[list[list[Any]], list[Merge]] | None:
    """The sheet's first `rows` row elements as a grid (to_python(skip_empty_area=False) of a
    workbook holding only them) and its merged ranges: a look at the top of a big sheet without
    parsing it whole. None when the XML is not kept or cannot be cut as read() cuts it."""
    sheet = xml.get(member)
    if sheet is None:
        return None
    opening = sheet.find(b"<sheetData>")
    closing = sheet.rfind(b"</sheetData>")
    if opening < 0 or closing < opening:
        return None
    begin = opening + len(b"<sheetData>")
    cut = begin
    for _ in range(rows + 1):
        found = sheet.find(b"<row ", cut + 1, closing)
        if found < 0:
            cut = closing
            break
        cut = found
    view = memoryview(sheet)
    if sheet.find(b"<!", begin, cut) >= 0:
        return None
    piece = b"".join((view[:begin], view[begin:cut], view[closing:]))
    with tempfile.TemporaryDirectory(prefix="daicho-head-") as folder:
        path = Path(folder) / "head.xlsx"
        _write_book(path, xml, sheet_members, member, piece)
        try:
            found_sheet = calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_name(name)
            grid = found_sheet.to_python(skip_empty_area=False) if found_sheet.end else []
        except Exception:  # the caller parses the sheet whole
            return None
    merged = [(a[0], a[1], b[0], b[1]) for a, b in (found_sheet.merged_cell_ranges or [])]
    return grid, merged


def last_row(xml: dict[str, bytes], member: str) -> int | None:
    """The number of the sheet's last row element (its r attribute), or None."""
    sheet = xml.get(member)
    at = sheet.rfind(b"<row ") if sheet is not None else -1
    if sheet is None or at < 0:
        return None
    found = _ROW_NUMBER.match(sheet, at + 5, at + 400)
    return int(found[1]) if found else None


_ROW_NUMBER = re.compile(rb'[^>]*?\br="(\d+)"')


def split(sheet: bytes, count: int) -> list[bytes] | None:
    """The worksheet XML as up to `count` worksheets of consecutive rows, or None."""
    opening = sheet.find(b"<sheetData>")
    closing = sheet.rfind(b"</sheetData>")
    if opening < 0 or closing < opening or sheet.count(b"sheetData") != 2:
        return None  # none, or more than one
    begin = opening + len(b"<sheetData>")
    # CDATA and comments start with "<!"; "!" alone is found at memory speed, and is rare.
    if sheet.find(b"!", begin, closing) >= 0 and sheet.find(b"<!", begin, closing) >= 0:
        return None
    cuts = [begin]
    for k in range(1, count):
        at = sheet.find(b"<row ", begin + (closing - begin) * k // count, closing)
        if at < 0:
            break
        if at > cuts[-1]:
            cuts.append(at)
    cuts.append(closing)
    if len(cuts) < 3:
        return None
    view = memoryview(sheet)
    head, tail = view[:begin], view[closing:]
    return [b"".join((head, view[a:b], tail)) for a, b in pairwise(cuts)]


def _write_book(path: Path, xml: dict[str, bytes], sheet_members: list[str], member: str,
                piece: bytes) -> None:
    """A workbook of the kept XML parts (uncompressed), with this piece as the sheet and the
    other worksheets empty."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as book:
        for part_name, data in xml.items():
            if part_name == member:
                data = piece
            elif part_name in sheet_members:
                data = _EMPTY_SHEET
            book.writestr(part_name, data)


def _assemble(sheets: list[Any], blocks: list[list[list[Any]]]
              ) -> tuple[list[list[Any]], list[Merge]] | None:
    """The parts' cells (each from its own top-left filled cell on) as one grid from A1."""
    merged = [(a[0], a[1], b[0], b[1]) for a, b in (sheets[0].merged_cell_ranges or [])]
    filled = [(s, block) for s, block in zip(sheets, blocks, strict=True) if s.end is not None]
    for (before, _b), (after, _a) in pairwise(filled):
        if after.start[0] <= before.end[0]:
            return None  # rows out of order, or written twice: read whole
    if not filled:
        return [], merged
    width = max(s.end[1] for s, _block in filled) + 1
    rows: list[list[Any]] = []
    for sheet, block in filled:
        top, left = sheet.start
        rows.extend([""] * width for _ in range(top - len(rows)))
        if left == 0 and sheet.end[1] + 1 == width:
            rows.extend(block)
        else:
            pad, right = [""] * left, [""] * (width - 1 - sheet.end[1])
            rows.extend(pad + row + right for row in block)
    return rows, merged
