"""Reading records: filters, sorts, keyset pagination, search, aggregation.

All SQL here is built from generated physical names and %s parameters; field codes and names
from a request are looked up in the ledger's metadata and never reach SQL themselves.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils.translation import gettext as _

from daicho import access
from daicho.access import AnyUser
from daicho.db import dialect
from daicho.db import schema as ddl
from daicho.db.dialect import live, q, trashed
from daicho.db.schema import fts_table
from daicho.db.search import fts_match, index_ready, search_condition, verify_condition
from daicho.error_codes import Code
from daicho.errors import InvalidInput, NotFound
from daicho.fields.context import ValueContext
from daicho.fields.refs import OrgType, UserType
from daicho.models import Field
from daicho.requestdata import has_lone_surrogate
from daicho.selectors.conditions import parse_filter
from daicho.selectors.grouping import grouping
from daicho.selectors.ledgers import STATUS_COLUMN, VERSION_COLUMN, LedgerSchema
from daicho.textnorm import query_terms

SYSTEM_SELECT = ("id", "revision", "created_at", "created_by", "updated_at", "updated_by",
                 "deleted", "search_key")
SYSTEM_SORTS = {"id": "id", "created_at": "created_at", "updated_at": "updated_at"}


@dataclass
class Row:
    id: int
    revision: int
    created_at: Any
    created_by: int | None
    updated_at: Any
    updated_by: int | None
    deleted: bool
    search_key: str
    raw: dict[str, Any]  # field code → database value
    # With a process (contract §8): the status and the version of the process it follows.
    status: str | None = None
    process_version: int | None = None


@dataclass(frozen=True)
class SortKey:
    column: str
    field: Field | None
    desc: bool


def select_list(schema: LedgerSchema, alias: str = "t") -> str:
    cols = [f"{alias}.{c}" for c in SYSTEM_SELECT]
    cols += [f"{alias}.{q(f.column)}" for f in schema.fields]
    if schema.process is not None:
        cols += [f"{alias}.{STATUS_COLUMN}", f"{alias}.{VERSION_COLUMN}"]
    return ", ".join(cols)


def select_width(schema: LedgerSchema) -> int:
    """How many columns select_list names (what a query adds after them starts there)."""
    return len(SYSTEM_SELECT) + len(schema.fields) + (2 if schema.process is not None else 0)


def to_rows(schema: LedgerSchema, rows: Iterable[Sequence[Any]]) -> list[Row]:
    n = len(SYSTEM_SELECT)
    k = n + len(schema.fields)
    process = schema.process is not None
    out = []
    for r in rows:
        out.append(Row(
            id=int(r[0]), revision=int(r[1]), created_at=r[2], created_by=r[3],
            updated_at=r[4], updated_by=r[5], deleted=bool(r[6]), search_key=r[7] or "",
            raw={f.code: r[n + i] for i, f in enumerate(schema.fields)},
            status=r[k] if process else None,
            process_version=int(r[k + 1]) if process and r[k + 1] is not None else None,
        ))
    return out


def row_values(schema: LedgerSchema, row: Row, ctx: ValueContext) -> dict[str, Any]:
    raw = row.raw
    values = {f.code: (ftype if ftype.key == f.type else schema.type_of(f)).to_json(
        f, raw[f.code], ctx) for f, ftype in schema.typed}  # (a field retyped since: type_of)
    for code in schema.shown_empty:
        values[code] = None
    return values


def record_json(schema: LedgerSchema, row: Row, ctx: ValueContext) -> dict[str, Any]:
    created = dialect.as_datetime(row.created_at)
    updated = dialect.as_datetime(row.updated_at)
    return {
        "id": row.id,
        "revision": row.revision,
        "values": row_values(schema, row, ctx),
        "created_at": created.isoformat() if created else None,
        "created_by": ctx.login(row.created_by),
        "updated_at": updated.isoformat() if updated else None,
        "updated_by": ctx.login(row.updated_by),
        **({"status": row.status} if schema.process is not None else {}),
    }


def preload(schema: LedgerSchema, rows: list[Row], ctx: ValueContext) -> None:
    """One query for all users and one for all departments a page refers to (no N+1)."""
    user_ids: set[int] = set()
    org_ids: set[int] = set()
    users = [f.code for f, ftype in schema.typed if isinstance(ftype, UserType)]
    orgs = [f.code for f, ftype in schema.typed if isinstance(ftype, OrgType)]
    for row in rows:
        user_ids.update(i for i in (row.created_by, row.updated_by) if i is not None)
        user_ids.update(int(row.raw[c]) for c in users if row.raw[c] is not None)
        org_ids.update(int(row.raw[c]) for c in orgs if row.raw[c] is not None)
    ctx.preload_users(user_ids)
    ctx.preload_orgs(org_ids)


def records_json(schema: LedgerSchema, rows: list[Row], ctx: ValueContext) -> list[dict[str, Any]]:
    preload(schema, rows, ctx)
    return [record_json(schema, row, ctx) for row in rows]


def where_clause(user: AnyUser, schema: LedgerSchema, *, filters: Sequence[str] = (),
                 search: str = "", ctx: ValueContext, alias: str = "t",
                 deleted: bool = False, use_index: bool = True,
                 sort_column: str | None = None) -> tuple[str, list[Any]]:
    if len(filters) > 50:
        raise InvalidInput(_("Too many filters (at most 50)."), code=Code.INVALID_FILTER)
    clauses = [live(alias) if not deleted else trashed(alias)]
    params: list[Any] = []
    perm_sql, perm_params = access.record_predicate(user, schema, alias)
    if perm_sql:
        clauses.append(f"({perm_sql})")
        params += perm_params
    for spec in filters:
        sql, p = parse_filter(schema, spec, ctx, alias, use_index, sort_column)
        clauses.append(f"({sql})")
        params += p
    if search:
        if len(search) > 1000:
            raise InvalidInput(_("The search text is too long."), code=Code.INVALID_SEARCH)
        if schema.hidden:
            sql, p = _visible_text_condition(schema, search, alias)
        else:
            sql, p = search_condition(schema.ledger, search, alias)
        if sql:
            clauses.append(sql)
            params += p
    return " AND ".join(clauses), params


def _visible_text_condition(schema: LedgerSchema, search: str,
                            alias: str) -> tuple[str, list[Any]]:
    """Search for a user with hidden fields. The precomputed search key and its gram index hold
    the hidden text too, so they are not used: every term must occur (plain substring, LIKE) in
    one of the visible searchable text columns. This loses width folding (and case folding on
    PostgreSQL) for these users, and reveals nothing."""
    columns = [f"{alias}.{q(f.column)}" for f, ftype in schema.searchable
               if ftype.storage == "text"]
    terms = search.split()
    if not terms:
        return "", []
    if not columns:
        return "1=0", []
    clauses: list[str] = []
    params: list[Any] = []
    for term in terms[:20]:
        pattern = "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        clauses.append("(" + " OR ".join(f"{c} LIKE %s ESCAPE '\\'" for c in columns) + ")")
        params += [pattern] * len(columns)
    return " AND ".join(clauses), params


# -- sorting and cursors -----------------------------------------------------------------------

def parse_sort(schema: LedgerSchema, sort: str | None) -> list[SortKey]:
    keys: list[SortKey] = []
    if sort:
        specs = [s.strip() for s in sort.split(",") if s.strip()]
        if len(specs) > 5:
            raise InvalidInput(_("Sort by at most 5 fields."), code=Code.INVALID_SORT)
        for spec in specs:
            desc = spec.startswith("-")
            code = spec[1:] if desc else spec
            if code in SYSTEM_SORTS:
                if code == "id":
                    keys.append(SortKey("id", None, desc))
                    break
                keys.append(SortKey(SYSTEM_SORTS[code], None, desc))
                continue
            f = schema.field(code)
            if not schema.type_of(f).sortable:
                raise InvalidInput(_("The field 「%(name)s」 cannot be sorted.") % {"name": f.name},
                                   code=Code.INVALID_SORT, details={"field": code})
            keys.append(SortKey(f.column, f, desc))
    if not keys or keys[-1].column != "id":
        keys.append(SortKey("id", None, keys[0].desc if keys else False))
    return keys


def _order_sql(keys: list[SortKey], alias: str) -> str:
    # NULLs sort first ascending and last descending on both databases (SQLite's default).
    parts = []
    for k in keys:
        col = f"{alias}.{q(k.column)}"
        if k.column == "id" or k.field is None:
            parts.append(f"{col} {'DESC' if k.desc else 'ASC'}")
        else:
            parts.append(f"{col} {'DESC NULLS LAST' if k.desc else 'ASC NULLS FIRST'}")
    return ", ".join(parts)


def _keyset(keys: list[SortKey], values: list[Any], alias: str) -> tuple[str, list[Any]]:
    """Rows strictly after `values` in the (NULL-aware) order of `keys`."""
    if not keys:
        return "1=0", []
    k, v = keys[0], values[0]
    col = f"{alias}.{q(k.column)}"
    rest_sql, rest_params = (_keyset(keys[1:], values[1:], alias) if len(keys) > 1
                             else ("1=0", []))
    if v is None:
        # Ascending: NULLs come first, then every non-NULL. Descending: NULLs come last.
        if k.desc:
            return f"({col} IS NULL AND ({rest_sql}))", rest_params
        return f"({col} IS NOT NULL OR ({col} IS NULL AND ({rest_sql})))", rest_params
    op = "<" if k.desc else ">"
    sql = f"({col} {op} %s OR ({col} = %s AND ({rest_sql}))"
    params = [v, v, *rest_params]
    if k.desc and k.field is not None:
        sql += f" OR {col} IS NULL"
    return sql + ")", params


PROBE_ROWS = 2000


def _equality_column(schema: LedgerSchema, filters: Sequence[str]) -> str | None:
    """The column of the first `CODE:eq:VALUE` filter on an indexed field, if any."""
    for spec in filters:
        code, _sep, rest = spec.partition(":")
        f = schema.by_code.get(code)
        if f is not None and rest.startswith("eq:"):
            ftype = schema.type_of(f)
            if ftype.indexed and ftype.groupable:
                return str(f.column)
    return None


def _many_matches(user: AnyUser, schema: LedgerSchema, filters: Sequence[str], search: str,
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


def _segments(keys: list[SortKey], after: list[Any] | None) -> list[tuple[str, list[Any]]]:
    """Conditions that, run in order, give the rows after the cursor in sort order.

    A single field sort is split at its NULLs (first when ascending, last when descending), so
    each part is a plain index range — a row-value comparison (col, id) > (v, last) — instead of
    an OR that makes the database scan from the start on every deep page."""
    key, desc = keys[0], keys[0].desc
    if len(keys) != 2 or key.field is None:
        if after is None:
            return [("1=1", [])]
        if len(keys) == 1:  # by id alone
            return [(f"t.id {'<' if desc else '>'} %s", [after[0]])]
        if len(keys) == 2:  # created_at / updated_at, never NULL
            return [(f"(t.{q(key.column)}, t.id) {'<' if desc else '>'} (%s, %s)", list(after))]
        return [_keyset(keys, after, "t")]  # several sort fields: rare, not index-served
    col = f"t.{q(key.column)}"
    op, id_op = ("<", "<") if desc else (">", ">")
    nulls: tuple[str, list[Any]] = (f"{col} IS NULL", [])
    values: tuple[str, list[Any]] = (f"{col} IS NOT NULL", [])
    if after is not None:
        value, last_id = after
        if value is None:
            nulls = (f"{col} IS NULL AND t.id {id_op} %s", [last_id])
            return [nulls] if desc else [nulls, values]
        values = (f"({col}, t.id) {op} (%s, %s)", [value, last_id])  # one index range
        return [values, nulls] if desc else [values]
    return [values, nulls] if desc else [nulls, values]


def encode_cursor(keys: list[SortKey], schema: LedgerSchema, row_raw: list[Any]) -> str:
    out = []
    for k, raw in zip(keys, row_raw, strict=True):
        out.append(schema.type_of(k.field).cursor_key(raw) if k.field else
                   (raw.isoformat() if hasattr(raw, "isoformat") else raw))
    return base64.urlsafe_b64encode(json.dumps(out).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, keys: list[SortKey], schema: LedgerSchema) -> list[Any]:
    bad = InvalidInput(_("The cursor is not valid; start again from the first page."),
                       code=Code.INVALID_CURSOR)
    if len(cursor) > 4000:
        raise bad
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error, UnicodeDecodeError, RecursionError):
        raise bad from None
    # A cursor travels in the query string as base64 of JSON, so it can smuggle a lone
    # surrogate past Django's decoding of the URL: no database can take one as a parameter.
    if not isinstance(values, list) or len(values) != len(keys) or has_lone_surrogate(values):
        raise bad
    params = []
    for k, v in zip(keys, values, strict=True):
        if (v is not None and not isinstance(v, str | int | float)) or isinstance(v, bool):
            raise bad
        try:
            if k.column == "id":
                if not isinstance(v, int):
                    raise bad
                params.append(v)
            elif k.field is not None:
                params.append(schema.type_of(k.field).cursor_param(v))
            else:
                params.append(dialect.param(dialect.as_datetime(v)))
        except (ValueError, TypeError, ArithmeticError):
            raise bad from None
    return params


@dataclass
class Page:
    rows: list[Row]
    next_cursor: str | None
    total: int | None


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
        found = _search_by_id(user, schema, filters=filters, search=search, ctx=ctx,
                              deleted=deleted, desc=keys[0].desc, after=after, limit=limit)
        return _page(schema, keys, found, limit, total=None)
    use_index = True
    if filters and keys[0].field is not None:
        pair = _equality_column(schema, filters)
        if pair == keys[0].column:
            pair = None
        if pair is None or not ddl.index_exists(
                ddl.pair_index_name(schema.ledger, pair, keys[0].column, "s")):
            many, use_index = _many_matches(user, schema, filters, search, ctx, deleted, keys[0])
            if many and pair is not None:
                ddl.note_wanted(schema.ledger, pair, keys[0].column, "s")
    where, params = where_clause(user, schema, filters=filters, search=search, ctx=ctx,
                                 deleted=deleted, use_index=use_index, sort_column=keys[0].column)
    sort_cols = ", ".join(f"t.{q(k.column)}" for k in keys)
    base = f"SELECT {select_list(schema)}, {sort_cols} FROM {q(schema.table)} t WHERE {where}"
    order = f" ORDER BY {_order_sql(keys, 't')}"
    fetched: list[Any] = []
    with connection.cursor() as cur:
        for seg_sql, seg_params in _segments(keys, after):
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
    return _page(schema, keys, fetched, limit, total)


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


def _page(schema: LedgerSchema, keys: list[SortKey], fetched: list[Any], limit: int,
          total: int | None) -> Page:
    more = len(fetched) > limit
    fetched = fetched[:limit]
    next_cursor = None
    if more and fetched:
        width = select_width(schema)
        next_cursor = encode_cursor(keys, schema, list(fetched[-1][width:]))
    return Page(to_rows(schema, fetched), next_cursor, total)


def _search_by_id(user: AnyUser, schema: LedgerSchema, *, filters: Sequence[str], search: str,
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


# -- aggregation --------------------------------------------------------------------------------

METRICS = ("count", "sum", "avg", "min", "max")


def aggregate(user: AnyUser, schema: LedgerSchema, *, group_by: str | None, metric: str,
              filters: Sequence[str] = (), search: str = "",
              ctx: ValueContext | None = None) -> list[dict[str, Any]]:
    ctx = ctx or ValueContext()
    name, _sep, code = metric.partition(":")
    if name not in METRICS or (name == "count") != (code == ""):
        raise InvalidInput(_("metric must be count or sum:CODE, avg:CODE, min:CODE, max:CODE."),
                           code=Code.INVALID_METRIC)
    value_sql = "COUNT(*)"
    metric_field: Field | None = None
    if name != "count":
        metric_field = schema.field(code)
        mtype = schema.type_of(metric_field)
        if name in ("sum", "avg") and not mtype.summable:
            raise InvalidInput(_("「%(name)s」 is not a number field.") % {"name": metric_field.name},
                               code=Code.INVALID_METRIC)
        if name in ("min", "max") and not mtype.sortable:
            raise InvalidInput(_("「%(name)s」 cannot be compared.") % {"name": metric_field.name},
                               code=Code.INVALID_METRIC)
        value_sql = f"{name.upper()}(t.{q(metric_field.column)})"
    grouped = grouping(schema, group_by) if group_by else None
    group_field = grouped.field if grouped else None
    where, params = where_clause(user, schema, filters=filters, search=search, ctx=ctx)
    source = f"{q(schema.table)} t"
    if name != "count" and metric_field is not None and group_field is not None:
        covered = ddl.want_covering_index(schema.ledger, group_field.column, metric_field.column)
        if not filters and not search and dialect.is_sqlite() and \
                not access.record_predicate(user, schema)[0]:
            if covered:
                # SQLite does not weigh covering: with a (group, sort) pair index beside it, it
                # walked that one and read every row from the table (2 s instead of 0.1 s).
                name = ddl.covering_index_name(schema.ledger, group_field.column,
                                               metric_field.column)
                source += f" INDEXED BY {q(name)}"
            else:
                # Until the covering index exists, one sequential pass over the table beats
                # visiting it in the group column's index order, which SQLite would choose.
                source += " NOT INDEXED"
    if grouped is not None:
        gcol = grouped.sql
        sql = (f"SELECT {gcol}, {value_sql} FROM {source} WHERE {where}"
               f" GROUP BY {gcol} ORDER BY {gcol} ASC NULLS FIRST LIMIT 10001")
    else:
        sql = f"SELECT NULL, {value_sql} FROM {source} WHERE {where}"
    with connection.cursor() as cur:
        cur.execute(sql, params)
        results = cur.fetchall()
    if len(results) > 10000:
        raise InvalidInput(_("Too many groups (more than 10,000)."), code=Code.TOO_MANY_GROUPS)
    groups = []
    mtype_ = schema.type_of(metric_field) if metric_field else None
    for key, value in results:
        if grouped is not None:
            key = grouped.key(key, ctx)
        if name == "count":
            out: Any = int(value)
        elif value is None:
            out = None
        elif name in ("min", "max") and mtype_ is not None and metric_field is not None:
            out = mtype_.to_json(metric_field, value, ctx)
        else:
            # SQLite averages in floating point, PostgreSQL exactly: round so both agree.
            out = round(float(value), 6) if name == "avg" else _number(value)
        groups.append({"key": key, "value": out})
    return groups


def _number(value: Any) -> Any:
    from decimal import Decimal

    number = Decimal(str(value))
    return int(number) if number == number.to_integral_value() else float(number)
