"""Group-by in the list page: the rows of a page under collapsible group headers, each with the
group's count and the sums of its number columns.

A grouping is `CODE` (a choice, department, person, link… field: one group per value) or
`CODE:year`, `CODE:month`, `CODE:fy` for a date field (calendar year, month, 年度 from April).
The page sorts by the grouped field first, so each group's rows are together; the headers are
drawn between them, and their counts and sums come afterwards from `subtotals` (like the totals
row: they cover every matching record, not just the page). Subtotals are the engine's
aggregate through the gate, so a person under a record rule sums only the records they see;
date periods are rolled up from counts and sums per day (`selectors/periods.py`, through the
same gate: the aggregate stops at 10,000 groups, fewer than the days of a long-kept ledger).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from html import escape
from typing import TYPE_CHECKING, Any

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from daicho.access import AnyUser
from daicho.fields import REGISTRY, type_for
from daicho.models import Field
from daicho.selectors import periods
from daicho.selectors import records as sel
from daicho.selectors.ledgers import LedgerSchema
from daicho.web.names import Names
from daicho.web.widgets import widget_for

if TYPE_CHECKING:  # the grid module draws its rows through this one
    from daicho.web.grid import GridRow, GridState

PERIODS = ("year", "month", "fy")


@dataclass(frozen=True)
class Grouping:
    field: Field
    period: str  # "" or one of PERIODS

    @property
    def spec(self) -> str:
        return f"{self.field.code}:{self.period}" if self.period else self.field.code

    def key(self, value: Any) -> str:
        """The group of a record's value (its JSON value), as text: "" for a blank."""
        if value is None or value == "" or value == []:
            return ""
        if not self.period:
            return str(value)
        date = dt.date.fromisoformat(str(value)[:10])
        if self.period == "month":
            return f"{date.year:04d}-{date.month:02d}"
        if self.period == "fy":
            return str(date.year if date.month >= 4 else date.year - 1)
        return str(date.year)

    def label(self, key: str, value: Any, names: Names) -> SafeString:
        if key == "":
            return format_html("{}", _("(blank)"))
        if self.period == "month":
            year, month = key.split("-")
            return format_html("{}", _("%(year)d/%(month)d") % {"year": int(year), "month": int(month)})
        if self.period == "fy":
            return format_html("{}", _("Fiscal year %(year)d") % {"year": int(key)})
        if self.period == "year":
            return format_html("{}", _("Year %(year)d") % {"year": int(key)})
        return widget_for(self.field).show(self.field, value, names)


def _groupable(f: Field) -> bool:
    ftype = REGISTRY.get(f.type)
    return bool(ftype is not None and ftype.groupable and not f.unique)


def _dated(f: Field) -> bool:
    return widget_for(f).filter.periods


def parse(schema: LedgerSchema, text: str) -> Grouping | None:
    """The grouping a URL or saved view asks for; None for none, or one that no longer fits
    (a field deleted or hidden since: the page then shows its rows ungrouped)."""
    code, _sep, period = (text or "").partition(":")
    f = schema.by_code.get(code)
    if f is None or not _groupable(f):
        return None
    if _dated(f):
        return Grouping(f, period if period in PERIODS else "month")
    return Grouping(f, "")


def choices(schema: LedgerSchema) -> list[tuple[str, str]]:
    """(spec, label) of every grouping the page offers."""
    out: list[tuple[str, str]] = []
    for f in schema.fields:
        if not _groupable(f):
            continue
        if _dated(f):
            out += [(f"{f.code}:fy", _("%(name)s (fiscal year)") % {"name": f.name}),
                    (f"{f.code}:year", _("%(name)s (year)") % {"name": f.name}),
                    (f"{f.code}:month", _("%(name)s (month)") % {"name": f.name})]
        else:
            out.append((f.code, f.name))
    return out


def row_sort(grouping: Grouping | None, sort: str) -> str:
    """The page's sort with the grouped field first (kept descending if the person asked so)."""
    if grouping is None:
        return sort
    code = grouping.field.code
    keys = [s.strip() for s in sort.split(",") if s.strip()]
    first = keys[0] if keys and keys[0].lstrip("-") == code else code
    rest = [k for k in keys if k.lstrip("-") != code]
    return ",".join([first, *rest])


@dataclass
class GroupHeader:
    key: str
    label: SafeString
    span: int
    cells: list[Field]

    @property
    def html(self) -> SafeString:
        """A row of the grid (role=row, aria-expanded): Enter or Space on it folds the group."""
        key = escape(self.key)
        cells = "".join(f'<td class="group-sum num" data-code="{escape(f.code)}"></td>'
                        for f in self.cells)
        return mark_safe(  # the key is escaped; the label is a widget's escaped HTML
            f'<tr class="group-row" data-group="{key}" aria-expanded="true">'
            f'<th scope="row" class="group-head" colspan="{int(self.span)}">'
            f'<span class="group-toggle" aria-hidden="true"></span>'
            f'<span class="group-label">{self.label}</span> '
            f'<span class="group-count muted"></span></th>{cells}</tr>')


def with_headers(grouping: Grouping, columns: list[Field], records: list[dict[str, Any]],
                 rows: list[GridRow], viewer: AnyUser) -> list[GridRow | GroupHeader]:
    """The page's rows with a header before each group's first row. The header's label spans
    the row number column and the columns before the first number column (at least one), so the
    sums stand under their columns."""
    summable = [i for i, f in enumerate(columns) if _summable(f)]
    lead = min(summable[0], len(columns)) if summable else len(columns)
    lead = max(lead, min(1, len(columns)))
    names = Names(viewer).load_values([grouping.field], [r["values"] for r in records])
    out: list[GridRow | GroupHeader] = []
    last: str | None = None
    for record, row in zip(records, rows, strict=True):
        value = record["values"].get(grouping.field.code)
        key = grouping.key(value)
        if key != last:
            out.append(GroupHeader(key, grouping.label(key, value, names), 1 + lead,
                                   columns[lead:]))
            last = key
        out.append(row)
    return out


def _summable(f: Field) -> bool:
    return f.type in REGISTRY and type_for(f).summable


def subtotals(user: AnyUser, schema: LedgerSchema, grouping: Grouping, state: GridState,
              columns: list[Field]) -> dict[str, dict[str, Any]]:
    """{group key: {"count": text, "cells": {code: HTML}}} over every record the person may see
    that matches the page's filters and search."""
    summable = [f for f in columns if _summable(f)]
    counts: dict[str, int] = {}
    sums: dict[str, dict[str, Decimal]] = {}

    def add(key: str, count: int, totals: dict[str, Any]) -> None:
        counts[key] = counts.get(key, 0) + count
        cell = sums.setdefault(key, {})
        for code, value in totals.items():
            if value is not None:
                cell[code] = cell.get(code, Decimal(0)) + Decimal(str(value))

    if grouping.period:
        for day, count, totals in periods.per_day(
                user, schema, grouping.field, summable, filters=state.filters, search=state.q):
            add(grouping.key(day or None), count,
                {f.code: v for f, v in zip(summable, totals, strict=True)})
    else:
        common: dict[str, Any] = {"group_by": grouping.field.code, "filters": state.filters,
                                  "search": state.q}
        for g in sel.aggregate(user, schema, metric="count", **common):
            add(grouping.key(g["key"]), int(g["value"]), {})
        for f in summable:
            for g in sel.aggregate(user, schema, metric=f"sum:{f.code}", **common):
                add(grouping.key(g["key"]), 0, {f.code: g["value"]})
    names = Names()
    out: dict[str, dict[str, Any]] = {}
    for key, n in counts.items():
        out[key] = {
            "count": ngettext("%(n)d record", "%(n)d records", n) % {"n": n},
            "cells": {code: str(widget_for(schema.by_code[code]).show(
                schema.by_code[code], _plain(value), names))
                for code, value in sums.get(key, {}).items()},
        }
    return out


def _plain(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)
