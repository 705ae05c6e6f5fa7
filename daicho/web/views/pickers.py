"""Suggestions for the type-ahead pickers of user, department and link fields (js/picker.js):
`{"items": [{"value", "label", "detail"}]}`, value being what the engine stores (login, code,
record id) and label the name a person reads."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse

from daicho import access
from daicho.errors import InvalidInput, NotFound
from daicho.fields.context import ValueContext
from daicho.selectors import records as sel
from daicho.services import audit
from daicho.web import people
from daicho.web.names import display_field, title_text
from daicho.web.views.common import page

LIMIT = 20


def _text(request: HttpRequest) -> str:
    return str(request.GET.get("q", "")).strip()[:100]


def _answer(items: list[dict[str, Any]]) -> HttpResponse:
    return JsonResponse({"items": items})


@page
def pick_users(request: HttpRequest) -> HttpResponse:
    access.require_user(request.user)
    return _answer([{"value": login, "label": name, "detail": login}
                    for login, name in people.users_matching(_text(request), LIMIT)])


@page
def pick_orgs(request: HttpRequest) -> HttpResponse:
    access.require_user(request.user)
    return _answer([{"value": code, "label": name, "detail": code}
                    for code, name in people.orgs_matching(_text(request), LIMIT)])


@page
def pick_link(request: HttpRequest, ledger_id: int, code: str) -> HttpResponse:
    """Records of the linked ledger matching the typed text (or with that id), through the
    permission gate: only records the user may see, titled by a field they may see."""
    schema = access.ledger_for(request.user, ledger_id, "view")
    link = schema.field(code)
    target = access.ledger_for(request.user, link.options.get("ledger"), "view")
    shown = display_field(link, target)
    text = _text(request)
    digits = text.lstrip("#＃")
    ctx = ValueContext()
    try:
        found = sel.list_records(request.user, target, search=text, limit=LIMIT, ctx=ctx).rows
    except InvalidInput:
        found = []
    if digits.isascii() and digits.isdigit():
        try:
            found.insert(0, sel.get_row(request.user, target, int(digits)))
        except NotFound:  # no such record, or not one this user may see: no suggestion
            pass
    audit.viewed(request, target)
    items, seen = [], set()
    for record in sel.records_json(target, found, ctx):
        if record["id"] in seen:
            continue
        seen.add(record["id"])
        title = title_text(shown, record["values"].get(shown.code)) if shown else ""
        items.append({"value": str(record["id"]), "label": title or f"#{record['id']}",
                      "detail": f"#{record['id']}"})
    return _answer(items)
