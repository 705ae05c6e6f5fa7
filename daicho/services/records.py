"""The writers for records. Each public function is one transaction that writes its history
entry in that same transaction; nothing else in the code base writes a ledger table's rows."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from daicho import access
from daicho.access import AnyUser
from daicho.db import batch, dialect, search
from daicho.db.dialect import q
from daicho.error_codes import Code
from daicho.errors import Conflict, FieldValueError, InvalidInput
from daicho.fields.context import ValueContext
from daicho.fields.text import AutonumberType
from daicho.models import Field, History, Ledger
from daicho.requestdata import refuse_unknown_keys, whole_id
from daicho.selectors import records as sel
from daicho.selectors.ledgers import STATUS_COLUMN, VERSION_COLUMN, LedgerSchema
from daicho.services import events, formulas, lookups
from daicho.textnorm import search_key, search_keys

ACTIONS = ("create", "update", "delete", "restore", "import", "revert")


@dataclass
class Prepared:
    """A record's values cleaned to storage form, with the JSON form kept for history."""

    stored: dict[str, Any]
    as_json: dict[str, Any]


def _user_id(user: AnyUser) -> int | None:
    return int(user.pk) if user.is_authenticated and user.pk is not None else None


def _fields_error(errors: dict[str, str], ctx: ValueContext | None = None,
                  **extra: Any) -> InvalidInput:
    """400 invalid_values; `details.rows` names the refused rows of subtables by field code:
    [{"row": N (1-based), "column": CODE, "message"}]."""
    rows = {code: found for code, found in (ctx.row_errors if ctx else {}).items()
            if code in errors}
    return InvalidInput(_("Some values are not valid."), code=Code.INVALID_VALUES,
                        details={"fields": errors, **({"rows": rows} if rows else {}), **extra})


def clean_values(schema: LedgerSchema, values: Any, ctx: ValueContext, *,
                 creating: bool, current: Mapping[str, Any] | None = None,
                 ) -> tuple[Prepared, dict[str, str]]:
    """Check every given value against its field; returns the cleaned values and the errors.
    `current`: the record's stored values (None for a new record), for the types that make a
    value final against the stored one (FieldType.against: a subtable's row ids). A refusal
    that names rows (a subtable's) puts them in `ctx.row_errors` for the error's details."""
    if not isinstance(values, dict):
        raise InvalidInput(_("values must be an object of field codes."), code=Code.INVALID_VALUES)
    errors: dict[str, str] = {}
    stored: dict[str, Any] = {}
    as_json: dict[str, Any] = {}
    by_code, types = schema.by_code, schema.types
    for code, value in values.items():
        f = by_code.get(code) if isinstance(code, str) else None
        if f is None:
            errors[str(code)[:64]] = _("There is no such field in this ledger.")
            continue
        ftype = types[code]
        if ftype.computed or ftype.derived:
            message = (_("「%(name)s」 is calculated by its formula and cannot be written.")
                       if ftype.computed else
                       _("「%(name)s」 shows a value of the linked record and cannot be written.")
                       ) % {"name": f.name}
            raise InvalidInput(message, code=Code.READ_ONLY_FIELD,
                               details={"field": code, "fields": {code: message}})
        if not ftype.writable:
            errors[code] = _("This field is filled in automatically.")
            continue
        if code in schema.read_only:
            errors[code] = _("You may read this field but not change it.")
            continue
        try:
            cleaned = ftype.clean(f, value, ctx)
            if ftype.needs_current:
                cleaned = ftype.against(f, cleaned, (current or {}).get(code), ctx)
        except FieldValueError as exc:
            errors[code] = exc.message
            rows = getattr(exc, "rows", None)
            if rows:
                ctx.row_errors[code] = rows
            continue
        stored[code] = cleaned
        as_json[code] = ftype.history_value(f, cleaned, ctx)
    for f in schema.required:
        if f.code not in errors and (creating or f.code in stored) and stored.get(f.code) is None:
            errors[f.code] = _("This field is required.")
    return Prepared(stored, as_json), errors


def _search_key(schema: LedgerSchema, raw: dict[str, Any], ctx: ValueContext) -> str:
    parts = []
    for f, ftype in schema.searchable:
        value = raw.get(f.code)
        if value is not None:
            text = ftype.search_text(f, value, ctx)
            if text:
                parts.append(text)
    return search_key("\n".join(parts))


def _check_unique(schema: LedgerSchema, stored: dict[str, Any], record_id: int | None,
                  errors: dict[str, str], batch_seen: dict[str, dict[Any, int]] | None = None,
                  item: int = 0) -> None:
    for f in schema.fields:
        if not f.unique or stored.get(f.code) is None or f.code in errors:
            continue
        param = schema.type_of(f).to_param(stored[f.code])
        sql = f"SELECT t.id FROM {q(schema.table)} t WHERE t.{q(f.column)} = %s AND {dialect.live()}"
        params: list[Any] = [param]
        if record_id is not None:
            sql += " AND t.id <> %s"
            params.append(record_id)
        with connection.cursor() as cur:
            cur.execute(sql + " LIMIT 1", params)
            clash = cur.fetchone()
        if clash is None and batch_seen is not None:
            seen = batch_seen.setdefault(f.code, {})
            if param in seen and seen[param] != item:
                clash = (None,)
            seen.setdefault(param, item)
        if clash is not None:
            errors[f.code] = _("This value is already used by another record.")


_HISTORY_SQL = ""


def _history_sql() -> str:
    global _HISTORY_SQL
    if not _HISTORY_SQL or ("::jsonb" in _HISTORY_SQL) == dialect.is_sqlite():
        json_param = "%s" if dialect.is_sqlite() else "%s::jsonb"
        _HISTORY_SQL = (
            f"INSERT INTO {q(History._meta.db_table)} (ledger_id, record_id, revision, action,"
            f" user_id, at, changes, batch_id) VALUES (%s, %s, %s, %s, %s, %s, {json_param}, %s)")
    return _HISTORY_SQL


def _history(schema: LedgerSchema, user: AnyUser, entries: list[tuple[int, int, str, dict[str, Any]]],
             batch_id: str = "", extra: Mapping[str, Any] | None = None) -> None:
    """Write history rows with one executemany; `extra` goes with their events (a process
    action's details, daicho.services.process)."""
    sql = _history_sql()
    at = connection.ops.adapt_datetimefield_value(dialect.now())
    uid = _user_id(user)
    with connection.cursor() as cur:
        cur.executemany(sql, [
            (schema.id, rid, rev, action, uid, at, _dumps(changes), batch_id)
            for rid, rev, action, changes in entries])
    events.emit(schema, [
        events.RecordEvent(action=action, ledger_id=schema.id, record_id=rid, revision=rev,
                           user_id=uid, changes=changes, batch_id=batch_id, extra=extra or {})
        for rid, rev, action, changes in entries])


def _bump_count(schema: LedgerSchema, delta: int) -> None:
    if delta:
        Ledger.objects.filter(id=schema.id).update(record_count=F("record_count") + delta)
        schema.ledger.record_count += delta


def _allocate_autonumbers(schema: LedgerSchema, count: int) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for f in schema.fields:
        ftype = schema.type_of(f)
        if isinstance(ftype, AutonumberType):
            Field.objects.filter(id=f.id).update(seq=F("seq") + count)
            end = Field.objects.values_list("seq", flat=True).get(id=f.id)
            out[f.code] = [ftype.format(f, n) for n in range(end - count + 1, end + 1)]
    return out


def _allocate_ids(schema: LedgerSchema, count: int) -> list[int]:
    """Ids for `count` new records, taken up front so one executemany can insert them all.

    SQLite: the write lock is ours for the whole transaction (BEGIN IMMEDIATE), so the next
    AUTOINCREMENT values are free to use. PostgreSQL: draw them from the identity sequence."""
    with connection.cursor() as cur:
        if dialect.is_sqlite():
            cur.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [schema.table])
            found = cur.fetchone()
            start = int(found[0]) + 1 if found else 1
            return list(range(start, start + count))
        cur.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                    [schema.table, count])
        return [int(r[0]) for r in cur.fetchall()]


def _insert(grant: access.Grant, user: AnyUser, items: list[Prepared], ctx: ValueContext, *,
            action: str, batch_id: str, right: str) -> list[int]:
    """Insert cleaned records; history, search index and count in the same transaction. Each
    must lie within the record conditions of `right` (403 otherwise, nothing written)."""
    if not items:
        return []
    schema = grant.full
    now = dialect.param(dialect.now())
    uid = _user_id(user)
    autonumbers = _allocate_autonumbers(schema, len(items))
    ids = _allocate_ids(schema, len(items))
    cols = ["id", "revision", "created_at", "created_by", "updated_at", "updated_by", "search_key"]
    cols += [q(f.column) for f in schema.fields]
    begins = _process_start(schema)
    cols += [column for column, _value in begins]
    sql = (f"INSERT INTO {q(schema.table)} ({', '.join(cols)}) "
           f"VALUES ({', '.join(['%s'] * len(cols))})")
    codes = [f.code for f in schema.fields]
    converters = [schema.type_of(f).to_param for f in schema.fields]
    rows: list[list[Any]] = []
    history: list[tuple[int, int, str, dict[str, Any]]] = []
    index_rows: list[tuple[int, str, str | None]] = []
    for n, (rid, item) in enumerate(zip(ids, items, strict=True)):
        for code, numbers in autonumbers.items():
            item.stored[code] = numbers[n]
            item.as_json[code] = numbers[n]
        lookups.fill(schema, item, None, ctx)
        formulas.fill(schema, item, None, ctx)
        key = _search_key(schema, item.stored, ctx)
        stored = item.stored
        rows.append([rid, 1, now, uid, now, uid, key,
                     *[convert(stored.get(code)) for code, convert in zip(codes, converters,
                                                                          strict=True)],
                     *[value for _column, value in begins]])
        history.append((rid, 1, action, {
            code: {"old": None, "new": value}
            for code, value in item.as_json.items() if value is not None
        }))
        index_rows.append((rid, key, None))
    with connection.cursor() as cur:
        try:
            cur.executemany(sql, rows)
        except IntegrityError:
            raise _unique_taken() from None
    search.index_records(schema.ledger, index_rows)
    _history(schema, user, history, batch_id)
    _bump_count(schema, len(items))
    grant.check_written(ids, right)
    return ids


def _process_start(schema: LedgerSchema) -> list[tuple[str, Any]]:
    """The columns a new record starts its process with (none without a process): the initial
    status and the version it will follow (contract §8)."""
    process = schema.process
    if process is None:
        return []
    return [(STATUS_COLUMN, process["initial"]), (VERSION_COLUMN, int(process["version"]))]


def _writer_context(ctx: ValueContext | None, user: AnyUser) -> ValueContext:
    """The value context of a write: it knows the writer, so link values may point only at
    records the writer may see (daicho.selectors.records.record_exists)."""
    ctx = ctx or ValueContext()
    ctx.user = user
    return ctx


def create_record(*, user: AnyUser, schema: LedgerSchema, values: Any,
                  ctx: ValueContext | None = None) -> dict[str, Any]:
    ctx = _writer_context(ctx, user)
    grant = access.require(user, schema, "add")
    schema = grant.schema("add")
    with transaction.atomic():
        prepared, errors = clean_values(schema, values, ctx, creating=True)
        _check_unique(schema.full, prepared.stored, None, errors)
        if errors:
            raise _fields_error(errors, ctx)
        [rid] = _insert(grant, user, [prepared], ctx, action="create", batch_id="", right="add")
        [row] = _rows_by_id(user, schema, [rid])
    return sel.records_json(schema, [row], ctx)[0]


def changed_since(schema: LedgerSchema, record_id: int, revision: int) -> set[str]:
    codes: set[str] = set()
    for changes in History.objects.filter(
        ledger_id=schema.id, record_id=record_id, revision__gt=revision
    ).values_list("changes", flat=True):
        codes.update(changes)
    return codes


@dataclass
class _Later:
    """The row updates, history rows and search index changes of many updates, written
    together once all are known (db.batch.update_rows for the rows of each set of changed
    columns, one executemany each for history and index — not a statement per record):
    same transaction, one time of change for all."""

    # (column, SQL type) of the changed fields -> per record: id, search key, their values
    updates: dict[tuple[tuple[str, str], ...], list[list[Any]]] = field(default_factory=dict)
    history: list[tuple[int, int, str, dict[str, Any]]] = field(default_factory=list)
    index: list[tuple[int, str, str | None]] = field(default_factory=list)

    def write(self, schema: LedgerSchema, user: AnyUser, batch_id: str) -> None:
        sets = ["revision = revision + 1", "updated_at = %s", "updated_by = %s"]
        shared = [dialect.param(dialect.now()), _user_id(user)]
        for columns, rows in self.updates.items():
            try:
                batch.update_rows(schema.table, sets, shared,
                                  [("search_key", "TEXT"), *columns], rows)
            except IntegrityError:
                raise _unique_taken() from None
        search.index_records(schema.ledger, self.index)
        if self.history:
            _history(schema, user, self.history, batch_id)


def _apply_update(schema: LedgerSchema, user: AnyUser, row: sel.Row, prepared: Prepared,
                  ctx: ValueContext, action: str, batch_id: str = "",
                  later: _Later | None = None) -> bool:
    """Write the fields that differ from the stored row; False when nothing changed. With
    `later`, its history row and index change wait there for later.write()."""
    lookups.fill(schema, prepared, row.raw, ctx)
    formulas.fill(schema, prepared, row.raw, ctx)
    changes: dict[str, dict[str, Any]] = {}
    new_raw = dict(row.raw)
    for code, value in prepared.stored.items():
        f = schema.by_code[code]
        ftype = schema.type_of(f)
        old_json = ftype.history_value(f, row.raw[code], ctx)
        new_json = prepared.as_json[code]
        if old_json != new_json:
            changes[code] = {"old": old_json, "new": new_json}
            new_raw[code] = value
    if not changes and action not in ("delete", "restore"):
        return False
    key = _search_key(schema, new_raw, ctx)
    entry = (row.id, row.revision + 1, action, changes)
    if later is not None:
        columns = tuple((schema.by_code[code].column, schema.type_of(schema.by_code[code])
                         .sql_type()) for code in changes)
        later.updates.setdefault(columns, []).append(
            [row.id, key, *(schema.type_of(schema.by_code[code]).to_param(prepared.stored[code])
                            for code in changes)])
        if key != row.search_key:
            later.index.append((row.id, key, row.search_key))
        later.history.append(entry)
        return True
    sets = ["revision = revision + 1", "updated_at = %s", "updated_by = %s", "search_key = %s"]
    params: list[Any] = [dialect.param(dialect.now()), _user_id(user), key]
    for code in changes:
        f = schema.by_code[code]
        sets.append(f"{q(f.column)} = %s")
        params.append(schema.type_of(f).to_param(prepared.stored[code]))
    with connection.cursor() as cur:
        try:
            cur.execute(f"UPDATE {q(schema.table)} SET {', '.join(sets)} WHERE id = %s",
                        [*params, row.id])
        except IntegrityError:
            raise _unique_taken() from None
    if key != row.search_key:
        search.index_records(schema.ledger, [(row.id, key, row.search_key)])
    _history(schema, user, [entry], batch_id)
    return True


def apply_derived(schema: LedgerSchema, user: AnyUser, row: sel.Row, prepared: Prepared,
                  ctx: ValueContext) -> bool:
    """Write values nobody types (a copy lookup fetched again, daicho.services.lookup_copies)
    as an update of the record, in the caller's transaction: history, search key, events."""
    return _apply_update(schema, user, row, prepared, ctx, "update")


def _unique_taken() -> Conflict:
    return Conflict(_("A value that must be unique is already used."), code=Code.UNIQUE)


def _conflict(schema: LedgerSchema, row: sel.Row, fields: list[str],
              ctx: ValueContext) -> Conflict:
    return Conflict(
        _("Someone else changed the same fields after you opened the record."),
        details={"current": sel.records_json(schema, [row], ctx)[0],
                 "conflicting_fields": fields},
    )


def _prepare_update(schema: LedgerSchema, user: AnyUser, record_id: Any, revision: Any,
                    values: Any, ctx: ValueContext,
                    locked: dict[int, sel.Row] | None = None,
                    ) -> tuple[sel.Row, Prepared, dict[str, str]]:
    """`locked`: rows already read and locked for a batch (sel.get_rows), by id."""
    if not isinstance(revision, int) or isinstance(revision, bool):
        raise InvalidInput(_("revision is required: the revision you loaded."),
                           code=Code.REVISION_REQUIRED)
    # The whole row (hidden fields too): the new search key is computed from all of it.
    row = (locked or {}).get(whole_id(record_id) or 0) or \
        sel.get_row(user, schema.full, record_id, for_update=True)
    schema.grant.check_record(row.id, "edit")
    prepared, errors = clean_values(schema, values, ctx, creating=False, current=row.raw)
    if revision != row.revision and not errors:
        since = changed_since(schema, row.id, revision) if 0 < revision < row.revision else None
        if since is None:
            raise _conflict(schema, row, sorted(prepared.stored), ctx)
        # Strict, as the contract says: a field changed since N is a conflict even when the
        # values happen to agree, or two increments from the same base would both "succeed".
        conflicting = sorted(code for code in prepared.stored if code in since)
        if conflicting:
            raise _conflict(schema, row, conflicting, ctx)
    _check_unique(schema.full, prepared.stored, row.id, errors)
    return row, prepared, errors


def update_record(*, user: AnyUser, schema: LedgerSchema, record_id: Any, revision: Any,
                  values: Any, ctx: ValueContext | None = None) -> dict[str, Any]:
    """Field-level merge: a stale revision is fine unless a field it sends changed since."""
    ctx = _writer_context(ctx, user)
    grant = access.require(user, schema, "edit")
    schema = grant.schema("edit")
    with transaction.atomic():
        row, prepared, errors = _prepare_update(schema, user, record_id, revision, values, ctx)
        if errors:
            raise _fields_error(errors, ctx)
        _apply_update(schema.full, user, row, prepared, ctx, "update")
        grant.check_written([row.id], "edit")
        [row] = _rows_by_id(user, schema, [row.id])
    return sel.records_json(schema, [row], ctx)[0]


def _set_deleted(schema: LedgerSchema, user: AnyUser, row: sel.Row, deleted: bool) -> None:
    now = dialect.param(dialect.now())
    flag = (1 if deleted else 0) if dialect.is_sqlite() else deleted
    with connection.cursor() as cur:
        try:
            cur.execute(
                f"UPDATE {q(schema.table)} SET deleted = %s, deleted_at = %s,"
                " revision = revision + 1, updated_at = %s, updated_by = %s WHERE id = %s",
                [flag, now if deleted else None, now, _user_id(user), row.id],
            )
        except IntegrityError:
            raise Conflict(_("A value that must be unique is already used by another record."),
                           code=Code.UNIQUE) from None
    _history(schema, user, [(row.id, row.revision + 1, "delete" if deleted else "restore", {})])
    _bump_count(schema, -1 if deleted else 1)


def delete_record(*, user: AnyUser, schema: LedgerSchema, record_id: Any,
                  revision: int | None = None, ctx: ValueContext | None = None) -> None:
    """Move a record to the trash; it stays restorable with its whole history."""
    ctx = _writer_context(ctx, user)
    grant = access.require(user, schema, "delete")
    schema = grant.schema("delete")
    with transaction.atomic():
        row = sel.get_row(user, schema, record_id, for_update=True)
        grant.check_record(row.id, "delete")
        if revision is not None and revision != row.revision:
            raise _conflict(schema, row, [], ctx)
        _set_deleted(schema, user, row, True)


def restore_record(*, user: AnyUser, schema: LedgerSchema, record_id: Any,
                   ctx: ValueContext | None = None) -> dict[str, Any]:
    ctx = _writer_context(ctx, user)
    grant = access.require(user, schema, "delete")
    schema = grant.schema("delete")
    with transaction.atomic():
        row = sel.get_row(user, schema.full, record_id, include_deleted=True, for_update=True)
        grant.check_record(row.id, "delete")
        if row.deleted:
            errors: dict[str, str] = {}
            _check_unique(schema.full, row.raw, row.id, errors)
            if errors:
                raise Conflict(_("A value that must be unique is already used by another record."),
                               code=Code.UNIQUE, details={"fields": errors})
            _set_deleted(schema, user, row, False)
            grant.check_written([row.id], "delete")
        [row] = _rows_by_id(user, schema, [row.id])
    return sel.records_json(schema, [row], ctx)[0]


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


def revert_record(*, user: AnyUser, schema: LedgerSchema, record_id: Any, to_revision: Any,
                  ctx: ValueContext | None = None) -> dict[str, Any]:
    ctx = _writer_context(ctx, user)
    grant = access.require(user, schema, "edit")
    with transaction.atomic():
        row = _revert(grant, user, record_id, to_revision, ctx, write_right="edit")
    return sel.records_json(grant.schema("edit"), [row], ctx)[0]


def _revert(grant: access.Grant, user: AnyUser, record_id: Any, to_revision: Any,
            ctx: ValueContext, *, write_right: str) -> sel.Row:
    """Save the values of `to_revision` as a new revision: a record the user may edit, the
    fields `write_right` lets them write, and the record after it within the edit conditions."""
    schema = grant.schema(write_right)
    row = sel.get_row(user, schema.full, record_id, for_update=True)
    grant.check_record(row.id, "edit")
    if not isinstance(to_revision, int) or isinstance(to_revision, bool) or \
            not 1 <= to_revision <= row.revision:
        raise InvalidInput(_("to_revision must be a revision of this record."),
                           code=Code.INVALID_REVISION)
    target = values_at(schema, row, to_revision, ctx)
    # Only what this user may change goes back: hidden fields are not in `target`.
    writable = {code: value for code, value in target.items()
                if schema.type_of(schema.by_code[code]).writable
                and code not in schema.read_only}
    prepared, errors = clean_values(schema, writable, ctx, creating=False, current=row.raw)
    _check_unique(schema.full, prepared.stored, row.id, errors)
    if errors:
        raise _fields_error(errors, ctx)
    _apply_update(schema.full, user, row, prepared, ctx, "revert")
    grant.check_written([row.id], "edit")
    [row] = _rows_by_id(user, schema, [row.id])
    return row


def undo_import(*, user: AnyUser, schema: LedgerSchema, trash: Sequence[int],
                revert: Sequence[tuple[int, int]], ctx: ValueContext | None = None) -> None:
    """Roll an import back under the import grant, in one transaction: trash the records it
    created (each within the import's record conditions) and revert the ones it updated to
    the revision before (records the user may edit, fields the import right writes, the
    record after it within the edit conditions)."""
    ctx = _writer_context(ctx, user)
    grant = access.require(user, schema, "import")
    with transaction.atomic():
        for rid in trash:
            row = sel.get_row(user, grant.full, rid, for_update=True)
            grant.check_record(row.id, "import")
            _set_deleted(grant.full, user, row, True)
        for rid, revision in revert:
            _revert(grant, user, rid, revision, ctx, write_right="import")


def bulk_rights(create: Any, update: Any) -> tuple[str, ...]:
    """The rights a bulk write uses: add to create, edit to update (add when it has neither).
    The API and the web grid open the ledger with these; bulk checks them itself as well."""
    rights = (("add",) if create else ()) + (("edit",) if update else ())
    return rights or ("add",)


def bulk(*, user: AnyUser, schema: LedgerSchema, create: Sequence[Any] = (),
         update: Sequence[Any] = (), ctx: ValueContext | None = None) -> dict[str, Any]:
    """Create and update many records in one transaction: all of them, or none. New records
    are written under the add grant (its read-only fields and record conditions), updates
    under the edit grant, each checked after the change."""
    ctx = _writer_context(ctx, user)
    limit = settings.DAICHO["MAX_BULK_ITEMS"]
    if not isinstance(create, list | tuple) or not isinstance(update, list | tuple):
        raise InvalidInput(_("create and update must be lists."), code=Code.INVALID_BULK)
    grant = access.require(user, schema, *bulk_rights(create, update))
    adding, editing = grant.schema("add"), grant.schema("edit")
    if len(create) + len(update) > limit:
        raise InvalidInput(_("At most %(n)d items per request.") % {"n": limit},
                           code=Code.TOO_MANY_ITEMS)
    batch_id = uuid.uuid4().hex
    problems: list[dict[str, Any]] = []
    with transaction.atomic():
        prepared_new: list[Prepared] = []
        seen: dict[str, dict[Any, int]] = {}
        for i, item in enumerate(create):
            if isinstance(item, dict):
                refuse_unknown_keys(item, ("values",), at=f"create[{i}]")
            values = item.get("values") if isinstance(item, dict) else None
            prepared, errors = clean_values(adding, values if values is not None else {}, ctx,
                                            creating=True)
            _check_unique(grant.full, prepared.stored, None, errors, seen, i)
            if errors:
                problems.append({"op": "create", "index": i, "fields": errors})
            prepared_new.append(prepared)
        updates: list[tuple[sel.Row, Prepared]] = []
        seen_ids: set[int] = set()
        locked = sel.get_rows(user, editing.full, (
            whole_id(item.get("id")) for item in update if isinstance(item, dict)),
            for_update=True)
        for i, item in enumerate(update):
            if not isinstance(item, dict):
                problems.append({"op": "update", "index": i, "fields": {}})
                continue
            refuse_unknown_keys(item, ("id", "revision", "values"), at=f"update[{i}]")
            if whole_id(item.get("id")) is None:
                problems.append({"op": "update", "index": i,
                                 "fields": {"id": _("Give the id of a record.")}})
                continue
            try:
                row, prepared, errors = _prepare_update(
                    editing, user, item.get("id"), item.get("revision"), item.get("values", {}),
                    ctx, locked)
            except Conflict as exc:
                exc.details["index"] = i
                raise
            if row.id in seen_ids:
                errors["id"] = _("The same record appears twice.")
            seen_ids.add(row.id)
            if errors:
                problems.append({"op": "update", "index": i, "id": row.id, "fields": errors})
            updates.append((row, prepared))
        if problems:
            raise InvalidInput(_("Nothing was saved: some items are not valid."),
                               code=Code.INVALID_VALUES, details={"items": problems})
        ids = _insert(grant, user, prepared_new, ctx, action="create", batch_id=batch_id,
                      right="add")
        later = _Later()
        for row, prepared in updates:
            _apply_update(grant.full, user, row, prepared, ctx, "update", batch_id, later)
        later.write(grant.full, user, batch_id)
        grant.check_written([row.id for row, _p in updates], "edit")
        touched = ids + [row.id for row, _p in updates]
        rows = {r.id: r for r in _rows_by_id(user, adding, touched)}
    return {"created": sel.records_json(adding, [rows[i] for i in ids], ctx),
            "updated": sel.records_json(adding, [rows[r.id] for r, _p in updates], ctx)}


def _rows_by_id(user: AnyUser, schema: LedgerSchema, ids: list[int]) -> list[sel.Row]:
    out: list[sel.Row] = []
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        if not chunk:
            continue
        sql = (f"SELECT {sel.select_list(schema)} FROM {q(schema.table)} t "
               f"WHERE t.id IN ({', '.join(['%s'] * len(chunk))})")
        with connection.cursor() as cur:
            cur.execute(sql, chunk)
            out += sel.to_rows(schema, cur.fetchall())
    return out


def new_batch_id() -> str:
    return uuid.uuid4().hex


def import_rows(*, user: AnyUser, schema: LedgerSchema, items: list[Prepared],
                updates: list[tuple[int, Prepared]] | None = None,
                ctx: ValueContext | None = None, batch_id: str | None = None) -> tuple[str, list[int]]:
    """Store already-cleaned rows from an import as one history batch ('import' action)."""
    ctx = _writer_context(ctx, user)
    batch_id = batch_id or new_batch_id()
    grant = access.require(user, schema, "import")
    with transaction.atomic():
        ids = _insert(grant, user, items, ctx, action="import", batch_id=batch_id,
                      right="import")
        touched: list[int] = []
        for rid, prepared in updates or []:
            row = sel.get_row(user, grant.full, rid, for_update=True)
            grant.check_record(row.id, "edit")
            _check_writable(grant, prepared, "import")
            _apply_update(grant.full, user, row, prepared, ctx, "import", batch_id)
            touched.append(row.id)
        grant.check_written(touched, "edit")
    return batch_id, ids


def _check_writable(grant: access.Grant, prepared: Prepared, right: str) -> None:
    """Prepared values (an import's, cleaned by column) may hold only fields `right` lets the
    user write: the importer reports such columns per row; this is the writer's own guard."""
    locked = grant.hidden | grant.read_only(right)
    refused = sorted(code for code in prepared.stored if code in locked)
    if refused:
        raise _fields_error({code: _("You may read this field but not change it.")
                             for code in refused if code not in grant.hidden})


IMPORT_CHUNK = 20_000


_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def import_columns(*, user: AnyUser, schema: LedgerSchema, columns: dict[str, list[Any]],
                   ctx: ValueContext, batch_id: str,
                   progress: Any = None) -> int:
    """Insert cleaned records given column by column (storage values, as `clean` returns them,
    every column the same length) as part of import batch `batch_id`: the rows, one history
    entry per record ('import', revision 1), the search key and gram index, and the count, in
    the caller's transaction.

    The history entry of a record an import created holds no values (`{}`): they are the
    record's values at revision 1, which `history` recovers from the record and its later
    entries, as `values_at` does for a revert. Storing them again would double what an import
    writes. A ledger whose gram index is suspended (a ledger made from the file) gets it from
    the `search_index` job afterwards.

    Works a chunk of rows at a time, so a million-row import never holds a million rows of SQL
    parameters, and column by column: within a chunk each distinct value of a field is turned
    into its parameter and search text once."""
    grant = access.require(user, schema, "import")
    schema = grant.full
    count = len(next(iter(columns.values()))) if columns else 0
    if not count:
        return 0
    _check_writable(grant, Prepared(dict.fromkeys(columns), {}), "import")
    uid = _user_id(user)
    now = dialect.param(dialect.now())
    at = connection.ops.adapt_datetimefield_value(dialect.now())
    columns = dict(columns)
    for code, numbers in _allocate_autonumbers(schema, count).items():
        columns[code] = numbers
    lookups.fill_columns(schema, columns, count, ctx)
    formulas.fill_columns(schema, columns, count, ctx)
    fields = [f for f in schema.fields if f.code in columns]
    cols = ["id", "revision", "created_at", "created_by", "updated_at", "updated_by", "search_key"]
    cols += [q(f.column) for f in fields]
    begins = _process_start(schema)
    cols += [column for column, _value in begins]
    head = f"INSERT INTO {q(schema.table)} ({', '.join(cols)})"
    fts = search.IndexWriter(schema.ledger)
    # The history of chunk k is written on a thread while this one makes chunk k + 1's forms:
    # that INSERT … SELECT runs inside SQLite (or PostgreSQL) without the GIL, and making the
    # forms never touches the database. Every other use of the connection waits for it.
    history = _Aside()
    with connection.cursor() as cur:
        for start in range(0, count, IMPORT_CHUNK):
            end = min(start + IMPORT_CHUNK, count)
            n = end - start
            forms = [_column_forms(schema, f, columns[f.code][start:end], ctx) for f in fields]
            params = [column for column, _texts in forms]
            keys = _joined("\n", [texts for _column, texts in forms if texts is not None], n)
            del forms
            history.wait()
            ids = _allocate_ids(schema, n)
            try:
                _insert_rows(cur, head, list(zip(ids, [1] * n, [now] * n, [uid] * n, [now] * n,
                                                 [uid] * n, keys, *params,
                                                 *([value] * n for _column, value in begins),
                                                 strict=True)))
            except IntegrityError:
                raise _unique_taken() from None
            del params
            if fts.enabled:
                fts.add(zip(ids, map(search.insert_grams, keys), strict=True))
            del keys
            grant.check_written(list(ids), "import")
            if progress is not None:
                progress(end, count)
            history.start(_import_history, cur, schema, ids, uid, at, batch_id)
            event, lid = events.RecordEvent, schema.id
            events.emit(schema, [event("import", lid, rid, 1, uid, events.NO_CHANGES, batch_id)
                                 for rid in ids])
        history.wait()
    fts.close()
    _bump_count(schema, count)
    return count


# SQLite: an import's rows go in this many to an INSERT statement. Each statement has a cost of
# its own (for an AUTOINCREMENT table, reading and writing sqlite_sequence), which a statement
# per row pays a hundred thousand times: 500 rows a statement take a sixth off the insert.
ROWS_PER_INSERT = 500


def _insert_rows(cur: Any, head: str, rows: list[tuple[Any, ...]]) -> None:
    """`head` (INSERT INTO table (columns)) VALUES each row; on SQLite as multi-row INSERTs,
    within its limit of parameters per statement."""
    if not rows:
        return
    width = len(rows[0])
    one = f"({', '.join(['%s'] * width)})"
    per = min(ROWS_PER_INSERT, _sqlite_max_params() // width) if dialect.is_sqlite() else 1
    whole = len(rows) // per * per if per > 1 else 0
    if whole:
        chain = itertools.chain.from_iterable
        cur.executemany(f"{head} VALUES {', '.join([one] * per)}",
                        [list(chain(rows[k:k + per])) for k in range(0, whole, per)])
    if whole < len(rows):
        cur.executemany(f"{head} VALUES {one}", rows[whole:])


def _sqlite_max_params() -> int:
    import sqlite3

    raw = connection.connection
    return int(raw.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)) if raw is not None else 999


class _Aside:
    """One call at a time on a thread of its own; wait() joins it and raises what it raised."""

    def __init__(self) -> None:
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    def start(self, fn: Callable[..., object], *args: Any) -> None:
        self.wait()

        def call() -> None:
            try:
                fn(*args)
            except BaseException as exc:  # raised again by wait()
                self._error = exc

        self._thread = threading.Thread(target=call, name="daicho-import-history", daemon=True)
        self._thread.start()

    def wait(self) -> None:
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        error, self._error = self._error, None
        if error is not None:
            raise error


def _import_history(cur: Any, schema: LedgerSchema, ids: list[int], uid: int | None, at: Any,
                    batch_id: str) -> None:
    """The 'import' entries (revision 1, no values) of the records just inserted, made by the
    database from their ids in one statement."""
    table = q(History._meta.db_table)
    head = (f"INSERT INTO {table} (ledger_id, record_id, revision, action, user_id, at, changes,"
            f" batch_id) SELECT %s, r.id, 1, 'import', %s, %s, {_EMPTY_CHANGES}, %s")
    if dialect.is_sqlite():  # the write lock is ours: the ids are one unbroken range
        cur.execute(f"{head} FROM {q(schema.table)} r WHERE r.id BETWEEN %s AND %s",
                    [schema.id, uid, at, batch_id, ids[0], ids[-1]])
    else:
        cur.execute(f"{head} FROM unnest(%s::bigint[]) AS r(id)",
                    [schema.id, uid, at, batch_id, ids])


_EMPTY_CHANGES = "'{}'"


def _joined(separator: str, columns: list[list[str]], rows: int) -> list[str]:
    """Per row, the non-empty texts of the columns joined by separator."""
    if not columns:
        return [""] * rows
    join = separator.join
    return [join(filter(None, row)) for row in zip(*columns, strict=True)]


def _column_forms(schema: LedgerSchema, f: Field, values: list[Any],
                  ctx: ValueContext) -> tuple[list[Any], list[str] | None]:
    """One field's storage values → (driver parameters, normalised search texts or None when
    the field has none). A column that repeats its values (区分, 町名, dates) has each form
    made once per distinct value and spread by a dictionary lookup; in a column of mostly
    distinct values (番号, 名称, 金額) that would only add hashing, so it is made per value.

    The search key of a record is its fields' texts joined by newlines: normalisation (NFKC,
    casefold, kana) never joins across a newline, so each field's share can be made on its own,
    and all of a column's texts are normalised in one call (search_keys)."""
    ftype = schema.type_of(f)
    kinds = set(map(type, values))
    items = values
    if kinds <= _MEMO_TYPES and len(set(values[:_SAMPLE])) * 2 <= min(len(values), _SAMPLE):
        # Not for bool or datetime: True == 1, and equal datetimes in two time zones, would
        # share a form they must not.
        items = list(dict.fromkeys(values))
    params, texts = ftype.column_forms(f, items, ctx)
    keys = search_keys(texts) if texts is not None else None
    if items is values:
        return params, keys
    where = {v: k for k, v in enumerate(items)}
    positions = list(map(where.__getitem__, values))
    return (list(map(params.__getitem__, positions)),
            None if keys is None else list(map(keys.__getitem__, positions)))


_SAMPLE = 2_000
_MEMO_TYPES = frozenset({type(None), str, dt.date, Decimal, int})


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
