"""Who looks up whom: a ledger's lookup fields, the link each reads through and the field of the
linked ledger it shows. Pure planning over ledgers' definitions (no record is read), below the
gate: the gate asks `lookup_sources` which lookups show another ledger's field
(daicho.access.Grant.hidden); the writers in daicho.services.lookups fill and follow them."""

from __future__ import annotations

from typing import TypeGuard

from daicho.db import plain
from daicho.fields import REGISTRY
from daicho.fields.lookup import LookupType
from daicho.fields.refs import LinkType
from daicho.models import Field
from daicho.selectors.ledgers import LedgerSchema


def is_lookup(f: Field) -> bool:
    return isinstance(REGISTRY.get(f.type), LookupType)


def is_link(f: Field | None) -> TypeGuard[Field]:
    return f is not None and isinstance(REGISTRY.get(f.type), LinkType)


def lookup_sources(full: LedgerSchema) -> list[tuple[str, int, str]]:
    """(lookup code, linked ledger id, looked-up field code) of every lookup of the schema's
    (whole) fields whose definition names what it shows (a checked one: its `source`)."""
    out = []
    for f in full.fields:
        source = f.options.get("source") if is_lookup(f) else None
        if isinstance(source, dict):
            out.append((f.code, int(source["ledger"]), str(f.options.get("field"))))
    return out


def lookups_of(schema: LedgerSchema) -> list[tuple[Field, Field, Field]]:
    """(lookup, its link, the looked-up field) of the schema's (whole) fields, kept on the
    schema object for its lifetime; broken definitions are left out (they keep their values)."""
    full = schema.full
    found: list[tuple[Field, Field, Field]] | None = full.__dict__.get("_lookups")
    if found is None:
        pairs = []
        for f in full.fields:
            if not is_lookup(f) or not isinstance(f.options.get("source"), dict):
                continue
            link = full.by_code.get(str(f.options.get("link")))
            if is_link(link):
                pairs.append((f, link))
        targets = _live_fields({int(link.options["ledger"]) for _f, link in pairs})
        found = []
        for f, link in pairs:
            target = targets.get((int(link.options["ledger"]), str(f.options.get("field"))))
            if target is not None:
                found.append((f, link, target))
        full.__dict__["_lookups"] = found
    return found


def _live_fields(ledger_ids: set[int]) -> dict[tuple[int, str], Field]:
    """The live fields of these ledgers by (ledger id, code), read in one query: every write of
    a record of a ledger with lookups asks (a plain cursor: daicho.db.plain)."""
    if not ledger_ids:
        return {}
    ids = sorted(ledger_ids)
    out: dict[tuple[int, str], Field] = {}
    for f in plain.fetch(Field, f"ledger_id IN ({', '.join(['%s'] * len(ids))}) "
                         "AND deleted_at IS NULL", ids, order="id"):
        out.setdefault((int(f.ledger_id), f.code), f)
    return out
