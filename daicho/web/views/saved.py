"""Saving and deleting views of a ledger (columns, widths, filters, sort, search, chart, board)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from daicho import access
from daicho.error_codes import Code
from daicho.errors import DaichoError, InvalidInput, NotFound
from daicho.requestdata import parse_json
from daicho.selectors.ledgers import LedgerSchema
from daicho.web import boards, grid, saved_views
from daicho.web.models import SavedView
from daicho.web.views.common import page


def _may_change(request: HttpRequest, schema: LedgerSchema, view: SavedView) -> bool:
    return saved_views.may_change_view(request.user, view,
                                       access.has_right(request.user, schema.ledger, "manage"))


def _widths(text: str) -> dict[str, Any]:
    """The column widths the page's script measured. Malformed ones are only lost; text that is
    not valid text (a lone surrogate) is refused like everywhere else."""
    try:
        widths = parse_json(text or "{}")
    except InvalidInput as exc:
        if exc.code == Code.INVALID_TEXT:
            raise
        return {}
    return widths if isinstance(widths, dict) else {}


@page
@require_POST
def view_save(request: HttpRequest, ledger_id: int) -> HttpResponse:
    schema = access.ledger_for(request.user, ledger_id, "view")
    state = grid.parse_state(request.POST, schema, None)
    existing = None
    if request.POST.get("mode") == "update":
        existing = saved_views.view_for(request.user, schema, request.POST.get("view"))
        if existing is None or not _may_change(request, schema, existing):
            raise NotFound()
    shared = request.POST.get("shared") == "on" if existing is None else existing.owner_id is None
    if shared and not access.has_right(request.user, schema.ledger, "manage"):
        shared = False
        messages.info(request, _("Only people who manage the ledger can share views; "
                                 "it was saved as your own view."))
    chart = {key: request.POST.get(f"chart_{key}", "") for key in saved_views.CHART_KEYS} \
        if request.POST.get("chart_kind") else (existing.chart if existing else {})
    board = saved_views.board_from(request.POST) if request.POST.get("board_kind") \
        else boards.kept_board(schema, existing.board) if existing else {}
    spec = {"name": request.POST.get("name", existing.name if existing else ""),
            "columns": [] if state.all_columns else state.columns,
            "filters": state.filters, "sort": state.sort, "search": state.q, "chart": chart,
            "frozen": state.frozen, "row_height": state.row_height, "group_by": state.group,
            "board": board}
    back = reverse("web:ledger", args=[schema.id]) + state.query()
    try:
        spec["widths"] = _widths(request.POST.get("widths", ""))
        saved = saved_views.save_view(user=request.user, schema=schema, spec=spec,
                                      shared=shared, view=existing)
    except DaichoError as exc:
        messages.error(request, exc.message)
        return redirect(back)
    messages.success(request, _("The view 「%(name)s」 was saved.") % {"name": saved.name})
    then = request.POST.get("then")
    target = f"web:{then}" if then in ("chart", "calendar", "kanban") else "web:ledger"
    return redirect(reverse(target, args=[schema.id]) + f"?view={saved.id}")


@page
@require_POST
def view_delete(request: HttpRequest, ledger_id: int, view_id: int) -> HttpResponse:
    schema = access.ledger_for(request.user, ledger_id, "view")
    view = saved_views.view_for(request.user, schema, view_id)
    if view is None or not _may_change(request, schema, view):
        raise NotFound()
    saved_views.delete_view(view=view)
    messages.success(request, _("The view 「%(name)s」 was deleted.") % {"name": view.name})
    return redirect("web:ledger", schema.id)
