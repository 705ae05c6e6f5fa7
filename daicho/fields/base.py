"""The field-type contract. Each type is one small class that owns everything about itself:
options, storage column, input cleaning, JSON value, filters, sort, search text, export value
and history formatting. No other module branches on a type key."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from daicho.db import dialect
from daicho.error_codes import Code
from daicho.errors import FieldValueError, InvalidInput
from daicho.importing.values import parse_value as parse_cell
from daicho.importing.values import text_of

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise

    from daicho.fields.context import ValueContext
    from daicho.models import Field

ORDERED = frozenset({"eq", "ne", "lt", "le", "gt", "ge", "in", "empty", "notempty"})
TEXTUAL = ORDERED | {"contains", "startswith"}
ALL_OPERATORS = TEXTUAL
MAX_IN_VALUES = 200

_COMPARISON = {"eq": "=", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}


def check_text(value: str, *, multiline: bool, max_length: int) -> str:
    """Reject what no ledger cell should hold: NUL and other control characters, oversize text."""
    if len(value) > max_length:
        raise FieldValueError(_("Enter at most %(n)d characters.") % {"n": max_length})
    for ch in value:
        if ch < " " and not (multiline and ch in "\t\r\n"):
            if ch in "\r\n":
                raise FieldValueError(_("Line breaks are not allowed here; use a multi-line text field."))
            raise FieldValueError(_("The text contains a control character."))
    return value


def reject_unknown(options: dict[str, Any], allowed: set[str]) -> None:
    unknown = set(options) - allowed
    if unknown:
        raise InvalidInput(_("Unknown options: %(keys)s") % {"keys": ", ".join(sorted(map(str, unknown)))},
                           code=Code.INVALID_OPTIONS)


class FieldType:
    key: ClassVar[str]
    label: ClassVar[_StrPromise]
    storage: ClassVar[str] = "text"  # text | number | date | datetime | bool | int
    operators: ClassVar[frozenset[str]] = ORDERED
    sortable: ClassVar[bool] = True
    indexed: ClassVar[bool] = True
    searchable: ClassVar[bool] = False
    can_be_unique: ClassVar[bool] = True
    writable: ClassVar[bool] = True
    groupable: ClassVar[bool] = True
    summable: ClassVar[bool] = False
    # How an import reads a cell into this type: a parser kind of daicho.importing.values
    # (IMPORT_KINDS: text, number, date, datetime, yesno, choice, multichoice, email, url), or
    # None when the cell's text goes to clean() as it is (a login, a department code, a record
    # id) or an import leaves the column out (a formula). Every type says which: parse_value.
    import_kind: ClassVar[str | None]
    # How exports write the value: a cell kind of daicho.exporting (KINDS: text, textarea —
    # text that wraps in xlsx —, number, date, datetime, yesno, multichoice — one value per
    # line —, link). Every type says which.
    export_kind: ClassVar[str]
    # The kind a formula sees in this field (daicho.formula.values.KINDS); "any": checked only
    # when the formula runs.
    in_formulas: ClassVar[str] = "any"
    # True for a type whose values the engine computes from other fields (formula).
    computed: ClassVar[bool] = False
    # True for a type whose cleaned value is made final against the record's stored value
    # (against()): the subtable's row ids.
    needs_current: ClassVar[bool] = False
    # True for a type whose values come from another record (lookup): read-only as well.
    derived: ClassVar[bool] = False

    def for_field(self, field: Field) -> FieldType:
        """This type as it applies to `field`: itself, except for a type whose column and
        capabilities depend on the field's options (a formula stores what its result is)."""
        return self

    # -- options -------------------------------------------------------------------------------
    def clean_options(self, options: dict[str, Any], ctx: ValueContext) -> dict[str, Any]:
        """Validate and normalise a field's options; unknown keys are refused."""
        if options:
            raise InvalidInput(_("This field type takes no options: %(keys)s")
                               % {"keys": ", ".join(sorted(options))})
        return {}

    def sql_type(self) -> str:
        return dialect.type_for(self.storage)

    def condition_values(self, field: Field) -> list[tuple[str, str]] | None:
        """The values a record condition on this field picks from (the permission screen's
        condition builder), as (the text a filter takes, what people read); None: typed."""
        return None

    # -- values --------------------------------------------------------------------------------
    def clean(self, field: Field, value: Any, ctx: ValueContext) -> Any:
        """Input (API JSON, import, form) → the storage value, or None for empty.

        Raises FieldValueError with a message meant for the person who typed the value."""
        raise NotImplementedError

    def against(self, field: Field, stored: Any, current: Any, ctx: ValueContext) -> Any:
        """A cleaned value made final against the record's stored value of the field (None
        for a new record); called by the writers only for a type with `needs_current`."""
        return stored

    def added_choices(self, field: Field, texts: Iterable[str]) -> list[str]:
        """Of these texts (an import's values for the field), the ones the field would have to
        add to its choices to hold them, in order; [] for a type without choices."""
        return []

    def clean_column(self, field: Field, values: list[Any], ctx: ValueContext) -> list[Any] | None:
        """clean() of a whole column (an import's, each value as a cell gave it) when every
        value passes as it is — checked with a few calls over the column instead of one per
        value. None means "clean them one by one", which also finds each refusal's message."""
        return None

    def parse_value(self, field: Field, cell: Any) -> Any:
        """One cell of an imported file, as a reader gives it (str stripped, float, int, bool,
        Decimal, date, datetime, time, timedelta or None) → a value clean() takes, None for
        empty. Raises daicho.importing.ValueParseError for a value this type cannot hold.
        The importer calls daicho.importing.values.parse_value with `import_kind` itself on its
        per-cell path; this is that call, for one cell."""
        if self.import_kind is None:
            return None if cell is None else text_of(cell)
        return parse_cell(self.import_kind, field.options, cell)

    def to_json(self, field: Field, raw: Any, ctx: ValueContext) -> Any:
        """A value read from the database → the JSON value of contract §4.1."""
        return raw

    def to_param(self, stored: Any) -> Any:
        """A storage value → a driver parameter."""
        return dialect.param(stored)

    def to_params(self, values: list[Any]) -> list[Any]:
        """to_param of a column of storage values (an import's); may return `values` itself."""
        if type(self).to_param is FieldType.to_param:
            return dialect.params(values)
        return list(map(self.to_param, values))

    def convert(self, field: Field, old_value: Any, ctx: ValueContext) -> Any:
        """A JSON value of another type → the storage value of this type (type change)."""
        if old_value is None:
            return None
        try:
            return self.clean(field, old_value, ctx)
        except FieldValueError:
            if isinstance(old_value, list):
                old_value = "、".join(str(v.get("name", v)) if isinstance(v, dict) else str(v)
                                     for v in old_value)
            if isinstance(old_value, bool):
                old_value = "true" if old_value else "false"
            return self.clean(field, str(old_value), ctx)

    def search_text(self, field: Field, raw: Any, ctx: ValueContext) -> str:
        return ""

    def search_texts(self, field: Field, values: list[Any], ctx: ValueContext) -> list[str]:
        """search_text of a column of storage values, "" for None (an import's)."""
        text = self.search_text
        return ["" if v is None else text(field, v, ctx) for v in values]

    def column_forms(self, field: Field, values: list[Any], ctx: ValueContext
                     ) -> tuple[list[Any], list[str] | None]:
        """A column of storage values (an import's) as driver parameters and, when the type is
        searchable, search texts: to_params and search_texts, made together by a type that can
        make one from the other."""
        return self.to_params(values), (self.search_texts(field, values, ctx)
                                        if self.searchable else None)

    def export_value(self, field: Field, raw: Any, ctx: ValueContext) -> Any:
        """The Python value an xlsx/CSV writer gets (date, Decimal, bool, str, list)."""
        return self.to_json(field, raw, ctx)

    def history_value(self, field: Field, raw: Any, ctx: ValueContext) -> Any:
        return self.to_json(field, raw, ctx)

    def line_columns(self, field: Field) -> list[tuple[str, str, str, dict[str, Any]]] | None:
        """The columns (code, name, export kind, options) the field spreads into in the export's
        "one row per detail line" layout; None: it stays one column (every type but detail
        rows)."""
        return None

    def line_values(self, field: Field, raw: Any, ctx: ValueContext) -> list[list[Any]]:
        """Per detail row, the export values of line_columns()."""
        return []

    def change_detail(self, field: Field, old: Any, new: Any) -> dict[str, Any]:
        """What the history API adds to a change of this field from JSON value `old` to `new`
        (a subtable's row changes: {"rows": [...]}); {} for most types."""
        return {}

    def formula_kind(self, field: Field) -> str:
        return self.in_formulas

    def formula_refs(self, field: Field) -> dict[str, str]:
        """The names a formula may use for this field (its code, or `code.part` for a part
        of its value), each with the kind it gives."""
        return {field.code: self.formula_kind(field)}

    def formula_part(self, field: Field, raw: Any, part: str, ctx: ValueContext) -> Any:
        """The value of `code.part` (formula_refs) for a stored value of this field."""
        return None

    def formula_value(self, field: Field, raw: Any, ctx: ValueContext) -> Any:
        """A database value → what a formula computes with (Decimal, str, date, bool, list)."""
        return None if raw is None else self.export_value(field, raw, ctx)

    def cursor_key(self, raw: Any) -> Any:
        """A database value → something JSON can carry inside a page cursor."""
        if isinstance(raw, dt.datetime | dt.date):
            return raw.isoformat()
        if isinstance(raw, Decimal):
            return str(raw)
        return raw

    def cursor_param(self, key: Any) -> Any:
        return key

    # -- filters -------------------------------------------------------------------------------
    def filter_value(self, field: Field, text: str, ctx: ValueContext) -> Any:
        """A filter's VALUE text → the storage value it compares against."""
        value = self.clean(field, text, ctx)
        if value is None:
            raise FieldValueError(_("A value is needed for this filter."))
        return value

    def filter_sql(self, field: Field, column: str, op: str, text: str,
                   ctx: ValueContext) -> tuple[str, list[Any]]:
        if op == "empty":
            return f"{column} IS NULL", []
        if op == "notempty":
            return f"{column} IS NOT NULL", []
        if op == "in":
            parts = [p for p in text.split(",")]
            if not parts or len(parts) > MAX_IN_VALUES:
                raise FieldValueError(_("Give between 1 and %(n)d values.") % {"n": MAX_IN_VALUES})
            values = [self.to_param(self.filter_value(field, p.strip(), ctx)) for p in parts]
            return f"{column} IN ({', '.join(['%s'] * len(values))})", values
        if op == "ne":
            return dialect.distinct(column), [self.to_param(self.filter_value(field, text, ctx))]
        if op in _COMPARISON:
            value = self.to_param(self.filter_value(field, text, ctx))
            return f"{column} {_COMPARISON[op]} %s", [value]
        if op == "contains":
            return dialect.ilike(column), [f"%{dialect.like_escape(text)}%"]
        if op == "startswith":
            return dialect.like(column), [f"{dialect.like_escape(text)}%"]
        raise FieldValueError(_("Unknown operator."))


def type_label(type_key: str) -> str:
    return str(gettext_lazy(type_key))
