"""A search in id order on SQLite, driven by the gram index itself (daicho.db.search)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection

from daicho.access import AnyUser
from daicho.db.dialect import q
from daicho.db.schema import fts_table
from daicho.db.search import fts_match, verify_condition
from daicho.fields.context import ValueContext
from daicho.selectors.ledgers import LedgerSchema
from daicho.selectors.rows import select_list
from daicho.selectors.where import where_clause


def search_by_id(user: AnyUser, schema: LedgerSchema, *, filters: Sequence[str], search: str,
                 ctx: ValueContext, deleted: bool, desc: bool, after: list[Any] | None,
                 limit: int) -> list[Any]:
    """Search results in id order, driven by the gram index itself: FTS5 yields matches in
    rowid order and stops after a page, where `id IN (all matches)` would first collect every
    match of a common character (hundreds of thousands) on each request."""
    where, params = where_clause(user, schema, filters=filters, ctx=ctx, deleted=deleted)
    match, verify = fts_match(search)
    fts = q(fts_table(schema.ledger))
    if verify:
        extra, extra_params = verify_condition(verify)
        where += f" AND {extra}"
        params += extra_params
    if after is not None:
        where += f" AND f.rowid {'<' if desc else '>'} %s"
        params.append(after[0])
    direction = "DESC" if desc else "ASC"
    sql = (f"SELECT {select_list(schema)}, t.id FROM {fts} f JOIN {q(schema.table)} t "
           f"ON t.id = f.rowid WHERE f.{fts} MATCH %s AND {where} "
           f"ORDER BY f.rowid {direction} LIMIT {int(limit) + 1}")
    with connection.cursor() as cur:
        cur.execute(sql, [match, *params])
        return list(cur.fetchall())
