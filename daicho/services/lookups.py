"""Lookup fields at work: checked when fields change, filled by every record writer from the
linked record, and following the linked record when it changes — in the same transaction,
with one set-based UPDATE per looking ledger and link (not a statement per record).

A lookup's value is derived: following a linked record rewrites the lookers' column, their
formulas that use it and nothing else — no history entry, no new revision (as a formula
recompute). A `copy` lookup does not follow: it keeps the value it was filled with and the
linked record's revision at that time; `refresh` fetches it again, as a change with history."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection
from django.utils.translation import gettext as _

from daicho.db import dialect, plain
from daicho.db.dialect import q
from daicho.error_codes import Code
from daicho.errors import InvalidInput
from daicho.fields import REGISTRY
from daicho.fields.context import ValueContext
from daicho.fields.lookup import LookupType
from daicho.models import Field
from daicho.selectors.formula_plan import schema_plan
from daicho.selectors.ledgers import LedgerSchema, load_schema
from daicho.selectors.lookup_plan import is_link, is_lookup, lookups_of
from daicho.services import events, formulas

MAX_DEPTH = 5  # a lookup of a lookup of …: deeper chains are refused
CHUNK = 500  # ids per IN (…) list


# -- checks --------------------------------------------------------------------------------------
def check_fields(fields: Sequence[Field], ledger_id: int | None = None) -> None:
    """Every lookup among `fields` (a ledger's fields after a change) names a link field of
    them and a live field of the linked ledger, and no chain of lookups comes back to itself:
    400 `invalid_lookup` (details: field, option) or 400 `lookup_cycle` (details: fields).
    Adds to each lookup's options the `source` it shows (linked ledger, type, options)."""
    by_code = {f.code: f for f in fields}
    for f in fields:
        if is_lookup(f):
            _resolve(f, by_code, ledger_id, [(ledger_id, f.code)])


def _resolve(f: Field, by_code: dict[str, Field], ledger_id: int | None,
             path: list[tuple[int | None, str]]) -> None:
    options = f.options
    link = by_code.get(str(options.get("link")))
    if not is_link(link):
        raise InvalidInput(_("「%(name)s」: options.link must be the code of a link field of this "
                             "ledger.") % {"name": f.name}, code=Code.INVALID_LOOKUP,
                           details={"field": f.code, "option": "link"})
    target_ledger = int(link.options["ledger"])
    code = str(options.get("field"))
    if target_ledger == ledger_id:
        target = by_code.get(code)
    else:
        target = Field.objects.filter(ledger_id=target_ledger, code=code,
                                      deleted_at=None).first()
    if target is None or target.type not in REGISTRY:
        raise InvalidInput(_("「%(name)s」: options.field must be the code of a field of the "
                             "linked ledger.") % {"name": f.name}, code=Code.INVALID_LOOKUP,
                           details={"field": f.code, "option": "field"})
    if is_lookup(target):
        step = (target_ledger, target.code)
        if step in path or len(path) >= MAX_DEPTH:
            raise InvalidInput(_("These lookups look each other up in a circle (or too deep): "
                                 "%(names)s") % {"names": " → ".join(c for _l, c in path)},
                               code=Code.LOOKUP_CYCLE, details={"fields": [c for _l, c in path]})
        if target_ledger == ledger_id:
            _resolve(target, by_code, ledger_id, [*path, step])
        else:
            others = {o.code: o for o in Field.objects.filter(ledger_id=target_ledger,
                                                             deleted_at=None)}
            _resolve(target, others, target_ledger, [*path, step])
    options["source"] = {"ledger": target_ledger, "type": target.type,
                         "options": {k: v for k, v in target.options.items()}}


# -- the linked value ----------------------------------------------------------------------------
def fetch(target: Field, linked: Any, ctx: ValueContext) -> Any:
    """The looked-up field's stored value on the linked record; None when the link is empty or
    the record is in the trash."""
    table = ctx.ledger_table(target.ledger_id)
    if linked is None or table is None:
        return None
    with connection.cursor() as cur:
        cur.execute(f"SELECT m.{q(target.column)} FROM {q(table)} m "
                    f"WHERE m.id = %s AND {dialect.live('m')}", [int(linked)])
        found = cur.fetchone()
    return None if found is None else found[0]


# -- filling on write ----------------------------------------------------------------------------
def fill(schema: LedgerSchema, prepared: Any, current: dict[str, Any] | None,
         ctx: ValueContext) -> None:
    """Add the lookups' values to a writer's prepared values (records.Prepared) where the
    record's link changes (or it is new): the linked record's current value, empty when it is
    in the trash or the link is empty."""
    for f, link, target in lookups_of(schema):
        if current is not None and link.code not in prepared.stored:
            continue
        linked = prepared.stored.get(link.code, None if current is None else current.get(link.code))
        value = fetch(target, linked, ctx)
        ftype = schema.full.type_of(f)
        prepared.stored[f.code] = value
        prepared.as_json[f.code] = ftype.history_value(f, value, ctx)


def fill_columns(schema: LedgerSchema, columns: dict[str, list[Any]], count: int,
                 ctx: ValueContext) -> None:
    """Add the lookups' columns to an import's columns of storage values (a query per 500
    linked records, not one per row)."""
    for f, link, target in lookups_of(schema):
        links = columns.get(link.code)
        table = ctx.ledger_table(target.ledger_id)
        if links is None or table is None:
            columns[f.code] = [None] * count
            continue
        ids = sorted({int(v) for v in links if v is not None})
        values: dict[int, Any] = {}
        with connection.cursor() as cur:
            for start in range(0, len(ids), CHUNK):
                chunk = ids[start:start + CHUNK]
                cur.execute(f"SELECT m.id, m.{q(target.column)} FROM {q(table)} m "
                            f"WHERE m.id IN ({', '.join(['%s'] * len(chunk))}) "
                            f"AND {dialect.live('m')}", chunk)
                values.update((int(rid), value) for rid, value in cur.fetchall())
        columns[f.code] = [None if v is None else values.get(int(v)) for v in links]


# -- following the linked records ----------------------------------------------------------------
_FOLLOWED = ("update", "revert", "delete", "restore", "import")


def _lookers(ledger_id: int) -> list[Field]:
    """The lookup fields (not copies) of live ledgers that look up a field of this ledger.
    Every write of a record asks, in its transaction: read again each time (a lookup another
    process adds is followed at once), with a plain cursor (daicho.db.plain, not the ORM)."""
    return [f for f in plain.fetch(Field, "type = %s AND deleted_at IS NULL", [LookupType.key],
                                   order="id")
            if isinstance(f.options.get("source"), dict)
            and f.options["source"].get("ledger") == ledger_id and not f.options.get("copy")]


def on_events(schema: LedgerSchema, happened: Sequence[events.RecordEvent]) -> None:
    """The listener (daicho.services.events): when records of this ledger change, the records
    that look them up follow, in the same transaction."""
    if not any(e.action in _FOLLOWED for e in happened):
        return
    lookers = _lookers(schema.id)
    if not lookers:
        return
    everything = {e.record_id for e in happened if e.action in ("delete", "restore", "import")}
    changed: dict[int, set[str]] = {}
    for e in happened:
        if e.action in ("update", "revert"):
            changed.setdefault(e.record_id, set()).update(e.changes)
    follow(schema.id, lookers, everything, changed)


def follow(ledger_id: int, lookers: list[Field], everything: Iterable[int],
           changed: dict[int, set[str]], depth: int = 0) -> None:
    """Rewrite the lookups of `lookers` on the records linking to `everything` (every looked-up
    field) or to the records of `changed` (the fields changed there)."""
    everything = set(everything)
    by_ledger: dict[int, list[Field]] = {}
    for f in lookers:
        by_ledger.setdefault(f.ledger_id, []).append(f)
    for looking_id, fields in by_ledger.items():
        looking = load_schema(looking_id)
        if looking is None:
            continue
        for link_code in sorted({str(f.options["link"]) for f in fields}):
            link = looking.full.by_code.get(link_code)
            if not is_link(link):
                continue
            group = [f for f in fields if f.options["link"] == link_code]
            codes = {str(f.options["field"]) for f in group}
            ids = everything | {rid for rid, done in changed.items() if done & codes}
            if ids:
                rewrite(looking, link, group, sorted(ids), depth)


def rewrite(looking: LedgerSchema, link: Field, group: list[Field],
            master_ids: Sequence[int] | None, depth: int = 0) -> None:
    """One UPDATE per 500 linked records (all records when `master_ids` is None): each lookup
    of `group` (through `link`) set from the linked record, empty when it is in the trash."""
    master = load_schema(int(link.options["ledger"]))
    if master is None:
        return
    sets, sources = [], []
    for f in group:
        target = master.full.by_code.get(str(f.options["field"]))
        if target is None:
            continue
        sources.append(target)
        sets.append(f"{q(f.column)} = (SELECT m.{q(target.column)} FROM {q(master.table)} m "
                    f"WHERE m.id = {q(looking.table)}.{q(link.column)} AND {dialect.live('m')})")
    if not sets:
        return
    head = f"UPDATE {q(looking.table)} SET {', '.join(sets)}"
    touched: list[int] = []
    with connection.cursor() as cur:
        if master_ids is None:
            cur.execute(head + f" WHERE {q(link.column)} IS NOT NULL")
        else:
            for start in range(0, len(master_ids), CHUNK):
                chunk = list(master_ids[start:start + CHUNK])
                where = f" WHERE {q(link.column)} IN ({', '.join(['%s'] * len(chunk))})"
                cur.execute(head + where, chunk)
        if _has_dependants(looking, group, depth):
            touched = _linking(looking, link, master_ids)
    if touched:
        _after(looking, group, touched, depth)


def _has_dependants(looking: LedgerSchema, group: list[Field], depth: int) -> bool:
    return bool(schema_plan(looking)) or (depth < MAX_DEPTH and bool(
        _lookers(looking.id)))


def _linking(looking: LedgerSchema, link: Field, master_ids: Sequence[int] | None) -> list[int]:
    with connection.cursor() as cur:
        if master_ids is None:
            cur.execute(f"SELECT id FROM {q(looking.table)} WHERE {q(link.column)} IS NOT NULL")
            return [int(r[0]) for r in cur.fetchall()]
        out: list[int] = []
        for start in range(0, len(master_ids), CHUNK):
            chunk = list(master_ids[start:start + CHUNK])
            cur.execute(f"SELECT id FROM {q(looking.table)} WHERE {q(link.column)} IN "
                        f"({', '.join(['%s'] * len(chunk))})", chunk)
            out += [int(r[0]) for r in cur.fetchall()]
        return out


def _after(looking: LedgerSchema, group: list[Field], ids: list[int], depth: int) -> None:
    """What the rewritten lookups feed: the looking ledger's formulas (computed again for those
    records, as the formula recompute does) and lookups of these lookups in other ledgers."""
    formulas.recompute_records(looking.full, ids)
    if depth < MAX_DEPTH:
        further = _lookers(looking.id)
        if further:
            follow(looking.id, further, set(), {rid: {f.code for f in group} for rid in ids},
                   depth + 1)


def fill_ledger(schema: LedgerSchema, f: Field) -> None:
    """A lookup added or changed: fill it on every record at once (set-based, in the caller's
    transaction)."""
    # Inside the function: lookup_copies builds on this module (fetch, lookups_of).
    from daicho.services import lookup_copies

    fresh = load_schema(schema.id)  # with the field as it is now
    if fresh is None:
        return
    for lookup, link, target in lookups_of(fresh):
        if lookup.code == f.code:
            rewrite(fresh, link, [lookup], None)
            if lookup.options.get("copy"):
                lookup_copies.remember(fresh, lookup, link, target, None)
