"""How a filtered, sorted page is read: whether the filters may use their indexes or the sort
column's index is walked instead, and which (filter, sort) pair index a page would want.

The measurements behind these choices are in docs/architecture.md ("the query layer")."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection

from daicho.access import AnyUser
from daicho.db import schema as ddl
from daicho.db.dialect import q
from daicho.fields.context import ValueContext
from daicho.selectors.ledgers import LedgerSchema
from daicho.selectors.paging import SortKey
from daicho.selectors.where import where_clause

PROBE_ROWS = 2000


def equality_column(schema: LedgerSchema, filters: Sequence[str]) -> str | None:
    """The column of the first `CODE:eq:VALUE` filter on an indexed field, if any."""
    for spec in filters:
        code, _sep, rest = spec.partition(":")
        f = schema.by_code.get(code)
        if f is not None and rest.startswith("eq:"):
            ftype = schema.type_of(f)
            if ddl.keeps_index(ftype) and ftype.groupable:
                return str(f.column)
    return None


def many_matches(user: AnyUser, schema: LedgerSchema, filters: Sequence[str], search: str,
                 ctx: ValueContext, deleted: bool, key: SortKey) -> tuple[bool, bool]:
    """(whether the filters keep more than PROBE_ROWS records, whether to let the filters use
    their indexes), counted through the filters' indexes, stopping at PROBE_ROWS. With many
    matches, walking the sort column's index and testing the filters on the way finds a page
    after a few hundred rows, where SQLite's own choice — the filter's index, then sorting every
    match — would sort a hundred thousand rows for each page. A (filter, sort) pair index, once
    built in the background, serves such a page directly (daicho.services.indexes)."""
    where, params = where_clause(user, schema, filters=filters, search=search, ctx=ctx,
                                 deleted=deleted)
    col = f"t.{q(key.column)}"
    with connection.cursor() as cur:
        cur.execute(f"SELECT COUNT(*), COUNT(sorted) FROM (SELECT {col} AS sorted FROM "
                    f"{q(schema.table)} t WHERE {where} LIMIT {PROBE_ROWS + 1}) probe", params)
        matches, with_value = cur.fetchone()
    many = int(matches) > PROBE_ROWS
    # When most matches have no value in the sort column (物品 have no 面積), the walk would pass
    # every other record's value before reaching them: sorting the matches is cheaper then.
    return many, not (many and int(with_value) * 10 >= int(matches))


def use_filter_indexes(user: AnyUser, schema: LedgerSchema, filters: Sequence[str], search: str,
                       ctx: ValueContext, deleted: bool, key: SortKey) -> bool:
    """Whether the filters of a page sorted by `key` may use their indexes. Without a pair index
    for the page, many matches are probed for (many_matches) and, when there are, the pair index
    is noted as wanted (db.schema.note_wanted; built after the response, never by this read)."""
    if not filters or key.field is None or not ddl.keeps_index(schema.type_of(key.field)):
        return True  # no sort index to walk (a lookup's column on PostgreSQL: ddl.keeps_index)
    pair = equality_column(schema, filters)
    if pair == key.column:
        pair = None
    if pair is not None and ddl.index_exists(
            ddl.pair_index_name(schema.ledger, pair, key.column, "s")):
        return True
    many, use_index = many_matches(user, schema, filters, search, ctx, deleted, key)
    if many and pair is not None:
        ddl.note_wanted(schema.ledger, pair, key.column, "s")
    return use_index
