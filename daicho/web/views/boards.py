"""The calendar and kanban pages of a ledger, a kanban column's further cards, and moving a card
(daicho.web.boards). Like the grid they read through the gate with the view's filters, search
and sort; a move is one call of the normal writer with the card's revision."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from daicho import access
from daicho.dates.localtime import TOKYO
from daicho.error_codes import Code
from daicho.errors import InvalidInput
from daicho.fields.context import ValueContext
from daicho.models import Field
from daicho.selectors import records as sel
from daicho.selectors.ledgers import LedgerSchema
from daicho.services import audit
from daicho.web import boards, grid, grid_controls, saved_views
from daicho.web.models import SavedView
from daicho.web.names import Names
from daicho.web.views.common import json_body, json_endpoint, page
from daicho.web.widgets import widget_for


@dataclass
class BoardForm:
    """What a board page draws: from the URL, else the saved view's board, else defaults."""

    kind: str
    source: Any  # boards.Source | None: None when the ledger has nothing to draw by
    mode: str = "month"
    at: dt.date | None = None
    cards: Sequence[str] = ()

    def params(self, **changes: Any) -> list[tuple[str, str]]:
        out = [("field", self.source.code)] if self.source else []
        if self.kind == "calendar":
            at = changes.get("at", self.at)
            out += [("mode", changes.get("mode", self.mode))] + ([("at", at.isoformat())] if at else [])
        else:
            out += [("card", code) for code in self.cards]
        return out

    def board(self) -> dict[str, Any]:
        """The board as a saved view keeps it."""
        out: dict[str, Any] = {"kind": self.kind, "field": self.source.code if self.source else ""}
        if self.kind == "calendar":
            out["mode"] = self.mode
        else:
            out["cards"] = list(self.cards)
        return out


def _form(kind: str, data: QueryDict, schema: LedgerSchema, view: SavedView | None) -> BoardForm:
    saved = view.board if view is not None and (view.board or {}).get("kind") == kind else {}
    available = boards.sources(schema, kind)
    code = data.get("field") or saved.get("field")
    source = next((s for s in available if s.code == code), available[0] if available else None)
    if kind == "calendar":
        mode = data.get("mode") or saved.get("mode") or "month"
        return BoardForm(kind, source, mode if mode in boards.MODES else "month",
                         boards.parse_day(data.get("at")))
    asked: Any = data.getlist("card") or saved.get("cards")
    cards = boards.card_codes(schema, asked, source.code if source else "")
    return BoardForm(kind, source, cards=cards)


def _setup(request: HttpRequest, ledger_id: int,
           kind: str) -> tuple[LedgerSchema, SavedView | None, grid.GridState, BoardForm]:
    schema = access.ledger_for(request.user, ledger_id, "view")
    view = saved_views.view_for(request.user, schema, request.GET.get("view"))
    state = grid.parse_state(request.GET, schema, view)
    return schema, view, state, _form(kind, request.GET, schema, view)


@dataclass
class Card:
    id: int
    revision: int
    title: str
    href: str
    key: str  # the column key, or the day (YYYY-MM-DD) on a calendar
    movable: bool
    time: str = ""
    fields: Sequence[tuple[Field, Any]] = ()
    comment_to: Sequence[str] = ()  # the places whose move asks for a comment first

    @property
    def comment_json(self) -> str:
        return json.dumps(list(self.comment_to), ensure_ascii=False) if self.comment_to else ""


def _cards(request: HttpRequest, schema: LedgerSchema, form: BoardForm,
           records: list[dict[str, Any]], may_move: bool) -> list[Card]:
    fields = [schema.by_code[c] for c in form.cards if c in schema.by_code]
    names = Names(request.user).load_values(fields, [r["values"] for r in records])
    source = form.source
    movable = source.movable(request.user, schema, records) if may_move else {}
    base = reverse("web:ledger", args=[schema.id]) + "records/"
    out = []
    for r in records:
        time = ""
        if form.kind == "calendar" and source.timed:
            time = widget_for(source.field).text_of(source.field, r["values"].get(source.code))[11:]
        key = source.key_of(r)
        out.append(Card(r["id"], r["revision"], grid.record_title(schema, r), f"{base}{r['id']}/", key,
                        r["id"] in movable, time,
                        [(f, widget_for(f).show(f, r["values"].get(f.code), names)) for f in fields],
                        movable.get(r["id"], [])))
    return out


def _common(request: HttpRequest, schema: LedgerSchema, view: SavedView | None,
            state: grid.GridState, form: BoardForm) -> dict[str, Any]:
    can = access.screen_rights(request.user, schema.ledger)
    here = reverse(f"web:{form.kind}", args=[schema.id])
    return {
        "schema": schema, "ledger": schema.ledger, "state": state, "view": view, "form": form,
        "views": saved_views.views_for(request.user, schema), "urls": grid_controls.urls(schema),
        "sources": boards.sources(schema, form.kind), "here": here,
        "chips": grid_controls.chips(schema, state, Names(request.user)),
        "may_move": bool(form.source and form.source.writable_by(schema)),
        "can_manage": can["manage"],
        "may_update_view": saved_views.may_change_view(request.user, view, can["manage"]),
        "move_url": reverse("web:board_move", args=[schema.id]),
    }


@page
def calendar(request: HttpRequest, ledger_id: int) -> HttpResponse:
    schema, view, state, form = _setup(request, ledger_id, "calendar")
    context = _common(request, schema, view, state, form)
    source = form.source
    weeks: list[list[dict[str, Any]]] = []
    more, error, heading = False, "", ""
    if source is not None and form.at is not None:
        period = boards.Period(form.mode, form.at)
        ctx = ValueContext()
        try:
            records, more = boards.calendar_records(request.user, schema, source, period,
                                                    filters=state.filters, search=state.q, ctx=ctx)
        except InvalidInput as exc:
            records, error = [], exc.message
        audit.viewed(request, schema)
        by_day: dict[str, list[Card]] = {}
        for card in _cards(request, schema, form, records, context["may_move"]):
            by_day.setdefault(card.key, []).append(card)
        today = dt.datetime.now(TOKYO).date()
        weeks = [[{"date": d, "iso": d.isoformat(), "cards": by_day.get(d.isoformat(), []),
                   "outside": form.mode == "month" and d.month != form.at.month,
                   "today": d == today} for d in week] for week in period.weeks()]
        heading = period.heading(bool(source.field.options.get("wareki")))
        base = state.params()
        context.update({
            "prev": context["here"] + boards.query(base + form.params(at=period.step(-1))),
            "next": context["here"] + boards.query(base + form.params(at=period.step(1))),
            "today_url": context["here"] + boards.query(base + form.params(at=today)),
            "month_url": context["here"] + boards.query(base + form.params(mode="month")),
            "week_url": context["here"] + boards.query(base + form.params(mode="week")),
        })
    context.update({"weeks": weeks, "more": more, "error": error, "heading": heading,
                    "limit": boards.CALENDAR_LIMIT,
                    "weekdays": [_("Sun"), _("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"),
                                 _("Sat")]})
    return render(request, "web/boards/calendar.html", context)


def _column_rows(request: HttpRequest, schema: LedgerSchema, state: grid.GridState,
                 form: BoardForm, column: boards.Column, cursor: str | None,
                 ctx: ValueContext) -> tuple[list[Any], str]:
    """A column's rows from `cursor` and the address of its next ones ("" at the end)."""
    rows, next_cursor = boards.column_page(
        request.user, schema, column, filters=state.filters, search=state.q, sort=state.sort,
        cursor=cursor, ctx=ctx)
    more = ""
    if next_cursor:
        more = reverse("web:kanban_column", args=[schema.id]) + boards.query(
            state.params() + form.params() + [("col", column.key), ("after", next_cursor)])
    return rows, more


@page
def kanban(request: HttpRequest, ledger_id: int) -> HttpResponse:
    schema, view, state, form = _setup(request, ledger_id, "kanban")
    context = _common(request, schema, view, state, form)
    columns: list[dict[str, Any]] = []
    error = ""
    if form.source is not None:
        ctx = ValueContext()
        try:
            counts = form.source.counts(request.user, schema, state.filters, state.q)
            read = [(column, *_column_rows(request, schema, state, form, column, None, ctx))
                    for column in form.source.columns(schema, counts)]
        except InvalidInput as exc:
            read, error = [], exc.message
        audit.viewed(request, schema)
        # The cards of every column drawn at once: names and rights looked up once per page.
        records = sel.records_json(schema, [r for _c, rows, _m in read for r in rows], ctx)
        cards = iter(_cards(request, schema, form, records, context["may_move"]))
        columns = [{"column": column, "count": counts.get(column.key, 0),
                    "cards": [next(cards) for _r in rows], "more": more}
                   for column, rows, more in read]
    context.update({"columns": columns, "error": error, "max_cards": boards.MAX_CARD_FIELDS,
                    "column_list": [c["column"] for c in columns],
                    "card_choices": [f for f in schema.fields
                                     if not form.source or f.code != form.source.code]})
    return render(request, "web/boards/kanban.html", context)


@json_endpoint
def kanban_column(request: HttpRequest, ledger_id: int) -> HttpResponse:
    """The next cards of one kanban column (its 「もっと見る」 button)."""
    schema, _view, state, form = _setup(request, ledger_id, "kanban")
    if form.source is None:
        raise InvalidInput(_("This ledger has no field to draw a kanban board by."),
                           code=Code.INVALID_BOARD)
    key = request.GET.get("col", "")
    column = next((c for c in form.source.columns(schema, {key: 1}) if c.key == key), None)
    if column is None or not request.GET.get("after"):
        raise InvalidInput(_("The cards to load are missing from the address."),
                           code=Code.INVALID_CURSOR)
    may_move = form.source.writable_by(schema)
    ctx = ValueContext()
    rows, more = _column_rows(request, schema, state, form, column,
                              request.GET.get("after", "")[:4000], ctx)
    cards = _cards(request, schema, form, sel.records_json(schema, rows, ctx), may_move)
    audit.viewed(request, schema)
    columns = form.source.columns(schema, {})
    html = render_to_string("web/boards/cards.html", {
        "cards": cards, "columns": columns, "may_move": may_move}, request)
    return JsonResponse({"html": html, "more": more})


@json_endpoint
@require_POST
def move(request: HttpRequest, ledger_id: int) -> HttpResponse:
    """Move a card to another day or column: `{"kind", "field", "record", "revision", "to",
    "comment"?}` (the comment of a process action that asks for one). Refusals (no right, a
    record rule, a conflict, a value the field refuses, no action leading there) answer in the one
    error shape, and the page puts the card back with the reason."""
    body = json_body(request, ("kind", "field", "record", "revision", "to", "comment"))
    schema = access.ledger_for(request.user, ledger_id, "view")
    kind = body.get("kind")
    if kind not in boards.KINDS or not isinstance(body.get("to"), str):
        raise InvalidInput(_("Choose the day or the column to move the record to."),
                           code=Code.INVALID_MOVE)
    source = boards.source_for(schema, str(kind), body.get("field"))
    moved = source.move(user=request.user, schema=schema, record_id=body.get("record"),
                        revision=body.get("revision"), to=body["to"], comment=body.get("comment"))
    record = moved.record
    answer: dict[str, Any] = {"id": record["id"], "revision": record["revision"],
                              "to": source.key_of(record)}
    if moved.message:  # what the status source says: the action taken, an approval counted
        answer["message"] = moved.message
        after = source.movable(request.user, schema, [record]).get(record["id"])
        answer["movable"], answer["comment_to"] = after is not None, after or []
    return JsonResponse(answer, json_dumps_params={"ensure_ascii": False})
