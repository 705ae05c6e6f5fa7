"""An import's cells as the fields' values: every mapped column converted to its field's type and
cleaned by the field, column by column and each distinct value once; what does not convert or
clean is collected per row in the Outcome (the report's errors), not raised."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from daicho.errors import FieldValueError
from daicho.fields import type_for
from daicho.fields.context import ValueContext
from daicho.importing import ParsedTable, ValueParseError, parse_value
from daicho.importing import text_of as cell_text
from daicho.selectors.ledgers import LedgerSchema
from daicho.services import records as record_svc
from daicho.services.import_reading import Progress

MAX_REPORTED = 1000


@dataclass
class Outcome:
    created: int = 0
    updates: list[tuple[int, record_svc.Prepared]] = field(default_factory=list)
    unchanged: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    error_count: int = 0
    bad_rows: set[int] = field(default_factory=set)
    # (row, stage, column, entry): sorted into row order by finish(); at most MAX_REPORTED
    # per column and stage are kept, which is enough for the first MAX_REPORTED in row order.
    _pending: list[tuple[int, int, int, dict[str, Any]]] = field(default_factory=list)
    _kept: dict[tuple[int, int], int] = field(default_factory=dict)

    def error(self, row: int, name: str, value: Any, message: str, *, stage: int = 0,
              column: int = 0) -> None:
        self.error_count += 1
        self.bad_rows.add(row)
        key = (stage, column)
        kept = self._kept.get(key, 0)
        if kept < MAX_REPORTED:
            self._kept[key] = kept + 1
            self._pending.append((row, stage, column, {
                "row": row, "field": name,
                "value": "" if value is None else cell_text(value)[:200], "message": message}))

    def finish(self) -> None:
        self._pending.sort(key=lambda e: e[:3])
        self.errors = [e[3] for e in self._pending[:MAX_REPORTED]]


BAD = object()  # a cell that did not convert; its error is already recorded


class _Failed:
    __slots__ = ("message",)

    def __init__(self, message: str) -> None:
        self.message = message


_NONE = type(None)
# One result may serve every cell holding an equal value only where equal values convert and
# clean alike. Across types they may not (1 == 1.0 == True == Decimal(1)), nor may Decimals or
# date-times as text (1.0 and 1.00, or one moment in two time zones, read differently): raw
# cells share results only within one of these types, and cleaning keeps to the types it has
# always shared (only number fields get Decimals there) or to yes/no alone.
_CONVERT_KEYS = frozenset({str, int, float, bool, dt.date})
_CLEAN_KEYS = frozenset({str, dt.date, Decimal, _NONE, type(BAD)})
_CLEAN_BOOL_KEYS = frozenset({bool, _NONE, type(BAD)})


def _map_distinct(cells: list[Any], convert: Callable[[Any], Any]) -> list[Any] | None:
    """[convert(v) for v in cells], calling convert once per distinct value: ledgers repeat
    their values, and mapping the cells through a dict runs in C, not in a Python loop per
    cell. None when a result is a list or dict, which cells must not share."""
    results = dict.fromkeys(cells)
    for v in results:
        r = convert(v)
        if r.__class__ is list or r.__class__ is dict:
            return None
        results[v] = r
    return list(map(results.__getitem__, cells))


def field_column(table: ParsedTable, i: int, f: Any, inferred: bool, outcome: Outcome,
                 position: int) -> list[Any]:
    """Column i of the file as values for field f: the inferred values when the ledger was made
    from this file, else every cell converted to the field's type (each distinct value once).
    Cells that do not convert are reported and become BAD."""
    if inferred and table.columns[i].type == f.type:
        return table.values[i]
    raw = table.raw[i]
    kind = type_for(f).import_kind
    if kind is None:
        return [None if v is None else cell_text(v) for v in raw]
    options = f.options
    failed = False

    def convert(v: Any) -> Any:
        nonlocal failed
        if v is None:
            return None
        try:
            return parse_value(kind, options, v)
        except ValueParseError as exc:
            failed = True
            return _Failed(str(exc))

    kinds = set(map(type, raw)) - {_NONE}
    out = _map_distinct(raw, convert) if len(kinds) <= 1 and kinds <= _CONVERT_KEYS else None
    if out is None:
        out = list(map(convert, raw))
    if failed:  # reported in row order, as the report lists them
        for n, r in enumerate(out):
            if r.__class__ is _Failed:
                outcome.error(table.numbers[n], f.name, raw[n], r.message, column=position)
                out[n] = BAD
    return out


def clean_column(schema: LedgerSchema, f: Any, values: list[Any], ctx: ValueContext,
                 numbers: list[int], raw: list[Any] | None, outcome: Outcome,
                 position: int) -> list[Any]:
    """record_svc.clean_values for one field over a whole column: each distinct text, date or
    number is cleaned once. Returns the storage values: None where empty or where the cell did
    not convert (the field's required check still applies, as when the value is absent), BAD
    where the field refused the value (reported here)."""
    ftype = schema.type_of(f)
    refusal = None
    if not ftype.writable:
        refusal = _("This field is filled in automatically.")
    elif f.code in schema.read_only:
        refusal = _("You may read this field but not change it.")
    if refusal is not None:
        for n, v in enumerate(values):
            if v is not BAD:
                outcome.error(numbers[n], f.name, raw[n] if raw else None, refusal, stage=1,
                              column=position)
        return [BAD] * len(values)
    fast = ftype.clean_column(f, values, ctx)
    if fast is not None:
        return fast
    clean = ftype.clean
    failed = False

    def convert(v: Any) -> Any:
        nonlocal failed
        if v is BAD:
            return None
        try:
            return clean(f, v, ctx)
        except FieldValueError as exc:
            failed = True
            return _Failed(exc.message)

    kinds = set(map(type, values))
    shared = kinds <= _CLEAN_KEYS or kinds <= _CLEAN_BOOL_KEYS
    out = _map_distinct(values, convert) if shared else None
    if out is None:
        out = list(map(convert, values))
    if failed:  # reported in row order, as the report lists them
        for n, r in enumerate(out):
            if r.__class__ is _Failed:
                outcome.error(numbers[n], f.name, raw[n] if raw else None, r.message, stage=1,
                              column=position)
                out[n] = BAD
    return out


def convert_columns(table: ParsedTable, schema: LedgerSchema, mapping: list[tuple[int, str]],
                    inferred: bool, ctx: ValueContext, outcome: Outcome,
                    progress: Progress) -> dict[str, list[Any]]:
    """Every mapped column through its field's cleaning, column by column; problems are
    collected per row (as record_svc.clean_values reports them), not raised."""
    cleaned: dict[str, list[Any]] = {}
    total = len(mapping) or 1
    for position, (i, code) in enumerate(mapping):
        f = schema.by_code[code]
        values = field_column(table, i, f, inferred, outcome, position)
        cleaned[code] = clean_column(schema, f, values, ctx, table.numbers, table.raw[i],
                                     outcome, position)
        progress(40 + 20 * (position + 1) // total, 100)
    empty = [None] * table.row_count
    source = {code: i for i, code in mapping}
    for position, f in enumerate(schema.required):
        column = cleaned.get(f.code, empty)
        raw = table.raw[source[f.code]] if f.code in source else empty
        if _NONE not in set(map(type, column)):
            continue  # every cell filled: no need to look at them one by one
        for n, v in enumerate(column):
            if v is None:
                outcome.error(table.numbers[n], f.name, raw[n], _("This field is required."),
                              stage=2, column=position)
    return cleaned


def keep_rows(columns: dict[str, list[Any]], keep: list[int]) -> dict[str, list[Any]]:
    return {code: [values[i] for i in keep] for code, values in columns.items()}
