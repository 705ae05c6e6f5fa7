"""Which of some records a user may edit: the calendar and kanban boards let a card be dragged
only when its record lies within the record conditions of the rules granting `edit`."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection

from daicho import access
from daicho.access import AnyUser
from daicho.db.dialect import q
from daicho.selectors.ledgers import LedgerSchema


def editable_ids(user: AnyUser, schema: LedgerSchema, ids: Sequence[int]) -> set[int]:
    """The ids among `ids` (records the caller already read through the gate) that `user`
    holds the edit right on as they are now: one query per 500 ids, none without a condition."""
    grant = access.grant_of(user, schema)
    if not ids or not grant.holds("edit"):
        return set()
    sql, params = grant.predicate("edit")
    if not sql:
        return set(ids)
    found: set[int] = set()
    with connection.cursor() as cur:
        for start in range(0, len(ids), 500):
            chunk = list(ids[start:start + 500])
            cur.execute(f"SELECT t.id FROM {q(schema.full.table)} t WHERE t.id IN "
                        f"({', '.join(['%s'] * len(chunk))}) AND ({sql})", [*chunk, *params])
            found.update(int(row[0]) for row in cur.fetchall())
    return found
