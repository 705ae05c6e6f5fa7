"""The ledger list (grid) page, its save endpoint for inline edits and pastes, and its totals."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from daicho import access
from daicho.error_codes import Code
from daicho.errors import Conflict, InvalidInput
from daicho.fields import REGISTRY, type_for
from daicho.fields.context import ValueContext
from daicho.selectors import changes
from daicho.selectors import records as sel
from daicho.selectors.ledgers import LedgerSchema
from daicho.services import audit
from daicho.services import record_batches as batches
from daicho.web import grid, grid_controls, groups, recent, resolve, saved_views
from daicho.web.names import Names
from daicho.web.views.common import error_json, json_body, json_endpoint, page
from daicho.web.widgets import widget_for


def _state(request: HttpRequest, schema: LedgerSchema) -> tuple[Any, grid.GridState]:
    view = saved_views.view_for(request.user, schema, request.GET.get("view"))
    return view, grid.parse_state(request.GET, schema, view)


@page
def ledger(request: HttpRequest, ledger_id: int) -> HttpResponse:
    schema = access.ledger_for(request.user, ledger_id, "view")
    view, state = _state(request, schema)
    if view is not None and view.board.get("kind") and request.GET.get("s") != "1":
        # A calendar or kanban view opens as it was saved (daicho.web.boards); the tabs and
        # the board's own links carry s=1 and come here for the list of the same records.
        audit.not_shown(schema)
        return redirect(reverse(f"web:{view.board['kind']}", args=[schema.id]) + f"?view={view.id}")
    if "fx" in request.GET:
        # A column's filter popup was applied: on to the page's own address, which holds the
        # filters in the API's syntax (bookmarkable, and what saved views store). The redirect
        # shows no record: the page it leads to is the read the access log records.
        audit.not_shown(schema)
        return redirect(reverse("web:ledger", args=[schema.id]) + state.query())
    ctx = ValueContext()
    error = ""
    try:
        result = grid.fetch_page(request.user, schema, state, ctx)
    except InvalidInput as exc:  # a filter, sort or cursor in the URL that does not fit
        result, error = grid.PageResult([], None, None, None), exc.message
    audit.viewed(request, schema)
    recent.note_ledger_opened(user=request.user, schema=schema)
    records = sel.records_json(schema, result.rows, ctx)
    columns = grid.visible_fields(schema, state)
    names = Names(request.user).load_values(columns, [r["values"] for r in records])
    rows: list[Any] = grid.grid_rows(schema, columns, records, names)
    grouping = groups.parse(schema, state.group)
    if grouping is not None:
        rows = groups.with_headers(grouping, columns, records, rows, request.user)
    urls = grid_controls.urls(schema)
    can = access.screen_rights(request.user, schema.ledger)
    return render(request, "web/ledger.html", {
        "schema": schema, "ledger": schema.ledger, "state": state, "view": view,
        "views": saved_views.views_for(request.user, schema),
        "headers": grid_controls.headers(schema, state, columns, schema.read_only),
        "rows": rows, "grouping": grouping, "group_choices": groups.choices(schema),
        "live_since": changes.next_since().isoformat(),
        "chips": grid_controls.chips(schema, state, names),
        "paging": grid_controls.paging(urls["ledger"], state, result, urls["rows"]),
        "total": result.total, "error": error, "urls": urls,
        "exports": grid_controls.export_links(schema, state),
        "column_choices": grid_controls.column_choices(schema, state),
        "layout": grid_controls.layout_choices(state, columns),
        "page_sizes": grid.PAGE_SIZES, "hidden": grid_controls.hidden_inputs(state),
        "clear_search": state.query(q=""), "clear_filters": state.query(filters=[]),
        "may_update_view": saved_views.may_change_view(request.user, view, can["manage"]),
        "can_add": can["add"], "can_edit": can["edit"], "can_delete": can["delete"],
        "can_manage": can["manage"], "can_import": can["import"], "can_export": can["export"],
        "show_totals": bool(columns),
    })


@json_endpoint
def rows(request: HttpRequest, ledger_id: int) -> HttpResponse:
    """The next rows of the list page as it scrolls: the page's own query from `after`'s cursor,
    drawn as the page draws them, and the address of the rows after them ("" at the end)."""
    schema = access.ledger_for(request.user, ledger_id, "view")
    _view, state = _state(request, schema)
    if not state.after:
        raise InvalidInput(_("The rows to load are missing from the address."),
                           code=Code.INVALID_CURSOR)
    ctx = ValueContext()
    result = grid.fetch_page(request.user, schema, state, ctx)
    audit.viewed(request, schema)
    columns = grid.visible_fields(schema, state)
    html = _rows_html(request, schema, columns, sel.records_json(schema, result.rows, ctx))
    urls = grid_controls.urls(schema)
    after = state.query(paging=True, after=result.next_cursor) if result.next_cursor else ""
    return JsonResponse({"rows": html, "next": urls["rows"] + after if after else "",
                         "page": urls["ledger"] + after if after else ""})


def _rows_html(request: HttpRequest, schema: LedgerSchema, columns: list[Any],
               records: list[dict[str, Any]]) -> list[str]:
    names = Names(request.user).load_values(columns, [r["values"] for r in records])
    return [str(row.html) for row in grid.grid_rows(schema, columns, records, names)]


def _conflict_dialog(request: HttpRequest, schema: LedgerSchema, exc: Conflict,
                     updates: list[Any]) -> str:
    current = exc.details.get("current")
    index = exc.details.get("index", 0)
    if not current or not isinstance(index, int) or not 0 <= index < len(updates):
        return ""
    mine = updates[index].get("values", {}) if isinstance(updates[index], dict) else {}
    fields = [schema.by_code[c] for c in exc.details.get("conflicting_fields", [])
              if c in schema.by_code]
    names = Names(request.user).load_values(fields, [current["values"]],
                                            [current.get("updated_by")])
    entries = [{"field": f, "theirs": widget_for(f).show(f, current["values"].get(f.code), names),
                "theirs_text": widget_for(f).text_of(f, current["values"].get(f.code)),
                "mine": str(mine.get(f.code) if mine.get(f.code) is not None else "")}
               for f in fields]
    return render_to_string("web/grid/conflict.html", {
        "record": current, "entries": entries, "index": index,
        "by": names.user(current.get("updated_by")),
    }, request)


def _saved_json(request: HttpRequest, schema: LedgerSchema, columns: list[Any],
                done: dict[str, Any]) -> dict[str, Any]:
    """The rows a batch wrote, drawn again as the page draws them."""
    written = done["updated"] + done["created"] + done.get("restored", [])
    html = iter(_rows_html(request, schema, columns, written))
    out: dict[str, Any] = {}
    for key in ("updated", "created", "restored"):
        out[key] = [{"id": r["id"], "revision": r["revision"], "html": next(html)}
                    for r in done.get(key, [])]
    out["trashed"] = done.get("trashed", [])
    return out


def _columns(schema: LedgerSchema, body: dict[str, Any]) -> list[Any]:
    return grid.visible_fields(schema, grid.GridState(
        columns=grid.known_columns(schema, body.get("columns") or [f.code for f in schema.fields])))


@json_endpoint
@require_POST
def grid_save(request: HttpRequest, ledger_id: int) -> HttpResponse:
    """Inline edits, pastes, fills, bulk edits of the selected rows, rows moved to the trash
    and back, undo and redo: one batch, so it is all saved or none of it, with one history
    entry per record."""
    body = json_body(request, ("create", "update", "trash", "restore", "columns"))
    create, update = body.get("create") or [], body.get("update") or []
    trash, restore = body.get("trash") or [], body.get("restore") or []
    schema = access.ledger_for(request.user, ledger_id,
                               *batches.rights_for(create, update, trash, restore))
    columns = _columns(schema, body)
    resolve.refuse(resolve.batch_problems(resolve.Resolver(request.user, schema), create, update))
    try:
        done = batches.apply(user=request.user, schema=schema, create=create, update=update,
                             trash=trash, restore=restore)
    except Conflict as exc:
        current = exc.details.get("current")
        row = _rows_html(request, schema, columns, [current])[0] if current else ""
        dialog = "" if exc.details.get("op") == "trash" else \
            _conflict_dialog(request, schema, exc, list(update))
        return error_json(exc, dialog=dialog, row=row)
    return JsonResponse(_saved_json(request, schema, columns, done))


@json_endpoint
@require_POST
def grid_set_field(request: HttpRequest, ledger_id: int) -> HttpResponse:
    """「Set a field on all filtered records」: the records the page's query (its filters,
    search and saved view) matches, at most the bulk limit, in one transaction."""
    body = json_body(request, ("code", "value", "query", "columns"))
    schema = access.ledger_for(request.user, ledger_id, "edit")
    query = body.get("query")
    data = QueryDict(query.lstrip("?") if isinstance(query, str) else "")
    state = grid.parse_state(data, schema, saved_views.view_for(request.user, schema, data.get("view")))
    code, value = body.get("code"), body.get("value")
    if isinstance(code, str):  # a typed name becomes the login, code or id it names
        resolved, errors = resolve.Resolver(request.user, schema).values({code: value})
        if errors:
            raise InvalidInput(errors[code], details={"fields": errors})
        value = resolved[code]
    done = batches.set_field_on_matching(user=request.user, schema=schema, filters=state.filters,
                                         search=state.q, code=code, value=value)
    f = schema.by_code[body["code"]]
    before = {rid: widget_for(f).text_of(f, value) for rid, value in done["before"].items()}
    return JsonResponse({**_saved_json(request, schema, _columns(schema, body), done),
                         "before": before})


@page
def totals(request: HttpRequest, ledger_id: int) -> HttpResponse:
    """The totals row, fetched after the page is shown: sums scan every matching record, which
    on a million records takes longer than the page itself should."""
    schema = access.ledger_for(request.user, ledger_id, "view")
    _view, state = _state(request, schema)
    columns = grid.visible_fields(schema, state)
    common: dict[str, Any] = {"filters": state.filters, "search": state.q}
    try:
        if state.filtered or access.record_predicate(request.user, schema)[0]:
            count = sel.aggregate(request.user, schema, group_by=None, metric="count", **common)
            total = count[0]["value"] if count else 0
        else:
            total = schema.ledger.record_count
        cells = []
        names = Names()
        for f in columns:
            if f.type in REGISTRY and type_for(f).summable:
                groups = sel.aggregate(request.user, schema, group_by=None, metric=f"sum:{f.code}",
                                       **common)
                value = groups[0]["value"] if groups else None
                cells.append({"field": f, "html": widget_for(f).show(f, value, names)})
            else:
                cells.append({"field": f, "html": ""})
    except InvalidInput:
        total, cells = None, [{"field": f, "html": ""} for f in columns]
    return render(request, "web/grid/totals.html", {"total": total, "cells": cells})
