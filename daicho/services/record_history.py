"""History: the entry every record writer writes in its transaction (and the events that go
with it), and reading it back — a record's entries for the API and the history page, and the
values a record had at an earlier revision (revert, an import's rollback).

Two forms of entry, on purpose: a writer's entry holds the old and new JSON value of every
changed field; the `import` entry of a record an import created holds none (`{}`), and the
reader recovers those values from the record and its later entries (docs/architecture.md,
"Writing: revisions, merge, history")."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.db import connection

from daicho.access import AnyUser
from daicho.db import dialect
from daicho.db.dialect import q
from daicho.fields.context import ValueContext
from daicho.models import History
from daicho.selectors import records as sel
from daicho.selectors.ledgers import LedgerSchema
from daicho.services import events

ACTIONS = ("create", "update", "delete", "restore", "import", "revert")


def user_id(user: AnyUser) -> int | None:
    return int(user.pk) if user.is_authenticated and user.pk is not None else None


_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _history_sql() -> str:
    """The INSERT of history entries, for the connection's database (PostgreSQL casts the
    JSON text of `changes` to jsonb). Made per write: a string, not worth a cache."""
    json_param = "%s" if dialect.is_sqlite() else "%s::jsonb"
    return (f"INSERT INTO {q(History._meta.db_table)} (ledger_id, record_id, revision, action,"
            f" user_id, at, changes, batch_id) VALUES (%s, %s, %s, %s, %s, %s, {json_param}, %s)")


def write_history(schema: LedgerSchema, user: AnyUser,
                  entries: list[tuple[int, int, str, dict[str, Any]]], batch_id: str = "",
                  extra: Mapping[str, Any] | None = None) -> None:
    """Write history rows with one executemany; `extra` goes with their events (a process
    action's details, daicho.services.process)."""
    sql = _history_sql()
    at = connection.ops.adapt_datetimefield_value(dialect.now())
    uid = user_id(user)
    with connection.cursor() as cur:
        cur.executemany(sql, [
            (schema.id, rid, rev, action, uid, at, _dumps(changes), batch_id)
            for rid, rev, action, changes in entries])
    events.emit(schema, [
        events.RecordEvent(action=action, ledger_id=schema.id, record_id=rid, revision=rev,
                           user_id=uid, changes=changes, batch_id=batch_id, extra=extra or {})
        for rid, rev, action, changes in entries])


def import_history(schema: LedgerSchema, ids: list[int], uid: int | None, at: Any,
                   batch_id: str) -> tuple[str, list[Any]]:
    """The statement (SQL, parameters) that writes the 'import' entries (revision 1, no values)
    of the records just inserted, made by the database from their ids."""
    table = q(History._meta.db_table)
    head = (f"INSERT INTO {table} (ledger_id, record_id, revision, action, user_id, at, changes,"
            f" batch_id) SELECT %s, r.id, 1, 'import', %s, %s, {_EMPTY_CHANGES}, %s")
    if dialect.is_sqlite():  # the write lock is ours: the ids are one unbroken range
        return (f"{head} FROM {q(schema.table)} r WHERE r.id BETWEEN %s AND %s",
                [schema.id, uid, at, batch_id, ids[0], ids[-1]])
    return f"{head} FROM unnest(%s::bigint[]) AS r(id)", [schema.id, uid, at, batch_id, ids]


_EMPTY_CHANGES = "'{}'"


def changed_since(schema: LedgerSchema, record_id: int, revision: int) -> set[str]:
    codes: set[str] = set()
    for changes in History.objects.filter(
        ledger_id=schema.id, record_id=record_id, revision__gt=revision
    ).values_list("changes", flat=True):
        codes.update(changes)
    return codes


def values_at(schema: LedgerSchema, row: sel.Row, revision: int,
              ctx: ValueContext) -> dict[str, Any]:
    """The JSON values the record had at `revision`, walking history back from now."""
    return _walk_back(sel.row_values(schema, row, ctx), History.objects.filter(
        ledger_id=schema.id, record_id=row.id, revision__gt=revision
    ).order_by("-revision").values_list("changes", flat=True))


def _walk_back(values: dict[str, Any], later: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """values (the record's now) with each later entry's changes undone, newest first."""
    for changes in later:
        for code, change in changes.items():
            if code in values:
                values[code] = change.get("old")
    return values


def history(*, user: AnyUser, schema: LedgerSchema, record_id: Any) -> list[dict[str, Any]]:
    row = sel.get_row(user, schema, record_id, include_deleted=True)
    ctx = ValueContext()
    entries = list(History.objects.filter(ledger_id=schema.id, record_id=row.id)
                   .order_by("-revision").values("revision", "at", "user_id", "action", "changes"))
    ctx.preload_users(e["user_id"] for e in entries)
    if entries and _created_by_import(entries[-1]):
        entries[-1]["changes"] = _first_values(schema, row, entries, ctx)
    # A hidden field's old and new values never leave the server.
    return [{"revision": e["revision"], "at": e["at"].isoformat(), "by": ctx.login(e["user_id"]),
             "action": e["action"],
             "changes": {code: _with_detail(schema, code, change)
                         for code, change in e["changes"].items()
                         if code not in schema.hidden}} for e in entries]


def _with_detail(schema: LedgerSchema, code: str, change: dict[str, Any]) -> dict[str, Any]:
    """A change with what its field's type adds to it (a subtable's rows)."""
    f = schema.by_code.get(code)
    if f is None or not isinstance(change, dict):
        return change
    detail = schema.type_of(f).change_detail(f, change.get("old"), change.get("new"))
    return {**change, **detail} if detail else change


def _created_by_import(entry: Mapping[str, Any]) -> bool:
    """An import's entry for a record it created keeps no values (import_columns)."""
    return entry["action"] == "import" and entry["revision"] == 1 and not entry["changes"]


def _first_values(schema: LedgerSchema, row: sel.Row, entries: Sequence[Mapping[str, Any]],
                  ctx: ValueContext) -> dict[str, dict[str, Any]]:
    """The values of revision 1 as changes from nothing: values_at, from the entries (newest
    first) already read."""
    values = _walk_back(sel.row_values(schema, row, ctx), (e["changes"] for e in entries[:-1]))
    return {code: {"old": None, "new": value} for code, value in values.items()
            if value is not None}

