"""The number type: amounts, counts, areas. Stored as NUMERIC; JSON numbers out."""

from __future__ import annotations

import math
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from daicho.errors import FieldValueError, InvalidInput
from daicho.fields.base import ORDERED, FieldType, reject_unknown

if TYPE_CHECKING:
    from daicho.fields.context import ValueContext
    from daicho.models import Field

MAX_DIGITS = 17  # what a double can carry; see _fits_double
EXACT_DIGITS = 15  # any decimal of at most this many digits survives a double unchanged
_STRIP = str.maketrans("", "", ", \u3000¥\\円")


def parse_decimal(value: Any) -> Decimal:
    """A number typed the way Japanese offices type it: 1,000 / １，０００ / ￥1,000 / △500."""
    if isinstance(value, bool):
        raise FieldValueError(_("Enter a number."))
    if isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise FieldValueError(_("Enter a number."))
        result = Decimal(repr(value))
    elif isinstance(value, Decimal):
        result = value
    elif isinstance(value, str):
        text = unicodedata.normalize("NFKC", value).strip().translate(_STRIP)
        negative = text[:1] in ("△", "▲")
        if negative:
            text = text[1:]
        if len(text) > 40:
            raise FieldValueError(_("Enter a number."))
        try:
            result = Decimal(text)
        except InvalidOperation:
            raise FieldValueError(_("Enter a number.")) from None
        if negative:
            result = -result
    else:
        raise FieldValueError(_("Enter a number."))
    if not result.is_finite():
        raise FieldValueError(_("Enter a number."))
    return result


def _fits_double(number: Decimal) -> bool:
    """SQLite keeps non-integers as doubles: accept 16–17 digits only when a double gives them
    back exactly (as in coordinates like 34.86524360019246), so both databases store the same."""
    return Decimal(repr(float(number))) == number


class NumberType(FieldType):
    key = "number"
    export_kind = "number"
    label = gettext_lazy("Number")
    storage = "number"
    operators = ORDERED
    summable = True
    searchable = True

    def clean_options(self, options: dict[str, Any], ctx: ValueContext) -> dict[str, Any]:
        reject_unknown(options, {"decimals", "unit", "separator"})
        decimals = options.get("decimals", 0)
        unit = options.get("unit", "")
        separator = options.get("separator", True)
        if not isinstance(decimals, int) or isinstance(decimals, bool) or not 0 <= decimals <= 15:
            raise InvalidInput(_("decimals must be a whole number from 0 to 15."))
        if not isinstance(unit, str) or len(unit) > 10 or any(ch < " " for ch in unit):
            raise InvalidInput(_("unit must be text of at most 10 characters."))
        if not isinstance(separator, bool):
            raise InvalidInput(_("separator must be true or false."))
        return {"decimals": decimals, "unit": unit, "separator": separator}

    def clean(self, field: Field, value: Any, ctx: ValueContext) -> Any:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        number = parse_decimal(value)
        if number and number.adjusted() >= MAX_DIGITS:
            raise FieldValueError(_("The number is too large (at most %(n)d digits).")
                                  % {"n": MAX_DIGITS})
        decimals = int(field.options.get("decimals", 0))
        exponent = number.as_tuple().exponent
        if isinstance(exponent, int) and -exponent > decimals:
            if number != number.quantize(Decimal(1).scaleb(-decimals)):
                if decimals == 0:
                    raise FieldValueError(_("Enter a whole number."))
                raise FieldValueError(_("Enter at most %(n)d decimal places.") % {"n": decimals})
        number = number.quantize(Decimal(1).scaleb(-decimals))
        digits = len(number.as_tuple().digits)
        if digits > MAX_DIGITS or (digits > EXACT_DIGITS and not _fits_double(number)):
            raise FieldValueError(_("The number has too many digits (at most %(n)d).")
                                  % {"n": EXACT_DIGITS})
        return number

    def _decimal(self, field: Field, raw: Any) -> Decimal | None:
        if raw is None:
            return None
        decimals = int(field.options.get("decimals", 0))
        number = raw if isinstance(raw, Decimal) else Decimal(repr(raw) if isinstance(raw, float)
                                                              else str(raw))
        return number.quantize(Decimal(1).scaleb(-decimals))

    def to_json(self, field: Field, raw: Any, ctx: ValueContext) -> Any:
        number = self._decimal(field, raw)
        if number is None:
            return None
        if int(field.options.get("decimals", 0)) == 0:
            return int(number)
        return float(number)

    def export_value(self, field: Field, raw: Any, ctx: ValueContext) -> Any:
        return self._decimal(field, raw)

    def search_text(self, field: Field, raw: Any, ctx: ValueContext) -> str:
        number = self._decimal(field, raw)
        return "" if number is None else str(number)

    def cursor_param(self, key: Any) -> Any:
        return self.to_param(Decimal(str(key))) if key is not None else None
