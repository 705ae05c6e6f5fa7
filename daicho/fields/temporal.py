"""Dates and date-times. Dates are 'YYYY-MM-DD' in JSON; date-times ISO 8601 with an offset."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from daicho.db import dialect
from daicho.errors import FieldValueError, InvalidInput
from daicho.fields.base import ORDERED, FieldType, reject_unknown
from daicho.importing.wareki import try_parse_date
from daicho.localtime import TOKYO

if TYPE_CHECKING:
    from daicho.fields.context import ValueContext
    from daicho.models import Field

_DATE_RE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")


_DATES = frozenset({dt.date, type(None)})


def parse_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.astimezone(TOKYO).date() if value.tzinfo else value.date()
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str):
        raise FieldValueError(_("Enter a date as YYYY-MM-DD."))
    text = unicodedata.normalize("NFKC", value).strip()
    match = _DATE_RE.match(text)
    if match:
        try:
            return dt.date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            raise FieldValueError(_("This date does not exist.")) from None
    parsed = try_parse_date(text)  # 和暦 (R6.12.28, 平成31年4月30日) and other written forms
    if parsed is None:
        raise FieldValueError(_("Enter a date as YYYY-MM-DD."))
    return parsed.date


class DateType(FieldType):
    key = "date"
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
        if not 1 <= date.year <= 9999:
            raise FieldValueError(_("This date does not exist."))
        if field.options.get("precision") == "month":
            date = date.replace(day=1)
        return date

    def clean_column(self, field: Field, values: list[Any], ctx: ValueContext) -> list[Any] | None:
        # Dates the reader already made (a date has a year from 1 to 9999 by construction).
        if type(self).clean is not DateType.clean or not set(map(type, values)) <= _DATES:
            return None
        if field.options.get("precision") == "month":
            return [None if v is None else v.replace(day=1) for v in values]
        return values

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
    export_kind = "datetime"
    label = gettext_lazy("Date and time")
    storage = "datetime"
    operators = ORDERED

    def clean(self, field: Field, value: Any, ctx: ValueContext) -> Any:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, dt.datetime):
            moment = value
        elif isinstance(value, str):
            text = unicodedata.normalize("NFKC", value).strip()
            if len(text) > 40:
                raise FieldValueError(_("Enter a date and time in ISO 8601 form."))
            try:
                moment = dt.datetime.fromisoformat(text.replace("/", "-"))
            except ValueError:
                raise FieldValueError(_("Enter a date and time in ISO 8601 form.")) from None
        else:
            raise FieldValueError(_("Enter a date and time in ISO 8601 form."))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=TOKYO)
        return moment.astimezone(dt.UTC).replace(microsecond=0)

    def to_json(self, field: Field, raw: Any, ctx: ValueContext) -> Any:
        moment = dialect.as_datetime(raw)
        return moment.astimezone(TOKYO).isoformat() if moment else None

    def export_value(self, field: Field, raw: Any, ctx: ValueContext) -> Any:
        moment = dialect.as_datetime(raw)
        return moment.astimezone(TOKYO) if moment else None

    def cursor_param(self, key: Any) -> Any:
        return None if key is None else self.to_param(dialect.as_datetime(key))
