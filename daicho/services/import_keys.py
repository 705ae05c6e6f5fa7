"""An import's checks against the ledger's records: unique fields (a value already used by a live
record or an earlier row) and, in upsert mode, the rows whose key matches a record the importer
may edit — updates — and those that create one."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db import connection
from django.utils.translation import gettext as _

from daicho import access
from daicho.access import AnyUser
from daicho.db import dialect
from daicho.db.dialect import q
from daicho.fields.context import ValueContext
from daicho.selectors import records as sel
from daicho.selectors.ledgers import LedgerSchema
from daicho.services import records as record_svc
from daicho.services.import_cleaning import Outcome


def _json_of(schema: LedgerSchema, code: str, value: Any, ctx: ValueContext) -> Any:
    f = schema.by_code[code]
    return schema.type_of(f).history_value(f, value, ctx)


def unique_checks(schema: LedgerSchema, columns: dict[str, list[Any]], numbers: list[int],
                  good: list[int], outcome: Outcome, ctx: ValueContext) -> None:
    """Unique fields: a value already used by a live record, or used by an earlier row of the
    file, is an error (record_svc._check_unique, one query per 500 values)."""
    for position, f in enumerate(schema.fields):
        if not f.unique or f.code not in columns:
            continue
        ftype = schema.type_of(f)
        column = columns[f.code]
        params = {n: ftype.to_param(column[n]) for n in good if column[n] is not None}
        taken = _taken(schema, f, list(dict.fromkeys(params.values())))
        seen: set[Any] = set()
        for n, param in params.items():
            if param in taken or param in seen:
                outcome.error(numbers[n], f.name, _json_of(schema, f.code, column[n], ctx),
                              _("This value is already used by another record."), stage=3,
                              column=position)
            seen.add(param)


def _live_rows_where_in(schema: LedgerSchema, f: Any, params: list[Any],
                        columns: str) -> Iterator[tuple[Any, ...]]:
    """`columns` of the live records whose field f is one of params, 500 values a query."""
    for start in range(0, len(params), 500):
        chunk = params[start:start + 500]
        with connection.cursor() as cur:
            cur.execute(f"SELECT {columns} FROM {q(schema.table)} t "
                        f"WHERE t.{q(f.column)} IN ({', '.join(['%s'] * len(chunk))}) "
                        f"AND {dialect.live()}", chunk)
            yield from cur.fetchall()


def _taken(schema: LedgerSchema, f: Any, params: list[Any]) -> set[Any]:
    taken = {row[0] for row in _live_rows_where_in(schema, f, params, f"t.{q(f.column)}")}
    if taken:
        # What the database returns may be of another Python type than the parameter (a
        # NUMERIC comes back as Decimal or float): compare in parameter form.
        ftype = schema.type_of(f)
        taken |= {ftype.to_param(v) for v in taken}
    return taken


def existing_by_key(grant: access.Grant, schema: LedgerSchema, key_code: str,
                    keys: list[Any]) -> tuple[dict[Any, sel.Row], set[Any]]:
    """The live records the importer may edit, by key; and the keys held only by records they
    may not edit (or not even see)."""
    f = schema.by_code[key_code]
    ftype = schema.type_of(f)
    out: dict[Any, sel.Row] = {}
    params = list(dict.fromkeys(ftype.to_param(k) for k in keys if k is not None))
    rows = sel.to_rows(schema, _live_rows_where_in(schema, f, params, sel.select_list(schema)))
    editable = _editable(grant, [row.id for row in rows])
    taken: set[Any] = set()
    for row in rows:
        key = ftype.to_param(row.raw[key_code])
        if row.id in editable:
            out[key] = row
        else:
            taken.add(key)
    return out, taken - set(out)


def _editable(grant: access.Grant, ids: list[int]) -> set[int]:
    """Those of `ids` the importer holds edit on (the edit right's record conditions)."""
    condition, params = grant.predicate("edit")
    if not condition:
        return set(ids)
    found: set[int] = set()
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        with connection.cursor() as cur:
            cur.execute(f"SELECT t.id FROM {q(grant.full.table)} t WHERE t.id IN "
                        f"({', '.join(['%s'] * len(chunk))}) AND ({condition})", [*chunk, *params])
            found.update(int(r[0]) for r in cur.fetchall())
    return found


def split_upsert(user: AnyUser, schema: LedgerSchema, key_code: str,
                 columns: dict[str, list[Any]], numbers: list[int], good: list[int],
                 outcome: Outcome, ctx: ValueContext) -> list[int]:
    """Rows whose key matches a live record become updates (or count as unchanged); the row
    indexes of the rest, to be created, are returned. A key held only by a record the importer
    may not edit is refused as a value already in use, whatever the rest of the row holds
    (contract §3.1): the report tells nothing about that record."""
    f = schema.by_code[key_code]
    ftype = schema.type_of(f)
    keys = columns.get(key_code) or [None] * len(numbers)
    existing, taken = existing_by_key(access.grant_of(user, schema), schema, key_code,
                                      [keys[n] for n in good])
    seen: dict[Any, int] = {}
    create: list[int] = []
    for n in good:
        number, key = numbers[n], keys[n]
        if key is None:
            outcome.error(number, f.name, None, _("The key field is empty."), stage=3)
            continue
        param = ftype.to_param(key)
        if param in seen:
            outcome.error(number, f.name, _json_of(schema, key_code, key, ctx),
                          _("The same key appears again (first in row %(row)d).")
                          % {"row": seen[param]}, stage=3)
            continue
        seen[param] = number
        current = existing.get(param)
        if current is None and param in taken:
            outcome.error(number, f.name, _json_of(schema, key_code, key, ctx),
                          _("This value is already used by another record."), stage=3)
            continue
        if current is None:
            create.append(n)
            continue
        stored = {code: values[n] for code, values in columns.items()}
        prepared = record_svc.Prepared(stored, {code: _json_of(schema, code, value, ctx)
                                                for code, value in stored.items()})
        old = {c: schema.type_of(schema.by_code[c]).history_value(schema.by_code[c], current.raw[c],
                                                                 ctx) for c in prepared.stored}
        if all(old[c] == prepared.as_json[c] for c in prepared.stored):
            outcome.unchanged += 1
        else:
            outcome.updates.append((current.id, prepared))
    return create
