"""Delimited text files (.csv/.tsv/.txt): encoding detection, delimiter sniffing, parsing.

Encodings, in order: a BOM (UTF-8 or UTF-16, what Excel writes for "Unicode text"), strict
UTF-8, then cp932, then EUC-JP. Never Python's "shift_jis" codec: it lacks the NEC/IBM
extensions (①, ㈱, 髙, …) that every Japanese office file contains, so "shift_jis" requests are
read as cp932. EUC-JP bytes often decode as cp932 too (as half-width katakana soup); when that
happens and EUC-JP decodes cleanly, we take EUC-JP.
"""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass

from daicho.error_codes import Code
from daicho.i18n import gettext as _
from daicho.importing.errors import ImportFileError, Limits

_CP932_ALIASES = frozenset({
    "shift_jis", "shift-jis", "shiftjis", "sjis", "s_jis", "s-jis", "x-sjis", "ms_kanji",
    "ms932", "windows-31j", "windows_31j", "cp932", "mskanji", "csshiftjis", "shift_jisx0213",
    "shift_jis_2004",
})
_DELIMITERS = (",", "\t", ";")
_SNIFF_LINES = 50


@dataclass
class TextTable:
    rows: list[list[str]]
    encoding: str
    delimiter: str


def decode(data: bytes, encoding: str | None) -> tuple[str, str]:
    """(text, encoding name reported to the user)."""
    if encoding:
        return _decode_as(data, _canonical(encoding))
    if data.startswith(codecs.BOM_UTF8):
        return _decode_as(data, "utf-8-sig")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _decode_as(data, "utf-16")
    if b"\x00" in data:
        raise ImportFileError(Code.WRONG_FILE_TYPE,
                              _("This is not a text file (it contains binary data)."))
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        utf8_error = exc
    try:
        text = data.decode("cp932")
    except UnicodeDecodeError:
        try:
            return data.decode("euc_jp"), "euc_jp"
        except UnicodeDecodeError:
            pass
        raise _unknown_encoding(data.count(b"\n", 0, utf8_error.start) + 1) from None
    if _looks_like_euc(text, data):
        return data.decode("euc_jp"), "euc_jp"
    _check_cp932_text(text)
    return text, "cp932"


# Python's cp932 decodes the bytes 0x80, 0xA0 and 0xFD-0xFF, which Windows never writes in
# text, to C1 controls and private-use characters; seeing them means the file is not cp932.
_NOT_CP932_TEXT = frozenset("\u0080\uf8f0\uf8f1\uf8f2\uf8f3")


def _check_cp932_text(text: str) -> None:
    for index, ch in enumerate(text):
        if ch in _NOT_CP932_TEXT:
            raise _unknown_encoding(text.count("\n", 0, index) + 1)


def _unknown_encoding(line: int) -> ImportFileError:
    return ImportFileError(
        Code.INVALID_ENCODING,
        _("The character encoding cannot be recognized (it is neither UTF-8 nor Shift_JIS "
          "(cp932)). Line %(line)d has characters that cannot be read. Choose the encoding.")
        % {"line": line},
        details={"line": line})


def _canonical(encoding: str) -> str:
    name = encoding.strip().lower().replace(" ", "")
    if name in _CP932_ALIASES:
        return "cp932"
    if name in ("utf8", "utf-8", "utf_8"):
        return "utf-8"
    if name in ("utf8-sig", "utf-8-sig", "utf_8_sig", "utf-8bom", "utf-8-bom"):
        return "utf-8-sig"
    try:
        codec = codecs.lookup(name)
    except LookupError:
        raise ImportFileError(Code.INVALID_ENCODING,
                              _("The encoding 「%(encoding)s」 cannot be used. "
                                "Choose utf-8 or cp932 (Shift_JIS).")
                              % {"encoding": encoding}) from None
    if codec.name in ("shift_jis", "shift_jis_2004", "shift_jisx0213"):
        return "cp932"
    return codec.name


def _decode_as(data: bytes, encoding: str) -> tuple[str, str]:
    if encoding == "utf-8" and data.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    try:
        return data.decode(encoding), encoding
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ImportFileError(
            Code.INVALID_ENCODING,
            _("Line %(line)d has characters that cannot be read as %(encoding)s. "
              "Check that the encoding is right.") % {"line": line, "encoding": encoding},
            details={"line": line, "encoding": encoding}) from None


def _looks_like_euc(text: str, data: bytes) -> bool:
    non_ascii = sum(1 for ch in text if ord(ch) > 0x7F)
    if non_ascii < 4:
        return False
    halfwidth_kana = sum(1 for ch in text if "\uff61" <= ch <= "\uff9f")
    if halfwidth_kana * 2 < non_ascii:
        return False
    try:
        data.decode("euc_jp")
    except UnicodeDecodeError:
        return False
    return True


def sniff_delimiter(text: str, extension: str) -> str:
    """The delimiter that splits the first lines into the most consistent number of fields."""
    sample_lines = []
    for line in io.StringIO(text[:1_000_000], newline=""):
        if line.strip():
            sample_lines.append(line)
        if len(sample_lines) >= _SNIFF_LINES:
            break
    if not sample_lines:
        return "\t" if extension == ".tsv" else ","
    best, best_score = ",", (-1, -1.0, -1)
    for delim in _DELIMITERS:
        counts = [len(r) for r in csv.reader(sample_lines, delimiter=delim)]
        widest = max(counts)
        if widest < 2:
            continue
        mode = max(set(counts), key=counts.count)
        share = counts.count(mode) / len(counts)
        prefer = 1 if (extension == ".tsv") == (delim == "\t") else 0
        score = (1 if mode > 1 else 0, share + 0.1 * prefer, mode)
        if score > best_score:
            best, best_score = delim, score
    if best_score[0] < 0 and extension == ".tsv":
        return "\t"
    return best


def read_delimited(data: bytes, *, encoding: str | None, extension: str,
                   limits: Limits) -> TextTable:
    if not data.strip():
        raise ImportFileError(Code.EMPTY_FILE, _("The file is empty."))
    text, used = decode(data, encoding)
    if text.startswith("\ufeff"):
        text = text[1:]
    delimiter = sniff_delimiter(text, extension)
    # csv's field limit is process-wide; raising it to our own limit is harmless elsewhere.
    if csv.field_size_limit() < limits.max_cell_chars:
        csv.field_size_limit(limits.max_cell_chars)
    rows: list[list[str]] = []
    width = 0
    try:
        # newline="" keeps \x0c, \u2028 and friends inside fields instead of splitting there.
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        for row in reader:
            if len(row) > width:
                width = len(row)
                if width > limits.max_columns:
                    raise ImportFileError(
                        Code.TOO_LARGE, _("There are too many columns (%(n)s, at most %(max)s).")
                        % {"n": f"{width:,}", "max": f"{limits.max_columns:,}"})
            rows.append(row)
            if len(rows) > limits.max_rows:
                raise ImportFileError(
                    Code.TOO_LARGE, _("There are too many rows (at most %(max)s).")
                    % {"max": f"{limits.max_rows:,}"})
    except csv.Error as exc:
        line = len(rows) + 1
        if "field larger than field limit" in str(exc):
            raise ImportFileError(
                Code.TOO_LARGE,
                _("Line %(line)d has a value that is too long (at most %(max)s characters).")
                % {"line": line, "max": f"{limits.max_cell_chars:,}"},
                details={"row": line}) from None
        raise ImportFileError(Code.CORRUPT_FILE,
                              _("Line %(line)d cannot be read as CSV.") % {"line": line},
                              details={"row": line}) from None
    if width * len(rows) > limits.max_cells:
        raise ImportFileError(
            Code.TOO_LARGE, _("There are too many cells (at most %(max)s).")
            % {"max": f"{limits.max_cells:,}"})
    quoted = any("'" + ch in text for ch in _FORMULA_TRIGGERS)  # else no cell needs a look
    for row in rows:
        if len(row) < width:
            row.extend([""] * (width - len(row)))
        if quoted:
            for k, cell in enumerate(row):
                if cell[:1] == "'" and cell[1:2] in _FORMULA_TRIGGERS:
                    row[k] = cell[1:]
    return TextTable(rows, used, delimiter)


# Exports write a leading ' before text that Excel would run as a formula (contract §3.2);
# reading such a cell back gives the text as it was.
_FORMULA_TRIGGERS = frozenset("=+-@\t\r")
