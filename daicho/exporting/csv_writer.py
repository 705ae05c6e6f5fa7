"""Streaming CSV export (contract §3.2): one line is formatted, encoded and written at a time."""

from __future__ import annotations

import codecs
import csv
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol

from daicho.exporting.charsets import (
    CP932_SUBSTITUTED,
    CP932_SUBSTITUTIONS,
    REPLACEMENT_CHAR,
    Substitution,
    resolve,
    substitution_of,
)
from daicho.exporting.columns import FORMULA_TRIGGERS, ExportColumn
from daicho.exporting.errors import MAX_POSITIONS, UnencodableError, UnencodablePosition

# Lines are joined into one write() of roughly this size: few system calls, bounded memory.
_FLUSH_BYTES = 1 << 16


class BinaryOutput(Protocol):
    def write(self, data: bytes, /) -> Any: ...


class _LastLine:
    """The file object csv.writer writes to; the C writer calls write() once per record."""

    __slots__ = ("line",)

    def __init__(self) -> None:
        self.line = ""

    def write(self, line: str) -> int:
        self.line = line
        return len(line)


def write_csv(
    binary_file: BinaryOutput,
    columns: Sequence[ExportColumn],
    rows: Iterable[Sequence[Any]],
    *,
    encoding: str = "utf-8-sig",
    replace: bool = False,
    on_replaced: Callable[[UnencodablePosition], None] | None = None,
    on_substituted: Callable[[Substitution], None] | None = None,
) -> int:
    """Write a header line and one line per row; return the number of rows.

    Lines end in CRLF and fields are quoted only when needed, as Excel writes CSV. With
    ``replace=False`` a character the encoding cannot hold raises UnencodableError after every
    row has been looked at, so the error lists all places; the bytes written so far are then
    incomplete and must be thrown away. With ``replace=True`` each such character is written as
    〓 and its place is passed to ``on_replaced``.

    cp932 writes the usual look-alikes (〜 → ～, ¥ → ￥, − → －) as the character Windows
    shows for the same bytes and drops variation selectors (辻󠄀 → 辻); each such place is passed
    to ``on_substituted``, so the export can say what it wrote differently.
    """
    canonical = codec = resolve(encoding)
    is_cp932 = codec == "cp932"
    if codec == "utf-8-sig":
        binary_file.write(codecs.BOM_UTF8)
        codec = "utf-8"  # encoding each line with utf-8-sig would repeat the BOM on every line

    names = [c.name for c in columns]
    cell_fns = [_cell_fn(c) for c in columns]
    width = len(columns)
    sink = _LastLine()
    writerow = csv.writer(sink, lineterminator="\r\n").writerow

    positions: list[UnencodablePosition] = []
    total_bad = 0
    chunk: list[bytes] = []
    chunk_size = 0

    def encode_slowly(line_no: int, cells: list[str]) -> bytes:
        # Only reached for a line that failed to encode as it was; kept out of the main loop.
        nonlocal total_bad
        fixed = []
        for name, text in zip(names, cells, strict=True):
            bad = _unencodable_chars(text, codec)
            for ch in bad:
                place = UnencodablePosition(row=line_no, column=name, char=ch,
                                            codepoint=f"U+{ord(ch):04X}")
                total_bad += 1
                if len(positions) < MAX_POSITIONS:
                    positions.append(place)
                if replace and on_replaced is not None:
                    on_replaced(place)
            if bad:
                text = text.translate(dict.fromkeys(map(ord, bad), REPLACEMENT_CHAR))
            fixed.append(text)
        writerow(fixed)
        return sink.line.encode(codec)

    def substitute(line_no: int, cells: list[str]) -> list[str]:
        out = []
        for name, text in zip(names, cells, strict=True):
            found = CP932_SUBSTITUTED.findall(text)
            for ch in dict.fromkeys(found):
                if on_substituted is not None:
                    on_substituted(Substitution(row=line_no, column=name, char=ch,
                                                codepoint=f"U+{ord(ch):04X}",
                                                to=substitution_of(ch)))
            out.append(text.translate(CP932_SUBSTITUTIONS) if found else text)
        writerow(out)
        return out

    count = 0
    search = CP932_SUBSTITUTED.search
    for line_no, cells in enumerate(_lines(names, cell_fns, width, rows), start=1):
        count = line_no - 1
        writerow(cells)
        if is_cp932 and search(sink.line):
            cells = substitute(line_no, cells)
        try:
            data = sink.line.encode(codec)
        except UnicodeEncodeError:
            data = encode_slowly(line_no, cells)
        if total_bad and not replace:
            continue  # keep looking, to list every place, but stop writing a file that is lost
        chunk.append(data)
        chunk_size += len(data)
        if chunk_size >= _FLUSH_BYTES:
            binary_file.write(b"".join(chunk))
            chunk.clear()
            chunk_size = 0
    if total_bad and not replace:
        raise UnencodableError(positions, encoding=canonical, total=total_bad)
    if chunk:
        binary_file.write(b"".join(chunk))
    return count


def _lines(names: list[str], cell_fns: list[Callable[[Any], str]], width: int,
           rows: Iterable[Sequence[Any]]) -> Iterable[list[str]]:
    yield [_neutralise(n) for n in names]
    for row in rows:
        if len(row) != width:
            raise ValueError(f"row has {len(row)} values for {width} columns")
        yield [fn(v) if v is not None else "" for fn, v in zip(cell_fns, row, strict=False)]


def _neutralise(text: str) -> str:
    # A leading apostrophe is what OWASP and Excel users know; the importer drops it again.
    return "'" + text if text and text[0] in FORMULA_TRIGGERS else text


def _cell_fn(column: ExportColumn) -> Callable[[Any], str]:
    cell = column.cell
    form = cell.text
    if not cell.free_text:
        return form
    triggers = FORMULA_TRIGGERS

    def free_text(value: Any) -> str:
        text = form(value)
        return "'" + text if text and text[0] in triggers else text

    return free_text


def _unencodable_chars(text: str, codec: str) -> list[str]:
    """Each character of text the codec cannot hold, once, in the order they first appear."""
    try:
        text.encode(codec)
    except UnicodeEncodeError:
        pass
    else:
        return []
    bad: list[str] = []
    for ch in dict.fromkeys(text):
        try:
            ch.encode(codec)
        except UnicodeEncodeError:
            bad.append(ch)
    return bad
