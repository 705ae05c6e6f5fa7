"""The few places where SQLite and PostgreSQL SQL differ. Everything else is shared."""

from __future__ import annotations

import datetime as dt
import functools
from decimal import Decimal
from typing import Any

from django.db import connection


@functools.cache
def vendor() -> str:
    # One database per process (settings.DATABASES["default"]), so the answer never changes.
    return str(connection.vendor)


def is_sqlite() -> bool:
    return vendor() == "sqlite"


@functools.lru_cache(maxsize=8192)
def q(name: str) -> str:
    """Quote an identifier. Physical names are generated (ledger_12, f_34) but we quote anyway.
    Cached: one database per process, and asking the connection proxy costs more than the
    rest of building a statement (a bulk of 1,000 records asks 13,000 times)."""
    return str(connection.ops.quote_name(name))


def like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def ilike(column_sql: str) -> str:
    if is_sqlite():
        # SQLite's LIKE is case-insensitive for ASCII already.
        return f"{column_sql} LIKE %s ESCAPE '\\'"
    return f"{column_sql} ILIKE %s ESCAPE '\\'"


def like(column_sql: str) -> str:
    return f"{column_sql} LIKE %s ESCAPE '\\'"


def json_cells_like(column_sql: str) -> str:
    """A condition on a JSON text `{"rows": [{"id": 1, CODE: VALUE}]}` (a subtable's): some
    cell other than a row id is LIKE the parameter (case-insensitive)."""
    if is_sqlite():
        return (f"EXISTS (SELECT 1 FROM json_each({column_sql}, '$.rows') r, json_each(r.value) c"
                f" WHERE c.key <> 'id' AND c.value LIKE %s ESCAPE '\\')")
    return (f"EXISTS (SELECT 1 FROM jsonb_array_elements(({column_sql})::jsonb -> 'rows') r,"
            f" jsonb_each_text(r.value) c WHERE c.key <> 'id' AND c.value ILIKE %s ESCAPE '\\')")


def distinct(column_sql: str) -> str:
    """NULL-safe inequality: a blank value is 'not equal' to any given value."""
    if is_sqlite():
        return f"{column_sql} IS NOT %s"
    return f"{column_sql} IS DISTINCT FROM %s"


_PLAIN = (str, int, bool, float)


def param(value: Any) -> Any:
    """Adapt a Python value to what the driver stores in our column types."""
    if value is None or value.__class__ in _PLAIN:
        return value  # the common case, kept off the vendor lookup below
    if is_sqlite():
        if isinstance(value, dt.datetime):
            return value.astimezone(dt.UTC).isoformat(timespec="seconds")
        if isinstance(value, dt.date):
            return value.isoformat()
        if isinstance(value, Decimal):
            return int(value) if value == value.to_integral_value() else float(value)
    return value


def params(values: list[Any]) -> list[Any]:
    """param() of every value of a column (an import's), with the conversions SQLite needs
    for a column of dates or of numbers made without a call per value."""
    kinds = set(map(type, values))
    kinds.discard(type(None))
    if kinds <= _PLAIN_SET:
        return values
    if is_sqlite() and kinds == {dt.date}:
        return [None if v is None else v.isoformat() for v in values]
    if is_sqlite() and kinds == {Decimal}:
        return [None if v is None else int(v) if v == v.to_integral_value() else float(v)
                for v in values]
    return list(map(param, values))


_PLAIN_SET = frozenset(_PLAIN)


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def as_datetime(raw: Any) -> dt.datetime | None:
    if raw is None:
        return None
    if isinstance(raw, dt.datetime):
        return raw if raw.tzinfo else raw.replace(tzinfo=dt.UTC)
    value = dt.datetime.fromisoformat(str(raw))
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def as_date(raw: Any) -> dt.date | None:
    if raw is None:
        return None
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    return dt.date.fromisoformat(str(raw)[:10])


def live(alias: str = "t") -> str:
    """The SQL condition of a record not in the trash; `alias` "" for the bare column (index
    conditions, which the planner matches against queries written the same way)."""
    column = f"{alias}.deleted" if alias else "deleted"
    return f"{column} = 0" if is_sqlite() else f"NOT {column}"


def trashed(alias: str = "t") -> str:
    """The condition of a record in the trash, written as the trash index's own."""
    column = f"{alias}.deleted" if alias else "deleted"
    return f"{column} = 1" if is_sqlite() else column


def type_for(kind: str) -> str:
    """Column SQL type for a storage kind shared by several field types."""
    sqlite = is_sqlite()
    return {
        "text": "TEXT",
        "number": "NUMERIC",
        "date": "TEXT" if sqlite else "DATE",
        "datetime": "TEXT" if sqlite else "TIMESTAMP WITH TIME ZONE",
        "bool": "INTEGER" if sqlite else "BOOLEAN",
        "int": "INTEGER" if sqlite else "BIGINT",
    }[kind]



def date_period(column_sql: str, period: str) -> str:
    """The period of a date column as one SQL expression, NULL for a blank date: `year` the
    calendar year and `fy` the fiscal year (年度, April–March; 2025-03-31 is in 2024) as
    integers, `month` the text "YYYY-MM". SQLite keeps a date as its ISO text."""
    if is_sqlite():
        year = f"CAST(substr({column_sql}, 1, 4) AS INTEGER)"
        return {"year": year, "month": f"substr({column_sql}, 1, 7)",
                "fy": f"({year} - (substr({column_sql}, 6, 2) < '04'))"}[period]
    return {"year": f"CAST(EXTRACT(YEAR FROM {column_sql}) AS INTEGER)",
            "month": f"to_char({column_sql}, 'YYYY-MM')",
            "fy": f"CAST(EXTRACT(YEAR FROM {column_sql} - INTERVAL '3 months') AS INTEGER)",
            }[period]
