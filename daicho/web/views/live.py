"""The list page kept current: its polling of what others saved and who else is here, and the
subtotals of its groups."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET, require_POST

from daicho import access
from daicho.error_codes import Code
from daicho.errors import InvalidInput, NotFound
from daicho.fields.context import ValueContext
from daicho.selectors import changes
from daicho.selectors import records as sel
from daicho.selectors.ledgers import LedgerSchema, is_sensitive
from daicho.services import audit
from daicho.web import grid, groups, presence, saved_views
from daicho.web.models import RecordPresence
from daicho.web.names import Names
from daicho.web.views.common import json_body, json_endpoint

MAX_SHOWN = 1000  # the most rows a page shows (with its inserted rows)


def _since(value: Any) -> dt.datetime:
    try:
        since = dt.datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        since = None
    if since is None or since.tzinfo is None:
        raise InvalidInput(_("The time of the last update is not valid; reload the page."),
                           code=Code.INVALID_SINCE)
    return since


def _ids(value: Any, code: Code) -> list[int]:
    if not isinstance(value, list) or len(value) > MAX_SHOWN or \
            not all(isinstance(i, int) and not isinstance(i, bool) and 0 < i < 2**62
                    for i in value):
        raise InvalidInput(_("The list of rows shown is not valid; reload the page."),
                           code=code)
    return value


def _state(request: HttpRequest, schema: LedgerSchema, query: Any) -> grid.GridState:
    data = QueryDict(query.lstrip("?") if isinstance(query, str) else "")
    return grid.parse_state(data, schema, saved_views.view_for(request.user, schema, data.get("view")))


def _editing(request: HttpRequest, schema: LedgerSchema, value: Any) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidInput(_("The list of rows shown is not valid; reload the page."),
                           code=Code.INVALID_EDITING)
    try:
        return sel.get_row(request.user, schema, value).id
    except NotFound:
        return None


@json_endpoint
@require_POST
def poll(request: HttpRequest, ledger_id: int) -> HttpResponse:
    """{since, shown: [ids], editing: id|null, query, columns} → the rows others saved since,
    the rows gone from what this person may see, and who else has the ledger open."""
    body = json_body(request, ("since", "shown", "editing", "query", "columns"))
    schema = access.ledger_for(request.user, ledger_id, "view")
    since = _since(body.get("since"))
    shown = _ids(body.get("shown", []), Code.INVALID_SHOWN)
    state = _state(request, schema, body.get("query"))
    editing = _editing(request, schema, body.get("editing"))
    now = changes.next_since()
    ctx = ValueContext()
    found = changes.changed_since(request.user, schema, since=since, shown=shown,
                                  filters=state.filters, search=state.q, ctx=ctx)
    columns = grid.visible_fields(schema, grid.GridState(columns=grid.known_columns(
        schema, body.get("columns") or [f.code for f in schema.fields])))
    records = sel.records_json(schema, found.rows, ctx)
    names = Names(request.user).load_values(columns, [r["values"] for r in records])
    drawn = grid.grid_rows(schema, columns, records, names)
    grouping = groups.parse(schema, state.group)
    rows = [{"id": row.id, "revision": row.revision, "html": str(row.html),
             "new": row.id in found.new_ids,
             "group": grouping.key(rec["values"].get(grouping.field.code)) if grouping else None}
            for row, rec in zip(drawn, records, strict=True)]
    if rows and is_sensitive(schema.ledger):
        # A POST is not a read the access log middleware records; rows shown are one.
        audit.record(user=request.user, action="view_list", target=f"ledger:{schema.id}",
                     request=request, details={"path": request.path[:200],
                                               "records": [r["id"] for r in rows][:100]})
    presence.touch_presence(user=request.user, schema=schema, record_id=RecordPresence.LIST_PAGE)
    if editing is not None:
        presence.touch_presence(user=request.user, schema=schema, record_id=editing)
    return JsonResponse({"since": now.isoformat(), "rows": rows, "gone": found.gone,
                         "more": found.more, **_presence(request, schema, shown, found.gone)},
                        json_dumps_params={"ensure_ascii": False})


def _presence(request: HttpRequest, schema: LedgerSchema, shown: list[int],
              gone: list[int]) -> dict[str, Any]:
    """The line naming who else is here, and a note per row someone else has open. Only rows the
    page shows and this person may see are named: presence must not reveal other records."""
    others = presence.others_in_ledger(request.user, schema)
    visible = set(shown) - set(gone)
    editors: dict[int, list[str]] = {}
    for name, record_ids in others.items():
        for rid in record_ids & visible:
            editors.setdefault(rid, []).append(name)
    notes = {str(rid): _("%(names)s has this record open") % {"names": _people(people)}
             for rid, people in editors.items()}
    present = _("%(names)s also has this ledger open") % {"names": _people(others)} \
        if others else ""
    return {"present": present, "editors": notes}


def _people(names: Iterable[str]) -> str:
    return "、".join(pgettext("a person named in a sentence", "%(name)s") % {"name": n}
                    for n in sorted(names))


@json_endpoint
@require_GET
def subtotals(request: HttpRequest, ledger_id: int) -> HttpResponse:
    """The count and sums of each group of the page's grouping, over every matching record this
    person may see (fetched after the page is shown, like the totals row)."""
    schema = access.ledger_for(request.user, ledger_id, "view")
    view = saved_views.view_for(request.user, schema, request.GET.get("view"))
    state = grid.parse_state(request.GET, schema, view)
    grouping = groups.parse(schema, state.group)
    if grouping is None:
        raise InvalidInput(_("Choose a field to group by."), code=Code.INVALID_GROUP_BY)
    found = groups.subtotals(request.user, schema, grouping, state,
                             grid.visible_fields(schema, state))
    return JsonResponse({"groups": found}, json_dumps_params={"ensure_ascii": False})
