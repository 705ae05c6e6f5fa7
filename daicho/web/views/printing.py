"""Print views: one record as an A4 document, and the list as the grid's view shows it.

Both are plain documents (no inputs), drawn with the same widgets as the grid and the form, so
numbers carry their separators, dates their 和暦 where the field says so, people and departments
their names. The gate's schema has already left out every field the reader may not see; the
page numbers and the A4 page come from css/printout.css (CSS paged media).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.safestring import SafeString

from daicho import access
from daicho.errors import InvalidInput
from daicho.fields.context import ValueContext
from daicho.models import Field
from daicho.selectors import form_layout as layout
from daicho.selectors import records as sel
from daicho.services import audit
from daicho.web import grid, grid_controls, saved_views
from daicho.web.names import Names
from daicho.web.views.common import page
from daicho.web.widgets import widget_for

# A list printout stops here (and says so): a printout of more is a job for the export.
PRINT_LIMIT = 1000
_BATCH = 500


@dataclass
class Item:
    field: Field
    html: SafeString
    span: int


@dataclass
class PrintSection:
    title: str
    columns: int
    items: list[Item]


def _printed_at() -> str:
    return timezone.localtime().strftime("%Y-%m-%d %H:%M")


@page
def record_print(request: HttpRequest, ledger_id: int, record_id: int) -> HttpResponse:
    schema = access.ledger_for(request.user, ledger_id, "view")
    ctx = ValueContext()
    record = sel.records_json(schema, [sel.get_row(request.user, schema, record_id)], ctx)[0]
    audit.viewed(request, schema, record_id=record["id"])
    values = record["values"]
    names = Names(request.user).load_values(schema.fields, [values],
                                [record.get("created_by"), record.get("updated_by")])
    sections = [PrintSection(s.title, s.columns, [
        Item(p.field, widget_for(p.field).show(p.field, values.get(p.field.code), names), p.span)
        for p in s.items]) for s in layout.sections(schema)]
    return render(request, "web/print/record.html", {
        "ledger": schema.ledger, "record": record, "sections": sections,
        "title": grid.record_title(schema, record), "printed_at": _printed_at(),
        "updated_by": names.user(record.get("updated_by")),
    })


def _rows(request: HttpRequest, schema: Any, state: grid.GridState,
          ctx: ValueContext) -> tuple[list[sel.Row], bool]:
    """The rows of the view, in its order, up to PRINT_LIMIT; and whether there were more."""
    rows: list[sel.Row] = []
    cursor = None
    while len(rows) < PRINT_LIMIT:
        found = sel.list_records(request.user, schema, filters=state.filters, search=state.q,
                                 sort=state.sort or None, cursor=cursor, ctx=ctx,
                                 limit=min(_BATCH, PRINT_LIMIT - len(rows)))
        rows += found.rows
        cursor = found.next_cursor
        if cursor is None:
            return rows, False
    return rows, True


@page
def ledger_print(request: HttpRequest, ledger_id: int) -> HttpResponse:
    schema = access.ledger_for(request.user, ledger_id, "view")
    view = saved_views.view_for(request.user, schema, request.GET.get("view"))
    state = grid.parse_state(request.GET, schema, view)
    ctx = ValueContext()
    error = ""
    try:
        rows, more = _rows(request, schema, state, ctx)
    except InvalidInput as exc:  # a filter or sort in the URL that does not fit
        rows, more, error = [], False, exc.message
    audit.viewed(request, schema)
    records = sel.records_json(schema, rows, ctx)
    columns = grid.visible_fields(schema, state)
    names = Names(request.user).load_values(columns, [r["values"] for r in records])
    return render(request, "web/print/list.html", {
        "ledger": schema.ledger, "columns": columns, "view": view,
        "rows": grid.grid_rows(schema, columns, records, names), "more": more,
        "limit": PRINT_LIMIT, "chips": grid_controls.chips(schema, state), "q": state.q,
        "error": error, "printed_at": _printed_at(),
        "back": f"{grid_controls.urls(schema)['ledger']}{state.query()}",
    }, status=400 if error else 200)
