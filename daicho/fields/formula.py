"""The formula type: a value computed from the record's other fields by an expression of
daicho.formula, stored in the ledger's table as a value of its result type (number, text,
date or yes/no) so that filter, sort, search, aggregate and export treat it like any other.

One FormulaType per result: `for_field` hands out the one whose column and capabilities are
the result type's; every value method delegates to that result type. Nobody writes the value:
daicho.services.formulas computes it inside each record writer's transaction."""

from __future__ import annotations

import functools
from decimal import ROUND_DOWN, ROUND_HALF_UP, ROUND_UP, Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from daicho.error_codes import Code
from daicho.errors import FieldValueError, InvalidInput
from daicho.fields.base import FieldType, check_text, reject_unknown
from daicho.fields.choice import YesNoType
from daicho.fields.number import EXACT_DIGITS, NumberType
from daicho.fields.temporal import DateType, check_year
from daicho.fields.text import TextType
from daicho.formula import coerce

if TYPE_CHECKING:
    from daicho.fields.context import ValueContext
    from daicho.models import Field

RESULTS: dict[str, FieldType] = {
    "number": NumberType(), "text": TextType(), "date": DateType(), "yesno": YesNoType(),
}
ROUNDING = {"half_up": ROUND_HALF_UP, "down": ROUND_DOWN, "up": ROUND_UP}
MAX_DECIMALS = 15


class FormulaType(FieldType):
    key = "formula"
    label = gettext_lazy("Formula")
    writable = False
    computed = True
    can_be_unique = False
    searchable = True
    result: ClassVar[str] = "text"
    inner: ClassVar[FieldType] = RESULTS["text"]
    storage = inner.storage
    operators = inner.operators
    groupable = inner.groupable
    export_kind = inner.export_kind
    import_kind = None  # nobody writes the value: an import leaves the column out (warned)

    def for_field(self, field: Field) -> FieldType:
        return _VARIANTS.get(str(field.options.get("result")), self)

    @staticmethod
    def _inner(field: Field) -> FieldType:
        return RESULTS.get(str(field.options.get("result")), RESULTS["text"])

    # -- options -------------------------------------------------------------------------------
    def clean_options(self, options: dict[str, Any], ctx: ValueContext) -> dict[str, Any]:
        """The shape of the options; the expression itself is checked against the ledger's
        fields by daicho.services.formulas.check_ledger (400 invalid_expression)."""
        reject_unknown(options, {"expression", "result", "decimals", "rounding"})
        expression = options.get("expression")
        if not isinstance(expression, str) or not expression.strip():
            raise InvalidInput(_("Enter the formula of this field."), code=Code.INVALID_EXPRESSION,
                               details={"position": 0})
        result = options.get("result", "number")
        if result not in RESULTS:
            raise InvalidInput(_("result must be number, text, date or yesno."),
                               code=Code.INVALID_OPTIONS)
        out: dict[str, Any] = {"expression": expression, "result": result}
        if result == "number":
            decimals = options.get("decimals", 0)
            if not isinstance(decimals, int) or isinstance(decimals, bool) or \
                    not 0 <= decimals <= MAX_DECIMALS:
                raise InvalidInput(_("decimals must be a whole number from 0 to 15."),
                                   code=Code.INVALID_OPTIONS)
            rounding = options.get("rounding", "half_up")
            if rounding not in ROUNDING:
                raise InvalidInput(_("rounding must be half_up, down or up."),
                                   code=Code.INVALID_OPTIONS)
            out.update(decimals=decimals, rounding=rounding)
        return out

    def formula_kind(self, field: Field) -> str:
        return str(field.options.get("result", "text"))

    # -- values --------------------------------------------------------------------------------
    def clean(self, field: Field, value: Any, ctx: ValueContext) -> Any:
        raise FieldValueError(_("This field is calculated by its formula; it cannot be written."))

    def convert(self, field: Field, old_value: Any, ctx: ValueContext) -> Any:
        return None  # a field turned into a formula is computed afresh (services.formulas)

    def store(self, field: Field, value: Any) -> Any:
        """A formula's value → the storage value of its result, rounded as the field says;
        None when the value is not one (a date before 1868, a number too long to keep)."""
        result = str(field.options.get("result", "text"))
        value = coerce(value, result)
        if value is None:
            return None
        try:
            if result == "number":
                places = int(field.options.get("decimals", 0))
                mode = ROUNDING[field.options.get("rounding", "half_up")]
                rounded = value.quantize(_unit(places), rounding=mode)
                if not rounded or rounded.adjusted() + places + 1 <= EXACT_DIGITS:
                    return rounded  # what NumberType.clean accepts without more ado
                return RESULTS["number"].clean(field, rounded, None)  # type: ignore[arg-type]
            if result == "date":
                check_year(value, value)
            elif result == "text":
                check_text(value, multiline=True, max_length=settings.DAICHO["MAX_TEXT_LENGTH"])
        except (FieldValueError, ArithmeticError):
            return None
        return value

    def to_json(self, field: Field, raw: Any, ctx: ValueContext) -> Any:
        return self._inner(field).to_json(field, raw, ctx)

    def formula_value(self, field: Field, raw: Any, ctx: ValueContext) -> Any:
        return self._inner(field).formula_value(field, raw, ctx)

    def to_param(self, stored: Any) -> Any:
        return self.inner.to_param(stored)

    def export_value(self, field: Field, raw: Any, ctx: ValueContext) -> Any:
        return self._inner(field).export_value(field, raw, ctx)

    def history_value(self, field: Field, raw: Any, ctx: ValueContext) -> Any:
        return self._inner(field).history_value(field, raw, ctx)

    def search_text(self, field: Field, raw: Any, ctx: ValueContext) -> str:
        return self._inner(field).search_text(field, raw, ctx)

    def cursor_key(self, raw: Any) -> Any:
        return self.inner.cursor_key(raw)

    def cursor_param(self, key: Any) -> Any:
        return self.inner.cursor_param(key)

    def filter_value(self, field: Field, text: str, ctx: ValueContext) -> Any:
        return self._inner(field).filter_value(field, text, ctx)

    def filter_sql(self, field: Field, column: str, op: str, text: str,
                   ctx: ValueContext) -> tuple[str, list[Any]]:
        return self._inner(field).filter_sql(field, column, op, text, ctx)


@functools.cache
def _unit(places: int) -> Decimal:
    return Decimal(1).scaleb(-places)


def _variant(result: str) -> FormulaType:
    inner = RESULTS[result]
    cls: type[FormulaType] = type(f"Formula{result.title()}Type", (FormulaType,), {
        "result": result, "inner": inner, "storage": inner.storage,
        "operators": inner.operators, "groupable": inner.groupable,
        "summable": inner.summable, "export_kind": inner.export_kind,
        "indexed": inner.indexed, "sortable": inner.sortable,
    })
    return cls()


_VARIANTS: dict[str, FieldType] = {result: _variant(result) for result in RESULTS}
