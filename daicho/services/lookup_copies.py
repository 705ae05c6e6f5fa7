"""`copy` lookups: the value as issued (a lending slip keeps the lender's address of that day).

A copy lookup is filled like any lookup when its record is made or its link changes, but does
not follow the linked record. With each copy daicho keeps the linked record's revision at the
time (daicho.models.LookupCopy, written by the events listener in the writer's transaction), so
the record can say "the master changed since" (`state`), and `refresh` fetches the value again
as an ordinary change of the record, with its history entry."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection, transaction
from django.utils.translation import gettext as _

from daicho import access
from daicho.access import AnyUser
from daicho.db import dialect
from daicho.db.dialect import q
from daicho.error_codes import Code
from daicho.errors import InvalidInput
from daicho.fields.context import ValueContext
from daicho.models import Field, LookupCopy
from daicho.selectors import records as sel
from daicho.selectors.ledgers import LedgerSchema, load_schema
from daicho.selectors.lookup_plan import lookups_of
from daicho.services import events
from daicho.services.lookups import CHUNK, fetch

_WRITES = ("create", "update", "revert", "import")


def copies_of(schema: LedgerSchema) -> list[tuple[Field, Field, Field]]:
    """(lookup, link, looked-up field) of the ledger's copy lookups."""
    return [t for t in lookups_of(schema) if t[0].options.get("copy")]


def on_events(schema: LedgerSchema, happened: Sequence[events.RecordEvent]) -> None:
    """Keep the copies' source revisions for the records whose copy lookup was (re)filled."""
    copies = copies_of(schema)
    if not copies:
        return
    for f, link, target in copies:
        ids = sorted({e.record_id for e in happened if e.action in _WRITES and (
            e.action == "import" or f.code in e.changes or link.code in e.changes)})
        if ids:
            remember(schema, f, link, target, ids)


def remember(schema: LedgerSchema, f: Field, link: Field, target: Field,
             ids: Sequence[int] | None) -> None:
    """Record, for the records `ids` (all when None), the linked record and its revision now."""
    master = load_schema(target.ledger_id)
    table = q(LookupCopy._meta.db_table)
    live = dialect.live("m")
    select = (f"SELECT %s, t.id, %s, t.{q(link.column)}, m.revision FROM {q(schema.table)} t "
              f"JOIN {q(master.table) if master else 'none'} m ON m.id = t.{q(link.column)} "
              f"AND {live}")
    insert = f"INSERT INTO {table} (ledger_id, record_id, field, source_id, source_revision) "
    with connection.cursor() as cur:
        if ids is None:
            cur.execute(f"DELETE FROM {table} WHERE ledger_id = %s AND field = %s",
                        [schema.id, f.code])
            if master is not None:
                cur.execute(insert + select, [schema.id, f.code])
            return
        for start in range(0, len(ids), CHUNK):
            chunk = list(ids[start:start + CHUNK])
            marks = ", ".join(["%s"] * len(chunk))
            cur.execute(f"DELETE FROM {table} WHERE ledger_id = %s AND field = %s "
                        f"AND record_id IN ({marks})", [schema.id, f.code, *chunk])
            if master is not None:
                cur.execute(insert + select + f" WHERE t.id IN ({marks})",
                            [schema.id, f.code, *chunk])


def state(*, user: AnyUser, schema: LedgerSchema, record_id: int) -> list[dict[str, Any]]:
    """The copy lookups of a record the user may view, as far as they may see them:
    [{"field", "record", "copied_revision", "revision", "stale"}] — `stale` when the linked
    record has a newer revision than the one the value was copied from ("the master changed
    since"), or was put in the trash."""
    grant = access.require(user, schema, "view")
    view = grant.schema("view")
    row = sel.get_row(user, view, record_id)
    grant.check_record(row.id, "view")
    out = []
    kept = {c.field: c for c in LookupCopy.objects.filter(ledger_id=schema.id, record_id=row.id)}
    for f, _link, target in copies_of(schema):
        if f.code not in view.by_code:
            continue
        copy = kept.get(f.code)
        current = None
        if copy is not None:
            master = load_schema(target.ledger_id)
            if master is not None:
                with connection.cursor() as cur:
                    cur.execute(f"SELECT revision FROM {q(master.table)} m WHERE m.id = %s "
                                f"AND {dialect.live('m')}", [copy.source_id])
                    found = cur.fetchone()
                current = None if found is None else int(found[0])
        out.append({"field": f.code,
                    "record": None if copy is None else copy.source_id,
                    "copied_revision": None if copy is None else copy.source_revision,
                    "revision": current,
                    "stale": copy is not None and (current is None
                                                   or current > copy.source_revision)})
    return out


def refresh(*, user: AnyUser, schema: LedgerSchema, record_id: int,
            fields: Any = None) -> dict[str, Any]:
    """Fetch the copy lookups `fields` (all the user may see when None) of a record again from
    the linked records: a change of the record (history, new revision) when a value differs,
    and the copies' revisions brought up to date either way. Needs the right to edit it."""
    from daicho.services import records

    ctx = ValueContext(user)
    grant = access.require(user, schema, "edit")
    view = grant.schema("edit")
    copies = [t for t in copies_of(schema) if t[0].code in view.by_code]
    if fields is not None:
        codes = {t[0].code for t in copies}
        if not isinstance(fields, list) or not fields or not all(
                isinstance(c, str) and c in codes for c in fields):
            raise InvalidInput(_("fields must list copy lookup fields of this ledger."),
                               code=Code.INVALID_LOOKUP, details={"fields": codes and sorted(codes)})
        copies = [t for t in copies if t[0].code in fields]
    with transaction.atomic():
        row = sel.get_row(user, schema.full, record_id, for_update=True)
        grant.check_record(row.id, "edit")
        prepared = records.Prepared({}, {})
        for f, link, target in copies:
            value = fetch(target, row.raw[link.code], ctx)
            prepared.stored[f.code] = value
            prepared.as_json[f.code] = schema.full.type_of(f).history_value(f, value, ctx)
        # The writers' own update (history, search key, events): the refresh is a change.
        records.apply_derived(schema.full, user, row, prepared, ctx)
        for f, link, target in copies:
            remember(schema.full, f, link, target, [row.id])
        grant.check_written([row.id], "edit")
        [row] = sel.get_rows(user, view, [row.id]).values()
    return sel.records_json(view, [row], ctx)[0]
