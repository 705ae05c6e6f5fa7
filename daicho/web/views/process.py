"""Process management on screen (contract §8): the record page's status panel and its action
buttons, the process designer for managers (statuses, actions table, diagram), "waiting for me"
on the home page, and one's delegation (代理). Every change goes through the writers of the
API (daicho.services.process, process_design): the same validation, history and events."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from daicho import access
from daicho.access import AnyUser
from daicho.errors import Conflict, Forbidden, InvalidInput, NotFound
from daicho.fields.refs import OrgType, UserType
from daicho.selectors import process as flow
from daicho.selectors.ledgers import LedgerSchema
from daicho.selectors.orgs import role_names
from daicho.services import process as svc
from daicho.services import process_design
from daicho.web import process_diagram
from daicho.web.views.common import page

BY_KINDS = ("everyone", "org", "user", "role", "field", "creator", "superior")
EMPTY_ROWS = 3
_AT = re.compile(r"^actions\[(\d+)\]")


def mode_labels() -> dict[str, str]:
    return {"any": _("Any one of them"), "one": _("The one person named"),
            "all": _("All of them (合議)"), "n_of_m": _("A number of them (N of M)")}


def by_labels() -> dict[str, str]:
    return {"everyone": _("Everyone"), "org": _("A department"), "user": _("A user"),
            "role": _("A role"), "field": _("The user or department in a field"),
            "creator": _("The record's creator"), "superior": _("The creator's superior")}


# -- the record page ------------------------------------------------------------------------------

def panel(user: AnyUser, schema: LedgerSchema, record: dict[str, Any] | None) -> dict[str, Any]:
    """What the record page shows of the process (an empty dict without one)."""
    if record is None or schema.process is None or record.get("status") is None:
        return {}
    row = flow.full_row(user, schema, record["id"])
    return {"status": row.status, "offers": flow.offers(user, schema, row),
            "approvals": flow.approvals(schema, row.id), "trail": flow.trail(schema, row.id),
            "revision": row.revision}


@page
@require_POST
def act(request: HttpRequest, ledger_id: int, record_id: int) -> HttpResponse:
    """A button of the status panel: take the action, back to the record with what happened."""
    schema = access.ledger_for(request.user, ledger_id, "view")
    name = request.POST.get("action", "")
    try:
        revision = int(request.POST.get("rev", ""))
    except ValueError:
        revision = -1
    try:
        saved = svc.take_action(user=request.user, schema=schema, record_id=record_id,
                                action=name, revision=revision,
                                comment=request.POST.get("comment", ""))
    except (Conflict, Forbidden, InvalidInput) as exc:
        messages.error(request, exc.message)
        return redirect("web:record", schema.id, record_id)
    if saved.get("revision") == revision:
        messages.success(request, _("Your approval for 「%(action)s」 was recorded. The status "
                                    "moves once enough approvers have approved.")
                         % {"action": name})
    else:
        messages.success(request, _("「%(action)s」: the status is now 「%(status)s」.")
                         % {"action": name, "status": saved.get("status")})
    try:
        flow.full_row(request.user, schema, record_id)
    except NotFound:  # the new status put it out of the caller's sight
        return redirect("web:ledger", schema.id)
    return redirect("web:record", schema.id, record_id)


# -- waiting for me and delegation ----------------------------------------------------------------

def waiting(user: AnyUser) -> list[dict[str, Any]]:
    return flow.waiting_for(user)


@page
def delegation(request: HttpRequest) -> HttpResponse:
    error = ""
    if request.method == "POST":
        data = request.POST
        try:
            if data.get("remove"):
                svc.set_delegation(user=request.user, delegate=None)
                messages.success(request, _("The delegation was removed."))
            else:
                svc.set_delegation(user=request.user, delegate=data.get("delegate", "").strip(),
                                   starts=data.get("from", ""), ends=data.get("until", ""))
                messages.success(request, _("The delegation was saved."))
            return redirect("web:delegation")
        except InvalidInput as exc:
            error = exc.message
    current = svc.delegation_json(request.user)
    logins = get_user_model().objects.filter(is_active=True).exclude(id=int(request.user.pk or 0)) \
        .order_by("username").values_list("username", flat=True)
    return render(request, "web/process/delegation.html", {
        "current": current, "error": error, "logins": list(logins),
        "form": request.POST if error else current,
        "principals": flow.principals(request.user)}, status=400 if error else 200)


# -- the designer ---------------------------------------------------------------------------------

@dataclass
class ActionRow:
    """One action as the designer's table shows it; inputs are named a<index>-<part>."""

    index: int
    name: str = ""
    source: str = ""
    target: str = ""
    by: str = "everyone"
    value: str = ""
    children: bool = False
    condition: str = ""
    mode: str = "any"
    count: str = ""
    comment: bool = False
    error: str = ""
    new: bool = False

    @classmethod
    def of(cls, index: int, action: dict[str, Any]) -> ActionRow:
        by = action.get("by") or {}
        kind = next((k for k in BY_KINDS if k in by), "everyone")
        value = by.get(kind) if kind in ("org", "user", "role", "field") else ""
        return cls(index, action.get("name", ""), action.get("from", ""), action.get("to", ""),
                   kind, str(value or ""), bool(by.get("include_children")),
                   action.get("condition", ""), action.get("mode", "any"),
                   str(action.get("count", "")), bool(action.get("comment_required")))

    @classmethod
    def read(cls, index: int, data: QueryDict) -> ActionRow:
        def get(part: str) -> str:
            return str(data.get(f"a{index}-{part}", "")).strip()

        return cls(index, get("name"), get("from"), get("to"), get("by") or "everyone",
                   get("value"), bool(get("children")), get("condition"), get("mode") or "any",
                   get("count"), bool(get("comment")))

    def blank(self) -> bool:
        return not (self.name or self.source or self.target)

    def as_action(self) -> dict[str, Any]:
        by: dict[str, Any]
        if self.by in ("creator", "superior", "everyone"):
            by = {self.by: True}
        elif self.by == "org":
            by = {"org": self.value, "include_children": self.children}
        else:
            by = {self.by: self.value}
        out: dict[str, Any] = {"name": self.name, "from": self.source, "to": self.target,
                               "by": by}
        if self.condition:
            out["condition"] = self.condition
        if self.mode != "any":
            out["mode"] = self.mode
        if self.mode == "n_of_m":
            out["count"] = int(self.count) if self.count.isdigit() else self.count
        if self.comment:
            out["comment_required"] = True
        return out


@dataclass
class Design:
    enabled: bool
    statuses: str
    initial: str
    rows: list[ActionRow] = field(default_factory=list)


def _design_of(stored: dict[str, Any]) -> Design:
    rows = [ActionRow.of(i, a) for i, a in enumerate(stored.get("actions", []))]
    return Design(bool(stored.get("enabled")), "\n".join(stored.get("statuses", [])),
                  stored.get("initial") or "", rows)


def _read_design(data: QueryDict) -> Design:
    try:
        count = min(int(data.get("rows", "0")), 300)
    except ValueError:
        count = 0
    rows = [r for r in (ActionRow.read(i, data) for i in range(count))
            if not r.blank() and not data.get(f"a{r.index}-remove")]
    return Design(bool(data.get("enabled")), data.get("statuses", ""),
                  data.get("initial", "").strip(), rows)


def _body(design: Design) -> dict[str, Any]:
    statuses = [s.strip() for s in design.statuses.splitlines() if s.strip()]
    return {"enabled": design.enabled, "statuses": statuses, "initial": design.initial,
            "actions": [r.as_action() for r in design.rows]}


@page
def designer(request: HttpRequest, ledger_id: int) -> HttpResponse:
    schema = access.screen_for(request.user, ledger_id, "manage")
    stored = process_design.process_json(schema.ledger)
    error, at, status = "", "", 200
    if request.method == "POST":
        design = _read_design(request.POST)
        try:
            process_design.set_process(user=request.user, schema=schema, body=_body(design))
        except InvalidInput as exc:
            error, at, status = exc.message, str(exc.details.get("at", "")), exc.status
            found = _AT.match(at)
            if found and int(found.group(1)) < len(design.rows):
                design.rows[int(found.group(1))].error = error
        else:
            messages.success(request, _("The process was saved."))
            return redirect("web:process_designer", schema.id)
    else:
        design = _design_of(stored)
    for i, row in enumerate(design.rows):
        row.index = i
    first_new = len(design.rows)
    rows = design.rows + [ActionRow(first_new + k, new=True) for k in range(EMPTY_ROWS)]
    shown = stored if request.method != "POST" or error else _body(design)
    full = schema.full
    people_fields = [(f.code, f.name) for f in full.fields
                     if isinstance(full.type_of(f), UserType | OrgType)]
    return render(request, "web/process/designer.html", {
        "schema": schema, "ledger": schema.ledger, "design": design, "rows": rows,
        "row_count": len(rows), "stored": stored, "error": error, "error_at": at,
        "diagram": process_diagram.svg(shown.get("statuses", []), shown.get("initial") or "",
                                       shown.get("actions", []),
                                       _("Diagram of the statuses and actions")),
        "modes": mode_labels(), "by_kinds": by_labels(), "people_fields": people_fields,
        "roles": [name for name, _n in role_names()],
        "logins": list(get_user_model().objects.filter(is_active=True).order_by("username")
                       .values_list("username", flat=True)),
    }, status=status)
