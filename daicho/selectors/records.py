"""Reading records through the gate: a page of a list, every record, one record or many by id,
and whether a link may point at a record.

All SQL here is built from generated physical names and %s parameters; field codes and names
from a request are looked up in the ledger's metadata and never reach SQL themselves. The parts
of a read are modules of their own — the row and its JSON (`rows`), the WHERE (`where`), sorts
and cursors (`paging`), the index choice (`planner`), the search in id order (`search`) and
aggregation (`aggregation`) —; the names callers use as `records.X` are re-exported here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils.translation import gettext as _

from daicho import access
from daicho.access import AnyUser
from daicho.db import dialect
from daicho.db.dialect import live, q
from daicho.db.search import index_ready
from daicho.error_codes import Code
from daicho.errors import InvalidInput, NotFound
from daicho.fields.context import ValueContext
from daicho.selectors.aggregation import aggregate
from daicho.selectors.ledgers import LedgerSchema
from daicho.selectors.paging import (
    Page,
    decode_cursor,
    encode_cursor,
    order_sql,
    page_of,
    parse_sort,
    segments,
)
from daicho.selectors.planner import use_filter_indexes
from daicho.selectors.rows import (
    Row,
    preload,
    record_json,
    records_json,
    row_values,
    select_list,
    to_rows,
)
from daicho.selectors.search import search_by_id, search_in_window
from daicho.selectors.where import where_clause
from daicho.textnorm import query_terms

__all__ = ["Page", "Row", "aggregate", "all_records", "encode_cursor", "get_row", "get_rows",
           "list_records", "parse_sort", "preload", "record_exists", "record_json",
           "records_json", "row_values", "select_list", "to_rows", "where_clause"]


def list_records(user: AnyUser, schema: LedgerSchema, *, filters: Sequence[str] = (),
                 search: str = "", sort: str | None = None, limit: int = 50,
                 cursor: str | None = None, ctx: ValueContext | None = None,
                 deleted: bool = False) -> Page:
    ctx = ctx or ValueContext()
    max_limit = settings.DAICHO["MAX_PAGE_SIZE"]
    if not 1 <= limit <= max_limit:
        raise InvalidInput(_("limit must be from 1 to %(n)d.") % {"n": max_limit},
                           code=Code.INVALID_LIMIT)
    keys = parse_sort(schema, sort)
    after = decode_cursor(cursor, keys, schema) if cursor else None
    if search and keys[0].column == "id" and dialect.is_sqlite() and query_terms(search) \
            and not schema.hidden and index_ready(schema.ledger):
        found = search_by_id(user, schema, filters=filters, search=search, ctx=ctx,
                             deleted=deleted, desc=keys[0].desc, after=after, limit=limit)
        return page_of(schema, keys, found, limit, total=None)
    if search and keys[0].column == "id" and not dialect.is_sqlite() and query_terms(search) \
            and not schema.hidden:
        window = search_in_window(user, schema, filters=filters, search=search, ctx=ctx,
                                  deleted=deleted, desc=keys[0].desc, after=after, limit=limit)
        if window is not None:
            return page_of(schema, keys, window, limit, total=None)
    use_index = use_filter_indexes(user, schema, filters, search, ctx, deleted, keys[0])
    where, params = where_clause(user, schema, filters=filters, search=search, ctx=ctx,
                                 deleted=deleted, use_index=use_index, sort_column=keys[0].column)
    sort_cols = ", ".join(f"t.{q(k.column)}" for k in keys)
    base = f"SELECT {select_list(schema)}, {sort_cols} FROM {q(schema.table)} t WHERE {where}"
    order = f" ORDER BY {order_sql(keys, 't')}"
    fetched: list[Any] = []
    with connection.cursor() as cur:
        for seg_sql, seg_params in segments(keys, after):
            need = limit + 1 - len(fetched)
            if need <= 0:
                break
            cur.execute(f"{base} AND {seg_sql}{order} LIMIT {need}", [*params, *seg_params])
            fetched += cur.fetchall()
    unfiltered = not filters and not search and not deleted and \
        not access.record_predicate(user, schema)[0]
    # An exact COUNT(*) over a million rows on every page is what we refuse to do: the ledger
    # keeps its live count in the same transaction as each write.
    total = int(schema.ledger.record_count) if unfiltered else None
    return page_of(schema, keys, fetched, limit, total)


def all_records(user: AnyUser, schema: LedgerSchema, *, filters: Sequence[str] = (),
                ctx: ValueContext | None = None) -> list[dict[str, Any]]:
    """Every live record `user` may see (matching `filters`), in id order, as record JSON: for
    the small ledgers the demo and the plan module read whole, page by page through the gate."""
    ctx = ctx or ValueContext()
    out: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = list_records(user, schema, filters=filters, limit=500, cursor=cursor, ctx=ctx)
        out += records_json(schema, page.rows, ctx)
        cursor = page.next_cursor
        if cursor is None:
            return out


def get_row(user: AnyUser, schema: LedgerSchema, record_id: int | str, *,
            include_deleted: bool = False, for_update: bool = False) -> Row:
    rid = _record_id(record_id)
    if rid is None:
        raise NotFound()
    found = _rows_where(user, schema, "t.id = %s", [rid], include_deleted=include_deleted,
                        for_update=for_update)
    if not found:
        raise NotFound()
    return found[0]


def get_rows(user: AnyUser, schema: LedgerSchema, record_ids: Iterable[Any], *,
             for_update: bool = False) -> dict[int, Row]:
    """The live records among `record_ids` the user may see, by id: get_row for many (a
    pasted block), a query per 500 ids, locked in id order so two batches never deadlock.
    Ids that are not whole numbers, or not found, are simply not in the answer."""
    ids = sorted({rid for rid in map(_record_id, record_ids) if rid is not None})
    found: dict[int, Row] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        where = f"t.id IN ({', '.join(['%s'] * len(chunk))})"
        found.update((row.id, row) for row in _rows_where(
            user, schema, where, chunk, include_deleted=False, for_update=for_update,
            order=" ORDER BY t.id"))
    return found


def _record_id(value: Any) -> int | None:
    try:
        rid = int(value)
    except (TypeError, ValueError):
        return None
    return rid if 0 < rid < 2**62 else None


def _rows_where(user: AnyUser, schema: LedgerSchema, where: str, params: list[Any], *,
                include_deleted: bool, for_update: bool, order: str = "") -> list[Row]:
    params = list(params)
    if not include_deleted:
        where += f" AND {live()}"
    perm_sql, perm_params = access.record_predicate(user, schema, "t")
    if perm_sql:
        where += f" AND ({perm_sql})"
        params += perm_params
    lock = " FOR UPDATE" if for_update and not dialect.is_sqlite() else ""
    sql = f"SELECT {select_list(schema)} FROM {q(schema.table)} t WHERE {where}{order}{lock}"
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return to_rows(schema, cur.fetchall())


def record_exists(ledger_id: int, record_id: int, ctx: ValueContext | None = None) -> bool:
    """Whether a link may point at this record: it is live and — for a signed-in writer other
    than an administrator (`ctx.user`) — visible to them through the gate. A record they may not
    see answers the same as one that does not exist, so links cannot probe other ledgers."""
    ctx = ctx or ValueContext()
    user = ctx.user
    params: list[Any] = []
    if user is None or not user.is_authenticated or access.is_admin(user):
        table = ctx.ledger_table(ledger_id)
        condition = live()
    else:
        if ledger_id not in ctx.link_targets:
            try:
                ctx.link_targets[ledger_id] = access.ledger_for(user, ledger_id, "view")
            except NotFound:
                ctx.link_targets[ledger_id] = None
        schema = ctx.link_targets[ledger_id]
        if schema is None:
            return False
        table = schema.table
        condition = live()
        predicate, params = access.record_predicate(user, schema)
        if predicate:
            condition += f" AND ({predicate})"
    if table is None:
        return False
    with connection.cursor() as cur:
        cur.execute(f"SELECT 1 FROM {q(table)} t WHERE t.id = %s AND {condition}",
                    [record_id, *params])
        return cur.fetchone() is not None
