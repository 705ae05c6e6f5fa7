"""Why an export was refused.

These errors carry the same attributes as ``daicho.errors.DaichoError`` (code, message, details,
status) but do not inherit from it: the writers stay free of Django so they can be used and tested
without settings. The service layer re-raises them in the one error shape of the API and CLI.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypedDict

from daicho.error_codes import Code
from daicho.i18n import gettext as _
from daicho.i18n import join_list, ngettext

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
    code: Code = Code.EXPORT_FAILED
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

    code = Code.UNENCODABLE

    def __init__(self, positions: Sequence[UnencodablePosition], *, encoding: str,
                 total: int | None = None) -> None:
        self.positions = list(positions)
        self.total = len(self.positions) if total is None else total
        self.encoding = encoding
        places = [
            _("%(char)s in row %(row)d 「%(column)s」")
            % {"row": p["row"], "column": p["column"],
               "char": _char_label(p["char"], p["codepoint"])}
            for p in self.positions[:MESSAGE_PLACES]
        ]
        message = ngettext(
            "%(encoding)s cannot hold %(n)d character: %(places)s. Fix the character, export "
            "as UTF-8, or choose to replace it (〓).",
            "%(encoding)s cannot hold %(n)d characters: %(places)s. Fix the characters, export "
            "as UTF-8, or choose to replace them (〓).", self.total,
        ) % {"encoding": _encoding_label(encoding), "n": self.total,
             "places": _listed(places, self.total)}
        super().__init__(message, {"encoding": encoding, "total": self.total,
                                   "positions": self.positions})


class CellTooLongError(ExportError):
    """Text longer than an Excel cell can hold.

    Chosen over silent truncation (what XlsxWriter does) because a ledger export is a record of
    the data: a cut-off value would look complete and be wrong. CSV has no such limit.
    """

    code = Code.CELL_TOO_LONG

    def __init__(self, positions: Sequence[TooLongPosition], *, limit: int,
                 total: int | None = None) -> None:
        self.positions = list(positions)
        self.total = len(self.positions) if total is None else total
        self.limit = limit
        places = [
            _("row %(row)d 「%(column)s」 (%(length)d characters)")
            % {"row": p["row"], "column": p["column"], "length": p["length"]}
            for p in self.positions[:MESSAGE_PLACES]
        ]
        message = ngettext(
            "%(n)d value is longer than an Excel cell can hold (%(limit)d characters): "
            "%(places)s. Export as CSV.",
            "%(n)d values are longer than an Excel cell can hold (%(limit)d characters): "
            "%(places)s. Export as CSV.", self.total,
        ) % {"n": self.total, "limit": limit, "places": _listed(places, self.total)}
        super().__init__(message, {"limit": limit, "total": self.total,
                                   "positions": self.positions})


class TooManyRowsError(ExportError):
    """More records than an Excel sheet has rows; XlsxWriter would drop the rest silently."""

    code = Code.TOO_MANY_ROWS
    status = 413

    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(
            _("There are more records than an Excel sheet can hold (%(limit)s). Filter the "
              "list down to fewer records, or export as CSV.") % {"limit": f"{limit:,}"},
            {"limit": limit},
        )


def _listed(places: list[str], total: int) -> str:
    """The places named in a message, and how many more there are when not all are named."""
    text = join_list(places)
    more = total - len(places)
    if more > 0:
        text = _("%(places)s and %(n)d more") % {"places": text, "n": more}
    return text


def _encoding_label(encoding: str) -> str:
    return "Shift_JIS (cp932)" if encoding == "cp932" else encoding.upper()


def _char_label(char: str, codepoint: str) -> str:
    # Control and space-like characters would vanish inside 「」; the code point alone names them.
    if char.isprintable() and not char.isspace():
        return f"「{char}」({codepoint})"
    return _("character (%(codepoint)s)") % {"codepoint": codepoint}
