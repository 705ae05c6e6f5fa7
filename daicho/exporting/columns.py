"""What both writers share: the column description and how a value becomes cell text.

The text forms here are the interchange format with the importer, so each one is chosen to read
back to the same value (see the package docstring for the list).
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

FIELD_TYPES = (
    "text", "textarea", "number", "date", "datetime", "yesno", "choice", "multichoice",
    "email", "url", "user", "org", "link", "file", "autonumber",
)


@dataclass(frozen=True)
class ExportColumn:
    name: str
    type: str
    options: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.type not in FIELD_TYPES:
            raise ValueError(f"unknown field type {self.type!r} for column {self.name!r}")

    @property
    def month_precision(self) -> bool:
        return self.type == "date" and self.options.get("precision") == "month"


TextFn = Callable[[Any], str]


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


# Type key → value-to-text, for every type. The xlsx writer uses it for the text-valued types.
TEXT_FORMS: dict[str, TextFn] = {
    "text": as_text,
    "textarea": as_text,
    "email": as_text,
    "url": as_text,
    "choice": as_text,
    "autonumber": as_text,
    "user": as_text,
    "org": as_text,
    "multichoice": joined_text,
    "file": joined_text,
    "yesno": yesno_text,
    "link": link_text,
    "number": number_text,
    "date": date_text,
    "datetime": datetime_text,
}

# Types whose text is free user text and so may start with a formula trigger. Numbers, dates and
# はい/いいえ never do, and a negative number must stay a number.
FREE_TEXT_TYPES = frozenset(
    {"text", "textarea", "email", "url", "choice", "autonumber", "user", "org", "multichoice",
     "file", "link"}
)


def display_width(text: str) -> int:
    """Columns a text takes in a Japanese Excel font: wide, full-width and ambiguous = 2.

    Ambiguous characters (○ × ① Ⅰ ─) count as wide because Japanese fonts draw them so.
    """
    return sum(2 if unicodedata.east_asian_width(ch) in "WFA" else 1 for ch in text)
