"""Administration of the directory: departments (the tree as of any date; add, rename, move and
abolish from a date; scheduled changes), users (departments with history, extra departments,
roles, active) and the role names in use. For admins and system administrators only."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from daicho.errors import DaichoError, NotFound
from daicho.models import Org, Profile
from daicho.selectors import orgs as sel
from daicho.selectors.orgs import OrgState
from daicho.services import assignments, orgs
from daicho.web.views.common import admin_page


@dataclass
class Node:
    state: OrgState
    org_id: int | None
    children: list[Node] = field(default_factory=list)


def _nested(states: list[OrgState], ids: dict[str, int]) -> list[Node]:
    """The tree for the nested lists of the page (depth_first decides what is at the top)."""
    roots: list[Node] = []
    stack: list[Node] = []
    for state, depth in sel.depth_first(states):
        node = Node(state, None if state.scheduled else ids.get(state.code))
        del stack[depth:]
        (stack[-1].children if stack else roots).append(node)
        stack.append(node)
    return roots


def _parent_choices(*, leave_out: str | None = None) -> list[tuple[str, str]]:
    """Today's departments in tree order, indented, for a parent <select>; `leave_out` and
    everything below it are left out (a department cannot go below itself)."""
    out: list[tuple[str, str]] = []
    skip_below: int | None = None
    for state, depth in sel.depth_first(sel.tree_on(timezone.localdate())):
        if skip_below is not None and depth > skip_below:
            continue
        skip_below = None
        if state.code == leave_out:
            skip_below = depth
            continue
        out.append((state.code, "\u3000" * depth + f"{state.name} ({state.code})"))
    return out


# -- departments ----------------------------------------------------------------------------------

def _departments_page(request: HttpRequest, *, status: int = 200, **extra: Any) -> HttpResponse:
    today = timezone.localdate()
    raw = request.GET.get("as_of", "").strip()
    try:
        as_of = orgs.parse_day(raw, at="as_of") or today
        date_error = ""
    except DaichoError as exc:
        as_of, date_error = today, exc.message
    ids = dict(Org.objects.values_list("code", "id"))
    return render(request, "web/manage/directory/departments.html", {
        "tree": _nested(sel.tree_on(as_of), ids), "as_of": as_of, "today": today,
        "is_today": as_of == today, "date_error": date_error, "raw_as_of": raw,
        "scheduled": sel.pending_changes(), "names": dict(Org.objects.values_list("code", "name")),
        "parents": _parent_choices(), **extra}, status=status)


@admin_page
def departments(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _departments_page(request)
    data = request.POST
    try:
        state = orgs.create_org(code=data.get("code", "").strip(), name=data.get("name", ""),
                                parent_code=data.get("parent") or None,
                                valid_from=data.get("valid_from") or None, by=request.user)
    except DaichoError as exc:
        return _departments_page(request, status=exc.status, form=data, create_error=exc.message)
    if state.scheduled:
        messages.success(request, _("The department %(name)s is scheduled from %(date)s.")
                         % {"name": state.name, "date": state.valid_from.isoformat()})
    else:
        messages.success(request, _("The department %(name)s was added.") % {"name": state.name})
    return redirect("web:departments")


def _org(org_id: int) -> Org:
    org = Org.objects.select_related("parent").filter(id=org_id).first()
    if org is None:
        raise NotFound()
    return org


def _department_page(request: HttpRequest, org: Org, *, status: int = 200,
                     **extra: Any) -> HttpResponse:
    org.refresh_from_db()
    return render(request, "web/manage/directory/department.html", {
        "org": org, "history": sel.history(org.code), "today": timezone.localdate(),
        "names": dict(Org.objects.values_list("code", "name")),
        "parents": _parent_choices(leave_out=org.code),
        "scheduled": [c for c in sel.pending_changes() if c.code == org.code],
        "people": sel.people_in(org.id), **extra}, status=status)


@admin_page
def department(request: HttpRequest, org_id: int) -> HttpResponse:
    org = _org(org_id)
    if request.method != "POST":
        return _department_page(request, org)
    data = request.POST
    abolish = data.get("action") == "abolish"
    try:
        state = orgs.change_org(code=org.code, name=None if abolish else data.get("name", ""),
                                parent_code=orgs.KEEP if abolish else (data.get("parent") or None),
                                abolish=abolish, valid_from=data.get("valid_from") or None,
                                by=request.user)
    except DaichoError as exc:
        return _department_page(request, org, status=exc.status, form=data,
                                error=exc.message, error_for="abolish" if abolish else "change")
    if state is None:  # abolished
        on = orgs.parse_day(data.get("valid_from") or None) or timezone.localdate()
        messages.success(request, _("%(name)s is abolished from %(date)s.")
                         % {"name": org.name, "date": on.isoformat()})
    else:
        messages.success(request, _("%(name)s: the change takes effect on %(date)s.")
                         % {"name": state.name, "date": state.valid_from.isoformat()})
    return redirect("web:department", org.id)


@admin_page
@require_POST
def change_cancel(request: HttpRequest, change_id: int) -> HttpResponse:
    try:
        change = orgs.cancel_change(change_id=change_id, by=request.user)
    except NotFound:
        raise  # a 404 page, as for anything missing
    except DaichoError as exc:
        messages.error(request, exc.message)
        return redirect("web:departments")
    messages.success(request, _("The scheduled change was cancelled."))
    org_id = Org.objects.filter(code=change.code).values_list("id", flat=True).first()
    if request.POST.get("back") == "department" and org_id is not None:
        return redirect("web:department", org_id)
    return redirect("web:departments")


# -- users ----------------------------------------------------------------------------------------

def _user(login: str) -> Any:
    user = get_user_model().objects.filter(username=login).first()
    if user is None:
        raise NotFound()
    return user


def user_page(request: HttpRequest, user: Any, *, status: int = 200, **extra: Any) -> HttpResponse:
    from daicho.web.views import user_security

    profile = Profile.objects.select_related("org").filter(user=user).first()
    held = set(profile.roles if profile and isinstance(profile.roles, list) else [])
    return render(request, "web/manage/directory/user.html", {
        "person": user, "profile": profile, "today": timezone.localdate(),
        "extras": sel.extra_orgs_of(user.pk), "memberships": sel.memberships_of(user.pk),
        "roles": [(name, name in held) for name, _logins in sel.roles_in_use()],
        "choices": _parent_choices(), **user_security.context(user), **extra}, status=status)


ROLE_SPLIT = re.compile(r"[,、，\n]+")


def _changes(data: QueryDict) -> dict[str, Any]:
    """The service's changes from one of the page's two forms. The departments form sends what
    it showed as well, so that only what was changed is set from the date (setting the same
    department again would replace a move scheduled after it)."""
    if data.get("part") == "departments":
        out: dict[str, Any] = {"valid_from": data.get("valid_from") or None}
        if data.get("org", "") != data.get("org_was", ""):
            out["org"] = data.get("org") or None
        extras = [c for c in data.getlist("extra") if c]
        added = data.get("add_extra", "")
        extras += [added] if added and added not in extras else []
        if sorted(extras) != sorted(c for c in data.getlist("extra_was") if c):
            out["extra_orgs"] = extras
        return out
    new_roles = [r.strip() for r in ROLE_SPLIT.split(data.get("new_roles", "")) if r.strip()]
    return {"name": data.get("name", ""), "roles": data.getlist("role") + new_roles,
            "active": data.get("active") == "on"}


@admin_page
def user_edit(request: HttpRequest, login: str) -> HttpResponse:
    user = _user(login)
    if request.method != "POST":
        return user_page(request, user)
    try:
        assignments.update_user(login=login, changes=_changes(request.POST), by=request.user)
    except DaichoError as exc:
        return user_page(request, user, status=exc.status, error=exc.message,
                          error_for=request.POST.get("part", ""))
    messages.success(request, _("The user %(login)s was updated.") % {"login": login})
    return redirect("web:user_edit", login)


@admin_page
def roles(request: HttpRequest) -> HttpResponse:
    return render(request, "web/manage/directory/roles.html", {"roles": sel.roles_in_use()})
