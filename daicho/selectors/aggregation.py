"""Aggregation through the gate: a count, sum, average, minimum or maximum, over the whole
ledger or per group (daicho.selectors.grouping), of the records the reader may see."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection
from django.utils.translation import gettext as _

from daicho import access
from daicho.access import AnyUser
from daicho.db import dialect
from daicho.db import schema as ddl
from daicho.db.dialect import q
from daicho.error_codes import Code
from daicho.errors import InvalidInput
from daicho.fields.context import ValueContext
from daicho.models import Field
from daicho.selectors.grouping import grouping
from daicho.selectors.ledgers import LedgerSchema
from daicho.selectors.where import where_clause

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
    if name != "count" and metric_field is not None and group_field is not None \
            and ddl.keeps_index(schema.type_of(group_field)) \
            and ddl.keeps_index(schema.type_of(metric_field)):
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
