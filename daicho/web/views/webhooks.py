"""A ledger's webhooks screen, for its managers: the hooks (list, add, change, remove) and the
delivery log with "send again" (contract §9). It saves through the API's writer
(daicho.services.webhooks): the same checks, the same access-log entries."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_POST

from daicho import access
from daicho.errors import Conflict, InvalidInput
from daicho.selectors import webhooks as log
from daicho.selectors.ledgers import LedgerSchema
from daicho.services import webhooks as svc
from daicho.web.views.common import page

_AT = re.compile(r"^hooks\[(\d+)\]")
MAX_ROWS = svc.MAX_HOOKS + 1


def event_labels() -> dict[str, str]:
    return {"create": pgettext("webhook event", "Record added"),
            "update": pgettext("webhook event", "Record changed"),
            "delete": pgettext("webhook event", "Record deleted"),
            "restore": pgettext("webhook event", "Record restored"),
            "status": pgettext("webhook event", "Status changed"),
            "comment": pgettext("webhook event", "Comment")}


def status_labels() -> dict[str, str]:
    return {"pending": pgettext("delivery", "Waiting"),
            "delivered": pgettext("delivery", "Delivered"),
            "failed": pgettext("delivery", "Failed"),
            "cancelled": pgettext("delivery", "Cancelled")}


@dataclass
class HookRow:
    """One hook as the form shows it; inputs are named h<index>-<part>."""

    index: int
    id: int | None = None
    url: str = ""
    events: list[str] = field(default_factory=list)
    enabled: bool = True
    suspended: bool = False
    failures: int = 0
    resume: bool = False
    remove: bool = False
    secret: str = ""
    new: bool = False
    error: str = ""

    @property
    def prefix(self) -> str:
        return f"h{self.index}-"

    @classmethod
    def of_form(cls, index: int, data: QueryDict) -> HookRow:
        def text(name: str) -> str:
            return str(data.get(f"h{index}-{name}", "")).strip()

        hook_id = text("id")
        return cls(index, id=int(hook_id) if hook_id.isdigit() else None, url=text("url"),
                   events=data.getlist(f"h{index}-event"), enabled=bool(text("enabled")),
                   suspended=bool(text("suspended")), resume=bool(text("resume")),
                   remove=bool(text("remove")), secret=text("secret"), new=bool(text("new")))

    @property
    def blank(self) -> bool:
        return self.new and not (self.url or self.secret)

    def hook(self) -> dict[str, Any]:
        """The hook in the API's shape (checked by the writer, not here)."""
        found: dict[str, Any] = {"url": self.url, "events": self.events, "enabled": self.enabled}
        if self.id is not None:
            found["id"] = self.id
        if self.secret:
            found["secret"] = self.secret
        if self.resume:
            found["suspended"] = False
        return found


def _minute(iso: str | None) -> str:
    return iso.replace("T", " ")[:16] if iso else ""


def _render(request: HttpRequest, schema: LedgerSchema, rows: list[HookRow], *,
            error: str = "", status: int = 200) -> HttpResponse:
    wanted = request.GET.get("status", "")
    wanted = wanted if wanted in log.STATUSES else ""
    before = request.GET.get("before", "")
    found = log.deliveries(access.grant_of(request.user, schema), status=wanted or None,
                           before=int(before) if before.isdigit() else None, limit=50)
    for item in found["items"]:  # local times as the page shows them: 2026-12-07 16:49
        item["at_shown"] = _minute(item["at"])
        item["next_shown"] = _minute(item["next_attempt_at"])
    return render(request, "web/manage/webhooks.html", {
        "ledger": schema.ledger, "rows": rows, "error": error, "count": len(rows),
        "events": event_labels(), "statuses": status_labels(), "status": wanted,
        "deliveries": found["items"], "next": found["next"]}, status=status)


@page
def ledger_webhooks(request: HttpRequest, ledger_id: int) -> HttpResponse:
    schema = access.screen_for(request.user, ledger_id, "manage")
    if request.method != "POST":
        rows = [HookRow(i, id=h["id"], url=h["url"], events=h["events"], enabled=h["enabled"],
                        suspended=h["suspended"], failures=h["failures"])
                for i, h in enumerate(svc.list_hooks(schema))]
        return _render(request, schema, [*rows, HookRow(len(rows), new=True)])
    count = request.POST.get("count", "0")
    sent = [HookRow.of_form(i, request.POST)
            for i in range(min(int(count) if count.isdigit() else 0, MAX_ROWS))]
    kept = [row for row in sent if not row.remove and not row.blank]
    try:
        saved = svc.set_hooks(user=request.user, schema=schema, hooks=[r.hook() for r in kept])
    except InvalidInput as exc:
        at = _AT.match(str(exc.details.get("at", "")))
        if at and int(at.group(1)) < len(kept):
            kept[int(at.group(1))].error = exc.message
        return _render(request, schema, sent, error=exc.message, status=400)
    messages.success(request, _("The webhooks were saved."))
    for hook in saved:
        if hook["secret"]:
            messages.info(request, _("The secret of the webhook to %(url)s is %(secret)s — "
                                     "copy it now into the receiving system: it is not shown "
                                     "again.") % {"url": hook["url"], "secret": hook["secret"]})
    return redirect("web:webhooks", ledger_id=ledger_id)


@page
@require_POST
def delivery_retry(request: HttpRequest, ledger_id: int, delivery_id: int) -> HttpResponse:
    schema = access.screen_for(request.user, ledger_id, "manage")
    try:
        svc.retry(user=request.user, schema=schema, delivery_id=delivery_id)
    except Conflict as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The delivery will be sent again in a moment."))
    return redirect("web:webhooks", ledger_id=ledger_id)
