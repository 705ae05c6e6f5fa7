"""Who may create ledgers (docs/permissions.md, "Creating ledgers"): the administration screen
over `services.ledger_creators`, for admins and system administrators."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from daicho import access
from daicho.errors import InvalidInput
from daicho.selectors.orgs import role_names
from daicho.services import ledger_creators as svc
from daicho.web import people
from daicho.web.views.common import admin_page

_AT = re.compile(r"^subjects\[(\d+)\]")


@dataclass
class SubjectRow:
    """One subject as the form shows it (inputs named c<index>-<part>)."""

    index: int
    kind: str = ""
    org: str = ""
    children: bool = True
    login: str = ""
    role: str = ""
    remove: bool = False
    new: bool = False
    error: str = ""

    @classmethod
    def of_subject(cls, index: int, subject: dict[str, Any]) -> SubjectRow:
        if subject.get("everyone"):
            return cls(index, kind="everyone")
        if "org" in subject:
            return cls(index, kind="org", org=str(subject["org"]),
                       children=bool(subject.get("include_children")))
        if "user" in subject:
            return cls(index, kind="user", login=str(subject["user"]))
        return cls(index, kind="role", role=str(subject.get("role", "")))

    @classmethod
    def of_form(cls, index: int, data: QueryDict) -> SubjectRow:
        def text(name: str) -> str:
            return str(data.get(f"c{index}-{name}", "")).strip()

        return cls(index, kind=text("kind"), org=text("org"), children=bool(text("children")),
                   login=text("user"), role=text("role"), remove=bool(text("remove")),
                   new=bool(text("new")))

    @property
    def prefix(self) -> str:
        return f"c{self.index}-"

    def subject(self) -> dict[str, Any]:
        """In the API's shape, for the writer to check (nothing is checked here)."""
        if self.kind == "everyone":
            return {"everyone": True}
        if self.kind == "org":
            return {"org": self.org, "include_children": self.children}
        if self.kind == "user":
            return {"user": self.login}
        if self.kind == "role":
            return {"role": self.role}
        return {}


def _render(request: HttpRequest, rows: list[SubjectRow], *, status: int = 200,
            error: str = "") -> HttpResponse:
    return render(request, "web/manage/directory/ledger_creators.html", {
        "rows": rows, "count": len(rows), "error": error, "orgs": people.all_orgs(),
        "logins": people.logins(), "roles": [name for name, _n in role_names()],
        "builtin": access.SYSTEM_ADMIN_ROLE,
    }, status=status)


@admin_page
def ledger_creators(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        rows = [SubjectRow.of_subject(i, s)
                for i, s in enumerate(access.ledger_creator_subjects())]
        return _render(request, [*rows, SubjectRow(len(rows), new=True)])
    try:
        count = min(int(request.POST.get("count", "0")), svc.MAX_SUBJECTS + 1)
    except ValueError:
        count = 0
    rows = [SubjectRow.of_form(i, request.POST) for i in range(count)]
    sent = [row for row in rows if not row.remove and not (row.new and not row.kind)]
    try:
        svc.set_ledger_creators(user=request.user, subjects=[row.subject() for row in sent])
    except InvalidInput as exc:
        found = _AT.match(str(exc.details.get("at", "")))
        if found and int(found.group(1)) < len(sent):
            sent[int(found.group(1))].error = exc.message
        return _render(request, rows, status=400, error=exc.message)
    messages.success(request, _("Who may create ledgers was saved."))
    return redirect("web:ledger_creators")
