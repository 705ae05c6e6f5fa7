"""A ledger's design on screen: mark it as a template, download it as a JSON file (the field
designer's page), and make a new ledger from a template or a design file (the home page)."""

from __future__ import annotations

import json
from urllib.parse import quote

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from daicho import access
from daicho.error_codes import Code
from daicho.errors import InvalidInput
from daicho.requestdata import parse_json
from daicho.selectors.ledgers import LedgerSchema
from daicho.services import designs
from daicho.web.views.common import page

MAX_DESIGN_FILE = designs.MAX_DESIGN_BYTES


@page
@require_POST
def ledger_template(request: HttpRequest, ledger_id: int) -> HttpResponse:
    schema = access.screen_for(request.user, ledger_id, "manage")
    on = request.POST.get("template") == "1"
    designs.set_template(user=request.user, schema=schema, value=on)
    messages.success(request, _("The ledger is now offered as a template for new ledgers.") if on
                     else _("The ledger is no longer offered as a template."))
    return redirect("web:fields", schema.id)


@page
def ledger_design(request: HttpRequest, ledger_id: int) -> HttpResponse:
    schema = access.screen_for(request.user, ledger_id, "manage")
    body = json.dumps(designs.export_design(user=request.user, schema=schema),
                      ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = _attachment(f"{schema.ledger.name}.daicho.json")
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _attachment(filename: str) -> str:
    return f"attachment; filename=\"ledger.daicho.json\"; filename*=UTF-8''{quote(filename)}"


def design_from_request(request: HttpRequest) -> dict[str, object] | None:
    """The design the home page's form asks for: a template chosen, or a design file sent;
    None for an empty ledger."""
    upload = request.FILES.get("design")
    if upload is not None:
        if upload.size is None or upload.size > MAX_DESIGN_FILE:
            raise InvalidInput(_("A design file is at most %(n)d bytes.")
                               % {"n": MAX_DESIGN_FILE}, code=Code.TOO_LARGE)
        value = parse_json(upload.read(MAX_DESIGN_FILE + 1))
        if not isinstance(value, dict):
            raise InvalidInput(_("This is not a daicho ledger design."), code=Code.INVALID_DESIGN)
        return value
    template = request.POST.get("template", "")
    return designs.template_design(request.user, template) if template else None


def create_from(request: HttpRequest, design: dict[str, object]) -> LedgerSchema:
    schema, notes = designs.create_from_design(
        user=request.user, design=design, name=request.POST.get("name", ""),
        description=request.POST.get("description") or None)
    for note in notes:
        messages.warning(request, note)
    return schema

