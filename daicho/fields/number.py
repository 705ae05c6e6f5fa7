"""The number type: amounts, counts, areas. Stored as NUMERIC; JSON numbers out."""

from __future__ import annotations

import functools
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

_DECIMALS = frozenset({Decimal, type(None)})
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


@functools.cache
def _unit(decimals: int) -> Decimal:
    """1 in the last decimal place a field keeps: 1, 0.1, 0.01 …"""
    return Decimal(1).scaleb(-decimals)


def _fits_double(number: Decimal) -> bool:
    """SQLite keeps non-integers as doubles: accept 16–17 digits only when a double gives them
    back exactly (as in coordinates like 34.86524360019246), so both databases store the same."""
    return Decimal(repr(float(number))) == number


class NumberType(FieldType):
    key = "number"
    in_formulas = "number"
    import_kind = "number"
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
        # An import cleans a Decimal per distinct cell, hundreds of thousands of them: those
        # skip parse_decimal, and as_tuple() (which builds a tuple of digits) is not used.
        if value.__class__ is Decimal and value.is_finite():
            number = value
        elif value is None or (isinstance(value, str) and not value.strip()):
            return None
        else:
            number = parse_decimal(value)
        if number and number.adjusted() >= MAX_DIGITS:
            raise FieldValueError(_("The number is too large (at most %(n)d digits).")
                                  % {"n": MAX_DIGITS})
        decimals = int(field.options.get("decimals", 0))
        rounded = number.quantize(_unit(decimals))
        if rounded != number:  # more decimal places than the field keeps, and not only zeros
            if decimals == 0:
                raise FieldValueError(_("Enter a whole number."))
            raise FieldValueError(_("Enter at most %(n)d decimal places.") % {"n": decimals})
        digits = rounded.adjusted() + decimals + 1  # quantize() set the exponent to -decimals
        if digits > MAX_DIGITS or (digits > EXACT_DIGITS and not _fits_double(rounded)):
            raise FieldValueError(_("The number has too many digits (at most %(n)d).")
                                  % {"n": EXACT_DIGITS})
        return rounded

    def clean_column(self, field: Field, values: list[Any], ctx: ValueContext) -> list[Any] | None:
        # Numbers the reader already made Decimals: all of them at the field's places, and
        # none too long to keep exactly, is what clean() checks one by one.
        if type(self).clean is not NumberType.clean or not set(map(type, values)) <= _DECIMALS:
            return None
        decimals = int(field.options.get("decimals", 0))
        unit = _unit(decimals)
        try:
            rounded = [None if v is None else v.quantize(unit) for v in values]
            if rounded != values:  # more places than the field keeps (or not a number)
                return None
        except InvalidOperation:
            return None
        present = [v for v in rounded if v is not None]
        if present and max(map(Decimal.adjusted, present)) + decimals + 1 > EXACT_DIGITS:
            return None
        return rounded

    def _decimal(self, field: Field, raw: Any) -> Decimal | None:
        if raw is None:
            return None
        decimals = int(field.options.get("decimals", 0))
        number = raw if isinstance(raw, Decimal) else Decimal(repr(raw) if isinstance(raw, float)
                                                              else str(raw))
        return number.quantize(_unit(decimals))

    def to_json(self, field: Field, raw: Any, ctx: ValueContext) -> Any:
        if type(raw) is int and not field.options.get("decimals"):
            return raw  # a whole number stored as one: nothing to round (list pages' hot path)
        number = self._decimal(field, raw)
        if number is None:
            return None
        if int(field.options.get("decimals", 0)) == 0:
            return int(number)
        return float(number)

    def export_value(self, field: Field, raw: Any, ctx: ValueContext) -> Any:
        return self._decimal(field, raw)

    def formula_value(self, field: Field, raw: Any, ctx: ValueContext) -> Any:
        # Stored values are at the field's places already: only the driver's type changes
        # (a recompute reads a million of them).
        cls = raw.__class__
        if cls is Decimal or raw is None:
            return raw
        if cls is int:
            return Decimal(raw)
        return self._decimal(field, raw)

    def search_text(self, field: Field, raw: Any, ctx: ValueContext) -> str:
        number = self._decimal(field, raw)
        return "" if number is None else str(number)

    def search_texts(self, field: Field, values: list[Any], ctx: ValueContext) -> list[str]:
        # clean() gives Decimals already at the field's places: no per-value option lookups.
        unit = _unit(int(field.options.get("decimals", 0)))
        text = self.search_text
        return ["" if v is None else str(v.quantize(unit)) if v.__class__ is Decimal
                else text(field, v, ctx) for v in values]

    def cursor_param(self, key: Any) -> Any:
        return self.to_param(Decimal(str(key))) if key is not None else None
