"""What both writers share: the column description and how a value becomes cell text.

The text forms here are the interchange format with the importer, so each one is chosen to read
back to the same value (see the package docstring for the list).

Everything here is keyed by KIND (KINDS), not by field type: each field type names the kind it is
written as (daicho.fields FieldType.export_kind), so this package knows no field type and runs
without Django.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from daicho.dates.localtime import TOKYO

YES_TEXT = "はい"
NO_TEXT = "いいえ"
# A line feed cannot occur in a choice label or a file name, while 、 , ; / all can. It is also
# what kintone writes for check boxes, and Excel shows it as one value per line in the cell.
MULTI_VALUE_SEPARATOR = "\n"

# Excel (and LibreOffice) start a formula on these; contract §3.2.
FORMULA_TRIGGERS = frozenset("=+-@\t\r")

TextFn = Callable[[Any], str]


@dataclass(frozen=True)
class ExportColumn:
    name: str
    type: str  # a kind (KINDS), or a name of one (SAME_AS)
    options: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.type not in KINDS and self.type not in SAME_AS:
            raise ValueError(f"unknown kind {self.type!r} for column {self.name!r}")

    @property
    def kind(self) -> str:
        return SAME_AS.get(self.type, self.type)

    @property
    def cell(self) -> CellKind:
        return KINDS[self.kind]

    @property
    def month_precision(self) -> bool:
        return self.kind == "date" and self.options.get("precision") == "month"


def as_text(value: Any) -> str:
    return value if value.__class__ is str else str(value)


def yesno_text(value: Any) -> str:
    return YES_TEXT if value else NO_TEXT


def joined_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return MULTI_VALUE_SEPARATOR.join(as_text(v) for v in value)


def number_text(value: Any) -> str:
    """Plain digits with a dot: no thousands separator or unit, so Excel and the importer
    both read the cell back as the number."""
    cls = value.__class__
    if cls is int:
        return str(value)
    if cls is Decimal:
        return format(value, "f")  # never an exponent: Decimal("1E+3") → "1000"
    if cls is float:
        if value.is_integer():
            return str(int(value))
        text = repr(value)
        return format(Decimal(text), "f") if "e" in text else text
    return str(value)


def date_text(value: dt.date) -> str:
    return value.isoformat()


def to_local(value: dt.datetime) -> dt.datetime:
    """Tokyo wall-clock time without tzinfo, as a person in the city hall reads it.

    A naive value is taken to be Tokyo time already rather than the server's zone.
    """
    if value.tzinfo is None:
        return value
    return value.astimezone(TOKYO).replace(tzinfo=None)


def datetime_text(value: dt.datetime) -> str:
    # "2024-04-01 09:30:00": Excel recognises it as a date-time when opening a CSV, and the
    # importer reads it as Tokyo time; the "T" and offset of ISO 8601 would make Excel see text.
    return to_local(value).isoformat(" ", "seconds")


def link_text(value: Any) -> str:
    return str(value)


@dataclass(frozen=True)
class CellKind:
    """How both writers put one kind of value in a cell."""

    text: TextFn  # value → its text: every CSV cell, and the xlsx cells written as text
    # Free user text, which may start with a formula trigger and then gets a quote. Numbers,
    # dates and はい/いいえ never do, and a negative number must stay a number.
    free_text: bool
    values_are_str: bool = False  # the values come as str already: the xlsx writer skips `text`
    wrap: bool = False  # several lines: xlsx wraps them so every line shows, as after Alt+Enter


# Kind → how it is written. The xlsx writer has its own cell plans for number, date, datetime,
# yesno and link (xlsx_writer._PLANS); every other kind is a string cell of `text`.
KINDS: dict[str, CellKind] = {
    "text": CellKind(as_text, free_text=True, values_are_str=True),
    "textarea": CellKind(as_text, free_text=True, values_are_str=True, wrap=True),
    "multichoice": CellKind(joined_text, free_text=True, wrap=True),  # one value per line
    "link": CellKind(link_text, free_text=True),
    "number": CellKind(number_text, free_text=False),
    "date": CellKind(date_text, free_text=False),
    "datetime": CellKind(datetime_text, free_text=False),
    "yesno": CellKind(yesno_text, free_text=False),
}
# Other names a caller may give a column (a field type's key, as the tests and benchmarks name
# their columns): each is written as the kind it names. The application passes the field type's
# own export_kind, so a new field type adds nothing here.
SAME_AS = {
    "email": "text", "url": "text", "choice": "text", "autonumber": "text", "user": "text",
    "org": "text", "file": "multichoice",
}
# Every name an ExportColumn takes.
COLUMN_TYPES = (*KINDS, *SAME_AS)


def display_width(text: str) -> int:
    """Columns a text takes in a Japanese Excel font: wide, full-width and ambiguous = 2.

    Ambiguous characters (○ × ① Ⅰ ─) count as wide because Japanese fonts draw them so.
    """
    return sum(2 if unicodedata.east_asian_width(ch) in "WFA" else 1 for ch in text)
