"""Before an append: which rows of the file would duplicate records the ledger already has.

A file imported a second time (or next year's list holding last year's rows) adds every row
again. The wizard asks here how many rows of the file have a key — a unique field, or the
field the user chose — equal to a live record's, and offers an upsert by that key instead.
The key column goes through the same conversion and cleaning as in the import, so a cell
matches exactly when the import would store the same value. Only records the importer may
edit count: those are the ones an upsert would update (a key held by another record is refused
by the import itself, as a value already in use, and says nothing about that record here)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from daicho import access
from daicho.access import AnyUser
from daicho.fields.context import ValueContext
from daicho.importing import ParsedTable
from daicho.selectors.ledgers import LedgerSchema
from daicho.services.import_cleaning import BAD, Outcome, clean_column, field_column
from daicho.services.import_keys import existing_by_key
from daicho.services.import_mapping import column_matches

SHOWN_ROWS = 20


@dataclass(frozen=True)
class KeyMatches:
    """Rows of the file whose `key` field value is already held by a record."""

    key: str  # field code
    name: str  # field name
    rows: int  # how many rows of the file match a record
    records: int  # how many distinct records they match
    first_rows: list[int] = field(default_factory=list)  # the first SHOWN_ROWS row numbers


def key_candidates(table: ParsedTable, schema: LedgerSchema,
                   skipped: set[int] | None = None) -> list[Any]:
    """The ledger's fields that can serve as a key and that a column of the file goes into:
    unique fields first (the natural key), then the others in the ledger's order."""
    mapped = {code for code in column_matches(table, schema, skipped).values() if code}
    fields = [f for f in schema.fields
              if f.code in mapped and schema.type_of(f).can_be_unique]
    return sorted(fields, key=lambda f: not f.unique)


def key_matches(*, user: AnyUser, schema: LedgerSchema, table: ParsedTable, key: str,
                skipped: set[int] | None = None) -> KeyMatches | None:
    """How many rows of `table` have a `key` value equal to a live record's the importer may
    edit. None when no column of the file goes into that field (nothing to compare)."""
    f = schema.by_code.get(key)
    if f is None or not schema.type_of(f).can_be_unique:
        return None
    column = next((i for i, code in column_matches(table, schema, skipped).items()
                   if code == key), None)
    if column is None:
        return None
    scratch = Outcome()  # cells that do not convert are the import's errors, not matches
    values = field_column(table, column, f, False, scratch, 0)
    values = clean_column(schema, f, values, ValueContext(user), table.numbers,
                          table.raw[column], scratch, 0)
    ftype = schema.type_of(f)
    keys = [None if v is None or v is BAD else v for v in values]
    existing, _taken = existing_by_key(access.grant_of(user, schema), schema, key, keys)
    rows: list[int] = []
    records: set[int] = set()
    for number, value in zip(table.numbers, keys, strict=True):
        if value is None:
            continue
        found = existing.get(ftype.to_param(value))
        if found is not None:
            rows.append(number)
            records.add(found.id)
    return KeyMatches(key=key, name=f.name, rows=len(rows), records=len(records),
                      first_rows=rows[:SHOWN_ROWS])
