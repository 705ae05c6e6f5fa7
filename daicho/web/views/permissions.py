"""A ledger's permissions screen, and "what can this user see?" for administrators (contract §5).

The screen edits the rules of PUT /api/v1/ledgers/{id}/permissions and saves them through the
same writer (daicho.services.permissions.set_rules): the same validation, the same access-log
entry. What a user may see is asked of the gate itself (daicho.access), never worked out again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_POST

from daicho import access
from daicho.errors import InvalidInput, NotFound
from daicho.fields.refs import OrgType
from daicho.models import Field, Ledger, Org
from daicho.selectors.ledgers import LedgerSchema, is_sensitive
from daicho.selectors.orgs import role_names
from daicho.services import permissions as svc
from daicho.web import conditions, people
from daicho.web.views.common import page

SUBJECTS = ("everyone", "org", "user", "role")
RECORDS = ("", "creator", "field_is_my_org", "filter")
LEVELS = ("", "read", "hidden")
# Where the writer found a problem: rules[2].subject.org, rules[0].fields.amount, rules[1] …
_AT = re.compile(r"^rules\[(\d+)\](?:\.([a-z_]+))?(?:\.(.+))?$")


def right_labels() -> dict[str, str]:
    return {"view": pgettext("right", "View"), "add": pgettext("right", "Add"),
            "edit": pgettext("right", "Edit"), "delete": pgettext("right", "Delete"),
            "export": pgettext("right", "Export"), "import": pgettext("right", "Import"),
            "manage": pgettext("right", "Manage")}


@dataclass
class RuleRow:
    """One rule as the form shows it: a stored rule, or what was typed (shown again on errors).
    Inputs are named r<index>-<part>."""

    index: int
    subject: str = ""
    org: str = ""
    children: bool = True
    login: str = ""
    role: str = ""
    rights: list[str] = field(default_factory=list)
    records: str = ""
    my_org_field: str = ""
    filter: str = ""
    fields: dict[str, str] = field(default_factory=dict)
    remove: bool = False
    new: bool = False
    errors: dict[str, str] = field(default_factory=dict)
    levels: list[tuple[Field, str, str]] = field(default_factory=list)  # filled for the page
    stale: list[str] = field(default_factory=list)

    @classmethod
    def of_rule(cls, index: int, rule: dict[str, Any]) -> RuleRow:
        subject = rule.get("subject") or {}
        records = rule.get("records") or {}
        row = cls(index, rights=list(rule.get("rights") or []), fields=dict(rule.get("fields") or {}))
        if subject.get("everyone"):
            row.subject = "everyone"
        elif "org" in subject:
            row.subject, row.org = "org", subject["org"]
            row.children = bool(subject.get("include_children"))
        elif "user" in subject:
            row.subject, row.login = "user", subject["user"]
        elif "role" in subject:
            row.subject, row.role = "role", subject["role"]
        if records.get("creator"):
            row.records = "creator"
        elif "field_is_my_org" in records:
            row.records, row.my_org_field = "field_is_my_org", records["field_is_my_org"]
        elif "filter" in records:
            row.records, row.filter = "filter", records["filter"]
        return row

    @classmethod
    def of_form(cls, index: int, data: QueryDict, codes: list[str]) -> RuleRow:
        def text(name: str) -> str:
            return str(data.get(f"r{index}-{name}", "")).strip()

        return cls(index, subject=text("subject"), org=text("org"),
                   children=bool(text("children")), login=text("user"), role=text("role"),
                   rights=data.getlist(f"r{index}-right"), records=text("records"),
                   my_org_field=text("my_org_field"), filter=text("filter"),
                   fields={code: text(f"f-{code}") for code in codes if text(f"f-{code}")},
                   remove=bool(text("remove")), new=bool(text("new")))

    @property
    def prefix(self) -> str:
        return f"r{self.index}-"

    @property
    def field_error(self) -> bool:
        return any(key.startswith("f-") for key in self.errors)

    @property
    def blank(self) -> bool:
        """The empty "new rule" slot, left as it was."""
        return self.new and not (self.subject or self.rights or self.records or self.fields)

    def rule(self) -> dict[str, Any]:
        """The rule in the API's shape, for the writer to check (nothing is checked here)."""
        subject: dict[str, Any] = {}
        if self.subject == "everyone":
            subject = {"everyone": True}
        elif self.subject == "org":
            subject = {"org": self.org, "include_children": self.children}
        elif self.subject == "user":
            subject = {"user": self.login}
        elif self.subject == "role":
            subject = {"role": self.role}
        rule: dict[str, Any] = {"subject": subject, "rights": self.rights}
        if self.records == "creator":
            rule["records"] = {"creator": True}
        elif self.records == "field_is_my_org":
            rule["records"] = {"field_is_my_org": self.my_org_field}
        elif self.records == "filter":
            rule["records"] = {"filter": self.filter}
        elif self.records:
            rule["records"] = {self.records: True}
        if self.fields:
            rule["fields"] = self.fields
        return rule


def _place(exc: InvalidInput, sent: list[RuleRow]) -> str:
    """Put the writer's message next to the input it is about; "" when it was placed."""
    found = _AT.match(str(exc.details.get("at", "")))
    if found is None or int(found.group(1)) >= len(sent):
        return exc.message
    row, part, rest = sent[int(found.group(1))], found.group(2) or "", found.group(3) or ""
    if part == "fields" and rest:
        row.errors[f"f-{rest}"] = exc.message
    elif part == "rights":
        row.errors["rights"] = _("Choose at least one right.")
    elif part == "subject":
        row.errors["subject"] = exc.message if rest else _("Choose who the rule is for.")
    elif part == "records":
        row.errors["records"] = exc.message if rest else _("Choose which records the rule covers.")
    else:
        row.errors["rule"] = exc.message
    return ""


def _describe_subject(rule: dict[str, Any], org_names: dict[str, str]) -> str:
    subject = rule.get("subject") or {}
    if subject.get("everyone"):
        return _("Everyone")
    if "org" in subject:
        name = f"{org_names.get(subject['org'], '')} ({subject['org']})".strip()
        if subject.get("include_children"):
            return _("Department %(name)s and below") % {"name": name}
        return _("Department %(name)s") % {"name": name}
    if "user" in subject:
        return _("User %(login)s") % {"login": subject["user"]}
    if "role" in subject:
        return _("Role %(role)s") % {"role": subject["role"]}
    return "?"


def _describe_records(condition: dict[str, Any] | None, names: dict[str, str]) -> str:
    if not condition:
        return _("All records")
    if condition.get("creator"):
        return _("Records they created")
    if "field_is_my_org" in condition:
        code = condition["field_is_my_org"]
        return _("Records whose %(field)s is their department or one below it") % {
            "field": f"「{names.get(code, code)}」"}
    if "filter" in condition:
        return _("Records matching %(filter)s") % {"filter": condition["filter"]}
    return "?"


def _org_fields(schema: LedgerSchema) -> list[Field]:
    full = schema.full
    return [f for f in full.fields if isinstance(full.type_of(f), OrgType)]


def _render(request: HttpRequest, schema: LedgerSchema, rows: list[RuleRow], *,
            status: int = 200, error: str = "") -> HttpResponse:
    fields = schema.full.fields
    for row in rows:
        row.levels = [(f, row.fields.get(f.code, ""), row.errors.get(f"f-{f.code}", ""))
                      for f in fields]
        # A rule may still name a field deleted since; saving the form drops that setting.
        row.stale = sorted(set(row.fields) - {f.code for f in fields})
    org_names = dict(Org.objects.values_list("code", "name"))
    field_names = {f.code: f.name for f in fields}
    org_fields = _org_fields(schema)
    summaries = {row.index: (_describe_subject(row.rule(), org_names),
                             _describe_records(row.rule().get("records"), field_names))
                 for row in rows if not row.new}
    return render(request, "web/manage/permissions.html", {
        "schema": schema, "ledger": schema.ledger, "rows": rows, "count": len(rows),
        "summaries": summaries, "fields": fields, "org_fields": org_fields,
        "org_field_codes": [f.code for f in org_fields],
        "orgs": people.all_orgs(), "logins": people.logins(),
        "roles": [name for name, _n in role_names()],
        "rights": list(right_labels().items()), "sensitive": is_sensitive(schema.ledger),
        "error": error, "has_errors": bool(error) or any(row.errors for row in rows),
        "condition_fields": conditions.builder_fields(schema),
    }, status=status)


@page
def ledger_permissions(request: HttpRequest, ledger_id: int) -> HttpResponse:
    schema = access.screen_for(request.user, ledger_id, "manage")
    if request.method != "POST":
        stored = schema.ledger.rules if isinstance(schema.ledger.rules, list) else []
        rows = [RuleRow.of_rule(i, rule) for i, rule in enumerate(stored)]
        return _render(request, schema, [*rows, RuleRow(len(rows), new=True)])
    try:
        count = min(int(request.POST.get("count", "0")), svc.MAX_RULES + 1)
    except ValueError:
        count = 0
    codes = [f.code for f in schema.full.fields]
    rows = [RuleRow.of_form(i, request.POST, codes) for i in range(count)]
    sent = [row for row in rows if not row.remove and not row.blank]
    try:
        svc.set_rules(user=request.user, schema=schema, rules=[row.rule() for row in sent])
    except InvalidInput as exc:
        return _render(request, schema, rows, status=400, error=_place(exc, sent))
    messages.success(request, _("The permissions were saved."))
    if not access.has_right(request.user, schema.ledger, "manage"):
        messages.info(request, _("You no longer manage this ledger."))
        if not access.has_right(request.user, schema.ledger, "view"):
            return redirect("web:home")
        return redirect("web:ledger", schema.id)
    return redirect("web:permissions", schema.id)


@page
@require_POST
def ledger_sensitive(request: HttpRequest, ledger_id: int) -> HttpResponse:
    schema = access.screen_for(request.user, ledger_id, "manage")
    sensitive = request.POST.get("sensitive") == "on"
    if svc.set_sensitive(user=request.user, schema=schema, sensitive=sensitive):
        messages.success(request, _("The ledger is marked sensitive: every view of its records "
                                    "and lists is written to the access log."))
    else:
        messages.success(request, _("The ledger is no longer marked sensitive."))
    return redirect("web:permissions", schema.id)


# -- what can this user see? ---------------------------------------------------------------------

@dataclass
class Grant:
    right: str
    label: str
    rules: list[tuple[int, str]]  # the rules granting it: number (from 1) and whom it names


@dataclass
class LedgerAccess:
    ledger: Ledger
    grants: list[Grant]
    records: list[str]
    hidden: list[str]
    read_only: list[tuple[str, list[str]]]  # (write right, the fields it may not write)

    @property
    def sensitive(self) -> bool:
        return is_sensitive(self.ledger)


def _access_of(target: Any, ledger: Ledger, org_names: dict[str, str]) -> LedgerAccess:
    """One ledger as `target` sees it, in the gate's own terms."""
    labels = right_labels()
    held = [r for r in access.RIGHTS if access.has_right(target, ledger, r)]
    if not held or access.is_admin(target):
        return LedgerAccess(ledger, [Grant(r, labels[r], []) for r in held],
                            [_("All records")] if held else [], [], [])
    matching = access.matching_rules(target, ledger)
    numbered = [(n, rule, _describe_subject(rule, org_names))
                for n, rule in enumerate(ledger.rules, start=1) if any(rule is m for m in matching)]
    grant = access.load_grant(target, ledger.id)  # the gate's own answer for this user
    fields = grant.full.fields
    names = {f.code: f.name for f in fields}
    records: list[str] = []
    if "view" in held and access.sees_all_records(target, ledger):
        records = [_("All records")]
    elif "view" in held:
        records = [_describe_records(rule.get("records"), names)
                   for _n, rule, _s in numbered if "view" in rule["rights"]]
    read_only = []
    for right in ("add", "edit", "import"):
        if right in held:
            locked = grant.read_only(right)
            if locked:
                read_only.append((labels[right], [f.name for f in fields if f.code in locked]))
    grants = [Grant(r, labels[r], [(n, who) for n, rule, who in numbered if r in rule["rights"]])
              for r in held]
    return LedgerAccess(ledger, grants, records,
                        [f.name for f in fields if f.code in grant.hidden], read_only)


@page
def user_access(request: HttpRequest) -> HttpResponse:
    if not access.is_system_admin(request.user):
        raise NotFound()
    login = request.GET.get("user", "").strip()[:150]
    target = get_user_model().objects.filter(username=login).select_related(
        "profile", "profile__org").first() if login else None
    org_names = dict(Org.objects.values_list("code", "name"))
    ledgers = [_access_of(target, ledger, org_names)
               for ledger in Ledger.objects.order_by("id")] if target is not None else []
    return render(request, "web/manage/permissions_user.html", {
        "login": login, "target": target, "logins": people.logins(),
        "error": _("There is no user 「%(login)s」.") % {"login": login}
        if login and target is None else "",
        "roles": sorted(access.subject_of(target).roles) if target is not None else [],
        "departments": [f"{org_names.get(code, '')} ({code})" for code in
                        sorted(access.subject_of(target).org_codes)] if target is not None else [],
        "is_admin": access.is_admin(target) if target is not None else False,
        "ledgers": [item for item in ledgers if item.grants],
        "none": [item.ledger for item in ledgers if not item.grants],
    })
