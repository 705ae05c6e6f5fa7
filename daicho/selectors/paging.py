"""Sorting and keyset paging: a sort parameter as keys, their ORDER BY, the conditions that
give the rows after a cursor (each an index range where it can be), and the cursor itself.

A cursor is the last row's sort values as base64 of JSON; decoding one checks every value."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from daicho.db import dialect
from daicho.db.dialect import q
from daicho.error_codes import Code
from daicho.errors import InvalidInput
from daicho.models import Field
from daicho.requestdata import has_lone_surrogate
from daicho.selectors.ledgers import LedgerSchema
from daicho.selectors.rows import Row, select_width, to_rows

SYSTEM_SORTS = {"id": "id", "created_at": "created_at", "updated_at": "updated_at"}


@dataclass(frozen=True)
class SortKey:
    column: str
    field: Field | None
    desc: bool


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


def order_sql(keys: list[SortKey], alias: str) -> str:
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


def segments(keys: list[SortKey], after: list[Any] | None) -> list[tuple[str, list[Any]]]:
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


def page_of(schema: LedgerSchema, keys: list[SortKey], fetched: list[Any], limit: int,
            total: int | None) -> Page:
    more = len(fetched) > limit
    fetched = fetched[:limit]
    next_cursor = None
    if more and fetched:
        width = select_width(schema)
        next_cursor = encode_cursor(keys, schema, list(fetched[-1][width:]))
    return Page(to_rows(schema, fetched), next_cursor, total)
