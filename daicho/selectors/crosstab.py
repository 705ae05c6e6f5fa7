"""A cross-tab (集計表): records counted, or a number field summed, per pair of groups — one
grouping down the rows, one across the columns — with row, column and grand totals.

One GROUP BY query over the records the caller may see (`records.where_clause`: record rules,
filters and search) gives one row per non-empty cell; the totals are sums of those cells, so
Python loops over cells, never over records. Only count and sum are offered: their totals are
the sums of the cells (an average of averages would not be the average).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection
from django.utils.translation import gettext as _

from daicho.access import AnyUser
from daicho.db.dialect import q
from daicho.error_codes import Code
from daicho.errors import InvalidInput
from daicho.fields.context import ValueContext
from daicho.models import Field
from daicho.selectors.grouping import Grouping, grouping
from daicho.selectors.ledgers import LedgerSchema
from daicho.selectors.where import where_clause

MAX_CELLS = 10_000
MAX_COLUMNS = 100


@dataclass
class CrossTab:
    rows: Grouping
    columns: Grouping
    metric: str
    metric_field: Field | None
    row_keys: list[Any]
    column_keys: list[Any]
    cells: dict[tuple[int, int], Any]  # (row index, column index) → value; absent = no record
    row_totals: list[Any]
    column_totals: list[Any]
    total: Any

    def value(self, row: int, column: int) -> Any:
        """A cell's value: a count is 0 where no record falls, a sum is None (blank)."""
        return self.cells.get((row, column), 0 if self.metric == "count" else None)

    def to_json(self) -> dict[str, Any]:
        return {
            "rows": [{"key": key, "values": [self.value(r, c) for c in range(len(self.column_keys))],
                      "total": self.row_totals[r]} for r, key in enumerate(self.row_keys)],
            "columns": [{"key": key, "total": self.column_totals[c]}
                        for c, key in enumerate(self.column_keys)],
            "total": self.total,
        }


def _metric(schema: LedgerSchema, metric: str) -> tuple[str, Field | None]:
    name, _sep, code = metric.partition(":")
    if metric == "count":
        return "COUNT(*)", None
    if name != "sum" or not code:
        raise InvalidInput(_("A cross-tab's metric must be count or sum:CODE."),
                           code=Code.INVALID_METRIC)
    f = schema.field(code)
    if not schema.type_of(f).summable:
        raise InvalidInput(_("「%(name)s」 is not a number field.") % {"name": f.name},
                           code=Code.INVALID_METRIC)
    return f"SUM(t.{q(f.column)})", f


def _total(values: Sequence[Any]) -> Any:
    present = [Decimal(str(v)) for v in values if v is not None]
    if not present:
        return None
    total = sum(present, Decimal(0))
    return int(total) if total == total.to_integral_value() else float(total)


def _order(key: Any) -> tuple[bool, Any]:
    return (key is not None, key)


def crosstab(user: AnyUser, schema: LedgerSchema, *, rows: str, columns: str,
             metric: str = "count", filters: Sequence[str] = (), search: str = "",
             ctx: ValueContext | None = None) -> CrossTab:
    """`rows` and `columns` are groupings (`CODE` or `CODE:year|month|fy`)."""
    ctx = ctx or ValueContext()
    if not rows or not columns:
        raise InvalidInput(_("Choose what to group the rows by and what the columns by."),
                           code=Code.INVALID_GROUP_BY)
    value_sql, metric_field = _metric(schema, metric)
    down, across = grouping(schema, rows), grouping(schema, columns)
    where, params = where_clause(user, schema, filters=filters, search=search, ctx=ctx)
    sql = (f"SELECT {down.sql}, {across.sql}, {value_sql} FROM {q(schema.table)} t"
           f" WHERE {where} GROUP BY {down.sql}, {across.sql} LIMIT {MAX_CELLS + 1}")
    with connection.cursor() as cur:
        cur.execute(sql, params)
        found = cur.fetchall()
    if len(found) > MAX_CELLS:
        raise InvalidInput(_("Too many groups (more than 10,000)."), code=Code.TOO_MANY_GROUPS)
    row_raw = sorted({r for r, _c, _v in found}, key=_order)
    column_raw = sorted({c for _r, c, _v in found}, key=_order)
    if len(column_raw) > MAX_COLUMNS:
        raise InvalidInput(_("Too many columns (more than %(n)d): choose a field with fewer "
                             "values for the columns, or group its dates by year.")
                           % {"n": MAX_COLUMNS}, code=Code.TOO_MANY_GROUPS)
    row_at = {k: i for i, k in enumerate(row_raw)}
    column_at = {k: i for i, k in enumerate(column_raw)}
    cells: dict[tuple[int, int], Any] = {}
    for r, c, value in found:
        cells[(row_at[r], column_at[c])] = (
            int(value) if metric_field is None else _total([value]))
    table = CrossTab(
        rows=down, columns=across, metric=metric, metric_field=metric_field,
        row_keys=[down.key(k, ctx) for k in row_raw],
        column_keys=[across.key(k, ctx) for k in column_raw], cells=cells,
        row_totals=[], column_totals=[], total=None)
    by_row: list[list[Any]] = [[] for _k in row_raw]
    by_column: list[list[Any]] = [[] for _k in column_raw]
    for (r, c), value in cells.items():
        by_row[r].append(value)
        by_column[c].append(value)
    table.row_totals = [_total(values) for values in by_row]
    table.column_totals = [_total(values) for values in by_column]
    table.total = _total(table.row_totals)
    if metric_field is None:
        table.row_totals = [t or 0 for t in table.row_totals]
        table.column_totals = [t or 0 for t in table.column_totals]
        table.total = table.total or 0
    return table
