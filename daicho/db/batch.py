"""Many rows of a ledger's table updated by id in a few statements (a pasted block, a bulk
edit): a statement per record costs PostgreSQL a plan and a round trip each, which for a
thousand records was most of the request."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.db import connection

from daicho.db.dialect import is_sqlite, q

ROWS_PER_STATEMENT = 500


def update_rows(table: str, sets: Sequence[str], shared: Sequence[Any],
                columns: Sequence[tuple[str, str]], rows: Sequence[Sequence[Any]]) -> None:
    """UPDATE `table`: for every row of `rows` — its id, then its values of `columns`
    ((column name, SQL type) pairs) — the columns set to its values, plus `sets` (SQL
    assignments whose %s take `shared`, the same for every row).

    PostgreSQL: UPDATE … FROM (VALUES …), a statement per 500 rows. SQLite: one statement
    executed for each row (sqlite3 prepares it once; there is no round trip to save)."""
    if not rows:
        return
    with connection.cursor() as cur:
        if is_sqlite():
            assignments = [*sets, *(f"{q(name)} = %s" for name, _type in columns)]
            cur.executemany(f"UPDATE {q(table)} SET {', '.join(assignments)} WHERE id = %s",
                            [[*shared, *row[1:], row[0]] for row in rows])
            return
        names = ["id", *(f"c{k}" for k in range(len(columns)))]
        assignments = [*sets, *(f"{q(name)} = v.c{k}::{sql_type}"
                                for k, (name, sql_type) in enumerate(columns))]
        one = f"({', '.join(['%s'] * len(names))})"
        for start in range(0, len(rows), ROWS_PER_STATEMENT):
            chunk = rows[start:start + ROWS_PER_STATEMENT]
            cur.execute(
                f"UPDATE {q(table)} AS t SET {', '.join(assignments)} "
                f"FROM (VALUES {', '.join([one] * len(chunk))}) AS v({', '.join(names)}) "
                "WHERE t.id = v.id::bigint",
                [*shared, *(value for row in chunk for value in row)])


def update_columns(table: str, columns: Sequence[tuple[str, str]], rows: Sequence[Sequence[Any]],
                   *, keep_if_null: Sequence[str] = ()) -> bool:
    """PostgreSQL: update_rows without `sets`, in one statement for all `rows`: each column
    goes as one array (UPDATE … FROM unnest(%s::bigint[], %s::numeric[], …)), so the server
    parses and plans one statement of a few parameters instead of one of four values per row
    per 500 rows. A column of `keep_if_null` keeps the row's value where the given one is NULL.

    Each column's values must be of one Python type (psycopg types an array by its values; a
    column of int and Decimal goes as Decimal); False when they are not, or on SQLite: then
    nothing was written (the caller uses update_rows)."""
    if is_sqlite():
        return False
    if not rows:
        return True
    values: list[Sequence[Any]] = list(zip(*rows, strict=True))
    for k, column in enumerate(values):
        kinds = {type(v) for v in column if v is not None}
        if kinds == {int, Decimal}:  # a number formula's whole and other values
            values[k] = [v if v is None else Decimal(v) for v in column]
        elif len(kinds) > 1:
            return False
    arrays = ["%b::bigint[]", *(
        f"%b::{'text' if sql_type.endswith('[]') else sql_type}[]" for _n, sql_type in columns)]
    names = ["id", *(f"c{k}" for k in range(len(columns)))]
    assignments = []
    for k, (name, sql_type) in enumerate(columns):
        value = f"v.c{k}::{sql_type}"
        if name in keep_if_null:
            value = f"coalesce({value}, t.{q(name)})"
        assignments.append(f"{q(name)} = {value}")
    import psycopg  # PostgreSQL's driver: not imported by SQLite's commands and servers (50 ms)

    connection.ensure_connection()
    # A cursor that binds on the server, in binary, on the connection (and transaction) of
    # Django's, whose cursors bind on the client: there every array became an SQL literal,
    # each element quoted and escaped in Python — for a chunk of 5,000 search keys and gram
    # arrays, most of the job's CPU (docs/performance.md).
    with psycopg.Cursor(connection.connection) as cur:
        cur.execute(f"UPDATE {q(table)} AS t SET {', '.join(assignments)} "
                    f"FROM unnest({', '.join(arrays)}) AS v({', '.join(names)}) "
                    "WHERE t.id = v.id", [list(column) for column in values])
    return True
