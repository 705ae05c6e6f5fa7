"""One record: the form (new and existing), delete and restore, presence."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from daicho import access
from daicho.errors import Conflict, DaichoError, Forbidden, InvalidInput
from daicho.fields.context import ValueContext
from daicho.selectors import records as sel
from daicho.selectors.ledgers import LedgerSchema
from daicho.services import audit, lookup_copies
from daicho.services import records as svc
from daicho.web import forms, print_forms
from daicho.web.grid import record_title
from daicho.web.names import Names
from daicho.web.presence import others_present, touch_presence
from daicho.web.views import lookups
from daicho.web.views import process as process_views
from daicho.web.views.common import page
from daicho.web.widgets import widget_for


def _load(request: HttpRequest, schema: LedgerSchema, record_id: Any) -> dict[str, Any]:
    ctx = ValueContext()
    return sel.records_json(schema, [sel.get_row(request.user, schema, record_id)], ctx)[0]


def _names(request: HttpRequest, schema: LedgerSchema, *records: dict[str, Any]) -> Names:
    logins = [r.get(k) for r in records for k in ("created_by", "updated_by")]
    return Names(request.user).load_values(schema.fields, [r["values"] for r in records], logins)


def _render(request: HttpRequest, schema: LedgerSchema, record: dict[str, Any] | None,
            rows: list[forms.FormRow], *, revision: int | None = None, status: int = 200,
            **extra: Any) -> HttpResponse:
    names = _names(request, schema, record) if record else Names(request.user)
    return render(request, "web/record.html", {
        "schema": schema, "ledger": schema.ledger, "record": record, "rows": rows,
        "sections": forms.form_sections(schema, rows),
        "revision": revision if revision is not None else (record or {}).get("revision"),
        "title": record_title(schema, record) if record else _("New record"),
        "created_by": names.user(record.get("created_by")) if record else "",
        "updated_by": names.user(record.get("updated_by")) if record else "",
        "can_edit": access.has_right(request.user, schema.ledger, "edit"),
        "can_delete": access.has_right(request.user, schema.ledger, "delete"),
        "errors": [r for r in rows if r.error],
        "process": process_views.panel(request.user, schema, record),
        "stale_copies": lookups.stale_copies(request.user, schema, record["id"])
        if record and lookup_copies.copies_of(schema) else "",
        "print_menu": print_forms.menu(request.user, schema, record_id=record["id"])
        if record else None,
        **extra,
    }, status=status)


@page
def record_new(request: HttpRequest, ledger_id: int) -> HttpResponse:
    schema = access.screen_for(request.user, ledger_id, "add")
    if request.method != "POST":
        values = _prefilled_link(schema, request.GET.get("link", ""))
        names = Names(request.user).load_values(schema.fields, [values])
        return _render(request, schema, None, forms.form_rows(schema, values, names))
    sub = forms.read_submission(request, schema)
    try:
        if sub.upload_errors:
            raise InvalidInput(details={"fields": sub.upload_errors})
        record = svc.create_record(user=request.user, schema=schema,
                                   values=forms.changed_values(request.user, schema, sub))
    except DaichoError as exc:
        rows = forms.form_rows(schema, {}, Names(request.user), texts=sub.texts, origs=sub.origs,
                               errors=exc.details.get("fields", {}))
        return _render(request, schema, None, rows, status=exc.status, message=exc.message)
    messages.success(request, _("Record #%(id)d was added.") % {"id": record["id"]})
    if request.POST.get("then") == "another":
        return redirect("web:record_new", schema.id)
    return redirect("web:record", schema.id, record["id"])


def _prefilled_link(schema: LedgerSchema, spec: str) -> dict[str, Any]:
    """`?link=CODE:RID` ("add a related record"): the new record's link field CODE starts out
    pointing at record RID. Anything else in it is ignored; saving checks the link as usual."""
    code, _sep, rid = spec.partition(":")
    f = schema.by_code.get(code)
    if f is None or f.type != "link" or code in schema.read_only or not rid.isdigit():
        return {}
    return {code: int(rid)}


@page
def record(request: HttpRequest, ledger_id: int, record_id: int) -> HttpResponse:
    if request.method == "POST":
        return _save(request, ledger_id, record_id)
    schema = access.ledger_for(request.user, ledger_id, "view")
    current = _load(request, schema, record_id)
    audit.viewed(request, schema, record_id=current["id"])
    rows = forms.form_rows(schema, current["values"], _names(request, schema, current))
    return _render(request, schema, current, rows)


def _save(request: HttpRequest, ledger_id: int, record_id: int) -> HttpResponse:
    schema = access.screen_for(request.user, ledger_id, "edit")
    sub = forms.read_submission(request, schema)
    try:
        if sub.upload_errors:
            raise InvalidInput(details={"fields": sub.upload_errors})
        values = forms.changed_values(request.user, schema, sub)
        if not values:
            messages.info(request, _("Nothing was changed."))
            return redirect("web:record", schema.id, record_id)
        saved = svc.update_record(user=request.user, schema=schema, record_id=record_id,
                                  revision=sub.revision, values=values)
    except Conflict as exc:
        if "current" not in exc.details:
            return _invalid(request, schema, record_id, sub, exc)
        return _conflict(request, schema, sub, exc)
    except (InvalidInput, Forbidden) as exc:  # Forbidden: moved outside the record rules
        return _invalid(request, schema, record_id, sub, exc)
    if sub.revision is not None and saved["revision"] > sub.revision + 1:
        messages.success(request, _("Saved. Changes that others made meanwhile to other fields "
                                    "were kept."))
    else:
        messages.success(request, _("Saved."))
    return redirect("web:record", schema.id, saved["id"])


def _invalid(request: HttpRequest, schema: LedgerSchema, record_id: int, sub: forms.Submission,
             exc: DaichoError) -> HttpResponse:
    current = _load(request, schema, record_id)
    rows = forms.form_rows(schema, current["values"], _names(request, schema, current),
                           texts=sub.texts,
                           origs=sub.origs, errors=exc.details.get("fields", {}))
    return _render(request, schema, current, rows, revision=sub.revision, status=exc.status,
                   message=exc.message)


def _conflict(request: HttpRequest, schema: LedgerSchema, sub: forms.Submission,
              exc: Conflict) -> HttpResponse:
    """Someone saved the same fields meanwhile: keep every typed value, show theirs beside it.

    Fields the person did not touch take the current values; the revision becomes the current
    one, so saving again sends only what is still theirs to decide."""
    current = exc.details["current"]
    conflicting = set(exc.details.get("conflicting_fields", []))
    names = _names(request, schema, current)
    texts, origs, theirs = {}, {}, {}
    for f in schema.fields:
        if f.code not in sub.texts:
            continue
        w = widget_for(f)
        now = w.text_of(f, current["values"].get(f.code))
        if sub.texts[f.code] != sub.origs.get(f.code, ""):
            texts[f.code] = sub.texts[f.code]
            origs[f.code] = now if f.code in conflicting else sub.origs.get(f.code, "")
            if f.code in conflicting:
                theirs[f.code] = forms.Theirs(w.show(f, current["values"].get(f.code), names), now)
        else:
            texts[f.code] = origs[f.code] = now
    rows = forms.form_rows(schema, current["values"], names, texts=texts, origs=origs,
                           theirs=theirs)
    return _render(request, schema, current, rows, revision=current["revision"], status=409,
                   conflict=True, conflict_by=names.user(current.get("updated_by")))


@page
@require_POST
def record_delete(request: HttpRequest, ledger_id: int, record_id: int) -> HttpResponse:
    schema = access.screen_for(request.user, ledger_id, "delete")
    revision: int | None
    try:
        revision = int(request.POST.get("rev", ""))
    except ValueError:
        revision = None
    try:
        svc.delete_record(user=request.user, schema=schema, record_id=record_id, revision=revision)
    except Conflict:
        messages.error(request, _("Someone changed this record after you opened it; check the "
                                  "changes before deleting it."))
        return redirect("web:record", schema.id, record_id)
    messages.success(request, format_html(
        '{} <a href="{}">{}</a>', _("Record #%(id)d was moved to the trash.") % {"id": record_id},
        reverse("web:trash", args=[schema.id]), _("Open the trash")))
    return redirect("web:ledger", schema.id)


@page
@require_POST
def record_restore(request: HttpRequest, ledger_id: int, record_id: int) -> HttpResponse:
    schema = access.screen_for(request.user, ledger_id, "delete")
    try:
        svc.restore_record(user=request.user, schema=schema, record_id=record_id)
    except Conflict as exc:
        messages.error(request, exc.message)
        return redirect("web:trash", schema.id)
    messages.success(request, _("Record #%(id)d was restored.") % {"id": record_id})
    return redirect("web:record", schema.id, record_id)


@page
@require_POST
def presence(request: HttpRequest, ledger_id: int, record_id: int) -> HttpResponse:
    """Polled by the record page: note that I am here, answer who else is."""
    schema = access.ledger_for(request.user, ledger_id, "view")
    row = sel.get_row(request.user, schema, record_id)
    touch_presence(user=request.user, schema=schema, record_id=row.id)
    return render(request, "web/record/presence.html",
                  {"others": others_present(request.user, schema, row.id)})
