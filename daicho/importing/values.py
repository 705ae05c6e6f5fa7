"""Converting one raw cell value to a kind of value: parse_value, and the text a cell shows.

Used by inference (infer.py) and, later, to re-convert a column with the type a user chose.
Raw values are what the readers give: str, float, int, bool, date, datetime, time, timedelta,
Decimal or None.

The parsers are keyed by KIND (IMPORT_KINDS), not by field type: each field type names the kind
its cells are read as (daicho.fields FieldType.import_kind — a textarea's is "text"), so this
package knows no field type and runs without Django.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any

from daicho.dates.localtime import TOKYO
from daicho.dates.wareki import (
    ParsedDate,
    WarekiError,
    parse_date,
    parse_datetime,
    try_parse_temporal,
)
from daicho.i18n import gettext as _
from daicho.importing.numbers import NumberError, decimal_from_float, format_decimal, parse_number
from daicho.importing.yesno import meaning as yes_no_meaning

EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
                   r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+")
URL = re.compile(r"https?://[^\s<>\"]+", re.IGNORECASE)
_MULTI_SPLIT = re.compile(r"\s*[,、，;；\n]\s*")

# Marks that Japanese statistics and ledgers put in a cell that has no value: a dash of any
# width (－ ー ― ‐ — – −), an ellipsis, △ or * on their own, x/X (秘匿, withheld). Alone in a
# cell of a number or date column they are that column's empty value, not text.
PLACEHOLDERS = frozenset({
    "-", "－", "ー", "ｰ", "―", "‐", "—", "–", "−", "--", "－－", "ーー", "――",
    "…", "……", "‥", "...", "・", "△", "▲", "*", "＊", "**", "***", "x", "X", "ｘ", "Ｘ",
    "xx", "XX", "xxx", "XXX", "秘匿", "該当なし", "―――",
})
# The kinds for which such a mark means "no value" (elsewhere the mark is the value).
PLACEHOLDER_KINDS = frozenset({"number", "date", "datetime"})
# One converter per kind: (field options, raw cell value) -> the value to store.
Converter = Callable[[Mapping[str, Any], Any], Any]


def is_placeholder(value: Any) -> bool:
    return type(value) is str and value.strip() in PLACEHOLDERS


def placeholder_note(name: str, raw: Iterable[Any]) -> dict[str, Any] | None:
    """The one report line for a column whose placeholder marks were read as empty values
    (None when it has none): which marks, and how many cells held them."""
    counts: Counter[str] = Counter(v.strip() for v in raw
                                   if type(v) is str and v.strip() in PLACEHOLDERS)
    if not counts:
        return None
    marks = "".join(f"「{mark}」" for mark in counts)
    return {"row": None, "message": _("「%(name)s」: %(marks)s (%(n)d in all) were read as no "
                                      "value.") % {"name": name, "marks": marks,
                                                   "n": sum(counts.values())}}


class ValueParseError(ValueError):
    """A value the chosen type cannot hold; .message is for the user, in the active language."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


def text_of(value: Any) -> str:
    """The text a cell shows, for any raw cell value ("" for empty)."""
    t = type(value)
    if t is str:
        return str(value).strip()
    if value is None:
        return ""
    if t is bool:
        return "TRUE" if value else "FALSE"
    if t is int:
        return str(value)
    if t is float:
        try:
            return format_decimal(decimal_from_float(value))
        except NumberError:
            return str(value)
    if t is Decimal:
        return format_decimal(value)
    if t is dt.datetime:
        return str(value.isoformat(sep=" "))
    if t is dt.date:
        return str(value.isoformat())
    if t is dt.time:
        return str(value.strftime("%H:%M" if not value.second else "%H:%M:%S"))
    if t is dt.timedelta:
        seconds = int(value.total_seconds())
        sign = "-" if seconds < 0 else ""
        h, rest = divmod(abs(seconds), 3600)
        return f"{sign}{h}:{rest // 60:02d}:{rest % 60:02d}"
    return str(value).strip()


def native_decimal(value: Any) -> Decimal | None:
    t = type(value)
    if t is float:
        try:
            return decimal_from_float(value)
        except NumberError:
            return None
    if t is int:
        return Decimal(value)
    if t is Decimal:
        return value if value.is_finite() else None
    return None


def aware(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=TOKYO) if value.tzinfo is None else value.astimezone(TOKYO)


def midnight(value: dt.date) -> dt.datetime:
    return dt.datetime.combine(value, dt.time(), tzinfo=TOKYO)


def has_time(value: dt.datetime) -> bool:
    return bool(value.hour or value.minute or value.second or value.microsecond)


def parse_value(kind: str, options: Mapping[str, Any] | None, raw: Any) -> Any:
    """Convert one raw cell value to a kind (IMPORT_KINDS; any other name reads the cell's
    text) with the field's options; None for empty. Raises ValueParseError."""
    options = options or {}
    if raw is None or (type(raw) is str and not raw.strip()):
        return None
    if kind in PLACEHOLDER_KINDS and is_placeholder(raw):
        return None
    converter: Converter = _CONVERTERS.get(kind, _to_text)
    return converter(options, raw)


def _to_text(options: Mapping[str, Any], raw: Any) -> str:
    text = text_of(raw)
    limit = options.get("max_length")
    if isinstance(limit, int) and len(text) > limit:
        raise ValueParseError(_("More than %(max)d characters (%(n)d characters).")
                              % {"max": limit, "n": len(text)})
    return text


def _to_number(options: Mapping[str, Any], raw: Any) -> Decimal:
    native = native_decimal(raw)
    if native is not None:
        return native
    if type(raw) is not str:
        raise ValueParseError(_("「%(value)s」 is not a number.") % {"value": text_of(raw)})
    try:
        return parse_number(raw).value
    except NumberError as exc:
        raise ValueParseError(exc.message) from None


def _to_date(options: Mapping[str, Any], raw: Any) -> dt.date:
    if type(raw) is dt.datetime:
        day = aware(raw).date() if raw.tzinfo else raw.date()
    elif type(raw) is dt.date:
        day = raw
    elif type(raw) is str:
        try:
            day = parse_date(raw).date
        except WarekiError as exc:
            moment = try_parse_temporal(raw)
            if not isinstance(moment, dt.datetime):
                raise ValueParseError(exc.message) from None
            day = moment.date()
    else:
        raise ValueParseError(_("「%(value)s」 is not a date.") % {"value": text_of(raw)})
    return day.replace(day=1) if options.get("precision") == "month" else day


def _to_datetime(options: Mapping[str, Any], raw: Any) -> dt.datetime:
    if type(raw) is dt.datetime:
        return aware(raw)
    if type(raw) is dt.date:
        return midnight(raw)
    if type(raw) is not str:
        raise ValueParseError(_("「%(value)s」 is not a date and time.") % {"value": text_of(raw)})
    try:
        return parse_datetime(raw)
    except WarekiError as exc:
        parsed = try_parse_temporal(raw)
        if isinstance(parsed, ParsedDate) and parsed.precision == "day":
            return midnight(parsed.date)
        raise ValueParseError(exc.message) from None


def _to_yesno(options: Mapping[str, Any], raw: Any) -> bool:
    if type(raw) is bool:
        return bool(raw)
    if type(raw) in (int, float, Decimal) and raw in (0, 1):
        return bool(raw)
    text = text_of(raw)
    value = yes_no_meaning(text)
    if value is None:
        raise ValueParseError(_("「%(value)s」 is not yes or no (○×, 有無, TRUE/FALSE).")
                              % {"value": text})
    return value


def _to_choice(options: Mapping[str, Any], raw: Any) -> str:
    text = text_of(raw)
    choices = options.get("choices")
    if choices and text not in choices:
        raise _not_a_choice(text)
    return text


def _to_multichoice(options: Mapping[str, Any], raw: Any) -> list[str]:
    items = [item for item in _MULTI_SPLIT.split(text_of(raw)) if item]
    choices = options.get("choices")
    for item in items:
        if choices and item not in choices:
            raise _not_a_choice(item)
    return items


def _not_a_choice(text: str) -> ValueParseError:
    return ValueParseError(_("「%(value)s」 is not one of the choices.") % {"value": text})


def _to_email(options: Mapping[str, Any], raw: Any) -> str:
    text = text_of(raw)
    if not EMAIL.fullmatch(text):
        raise ValueParseError(_("「%(value)s」 is not an email address.") % {"value": text})
    return text


def _to_url(options: Mapping[str, Any], raw: Any) -> str:
    text = text_of(raw)
    if not URL.fullmatch(text):
        raise ValueParseError(
            _("「%(value)s」 is not a URL (one that starts with http:// or https://).")
            % {"value": text})
    return text


# Kind → parser (the field's options, the cell). A field type names one (import_kind).
_CONVERTERS: dict[str, Converter] = {
    "text": _to_text, "number": _to_number, "date": _to_date, "datetime": _to_datetime,
    "yesno": _to_yesno, "choice": _to_choice, "multichoice": _to_multichoice,
    "email": _to_email, "url": _to_url,
}
IMPORT_KINDS = frozenset(_CONVERTERS)
