"""Writes of the list page that span many records: a pasted block, a bulk edit, rows moved to
the trash or back, an undo step. Each is one request and one transaction — all of it or none —
made of the record writers (daicho.services.records), so history, permissions per record and
the revision protocol are theirs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from daicho.access import AnyUser
from daicho.error_codes import Code
from daicho.errors import Conflict, InvalidInput
from daicho.fields.context import ValueContext
from daicho.requestdata import refuse_unknown_keys, whole_id
from daicho.selectors import records as sel
from daicho.selectors.ledgers import LedgerSchema
from daicho.services import records

PAGE = 500


def rights_for(create: Any, update: Any, trash: Any, restore: Any) -> tuple[str, ...]:
    """The rights a batch uses: those of records.bulk, and delete to move records to the trash
    or back."""
    rights: tuple[str, ...] = records.bulk_rights(create, update) if create or update else ()
    return rights + (("delete",) if trash or restore else ()) or ("add",)


def _list(value: Any, name: str) -> Sequence[Any]:
    if not isinstance(value, list | tuple):
        raise InvalidInput(_("%(name)s must be a list.") % {"name": name}, code=Code.INVALID_BULK)
    return value


def _trash_item(item: Any, index: int) -> tuple[int, int]:
    if isinstance(item, dict):
        refuse_unknown_keys(item, ("id", "revision"), at=f"trash[{index}]")
    rid = whole_id(item.get("id")) if isinstance(item, dict) else None
    revision = item.get("revision") if isinstance(item, dict) else None
    if rid is None or not isinstance(revision, int) or isinstance(revision, bool):
        raise InvalidInput(_("Each record to move to the trash needs its id and revision."),
                           code=Code.INVALID_BULK, details={"op": "trash", "index": index})
    return rid, revision


def apply(*, user: AnyUser, schema: LedgerSchema, create: Any = (), update: Any = (),
          trash: Any = (), restore: Any = (), ctx: ValueContext | None = None) -> dict[str, Any]:
    """records.bulk (create, update) plus records moved to the trash (`{"id", "revision"}`: the
    revision the caller saw, a later change is a conflict) and back (ids), in one transaction."""
    create, update = _list(create, "create"), _list(update, "update")
    trash, restore = _list(trash, "trash"), _list(restore, "restore")
    limit = settings.DAICHO["MAX_BULK_ITEMS"]
    if len(create) + len(update) + len(trash) + len(restore) > limit:
        raise InvalidInput(_("At most %(n)d items per request.") % {"n": limit},
                           code=Code.TOO_MANY_ITEMS)
    ctx = ctx or ValueContext()
    targets = [_trash_item(item, i) for i, item in enumerate(trash)]
    back = [whole_id(rid) for rid in restore]
    if any(rid is None for rid in back):
        raise InvalidInput(_("Give the id of a record."), code=Code.INVALID_BULK,
                           details={"op": "restore"})
    with transaction.atomic():
        done: dict[str, Any] = {"created": [], "updated": []}
        if create or update:
            done = records.bulk(user=user, schema=schema, create=create, update=update, ctx=ctx)
        trashed = []
        for index, (rid, revision) in enumerate(targets):
            try:
                records.delete_record(user=user, schema=schema, record_id=rid,
                                      revision=revision, ctx=ctx)
            except Conflict as exc:
                exc.details.update(op="trash", index=index)
                raise
            trashed.append({"id": rid, "revision": revision + 1})
        restored = [records.restore_record(user=user, schema=schema, record_id=rid, ctx=ctx)
                    for rid in back]
    return {**done, "trashed": trashed, "restored": restored}


def set_field_on_matching(*, user: AnyUser, schema: LedgerSchema, filters: Sequence[str],
                          search: str, code: Any, value: Any,
                          ctx: ValueContext | None = None) -> dict[str, Any]:
    """Set one field on every record the list's filters and search match (that the user may
    see), through records.bulk: each record is checked for the edit right and gets its
    history entry; at most the bulk limit, or nothing at all. `before` maps each record's id
    to the field's value before, for the caller's undo."""
    if not isinstance(code, str) or code not in schema.by_code:
        raise InvalidInput(_("Choose a field."), code=Code.UNKNOWN_FIELD)
    limit = settings.DAICHO["MAX_BULK_ITEMS"]
    ctx = ctx or ValueContext()
    with transaction.atomic():
        items: list[dict[str, Any]] = []
        before: dict[int, Any] = {}
        cursor: str | None = None
        while True:
            page = sel.list_records(user, schema, filters=filters, search=search, limit=PAGE,
                                    cursor=cursor, ctx=ctx)
            items += [{"id": row.id, "revision": row.revision, "values": {code: value}}
                      for row in page.rows]
            before.update((r["id"], r["values"].get(code))
                          for r in sel.records_json(schema, page.rows, ctx))
            if len(items) > limit:
                raise InvalidInput(
                    _("More than %(n)d records match. Narrow the filter and try again: "
                      "nothing was changed.") % {"n": limit}, code=Code.TOO_MANY_ITEMS)
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
        if not items:
            raise InvalidInput(_("No records match: nothing was changed."), code=Code.NO_RECORDS)
        done = records.bulk(user=user, schema=schema, update=items, ctx=ctx)
    return {**done, "before": before}
