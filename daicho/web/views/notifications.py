"""Notification screens (contract §9): the list behind the bell (with one's mail settings), a
ledger's notification rules for its managers, and the mail queue for administrators.

The rules screen edits the document of PUT /api/v1/ledgers/{id}/notifications and saves it
through the same writer (daicho.services.notification_rules.set_rules)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_POST

from daicho import access
from daicho.errors import InvalidInput, NotFound
from daicho.fields.refs import OrgType, UserType
from daicho.fields.temporal import DateTimeType, DateType
from daicho.selectors import notifications as sel
from daicho.selectors.ledgers import LedgerSchema
from daicho.selectors.orgs import role_names
from daicho.services import mail, notification_rules, notifications
from daicho.web import people
from daicho.web.views.common import page

_AT = re.compile(r"^rules\[(\d+)\]")


def _target(ledger_id: int | None, record_id: int | None) -> str:
    if ledger_id is None:
        return "/notifications/"
    if record_id is None:
        return f"/ledgers/{ledger_id}/"
    return f"/ledgers/{ledger_id}/records/{record_id}/"


@page
def notification_list(request: HttpRequest) -> HttpResponse:
    unread = request.GET.get("unread") == "1"
    items = sel.notifications_of(int(request.user.pk or 0), unread=unread, limit=100)
    return render(request, "web/notifications/list.html", {
        "items": items, "unread_only": unread,
        "unread": sel.unread_count(int(request.user.pk or 0)),
        "mail": mail.preference_of(request.user)})


@page
@require_POST
def notification_open(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Mark it read and go to what it is about."""
    found = notifications.mark_read(user=request.user, notification_id=notification_id)
    return redirect(_target(found.ledger_id, found.record_id))


@page
@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    count = notifications.mark_all_read(user=request.user)
    messages.success(request, _("Marked %(n)d notifications as read.") % {"n": count})
    return redirect("web:notifications")


@page
@require_POST
def notification_mail(request: HttpRequest) -> HttpResponse:
    try:
        mail.set_preference(user=request.user, email=request.POST.get("email", "").strip(),
                            daily_digest=request.POST.get("daily_digest") == "on")
    except InvalidInput as exc:
        messages.error(request, exc.message)
        return redirect("web:notifications")
    messages.success(request, _("Your mail settings were saved."))
    return redirect("web:notifications")


# -- a ledger's rules ---------------------------------------------------------------------------

ON_LABELS = (("create", "When a record is added"), ("update", "When a record is changed"),
             ("status", "When the status changes"), ("comment", "When someone comments"),
             ("date", "Before a date"))
TO_KINDS = ("everyone", "org", "user", "role", "field", "creator")


@dataclass
class RuleRow:
    """One notification rule as the form shows it (inputs named n<index>-<part>)."""

    index: int
    on: str = ""
    to: str = ""
    org: str = ""
    children: bool = True
    login: str = ""
    role: str = ""
    to_field: str = ""
    field: str = ""
    days_before: str = ""
    filter: str = ""
    mail: bool = False
    remove: bool = False
    new: bool = False
    error: str = ""

    @classmethod
    def of_rule(cls, index: int, rule: dict[str, Any]) -> RuleRow:
        to = rule.get("to") or {}
        kind = next((k for k in TO_KINDS if k in to), "")
        return cls(index, on=str(rule.get("on", "")), to=kind, org=str(to.get("org", "")),
                   children=bool(to.get("include_children", True)),
                   login=str(to.get("user", "")), role=str(to.get("role", "")),
                   to_field=str(to.get("field", "")), field=str(rule.get("field") or ""),
                   days_before=str(rule.get("days_before", "")),
                   filter=str(rule.get("filter") or ""), mail=bool(rule.get("mail")))

    @classmethod
    def of_form(cls, index: int, data: QueryDict) -> RuleRow:
        def text(name: str) -> str:
            return str(data.get(f"n{index}-{name}", "")).strip()

        on = text("on")
        return cls(index, on=on, to=text("to"), org=text("org"),
                   children=bool(text("children")), login=text("user"), role=text("role"),
                   to_field=text("to_field"),
                   field=text("field_d") if on == "date" else text("field_u"),
                   days_before=text("days_before"), filter=text("filter"),
                   mail=bool(text("mail")), remove=bool(text("remove")), new=bool(text("new")))

    @property
    def prefix(self) -> str:
        return f"n{self.index}-"

    @property
    def blank(self) -> bool:
        return self.new and not self.on

    def rule(self) -> dict[str, Any]:
        """In the API's shape, for the writer to check (nothing is checked here)."""
        subjects: dict[str, dict[str, Any]] = {"everyone": {"everyone": True},
            "org": {"org": self.org, "include_children": self.children},
            "user": {"user": self.login}, "role": {"role": self.role},
            "field": {"field": self.to_field}, "creator": {"creator": True}}
        to = subjects.get(self.to, {})
        out: dict[str, Any] = {"on": self.on, "to": to, "mail": self.mail}
        if self.field and self.on in ("update", "date"):
            out["field"] = self.field
        if self.on == "date":
            out["days_before"] = int(self.days_before) if self.days_before.isdigit() else \
                (self.days_before or 0)
        if self.filter:
            out["filter"] = self.filter
        return out


def _render_rules(request: HttpRequest, schema: LedgerSchema, rows: list[RuleRow],
                  digest_over: str, *, status: int = 200, error: str = "") -> HttpResponse:
    full = schema.full
    types = {f.code: full.type_of(f) for f in full.fields}
    return render(request, "web/notifications/rules.html", {
        "ledger": schema.ledger, "rows": rows, "count": len(rows), "error": error,
        "digest_over": digest_over, "on_labels": [(k, _(label)) for k, label in ON_LABELS],
        "fields": full.fields,
        "date_fields": [f for f in full.fields if isinstance(types[f.code],
                                                            DateType | DateTimeType)],
        "people_fields": [f for f in full.fields if isinstance(types[f.code],
                                                              UserType | OrgType)],
        "orgs": people.all_orgs(), "logins": people.logins(),
        "roles": [name for name, _n in role_names()], "mail_enabled": mail.enabled(),
    }, status=status)


@page
def ledger_notifications(request: HttpRequest, ledger_id: int) -> HttpResponse:
    schema = access.screen_for(request.user, ledger_id, "manage")
    if request.method != "POST":
        stored = notification_rules.rules_of(schema.ledger)
        rows = [RuleRow.of_rule(i, r) for i, r in enumerate(stored.rules)]
        return _render_rules(request, schema, [*rows, RuleRow(len(rows), new=True)],
                             str(stored.digest_over))
    try:
        count = min(int(request.POST.get("count", "0")), notification_rules.MAX_RULES + 1)
    except ValueError:
        count = 0
    rows = [RuleRow.of_form(i, request.POST) for i in range(count)]
    sent = [row for row in rows if not row.remove and not row.blank]
    digest_text = request.POST.get("digest_over", "").strip()
    digest: Any = int(digest_text) if digest_text.isdigit() else (digest_text or None)
    try:
        notification_rules.set_rules(user=request.user, schema=schema,
                                     rules=[row.rule() for row in sent], digest_over=digest)
    except InvalidInput as exc:
        found = _AT.match(str(exc.details.get("at", "")))
        if found and int(found.group(1)) < len(sent):
            sent[int(found.group(1))].error = exc.message
        return _render_rules(request, schema, rows, digest_text, status=400, error=exc.message)
    messages.success(request, _("The notification rules were saved."))
    return redirect("web:ledger_notifications", schema.id)


# -- the mail queue (administrators) ------------------------------------------------------------

@page
def mail_outbox(request: HttpRequest) -> HttpResponse:
    if not access.is_system_admin(request.user):
        raise NotFound()
    if request.method == "POST":
        try:
            mail_id = int(request.POST.get("mail", ""))
        except ValueError:
            raise NotFound() from None
        try:
            mail.send_again(mail_id=mail_id, user=request.user)
            messages.success(request, _("The mail will be sent again shortly."))
        except InvalidInput as exc:
            messages.error(request, exc.message)
        return redirect("web:mail_outbox")
    status = request.GET.get("status") or ""
    return render(request, "web/notifications/outbox.html", {
        "items": sel.outbox(status=status if status in mail.STATUSES else None),
        "counts": sel.outbox_counts(), "status": status, "enabled": mail.enabled(),
        "statuses": [("", pgettext("mail", "All")), ("pending", pgettext("mail", "Waiting")),
                     ("failed", pgettext("mail", "Failed")), ("sent", pgettext("mail", "Sent"))]})
