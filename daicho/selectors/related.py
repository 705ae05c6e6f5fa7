"""Related records (contract §7 `related`): the records of other ledgers whose link fields point
at one record, as far as the caller may see them.

A group is one (ledger, link field) pair. The caller must see the record itself, the other
ledger, the link field in it (a hidden link field shows nothing) and each listed record (the
ledger's record rules); a ledger they may not see is left out without a trace."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from daicho import access
from daicho.access import AnyUser
from daicho.errors import NotFound
from daicho.fields.context import ValueContext
from daicho.models import Field
from daicho.selectors import records as sel
from daicho.selectors.ledgers import LedgerSchema


def link_fields_to(ledger_id: int) -> list[Field]:
    """The live link fields of every ledger that point at ledger `ledger_id`, in ledger order."""
    found = Field.objects.filter(type="link", deleted_at=None).order_by("ledger_id", "position",
                                                                        "id")
    return [f for f in found if _target(f) == ledger_id]


def _target(f: Field) -> int | None:
    value = (f.options or {}).get("ledger")
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


@dataclass
class Group:
    """The records of one ledger whose link field `field` points at the record."""

    schema: LedgerSchema  # the other ledger, as the caller sees it
    field: Field
    total: int
    records: list[dict[str, Any]]  # record JSON, newest first
    next_cursor: str | None

    def to_json(self) -> dict[str, Any]:
        return {"ledger": {"id": self.schema.id, "name": self.schema.ledger.name},
                "field": self.field.code, "total": self.total, "records": self.records,
                "next_cursor": self.next_cursor}


def related(user: AnyUser, schema: LedgerSchema, record_id: Any, *, limit: int = 10,
            ledger: int | None = None, field: str | None = None, cursor: str | None = None,
            ctx: ValueContext | None = None) -> list[Group]:
    """The groups of records pointing at `record_id` (NotFound unless the caller sees it).
    `ledger` and `field` narrow to one group (to page it with `cursor`)."""
    ctx = ctx or ValueContext()
    row = sel.get_row(user, schema, record_id)
    groups: list[Group] = []
    for f in link_fields_to(schema.id):
        if (ledger is not None and f.ledger_id != ledger) or (field is not None
                                                               and f.code != field):
            continue
        try:
            other = access.ledger_for(user, f.ledger_id, "view")
        except NotFound:
            continue
        if f.code not in other.by_code:  # the link field is hidden from the caller
            continue
        filters = [f"{f.code}:eq:{row.id}"]
        page = sel.list_records(user, other, filters=filters, sort="-id", limit=limit,
                                cursor=cursor, ctx=ctx)
        total = sel.aggregate(user, other, group_by=None, metric="count", filters=filters,
                              ctx=ctx)[0]["value"]
        groups.append(Group(other, other.by_code[f.code], total,
                            sel.records_json(other, page.rows, ctx), page.next_cursor))
    return groups
