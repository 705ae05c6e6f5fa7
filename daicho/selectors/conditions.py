"""Record conditions without the gate: a filter (`CODE:OP:VALUE`) as SQL, and whether records
meet an SQL condition. The gate (daicho.access) builds its record predicates and checks written
records with these, so they sit below it and import nothing that asks it."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.utils.translation import gettext as _

from daicho.db import dialect
from daicho.db.dialect import q
from daicho.error_codes import Code
from daicho.errors import FieldValueError, InvalidInput
from daicho.fields.context import ValueContext
from daicho.selectors.ledgers import LedgerSchema


def parse_filter(schema: LedgerSchema, spec: str, ctx: ValueContext,
                 alias: str = "t", use_index: bool = True,
                 sort_column: str | None = None) -> tuple[str, list[Any]]:
    if len(spec) > 10_000:
        raise InvalidInput(_("The filter is too long."), code=Code.INVALID_FILTER)
    parts = spec.split(":", 2)
    if len(parts) < 2:
        raise InvalidInput(_("Write a filter as CODE:OP:VALUE."), code=Code.INVALID_FILTER,
                           details={"filter": spec[:200]})
    code, op = parts[0], parts[1]
    text = parts[2] if len(parts) == 3 else ""
    f = schema.field(code)
    ftype = schema.type_of(f)
    if op not in ftype.operators:
        raise InvalidInput(
            _("The operator 「%(op)s」 cannot be used with the field 「%(name)s」.")
            % {"op": op[:20], "name": f.name},
            code=Code.INVALID_FILTER,
            details={"field": code, "allowed": sorted(ftype.operators)},
        )
    if op not in ("empty", "notempty") and len(parts) < 3:
        raise InvalidInput(_("Write a filter as CODE:OP:VALUE."), code=Code.INVALID_FILTER,
                           details={"filter": spec[:200]})
    column = f"{alias}.{q(f.column)}"
    if not use_index and dialect.is_sqlite() and f.column != sort_column:
        # SQLite's way to say "do not use an index for this term": walk the sort column's index
        # instead (a filter on the sort column itself is a range of that walk).
        column = "+" + column
    try:
        return ftype.filter_sql(f, column, op, text, ctx)
    except FieldValueError as exc:
        raise InvalidInput(
            _("Filter on 「%(name)s」: %(message)s") % {"name": f.name, "message": exc.message},
            code=Code.INVALID_FILTER, details={"field": code},
        ) from None


def row_matches(schema: LedgerSchema, record_id: int, condition: str,
                params: list[Any]) -> bool:
    """Whether the record satisfies `condition` (SQL over alias t, from daicho.access)."""
    with connection.cursor() as cur:
        cur.execute(f"SELECT 1 FROM {q(schema.table)} t WHERE t.id = %s AND ({condition})",
                    [record_id, *params])
        return cur.fetchone() is not None


def rows_outside(schema: LedgerSchema, ids: list[int], condition: str,
                 params: list[Any]) -> int:
    """How many of the records `ids` do not meet `condition` (NULL counts as not met)."""
    outside = 0
    with connection.cursor() as cur:
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            cur.execute(f"SELECT COUNT(*) FROM {q(schema.table)} t WHERE t.id IN "
                        f"({', '.join(['%s'] * len(chunk))}) AND (CASE WHEN ({condition}) "
                        "THEN 0 ELSE 1 END) = 1", [*chunk, *params])
            outside += int(cur.fetchone()[0])
    return outside
