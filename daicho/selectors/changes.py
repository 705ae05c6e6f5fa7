"""What changed in a ledger since a moment, as one person may see it: the list page's polling.

A poll names the records its page shows and the moment of its last answer. One query over the
`(updated_at, id)` index and the primary key answers it: the records written since, and every
record the page shows with whether this person may still see it. Only when something was written
does a second query read those rows whole. A record the page shows that is now in the trash,
outside the person's record rules or gone altogether answers the same ("not visible"), whenever
it changed: the poll cannot tell a forbidden record from a missing one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection

from daicho.access import AnyUser
from daicho.db import dialect
from daicho.db.dialect import q
from daicho.fields.context import ValueContext
from daicho.selectors.ledgers import LedgerSchema
from daicho.selectors.rows import Row, select_list, to_rows
from daicho.selectors.where import where_clause

# How far back each poll looks again: a write whose transaction committed after the previous
# poll can carry an earlier updated_at (taken when it began; stored to the second).
OVERLAP = dt.timedelta(seconds=10)
# At most this many records written since: more (an import) and the page is better reloaded.
MAX_CHANGED = 500
MAX_NEW = 50


@dataclass
class Changes:
    """`rows`: the records the page shows that were written since, and the new records that
    match the page's filters; `gone`: what the page shows that this person may no longer see;
    `more`: too much changed to send (reload the page)."""

    rows: list[Row] = field(default_factory=list)
    new_ids: set[int] = field(default_factory=set)
    gone: list[int] = field(default_factory=list)
    more: bool = False


def next_since(now: dt.datetime | None = None) -> dt.datetime:
    """The `since` the next poll sends: a little before now (OVERLAP)."""
    return (now or dialect.now()) - OVERLAP


def changed_since(user: AnyUser, schema: LedgerSchema, *, since: dt.datetime,
                  shown: Collection[int], filters: Sequence[str] = (), search: str = "",
                  ctx: ValueContext | None = None) -> Changes:
    ctx = ctx or ValueContext()
    shown = sorted({int(i) for i in shown})
    gate, gate_params = where_clause(user, schema, ctx=ctx)
    stamp = dialect.param(since)
    ids_sql = f" OR t.id IN ({', '.join(['%s'] * len(shown))})" if shown else ""
    sql = (f"SELECT t.id, t.created_at, t.updated_at, CASE WHEN ({gate}) THEN 1 ELSE 0 END"
           f" FROM {q(schema.table)} t WHERE t.updated_at >= %s{ids_sql}"
           f" LIMIT {MAX_CHANGED + len(shown) + 1}")
    with connection.cursor() as cur:
        cur.execute(sql, [*gate_params, stamp, *shown])
        found = cur.fetchall()
    out = Changes(more=len(found) > MAX_CHANGED + len(shown))
    on_page = set(shown)
    visible: set[int] = set()
    wanted: list[int] = []
    for rid, created, updated, seen in found:
        rid = int(rid)
        if not seen:
            continue
        visible.add(rid)
        if _at_or_after(updated, since):
            if rid in on_page:
                wanted.append(rid)
            elif _at_or_after(created, since) and len(out.new_ids) < MAX_NEW:
                out.new_ids.add(rid)
                wanted.append(rid)
    out.gone = [i for i in shown if i not in visible]
    if wanted:
        out.rows = _read(user, schema, wanted, out.new_ids, filters, search, ctx)
        kept = {r.id for r in out.rows}
        out.new_ids &= kept
    return out


def _at_or_after(raw: Any, since: dt.datetime) -> bool:
    at = dialect.as_datetime(raw)
    return at is not None and at >= since


def _read(user: AnyUser, schema: LedgerSchema, ids: list[int], new_ids: set[int],
          filters: Sequence[str], search: str, ctx: ValueContext) -> list[Row]:
    """The rows whole; a new record only when it matches the page's filters and search (a row
    the page already shows stays there, as in a spreadsheet, until the page is reloaded)."""
    gate, gate_params = where_clause(user, schema, ctx=ctx)
    match, match_params = where_clause(user, schema, filters=filters, search=search, ctx=ctx)
    marks = ", ".join(["%s"] * len(ids))
    sql = (f"SELECT {select_list(schema)}, CASE WHEN ({match}) THEN 1 ELSE 0 END"
           f" FROM {q(schema.table)} t WHERE t.id IN ({marks}) AND {gate} ORDER BY t.id")
    with connection.cursor() as cur:
        cur.execute(sql, [*match_params, *ids, *gate_params])
        found = cur.fetchall()
    keep = [r[:-1] for r in found if r[-1] or int(r[0]) not in new_ids]
    return to_rows(schema, keep)
