"""Suggestions for the user, department and link pickers (filled into a <datalist> by htmx)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from daicho import access
from daicho.errors import InvalidInput
from daicho.fields.context import ValueContext
from daicho.selectors import records as sel
from daicho.services import audit
from daicho.web import queries
from daicho.web.grid import record_title
from daicho.web.views.common import page


def _text(request: HttpRequest) -> str:
    """The typed text: htmx sends the input under its own name, so take the only value."""
    if "q" in request.GET:
        return str(request.GET.get("q", "")).strip()[:100]
    values = [v for k, v in request.GET.items() if k.startswith("v_")]
    return str(values[0]).strip()[:100] if values else ""


@page
def pick_users(request: HttpRequest) -> HttpResponse:
    options = [(login, f"{name} ({login})") for login, name in queries.users_matching(_text(request))]
    return render(request, "web/pickers/options.html", {"options": options})


@page
def pick_orgs(request: HttpRequest) -> HttpResponse:
    options = [(code, f"{name} ({code})") for code, name in queries.orgs_matching(_text(request))]
    return render(request, "web/pickers/options.html", {"options": options})


@page
def pick_link(request: HttpRequest, ledger_id: int, code: str) -> HttpResponse:
    """Records of the linked ledger matching the typed text, through the permission gate."""
    schema = access.ledger_for(request.user, ledger_id, "view")
    target_id = schema.field(code).options.get("ledger")
    target = access.ledger_for(request.user, target_id, "view")
    text = _text(request)
    ctx = ValueContext()
    try:
        page_ = sel.list_records(request.user, target, search="" if text.isdigit() else text,
                                 limit=20, ctx=ctx)
    except InvalidInput:
        page_ = sel.Page([], None, None)
    audit.viewed(request, target)
    records = sel.records_json(target, page_.rows, ctx)
    options = [(str(r["id"]), f"#{r['id']} {record_title(target, r)}") for r in records]
    if text.isdigit():
        try:
            found = sel.records_json(target, [sel.get_row(request.user, target, int(text))], ctx)[0]
            options.insert(0, (text, f"#{text} {record_title(target, found)}"))
        except Exception:  # no such record (or not visible): just no suggestion
            pass
    return render(request, "web/pickers/options.html", {"options": options})
