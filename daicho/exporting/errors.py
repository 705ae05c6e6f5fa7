"""Why an export was refused.

These errors carry the same attributes as ``daicho.errors.DaichoError`` (code, message, details,
status) but do not inherit from it: the writers stay free of Django so they can be used and tested
without settings. The service layer re-raises them in the one error shape of the API and CLI.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypedDict

# Enough places for a person to find and fix the pattern; the full count is still reported.
MESSAGE_PLACES = 20
# Keep memory bounded when every one of a million rows has the same problem.
MAX_POSITIONS = 1000


class UnencodablePosition(TypedDict):
    row: int  # the row Excel shows: header = 1, first record = 2
    column: str  # the column header (field name)
    char: str
    codepoint: str  # "U+20BB7": the only way to name invisible characters such as U+00A0


class TooLongPosition(TypedDict):
    row: int
    column: str
    length: int  # in UTF-16 code units, which is how Excel counts


class ExportError(Exception):
    code = "export_failed"
    status = 400

    def __init__(self, message: str, details: dict[str, Any] | None = None) -> None:
        self.message = message
        self.details = details or {}
        super().__init__(message)

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details:
            body["details"] = self.details
        return {"error": body}


class UnencodableError(ExportError):
    """Characters the chosen encoding cannot hold (contract §3.2: never a silent ``?``).

    ``positions`` holds at most MAX_POSITIONS places, in file order; ``total`` counts them all.
    """

    code = "unencodable"

    def __init__(self, positions: Sequence[UnencodablePosition], *, encoding: str,
                 total: int | None = None) -> None:
        self.positions = list(positions)
        self.total = len(self.positions) if total is None else total
        self.encoding = encoding
        places = "、".join(
            f"{p['row']}行目「{p['column']}」の{_char_label(p['char'], p['codepoint'])}"
            for p in self.positions[:MESSAGE_PLACES]
        )
        more = self.total - min(len(self.positions), MESSAGE_PLACES)
        if more > 0:
            places += f" ほか{more}か所"
        message = (
            f"{_encoding_label(encoding)}で表せない文字が{self.total}か所あります: {places}。"
            "文字を直すか、UTF-8で出力するか、置き換え(〓)を指定してください。"
        )
        super().__init__(message, {"encoding": encoding, "total": self.total,
                                   "positions": self.positions})


class CellTooLongError(ExportError):
    """Text longer than an Excel cell can hold.

    Chosen over silent truncation (what XlsxWriter does) because a ledger export is a record of
    the data: a cut-off value would look complete and be wrong. CSV has no such limit.
    """

    code = "cell_too_long"

    def __init__(self, positions: Sequence[TooLongPosition], *, limit: int,
                 total: int | None = None) -> None:
        self.positions = list(positions)
        self.total = len(self.positions) if total is None else total
        self.limit = limit
        places = "、".join(
            f"{p['row']}行目「{p['column']}」({p['length']}文字)"
            for p in self.positions[:MESSAGE_PLACES]
        )
        more = self.total - min(len(self.positions), MESSAGE_PLACES)
        if more > 0:
            places += f" ほか{more}か所"
        message = (
            f"Excelの1つのセルに入る文字数({limit}文字)を超える値が{self.total}か所あります: "
            f"{places}。CSVで出力してください。"
        )
        super().__init__(message, {"limit": limit, "total": self.total,
                                   "positions": self.positions})


class TooManyRowsError(ExportError):
    """More records than an Excel sheet has rows; XlsxWriter would drop the rest silently."""

    code = "too_many_rows"
    status = 413

    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(
            f"Excelの1シートに入る件数({limit:,}件)を超えています。"
            "絞り込んで件数を減らすか、CSVで出力してください。",
            {"limit": limit},
        )


def _encoding_label(encoding: str) -> str:
    return "Shift_JIS (cp932)" if encoding == "cp932" else encoding.upper()


def _char_label(char: str, codepoint: str) -> str:
    # Control and space-like characters would vanish inside 「」; the code point alone names them.
    if char.isprintable() and not char.isspace():
        return f"「{char}」({codepoint})"
    return f"文字({codepoint})"
