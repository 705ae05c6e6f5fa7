"""Counts and sums of records per day of a date field, for grouping by 年度, year or month.

The engine's `aggregate` groups by a column's stored value and stops at 10,000 groups: a date
field of a long-kept ledger has more days than that (1960–2024: 23,000). Here the days are read
in one pass — count and every sum together — and the caller rolls them up into periods, as the
column filter popup does (`selectors/values.py`: grouping by a month expression made SQLite sort
a million rows in a temporary B-tree). A century has 36,525 days, so the answer stays small.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection

from daicho import access
from daicho.access import AnyUser
from daicho.db import dialect
from daicho.db.dialect import q
from daicho.fields.context import ValueContext
from daicho.models import Field
from daicho.selectors.ledgers import LedgerSchema
from daicho.selectors.where import where_clause


def per_day(user: AnyUser, schema: LedgerSchema, date_field: Field, sum_fields: Sequence[Field], *,
            filters: Sequence[str] = (), search: str = "",
            ctx: ValueContext | None = None) -> list[tuple[str, int, list[Any]]]:
    """[(ISO day or "" for blank, count, [sum of each of `sum_fields`])] over the records `user`
    may see that match `filters` and `search` (the gate's predicate is in the WHERE)."""
    ctx = ctx or ValueContext()
    where, params = where_clause(user, schema, filters=filters, search=search, ctx=ctx)
    day = f"t.{q(date_field.column)}"
    sums = "".join(f", SUM(t.{q(f.column)})" for f in sum_fields)
    source = f"{q(schema.table)} t"
    if sum_fields and dialect.is_sqlite() and not filters and not search \
            and not access.record_predicate(user, schema)[0]:
        # With sums to read, walking the date's index visits the table row by row in date
        # order: 5.1 s on 200,000 records against 1.5 s for one pass and a sort of the days
        # (the engine's aggregate does the same without a covering index).
        source += " NOT INDEXED"
    with connection.cursor() as cur:
        cur.execute(f"SELECT {day}, COUNT(*){sums} FROM {source} WHERE {where}"
                    f" GROUP BY {day} ORDER BY {day} ASC NULLS FIRST", params)
        rows = cur.fetchall()
    out = []
    for raw, count, *totals in rows:
        # SQLite keeps a date as its ISO text; PostgreSQL returns a date.
        key = "" if raw is None else raw[:10] if isinstance(raw, str) else raw.isoformat()
        out.append((key, int(count), list(totals)))
    return out
