"""Saved views of a ledger's list (with their chart or board): checked and saved, listed and
found for the person who asks, and carried by a ledger design (daicho.services.designs)."""

from __future__ import annotations

import math
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.http import QueryDict
from django.utils.translation import gettext as _

from daicho.access import AnyUser
from daicho.error_codes import Code
from daicho.errors import FieldValueError, InvalidInput
from daicho.fields.base import check_text
from daicho.fields.context import ValueContext
from daicho.selectors import records as sel
from daicho.selectors.grouping import PERIODS
from daicho.selectors.ledgers import LedgerSchema
from daicho.web import boards, groups
from daicho.web.models import MAX_FROZEN, ROW_HEIGHTS, SavedView

CHART_KINDS = ("bar", "pie", "line", "crosstab")
CHART_KEYS = ("kind", "group_by", "period", "columns", "column_period", "metric")
MAX_VIEWS_PER_LEDGER = 200


def _period(value: Any) -> str:
    return value if value in PERIODS else ""


def _clean_view(user: AnyUser, schema: LedgerSchema, spec: dict[str, Any]) -> dict[str, Any]:
    """Check a view's settings the way the list page will use them, so a saved view always opens."""
    name = spec.get("name")
    if not isinstance(name, str) or not name.strip():
        raise InvalidInput(_("Give the view a name."), code=Code.INVALID_NAME)
    try:
        name = check_text(name.strip(), multiline=False, max_length=200)
    except FieldValueError as exc:
        raise InvalidInput(exc.message, code=Code.INVALID_NAME) from None
    known = {*schema.by_code, *schema.pseudo}  # the status column of a process too
    columns = [c for c in spec.get("columns", []) if c in known]
    widths = {c: max(40, min(int(w), 2000)) for c, w in (spec.get("widths") or {}).items()
              if c in known and isinstance(w, int | float) and math.isfinite(w)}
    filters = [str(f) for f in spec.get("filters", [])][:50]
    sort = str(spec.get("sort", ""))[:400]
    search = str(spec.get("search", ""))[:1000]
    ctx = ValueContext()
    sel.parse_sort(schema, sort or None)  # raises InvalidInput for an unknown field
    sel.where_clause(user, schema, filters=filters, search=search, ctx=ctx)
    chart = spec.get("chart") or {}
    if chart:
        chart = {"kind": chart.get("kind") if chart.get("kind") in CHART_KINDS else "bar",
                 "group_by": str(chart.get("group_by", ""))[:64],
                 "period": _period(chart.get("period")),
                 "columns": str(chart.get("columns", ""))[:64],
                 "column_period": _period(chart.get("column_period")),
                 "metric": str(chart.get("metric", "count"))[:80]}
    grouping = groups.parse(schema, str(spec.get("group_by") or "")[:80])
    return {"name": name, "columns": columns, "widths": widths, "filters": filters, "sort": sort,
            "search": search, "chart": chart, "group_by": grouping.spec if grouping else "",
            "board": boards.clean_board(schema, spec.get("board")), **layout(spec)}


def board_from(data: QueryDict) -> dict[str, Any]:
    """A board as the calendar and kanban pages post it (board_kind, board_field, board_mode,
    board_card…); daicho.web.boards.clean_board checks it."""
    return {"kind": data.get("board_kind", ""), "field": data.get("board_field", ""),
            "mode": data.get("board_mode", ""), "cards": data.getlist("board_card")}


def layout(spec: dict[str, Any]) -> dict[str, Any]:
    """The grid layout part of a view's settings: frozen columns and row height, kept in range."""
    frozen = spec.get("frozen", 1)
    height = spec.get("row_height")
    return {"frozen": max(0, min(frozen, MAX_FROZEN)) if isinstance(frozen, int) else 1,
            "row_height": height if height in ROW_HEIGHTS else "normal"}


def save_view(*, user: AnyUser, schema: LedgerSchema, spec: dict[str, Any], shared: bool,
              view: SavedView | None = None) -> SavedView:
    """Create a view, or replace the settings of `view` (whose ownership the caller checked)."""
    clean = _clean_view(user, schema, spec)
    with transaction.atomic():
        if view is None:
            if SavedView.objects.filter(ledger_id=schema.id).count() >= MAX_VIEWS_PER_LEDGER:
                raise InvalidInput(_("This ledger has too many saved views."), code=Code.TOO_MANY_VIEWS)
            view = SavedView(ledger_id=schema.id, created_by_id=user.pk)
        view.owner_id = None if shared else user.pk
        for key, value in clean.items():
            setattr(view, key, value)
        view.save()
    return view


# A shared view's settings as a ledger design carries them (daicho.services.designs).
VIEW_DESIGN_KEYS = ("name", "columns", "widths", "filters", "sort", "search", "chart",
                    "group_by", "frozen", "row_height", "board")


def export_views(schema: LedgerSchema) -> list[dict[str, Any]] | None:
    """The ledger's shared views (personal ones stay personal)."""
    views = SavedView.objects.filter(ledger_id=schema.id, owner=None).order_by("id")
    return [{k: getattr(v, k) for k in VIEW_DESIGN_KEYS} for v in views] or None


def apply_views(user: AnyUser, schema: LedgerSchema, value: Any) -> list[str]:
    """The design's shared views on a new ledger, each checked as a saved view is."""
    if not isinstance(value, list):
        raise InvalidInput(_("views holds a list of views."), code=Code.INVALID_DESIGN,
                           details={"at": "views"})
    notes = []
    for i, spec in enumerate(value):
        try:
            if not isinstance(spec, dict):
                raise InvalidInput(_("Each view is an object."), code=Code.INVALID_DESIGN)
            save_view(user=user, schema=schema, spec=spec, shared=True)
        except InvalidInput as exc:
            notes.append(_("View %(n)d was not copied: %(reason)s")
                         % {"n": i + 1, "reason": exc.message})
    return notes


def delete_view(*, view: SavedView) -> None:
    view.delete()


def may_change_view(user: AnyUser, view: SavedView | None, can_manage: bool) -> bool:
    """Own views by their owner; shared views by whoever manages the ledger."""
    if view is None:
        return False
    return can_manage if view.owner_id is None else view.owner_id == user.pk


def views_for(user: AnyUser, schema: LedgerSchema) -> list[SavedView]:
    """The user's own views of the ledger and the shared ones, shared first."""
    views = SavedView.objects.filter(Q(owner=None) | Q(owner_id=int(user.pk or 0)),
                                     ledger_id=schema.id)
    return sorted(views, key=lambda v: (v.owner_id is not None, v.name, v.id))


def view_for(user: AnyUser, schema: LedgerSchema, view_id: Any) -> SavedView | None:
    try:
        vid = int(view_id)
    except (TypeError, ValueError):
        return None
    return SavedView.objects.filter(Q(owner=None) | Q(owner_id=int(user.pk or 0)), id=vid,
                                    ledger_id=schema.id).first()
