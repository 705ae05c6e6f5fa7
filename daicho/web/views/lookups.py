"""Lookup fields on the web pages: the field designer's choices, and on the record page the
notice that the master of a copy lookup changed since (「マスタが変更されています」) with the
再取得 button (daicho.services.lookup_copies)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from daicho import access
from daicho.access import AnyUser
from daicho.errors import DaichoError, NotFound
from daicho.fields import REGISTRY
from daicho.selectors.ledgers import LedgerSchema
from daicho.services import lookup_copies
from daicho.web.views.common import page
from daicho.web.widgets import widget_for


def designer_choices(user: AnyUser, schema: LedgerSchema) -> list[tuple[str, list[tuple[str, str]]]]:
    """Per link field of the ledger (its name): the fields of the linked ledger the user may
    see, as ("LINK:FIELD", name) — what a lookup may show."""
    out = []
    for f in schema.fields:
        if widget_for(f).names != "link":
            continue
        try:
            target = access.ledger_for(user, f.options.get("ledger"), "view")
        except NotFound:
            continue
        out.append((f.name, [(f"{f.code}:{t.code}", t.name) for t in target.fields
                             if t.type in REGISTRY]))
    return out


def stale_copies(user: AnyUser, schema: LedgerSchema, record_id: int) -> str:
    """The record page's notice (web/record/_lookups.html, drawn with the page): the names of
    the copy lookups whose master record changed since they were copied, "" when none did."""
    stale = [item for item in lookup_copies.state(user=user, schema=schema, record_id=record_id)
             if item["stale"]]
    return "、".join(f"「{schema.by_code[item['field']].name}」" for item in stale)


@page
@require_POST
def refresh(request: HttpRequest, ledger_id: int, record_id: int) -> HttpResponse:
    schema = access.screen_for(request.user, ledger_id, "edit")
    try:
        lookup_copies.refresh(user=request.user, schema=schema, record_id=record_id)
    except DaichoError as exc:
        messages.error(request, exc.message)
        return redirect("web:record", schema.id, record_id)
    messages.success(request, _("The values were fetched from the master again."))
    return redirect("web:record", schema.id, record_id)
