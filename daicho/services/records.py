"""The writers for records. Each public function is one transaction that writes its history
entry in that same transaction; nothing else in the code base writes a ledger table's rows."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext as _

from daicho import access
from daicho.access import AnyUser
from daicho.db import batch, dialect, search
from daicho.db.dialect import q
from daicho.error_codes import Code
from daicho.errors import Conflict, InvalidInput
from daicho.fields.context import ValueContext
from daicho.requestdata import refuse_unknown_keys, whole_id
from daicho.selectors import records as sel
from daicho.selectors.ledgers import LedgerSchema
from daicho.services import formulas, lookups
from daicho.services.record_history import ACTIONS, changed_since, history, user_id, values_at, write_history
from daicho.services.record_insert import (
    bump_count,
    column_forms,
    import_columns,
    insert_records,
    joined,
    section_keys,
)
from daicho.services.record_values import (
    Prepared,
    check_unique,
    check_writable,
    clean_values,
    fields_error,
    record_search_key,
    unique_taken,
)

# What other modules import from here: the writers' vocabulary lives in record_values,
# record_history and record_insert; these names keep their callers' imports working.
__all__ = ["ACTIONS", "Prepared", "apply_derived", "bulk", "bulk_rights", "changed_since",
           "clean_values", "create_record", "delete_record", "history", "import_columns",
           "import_rows", "new_batch_id", "restore_record", "revert_record", "undo_import",
           "update_record", "values_at"]
_check_unique = check_unique  # services.imports
_column_forms, _joined, _section_keys = column_forms, joined, section_keys  # services.formulas


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
        check_unique(schema.full, prepared.stored, None, errors)
        if errors:
            raise fields_error(errors, ctx)
        [rid] = insert_records(grant, user, [prepared], ctx, batch_id="")
        [row] = _rows_by_id(user, schema, [rid])
    return sel.records_json(schema, [row], ctx)[0]


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
        shared = [dialect.param(dialect.now()), user_id(user)]
        for columns, rows in self.updates.items():
            try:
                batch.update_rows(schema.table, sets, shared,
                                  [("search_key", "TEXT"), *columns], rows)
            except IntegrityError:
                raise unique_taken() from None
        search.index_records(schema.ledger, self.index)
        if self.history:
            write_history(schema, user, self.history, batch_id)


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
    key = record_search_key(schema, new_raw, ctx)
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
    params: list[Any] = [dialect.param(dialect.now()), user_id(user), key]
    for code in changes:
        f = schema.by_code[code]
        sets.append(f"{q(f.column)} = %s")
        params.append(schema.type_of(f).to_param(prepared.stored[code]))
    with connection.cursor() as cur:
        try:
            cur.execute(f"UPDATE {q(schema.table)} SET {', '.join(sets)} WHERE id = %s",
                        [*params, row.id])
        except IntegrityError:
            raise unique_taken() from None
    if key != row.search_key:
        search.index_records(schema.ledger, [(row.id, key, row.search_key)])
    write_history(schema, user, [entry], batch_id)
    return True


def apply_derived(schema: LedgerSchema, user: AnyUser, row: sel.Row, prepared: Prepared,
                  ctx: ValueContext) -> bool:
    """Write values nobody types (a copy lookup fetched again, daicho.services.lookup_copies)
    as an update of the record, in the caller's transaction: history, search key, events."""
    return _apply_update(schema, user, row, prepared, ctx, "update")


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
    check_unique(schema.full, prepared.stored, row.id, errors)
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
            raise fields_error(errors, ctx)
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
                [flag, now if deleted else None, now, user_id(user), row.id],
            )
        except IntegrityError:
            raise Conflict(_("A value that must be unique is already used by another record."),
                           code=Code.UNIQUE) from None
    action = "delete" if deleted else "restore"
    write_history(schema, user, [(row.id, row.revision + 1, action, {})])
    bump_count(schema, -1 if deleted else 1)


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
            check_unique(schema.full, row.raw, row.id, errors)
            if errors:
                raise Conflict(_("A value that must be unique is already used by another record."),
                               code=Code.UNIQUE, details={"fields": errors})
            _set_deleted(schema, user, row, False)
            grant.check_written([row.id], "delete")
        [row] = _rows_by_id(user, schema, [row.id])
    return sel.records_json(schema, [row], ctx)[0]


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
    check_unique(schema.full, prepared.stored, row.id, errors)
    if errors:
        raise fields_error(errors, ctx)
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
            check_unique(grant.full, prepared.stored, None, errors, seen, i)
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
        ids = insert_records(grant, user, prepared_new, ctx, batch_id=batch_id)
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
                ctx: ValueContext | None = None, batch_id: str | None = None,
                ) -> tuple[str, list[int]]:
    """Store already-cleaned rows from an import as one history batch ('import' action): the
    new records through import_columns, as every import's, the updates one by one."""
    ctx = _writer_context(ctx, user)
    batch_id = batch_id or new_batch_id()
    grant = access.require(user, schema, "import")
    ids: list[int] = []
    with transaction.atomic():
        if items:
            import_columns(user=user, schema=schema, columns=_as_columns(grant, items), ctx=ctx,
                           batch_id=batch_id, made=ids)
        touched: list[int] = []
        for rid, prepared in updates or []:
            row = sel.get_row(user, grant.full, rid, for_update=True)
            grant.check_record(row.id, "edit")
            check_writable(grant, prepared, "import")
            _apply_update(grant.full, user, row, prepared, ctx, "import", batch_id)
            touched.append(row.id)
        grant.check_written(touched, "edit")
    return batch_id, ids


def _as_columns(grant: access.Grant, items: list[Prepared]) -> dict[str, list[Any]]:
    """Cleaned records as import_columns takes them: each field any of them holds, None where
    one does not (stored as NULL, as for a value left out). Records that hold no value at all
    still need a column to be counted: the first field the import may write."""
    held = {code for item in items for code in item.stored}
    codes = [f.code for f in grant.full.fields if f.code in held]
    if not codes:
        locked = grant.hidden | grant.read_only("import")
        codes = [f.code for f in grant.full.fields
                 if f.code not in locked and grant.full.type_of(f).writable][:1]
    return {code: [item.stored.get(code) for item in items] for code in codes}

