"""The lookup type: a field of the record a link field points at, shown in the linking ledger.

The value is stored in the ledger's table, in a column of the looked-up field's storage, so
filter, sort, aggregate and export treat it as a value of that field's type. The options name
the link field (`link`) and the field of the linked ledger (`field`); when the field is saved,
daicho.services.lookups checks them against the ledgers and adds `source` (the linked ledger,
the looked-up field's type and options), which `for_field` uses to hand out a type that
behaves as the looked-up field's. Nobody writes the value: daicho.services.lookups fills it
inside each record writer's transaction and makes it follow the linked record."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from daicho.error_codes import Code
from daicho.errors import FieldValueError, InvalidInput
from daicho.fields.base import TEXTUAL, FieldType, reject_unknown

if TYPE_CHECKING:
    from daicho.fields.context import ValueContext
    from daicho.models import Field

CODE_LIMIT = 64


class LookupType(FieldType):
    key = "lookup"
    label = gettext_lazy("Lookup")
    writable = False
    derived = True
    can_be_unique = False
    operators = TEXTUAL  # before it is checked; then those of the looked-up field (for_field)
    # Exported as the looked-up field is (for_field); nobody writes the value, so an import
    # leaves the column out.
    export_kind = "text"
    import_kind = None

    def for_field(self, field: Field) -> FieldType:
        source = source_field(field)
        if source is None:
            return self
        from daicho.fields import type_for

        return _variant(type_for(source))

    # -- options -------------------------------------------------------------------------------
    def clean_options(self, options: dict[str, Any], ctx: ValueContext) -> dict[str, Any]:
        """The shape of the options; daicho.services.lookups.check_fields checks them against
        the ledgers (400 invalid_lookup, lookup_cycle) and adds `source`."""
        reject_unknown(options, {"link", "field", "copy", "source"})
        out: dict[str, Any] = {}
        for key in ("link", "field"):
            value = options.get(key)
            if not isinstance(value, str) or not value.strip() or len(value) > CODE_LIMIT:
                raise InvalidInput(_("options.%(key)s must be the code of a field.") % {"key": key},
                                   code=Code.INVALID_LOOKUP, details={"option": key})
            out[key] = value.strip()
        copy = options.get("copy", False)
        if not isinstance(copy, bool):
            raise InvalidInput(_("options.copy must be true or false."), code=Code.INVALID_OPTIONS)
        if copy:
            out["copy"] = True
        return out

    def clean(self, field: Field, value: Any, ctx: ValueContext) -> Any:
        raise FieldValueError(_("This field shows a value of the linked record; it cannot be "
                                "written."))

    def convert(self, field: Field, old_value: Any, ctx: ValueContext) -> Any:
        return None  # filled afresh from the linked records (services.lookups)


def source_field(field: Field) -> Field | None:
    """The looked-up field as this lookup knows it (options.source): its type and options under
    the lookup's own code, name and column; None before the lookup is checked."""
    cached: Field | None = field.__dict__.get("_lookup_source")
    source = field.options.get("source") if isinstance(field.options, dict) else None
    if cached is not None and cached.options is (source or {}).get("options"):
        return cached
    if not isinstance(source, dict) or not isinstance(source.get("type"), str):
        return None
    from daicho.fields import REGISTRY
    from daicho.models import Field as FieldModel

    if source["type"] not in REGISTRY:
        return None
    found = FieldModel(id=field.id, ledger_id=field.ledger_id, code=field.code, name=field.name,
                       type=source["type"], options=source.get("options") or {},
                       column=field.column)
    field.__dict__["_lookup_source"] = found
    return found


class _Delegating(LookupType):
    """A lookup as the looked-up field's type: every value method is that type's, called with
    the looked-up field's options (source_field)."""

    inner: FieldType

    def _src(self, field: Field) -> Field:
        return source_field(field) or field

    def formula_kind(self, field: Field) -> str:
        return self.inner.formula_kind(self._src(field))

    def to_json(self, field: Field, raw: Any, ctx: ValueContext) -> Any:
        return self.inner.to_json(self._src(field), raw, ctx)

    def to_param(self, stored: Any) -> Any:
        return self.inner.to_param(stored)

    def export_value(self, field: Field, raw: Any, ctx: ValueContext) -> Any:
        return self.inner.export_value(self._src(field), raw, ctx)

    def history_value(self, field: Field, raw: Any, ctx: ValueContext) -> Any:
        return self.inner.history_value(self._src(field), raw, ctx)

    def formula_value(self, field: Field, raw: Any, ctx: ValueContext) -> Any:
        return self.inner.formula_value(self._src(field), raw, ctx)

    def search_text(self, field: Field, raw: Any, ctx: ValueContext) -> str:
        return self.inner.search_text(self._src(field), raw, ctx)

    def cursor_key(self, raw: Any) -> Any:
        return self.inner.cursor_key(raw)

    def cursor_param(self, key: Any) -> Any:
        return self.inner.cursor_param(key)

    def condition_values(self, field: Field) -> list[tuple[str, str]] | None:
        return self.inner.condition_values(self._src(field))

    def filter_value(self, field: Field, text: str, ctx: ValueContext) -> Any:
        return self.inner.filter_value(self._src(field), text, ctx)

    def filter_sql(self, field: Field, column: str, op: str, text: str,
                   ctx: ValueContext) -> tuple[str, list[Any]]:
        return self.inner.filter_sql(self._src(field), column, op, text, ctx)


_CLASSES: dict[type[FieldType], type[_Delegating]] = {}


def _variant_class(inner_class: type[FieldType]) -> type[_Delegating]:
    found = _CLASSES.get(inner_class)
    if found is not None:
        return found
    found = _CLASSES[inner_class] = type(f"Lookup{inner_class.__name__}", (_Delegating,), {
        "storage": inner_class.storage, "operators": inner_class.operators,
        "groupable": inner_class.groupable, "summable": inner_class.summable,
        "export_kind": inner_class.export_kind, "import_kind": None, "indexed": inner_class.indexed,
        "sortable": inner_class.sortable, "in_formulas": inner_class.in_formulas,
    })
    return found


def _variant(inner: FieldType) -> FieldType:
    variant = _variant_class(type(inner))()
    variant.inner = inner
    return variant
