"""Dates and date-times. Dates are 'YYYY-MM-DD' in JSON; date-times ISO 8601 with an offset."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from daicho.dates.localtime import TOKYO
from daicho.dates.wareki import WarekiError, parse_datetime
from daicho.dates.wareki import parse_date as parse_wareki
from daicho.db import dialect
from daicho.errors import FieldValueError, InvalidInput
from daicho.fields.base import ORDERED, FieldType, reject_unknown

if TYPE_CHECKING:
    from daicho.fields.context import ValueContext
    from daicho.models import Field

_DATE_RE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")
# 20240401, as dates are typed into order and document numbers.
_COMPACT_RE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
# 6/4/1 or 24/4/1: a year of one to three digits could be an era year (令和6) or a short western
# year (2006, 2024); nobody can tell which, so it is refused rather than guessed.
_SHORT_YEAR_RE = re.compile(r"^\d{1,3}\s*([-/.])\s*\d{1,2}\s*\1\s*\d{1,2}$")

# The years a ledger date may have: from the first era (明治, 1868) to well past any plan.
# A year outside is a typing slip (a browser's date input turned 2024/4/1 into 0441-02-02).
FIRST_YEAR = 1868
LAST_YEAR = 2200

_DATES = frozenset({dt.date, type(None)})


def read_date(value: Any) -> dt.date:
    """A date as people type it — everything the importer reads (R6.4.1, 令和6年4月1日, 2024/4/1,
    2024-04-01) and 20240401 — without the plausibility check of check_year."""
    if isinstance(value, dt.datetime):
        return value.astimezone(TOKYO).date() if value.tzinfo else value.date()
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str):
        raise FieldValueError(_("Enter a date as YYYY-MM-DD."))
    text = unicodedata.normalize("NFKC", value).strip()
    match = _DATE_RE.match(text) or _COMPACT_RE.match(text)
    if match:
        try:
            return dt.date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            raise FieldValueError(_("This date does not exist.")) from None
    if _SHORT_YEAR_RE.match(text):
        raise FieldValueError(
            _("「%(value)s」 does not say which year it means. Write a Japanese era year with "
              "its era, as R6.4.1 or 令和6年4月1日, or the full year, as 2024/4/1.")
            % {"value": value.strip()})
    try:
        # 和暦 (R6.12.28, 平成31年4月30日) and the other written forms the importer reads.
        return parse_wareki(text).date
    except WarekiError as exc:
        raise FieldValueError(exc.message + " " + _("Enter a date as 2024-04-01, R6.4.1 or "
                                                    "令和6年4月1日.")) from None


def check_year(date: dt.date | dt.datetime, shown: Any) -> None:
    """Refuse a stored date whose year no ledger date can have (FIRST_YEAR … LAST_YEAR)."""
    if not FIRST_YEAR <= date.year <= LAST_YEAR:
        raise FieldValueError(
            _("「%(value)s」: the year %(year)d cannot be right for a ledger. Enter a date from "
              "%(first)d to %(last)d, e.g. 2024-04-01 or R6.4.1.")
            % {"value": str(shown).strip(), "year": date.year, "first": FIRST_YEAR,
               "last": LAST_YEAR})


def read_datetime(value: Any) -> dt.datetime:
    """A date and time in ISO 8601 or as people type it (2024/4/1 9:30, R6.4.1 9:30), in UTC
    to the second; a time without an offset is Tokyo time."""
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, str):
        text = unicodedata.normalize("NFKC", value).strip()
        if len(text) > 40:
            raise FieldValueError(_("Enter a date and time in ISO 8601 form."))
        try:
            moment = dt.datetime.fromisoformat(text.replace("/", "-"))
        except ValueError:
            try:
                moment = parse_datetime(text)
            except WarekiError as exc:
                raise FieldValueError(exc.message + " " + _(
                    "Enter a date and time as 2024-04-01 09:30 or R6.4.1 9:30.")) from None
    else:
        raise FieldValueError(_("Enter a date and time in ISO 8601 form."))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=TOKYO)
    return moment.astimezone(dt.UTC).replace(microsecond=0)


def parse_date(value: Any) -> dt.date:
    """The date a ledger may store: read_date, then check_year."""
    date = read_date(value)
    check_year(date, value)
    return date


class DateType(FieldType):
    key = "date"
    in_formulas = "date"
    import_kind = "date"
    export_kind = "date"
    label = gettext_lazy("Date")
    storage = "date"
    operators = ORDERED
    searchable = True

    def clean_options(self, options: dict[str, Any], ctx: ValueContext) -> dict[str, Any]:
        reject_unknown(options, {"precision", "wareki"})
        precision = options.get("precision", "day")
        if precision not in ("day", "month"):
            raise InvalidInput(_("precision must be day or month."))
        wareki = options.get("wareki", False)
        if not isinstance(wareki, bool):
            raise InvalidInput(_("wareki must be true or false."))
        return {"precision": precision, "wareki": wareki}

    def clean(self, field: Field, value: Any, ctx: ValueContext) -> Any:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        date = parse_date(value)
        if field.options.get("precision") == "month":
            date = date.replace(day=1)
        return date

    def clean_column(self, field: Field, values: list[Any], ctx: ValueContext) -> list[Any] | None:
        # Dates the reader already made (a date has a year from 1 to 9999 by construction).
        if type(self).clean is not DateType.clean or not set(map(type, values)) <= _DATES:
            return None
        present = [v for v in values if v is not None]
        if present and not (FIRST_YEAR <= min(present).year and max(present).year <= LAST_YEAR):
            return None  # one by one: each implausible year gets its message
        if field.options.get("precision") == "month":
            return [None if v is None else v.replace(day=1) for v in values]
        return values

    def filter_value(self, field: Field, text: str, ctx: ValueContext) -> Any:
        # A filter may ask about any year ("before 1900"); only stored values are checked.
        if not text.strip():
            raise FieldValueError(_("A value is needed for this filter."))
        date = read_date(text)
        return date.replace(day=1) if field.options.get("precision") == "month" else date

    def to_json(self, field: Field, raw: Any, ctx: ValueContext) -> Any:
        date = dialect.as_date(raw)
        return date.isoformat() if date else None

    def export_value(self, field: Field, raw: Any, ctx: ValueContext) -> Any:
        return dialect.as_date(raw)

    def search_text(self, field: Field, raw: Any, ctx: ValueContext) -> str:
        date = dialect.as_date(raw)
        return date.isoformat() if date else ""

    def search_texts(self, field: Field, values: list[Any], ctx: ValueContext) -> list[str]:
        text = self.search_text
        return ["" if v is None else v.isoformat() if v.__class__ is dt.date
                else text(field, v, ctx) for v in values]

    def column_forms(self, field: Field, values: list[Any], ctx: ValueContext
                     ) -> tuple[list[Any], list[str] | None]:
        # SQLite stores a date as its ISO text, which is also its search text: one isoformat().
        if not dialect.is_sqlite() or not set(map(type, values)) <= _DATES:
            return super().column_forms(field, values, ctx)
        texts = ["" if v is None else v.isoformat() for v in values]
        return [t or None for t in texts], texts

    def cursor_param(self, key: Any) -> Any:
        return None if key is None else self.to_param(dt.date.fromisoformat(key))


class DateTimeType(FieldType):
    key = "datetime"
    in_formulas = "date"
    import_kind = "datetime"
    export_kind = "datetime"
    label = gettext_lazy("Date and time")
    storage = "datetime"
    operators = ORDERED

    def clean(self, field: Field, value: Any, ctx: ValueContext) -> Any:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        moment = read_datetime(value)
        check_year(moment.astimezone(TOKYO), value)
        return moment

    def filter_value(self, field: Field, text: str, ctx: ValueContext) -> Any:
        if not text.strip():
            raise FieldValueError(_("A value is needed for this filter."))
        return read_datetime(text)

    def to_json(self, field: Field, raw: Any, ctx: ValueContext) -> Any:
        moment = dialect.as_datetime(raw)
        return moment.astimezone(TOKYO).isoformat() if moment else None

    def export_value(self, field: Field, raw: Any, ctx: ValueContext) -> Any:
        moment = dialect.as_datetime(raw)
        return moment.astimezone(TOKYO) if moment else None

    def formula_value(self, field: Field, raw: Any, ctx: ValueContext) -> Any:
        moment = dialect.as_datetime(raw)
        return moment.astimezone(TOKYO).date() if moment else None  # the day in Tokyo

    def cursor_param(self, key: Any) -> Any:
        return None if key is None else self.to_param(dialect.as_datetime(key))
