"""The distinct values of one column with their counts: what a column's filter popup lists.

Read through the gate like every other record read: the caller's record conditions and the
page's other filters and search are ANDed in (`records.where_clause`), and the column is looked up
in the caller's schema, so a hidden field answers as one that does not exist.

The list is in value order and capped (`LIMIT`), as Excel's autofilter lists values sorted: a
GROUP BY in the order of the column's index streams the partial `(column, id)` index and stops
after the cap, so a column of a million distinct names costs the first thousand groups, not a
scan and a sort of all of them. Past the cap the popup offers its search box, which narrows the
read with the type's own `contains` filter. Dates are counted per month instead (the popup groups
them by year, month and fiscal year), from the same index.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field as default
from typing import Any

from django.db import connection

from daicho import access
from daicho.access import AnyUser
from daicho.db import schema as ddl
from daicho.db.dialect import q
from daicho.db.search import search_condition
from daicho.fields.context import ValueContext
from daicho.models import Field
from daicho.selectors.conditions import parse_filter
from daicho.selectors.ledgers import LedgerSchema
from daicho.selectors.planner import equality_column
from daicho.selectors.where import where_clause

VALUE_CAP = 1000
MONTH_CAP = 1200  # a hundred years of months


@dataclass
class ColumnValues:
    """`items`: (JSON value, count) in value order, blanks left out and counted in `blanks`;
    `more`: the cap was reached (values past it exist); `months`: for dates, ("YYYY-MM", count)."""

    field: Field
    items: list[tuple[Any, int]] = default(default_factory=list)
    blanks: int = 0
    more: bool = False
    months: list[tuple[str, int]] = default(default_factory=list)


def column_values(user: AnyUser, schema: LedgerSchema, code: str, *,
                  filters: Sequence[str] = (), search: str = "", text: str = "",
                  limit: int = VALUE_CAP, ctx: ValueContext | None = None) -> ColumnValues:
    """The values of field `code` among the records `user` may see that pass `filters` and
    `search`; `text` keeps only values containing it (types that have `contains`)."""
    ctx = ctx or ValueContext()
    f = schema.field(code)  # unknown_field for a hidden or missing field
    ftype = schema.type_of(f)
    found = ColumnValues(f)
    if not ftype.groupable:
        return found
    where, params = where_clause(user, schema, filters=filters, search=search, ctx=ctx)
    column = f"t.{q(f.column)}"
    if text and "contains" in ftype.operators:
        sql, p = parse_filter(schema, f"{code}:contains:{text}", ctx)
        where, params = f"{where} AND ({sql})", params + p
        if ftype.searchable and ftype.storage == "text":
            # The record search's gram index finds the records holding the text anywhere — a
            # superset of those holding it in this column, which the condition above confirms
            # (so a hidden field's text narrows nothing down and shows nothing) — instead of
            # reading the column of every record.
            sql, p = search_condition(schema.ledger, text)
            if sql:
                where, params = f"{where} AND {sql}", params + p
    # The user's record rule (one department's records) narrows like a filter of theirs.
    rule = access.grant_of(user, schema).record_filter()
    pair = equality_column(schema, [*filters, *([rule] if rule else [])])
    if pair is not None and pair != f.column and ddl.keeps_index(ftype):
        # `other = x` listed in this column's order: the (filter, sort) pair index that list
        # pages use makes it one index range; until a job has built it, the read walks.
        ddl.want_pair_index(schema.ledger, pair, str(f.column), "s")
    table = q(schema.table)
    if ftype.storage == "date" and not text:
        # Per day in index order, summed per month here: grouping by the month expression
        # made SQLite sort a million rows in a temporary B-tree (4.6 s); the days stream from
        # the index, and a century has only 36,525 of them.
        with connection.cursor() as cur:
            cur.execute(f"SELECT {column}, COUNT(*) FROM {table} t WHERE {where}"
                        f" GROUP BY {column} ORDER BY {column} ASC NULLS FIRST", params)
            rows = cur.fetchall()
        months: dict[str, int] = {}
        for raw, count in rows:
            if raw is None:
                found.blanks = int(count)
                continue
            # SQLite keeps a date as its ISO text, whose first 7 characters are the month.
            key = raw[:7] if isinstance(raw, str) else f"{raw.year:04d}-{raw.month:02d}"
            months[key] = months.get(key, 0) + count
        found.months = sorted(months.items())[:MONTH_CAP]
        found.more = len(months) > MONTH_CAP
        return found
    with connection.cursor() as cur:
        cur.execute(f"SELECT {column}, COUNT(*) FROM {table} t WHERE {where}"
                    f" GROUP BY {column} ORDER BY {column} ASC NULLS FIRST LIMIT {limit + 2}",
                    params)
        rows = cur.fetchall()
    for raw, count in rows:
        if raw is None:
            found.blanks = int(count)
        else:
            found.items.append((ftype.to_json(f, raw, ctx), int(count)))
    found.more = len(found.items) > limit
    del found.items[limit:]
    return found


def fiscal_year(month: str) -> int:
    """The Japanese fiscal year (年度, April–March) of a "YYYY-MM" month."""
    year, mon = int(month[:4]), int(month[5:7])
    return year if mon >= 4 else year - 1


def period_bounds(kind: str, key: str) -> tuple[dt.date, dt.date]:
    """First and last day of a period: kind `fy` (年度 2024 = 2024-04-01 … 2025-03-31), `year`
    or `month` ("2024-04")."""
    if kind == "month":
        start = dt.date(int(key[:4]), int(key[5:7]), 1)
        nxt = dt.date(start.year + start.month // 12, start.month % 12 + 1, 1)
        return start, nxt - dt.timedelta(days=1)
    year = int(key)
    if kind == "fy":
        return dt.date(year, 4, 1), dt.date(year + 1, 3, 31)
    return dt.date(year, 1, 1), dt.date(year, 12, 31)


def periods(months: list[tuple[str, int]], kind: str) -> list[tuple[str, int]]:
    """Monthly counts summed per fiscal year (`fy`), calendar year (`year`) or kept (`month`)."""
    if kind == "month":
        return list(months)
    out: dict[str, int] = {}
    for month, count in months:
        key = str(fiscal_year(month)) if kind == "fy" else month[:4]
        out[key] = out.get(key, 0) + count
    return sorted(out.items())
