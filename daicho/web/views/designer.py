"""The field designer 「部品」: add, rename, edit options, reorder, retype, delete and restore."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from daicho import access
from daicho.error_codes import Code
from daicho.errors import Conflict, DaichoError, NotFound
from daicho.fields import REGISTRY, type_for
from daicho.models import Field
from daicho.selectors import form_layout as layout
from daicho.selectors.ledgers import LedgerSchema, computing, deleted_fields, folder_of
from daicho.services import form_layout
from daicho.services import ledgers as svc
from daicho.web.views import lookups
from daicho.web.views.common import page
from daicho.web.widgets import WIDGETS, type_choices, widget_for


def _options(data: Any, type_key: str) -> dict[str, Any]:
    widget = WIDGETS.get(type_key)
    return widget.options_from(data, f"opt:{type_key}:") if widget else {}


def _display_choices(request: HttpRequest, f: Any) -> list[tuple[str, str]]:
    """For a link field: the fields of the linked ledger that may name its records."""
    if widget_for(f).names != "link":
        return []
    try:
        target = access.ledger_for(request.user, f.options.get("ledger"), "view")
    except NotFound:
        return []
    return [(t.code, t.name) for t in target.fields
            if REGISTRY.get(t.type) is not None and REGISTRY[t.type].searchable]


def _render(request: HttpRequest, schema: LedgerSchema, *, status: int = 200,
            **extra: Any) -> HttpResponse:
    places = layout.entries(schema)
    rows = [{"field": f, "widget": widget_for(f), "type_label": REGISTRY[f.type].label
             if f.type in REGISTRY else f.type, "first": i == 0,
             "last": i == len(schema.fields) - 1, "layout": places.get(f.code, {}),
             "display_choices": _display_choices(request, f),
             "computing": computing(schema.id) if f.type in REGISTRY and type_for(f).computed
             else None} for i, f in enumerate(schema.fields)]
    ledgers = access.ledger_list(request.user)
    return render(request, "web/fields.html", {
        "schema": schema, "ledger": schema.ledger, "rows": rows,
        "types": type_choices(), "widgets": WIDGETS, "deleted": deleted_fields(schema),
        "ledgers": ledgers, "folder": folder_of(schema.ledger),
        "folders": sorted({item["folder"] for item in ledgers if item["folder"]}),
        "can_unique": {k: t.can_be_unique for k, t in REGISTRY.items()},
        "lookup_choices": lookups.designer_choices(request.user, schema),
        **extra,
    }, status=status)


@page
def fields(request: HttpRequest, ledger_id: int) -> HttpResponse:
    schema = access.screen_for(request.user, ledger_id, "manage")
    return _render(request, schema)


def _done(request: HttpRequest, schema: LedgerSchema, message: str) -> HttpResponse:
    messages.success(request, message)
    return redirect("web:fields", schema.id)


def _failed(request: HttpRequest, schema: LedgerSchema, exc: DaichoError,
            code: str | None = None) -> HttpResponse:
    messages.error(request, exc.message)
    url = redirect("web:fields", schema.id)
    if code:
        url["Location"] += f"#field-{code}"
    return url


@page
@require_POST
def field_add(request: HttpRequest, ledger_id: int) -> HttpResponse:
    schema = access.screen_for(request.user, ledger_id, "manage")
    type_key = request.POST.get("type", "text")
    spec = {"name": request.POST.get("name", ""), "type": type_key,
            "required": request.POST.get("required") == "on",
            "unique": request.POST.get("unique") == "on", "options": _options(request.POST, type_key)}
    try:
        f = svc.add_field(user=request.user, schema=schema, spec=spec)
    except DaichoError as exc:
        return _render(request, schema, status=exc.status, add_error=exc.message,
                       add_form=request.POST)
    return _done(request, schema, _("The field 「%(name)s」 was added.") % {"name": f.name})


def _field(schema: LedgerSchema, code: str) -> Field:
    """The field a page address names: one that does not exist, or is hidden from the user, is a
    page that does not exist (404)."""
    found = schema.by_code.get(code)
    if found is None:
        raise NotFound()
    return found


@page
@require_POST
def field_update(request: HttpRequest, ledger_id: int, code: str) -> HttpResponse:
    """Rename, required / unique, options: the type stays."""
    schema = access.screen_for(request.user, ledger_id, "manage")
    f = _field(schema, code)
    patch: dict[str, Any] = {"name": request.POST.get("name", ""),
                             "required": request.POST.get("required") == "on",
                             "options": _options(request.POST, f.type)}
    if REGISTRY[f.type].can_be_unique:
        patch["unique"] = request.POST.get("unique") == "on"
    try:
        svc.update_field(user=request.user, schema=schema, code=code, patch=patch)
    except DaichoError as exc:
        return _failed(request, schema, exc, code)
    return _done(request, schema, _("The field 「%(name)s」 was saved.") % {"name": patch["name"]})


@page
@require_POST
def field_retype(request: HttpRequest, ledger_id: int, code: str) -> HttpResponse:
    """Change the type. Without confirm, values that would not convert are listed first."""
    schema = access.screen_for(request.user, ledger_id, "manage")
    f = _field(schema, code)
    type_key = request.POST.get("type", f.type)
    patch = {"type": type_key, "options": _options(request.POST, type_key),
             "confirm": request.POST.get("confirm") == "1"}
    old_label = REGISTRY[f.type].label
    try:
        svc.update_field(user=request.user, schema=schema, code=code, patch=patch)
    except Conflict as exc:
        if exc.code != Code.VALUES_NOT_CONVERTIBLE:
            return _failed(request, schema, exc, code)
        return _render(request, schema, status=409, preview={
            "field": f, "type": type_key, "type_label": REGISTRY[type_key].label,
            "options": patch["options"], "count": exc.details.get("count", 0),
            "items": exc.details.get("unconvertible", []), "message": exc.message,
            "option_inputs": _option_inputs(request.POST, type_key),
        })
    except DaichoError as exc:
        return _failed(request, schema, exc, code)
    return _done(request, schema, _("「%(name)s」 is now %(new)s (was %(old)s). The old values are "
                                    "kept and can be recovered.")
                 % {"name": f.name, "new": REGISTRY[type_key].label, "old": old_label})


def _option_inputs(data: Any, type_key: str) -> list[tuple[str, str]]:
    """The option inputs of the retype form, carried into the confirmation form as they were."""
    prefix = f"opt:{type_key}:"
    return [(k, v) for k in data for v in data.getlist(k) if k.startswith(prefix)]


@page
@require_POST
def field_move(request: HttpRequest, ledger_id: int, code: str) -> HttpResponse:
    schema = access.screen_for(request.user, ledger_id, "manage")
    codes = [f.code for f in schema.fields]
    _field(schema, code)
    index = codes.index(code)
    target = index - 1 if request.POST.get("direction") == "up" else index + 1
    if 0 <= target < len(codes):
        try:
            svc.update_field(user=request.user, schema=schema, code=code,
                             patch={"position": target})
        except DaichoError as exc:
            return _failed(request, schema, exc, code)
    response = redirect("web:fields", schema.id)
    response["Location"] += f"#field-{code}"
    return response


@page
@require_POST
def field_layout(request: HttpRequest, ledger_id: int, code: str) -> HttpResponse:
    """Where the field goes on the record form: section start, width, help text."""
    schema = access.ledger_for(request.user, ledger_id, "manage")
    f = _field(schema, code)
    data = request.POST
    spec: dict[str, Any] = {"help": data.get("help", "").replace("\r\n", "\n"),
                            "width": data.get("width", "")}
    if data.get("section") == "on":
        columns = data.get("section_columns", "1")
        spec["section"] = {"title": data.get("section_title", ""),
                           "columns": int(columns) if columns.isdecimal() else columns}
    try:
        form_layout.set_field_layout(user=request.user, schema=schema, code=code, spec=spec)
    except DaichoError as exc:
        return _render(request, schema, status=exc.status, layout_error=exc.message,
                       layout_code=code)
    response = _done(request, schema, _("The place of 「%(name)s」 on the form was saved.")
                     % {"name": f.name})
    response["Location"] += f"#field-{code}"
    return response


@page
@require_POST
def field_order(request: HttpRequest, ledger_id: int) -> HttpResponse:
    """The whole order at once, sent by drag and drop."""
    schema = access.screen_for(request.user, ledger_id, "manage")
    try:
        svc.reorder_fields(user=request.user, schema=schema, codes=request.POST.getlist("codes"))
    except DaichoError as exc:
        return _failed(request, schema, exc)
    return _done(request, schema, _("The order of the fields was saved."))


@page
@require_POST
def field_delete(request: HttpRequest, ledger_id: int, code: str) -> HttpResponse:
    schema = access.screen_for(request.user, ledger_id, "manage")
    name = _field(schema, code).name
    try:
        svc.delete_field(user=request.user, schema=schema, code=code)
    except DaichoError as exc:
        return _failed(request, schema, exc, code)
    message = _("The field 「%(name)s」 was deleted. Its values are kept; you can restore it "
                "below.") % {"name": name}
    if svc.rekey_pending(schema):
        message += " " + _("Search is being updated in the background: for a few minutes, "
                           "this field's values may still find records.")
    return _done(request, schema, message)


@page
@require_POST
def field_restore(request: HttpRequest, ledger_id: int, code: str) -> HttpResponse:
    schema = access.screen_for(request.user, ledger_id, "manage")
    try:
        f = svc.restore_field(user=request.user, schema=schema, code=code)
    except DaichoError as exc:
        return _failed(request, schema, exc)
    message = _("The field 「%(name)s」 was restored.") % {"name": f.name}
    if svc.rekey_pending(schema):
        message += " " + _("Search is being updated in the background: within a few minutes, "
                           "this field's values will find records too.")
    return _done(request, schema, message)


@page
@require_POST
def ledger_update(request: HttpRequest, ledger_id: int) -> HttpResponse:
    schema = access.screen_for(request.user, ledger_id, "manage")
    try:
        svc.update_ledger(user=request.user, schema=schema,
                          patch={"name": request.POST.get("name", ""),
                                 "description": request.POST.get("description", ""),
                                 "folder": request.POST.get("folder", "")})
    except DaichoError as exc:
        return _failed(request, schema, exc)
    return _done(request, schema, _("The ledger was saved."))
