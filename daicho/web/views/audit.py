"""The access-log screen for administrators: filters, paging, CSV, and whether the chain holds."""

from __future__ import annotations

import datetime as dt
import tempfile
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import urlencode

from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from daicho import access, environment
from daicho.errors import NotFound
from daicho.models import AuditEvent, Ledger
from daicho.services import audit
from daicho.web import audit_text, people
from daicho.web.views.common import page

PAGE_SIZE = 100
FILTER_KEYS = ("since", "until", "user", "action", "ledger")


@dataclass
class Form:
    """The filters as typed, the Filters they mean, and a message per input that did not parse."""

    values: dict[str, str]
    filters: audit.Filters
    errors: dict[str, str]

    def query(self, **extra: Any) -> str:
        kept = {k: v for k, v in self.values.items() if v}
        return urlencode({**kept, **{k: v for k, v in extra.items() if v is not None}})


def _day(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def read_form(request: HttpRequest) -> Form:
    values = {k: str(request.GET.get(k, "")).strip()[:150] for k in FILTER_KEYS}
    errors: dict[str, str] = {}
    since = until = None
    for key in ("since", "until"):
        if values[key]:
            day = _day(values[key])
            if day is None:
                errors[key] = _("Write a date as YYYY-MM-DD.")
            elif key == "since":
                since = _start_of(day)
            else:
                until = _start_of(day + dt.timedelta(days=1))  # the whole day is included
    ledger = None
    if values["ledger"]:
        try:
            ledger = int(values["ledger"])
        except ValueError:
            errors["ledger"] = _("Choose a ledger from the list.")
    return Form(values, audit.Filters(since=since, until=until, user=values["user"],
                                      action=values["action"], ledger=ledger), errors)


def _require(request: HttpRequest) -> None:
    if not access.is_system_admin(request.user):
        raise NotFound()


@dataclass
class Row:
    event: AuditEvent
    action: str
    ledger: Ledger | None
    details: str


def _rows(events: list[AuditEvent], ledgers: dict[int, Ledger]) -> list[Row]:
    rows = []
    for e in events:
        ledger = None
        if e.target.startswith("ledger:") and e.target[7:].isdigit():
            ledger = ledgers.get(int(e.target[7:]))
        rows.append(Row(e, str(audit.ACTIONS.get(e.action, e.action)), ledger,
                        audit_text.describe(e.details)))
    return rows


def _page(request: HttpRequest, form: Form, *, status: int = 200) -> HttpResponse:
    before = after = None
    try:
        before = int(request.GET["before"]) if request.GET.get("before") else None
        after = int(request.GET["after"]) if request.GET.get("after") else None
    except ValueError:
        pass
    result = audit.page(form.filters, before=before, after=after, size=PAGE_SIZE)
    ledgers = {ledger.id: ledger for ledger in Ledger.objects.order_by("name")}
    actions = {key: str(label) for key, label in audit.ACTIONS.items()}
    if form.values["action"] and form.values["action"] not in actions:
        actions[form.values["action"]] = form.values["action"]
    try:
        retention, retention_error = environment.audit_retention_days(), ""
    except ValueError as exc:
        retention, retention_error = None, str(exc)
    return render(request, "web/manage/audit.html", {
        "form": form, "rows": _rows(result.items, ledgers),
        "older": f"?{form.query(before=result.older)}" if result.older else "",
        "newer": f"?{form.query(after=result.newer)}" if result.newer else "",
        "newest": f"?{form.query()}" if before is not None or after is not None else "",
        "csv": f"?{form.query()}", "actions": sorted(actions.items(), key=lambda kv: kv[1]),
        "ledgers": list(ledgers.values()), "logins": people.logins(),
        "retention": retention, "retention_error": retention_error,
    }, status=status)


@page
def audit_log(request: HttpRequest) -> HttpResponse:
    _require(request)
    form = read_form(request)
    return _page(request, form, status=400 if form.errors else 200)


@page
def audit_verify(request: HttpRequest) -> HttpResponse:
    """The chain check, loaded after the page: it reads every entry of the log."""
    _require(request)
    return render(request, "web/manage/audit_verify.html", {"result": audit.verify()})


@page
def audit_csv(request: HttpRequest) -> HttpResponse:
    _require(request)
    form = read_form(request)
    if form.errors:
        return _page(request, form, status=400)
    out = tempfile.TemporaryFile(prefix="daicho-audit-")
    audit.write_csv(user=request.user, filters=form.filters, out=out)
    out.seek(0)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = FileResponse(out, as_attachment=True, filename=f"access-log-{stamp}.csv",
                            content_type="text/csv; charset=utf-8")
    response["X-Content-Type-Options"] = "nosniff"
    return cast(HttpResponse, response)  # streamed from the file: the log may be large
