"""The one gate for permission-checked reads and writes (contract §5; docs/permissions.md).

Every view, API endpoint, export, search and writer goes through these functions. Forbidden
looks exactly like missing: both raise NotFound.

A ledger's rules live in `Ledger.rules` (validated by daicho.services.permissions). A user's rights
are the union of the rules whose subject matches them; admins (superusers) hold every right. The
gate's answer is a Grant: per right, what the user may see (`schema(right)`: hidden fields left
out, so values, filters, sorts, aggregation, export and history never see them), what they may
write (`read_only(right)`) and which records (`predicate(right)`, an SQL condition evaluated at
query time, so a rule change takes effect at once at any ledger size); and the whole definition
(`full`) for invariants. The writers ask the grant for the right they use and check each record
after the change.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from daicho import sensitive_reads
from daicho.db import plain
from daicho.db.dialect import q
from daicho.error_codes import Code
from daicho.errors import Forbidden, InvalidInput, NotAuthenticated, NotFound
from daicho.fields.context import ValueContext
from daicho.models import Ledger, LedgerCreator, Org, Profile
from daicho.selectors.conditions import parse_filter, row_matches, rows_outside
from daicho.selectors.formula_plan import hidden_with_formulas
from daicho.selectors.ledgers import LedgerSchema, list_ledgers, load_schema
from daicho.selectors.lookup_plan import lookup_sources
from daicho.selectors.orgs import BUILTIN_ROLES as BUILTIN_ROLES
from daicho.selectors.orgs import SYSTEM_ADMIN_ROLE as SYSTEM_ADMIN_ROLE
from daicho.selectors.orgs import org_ids_by_user, org_ids_of

RIGHTS = ("view", "add", "edit", "delete", "export", "import", "manage")
HIDDEN, READ, OPEN = 0, 1, 2
FIELD_LEVELS = {"hidden": HIDDEN, "read": READ}

AnyUser = AbstractBaseUser | AnonymousUser
NO_RECORDS = "1=0"  # the record predicate of a user no rule grants the right to


@dataclass(frozen=True)
class Subject:
    """What rules match a user by: login, departments (with their ancestors) and roles."""

    uid: int
    login: str
    org_ids: frozenset[int]
    org_codes: frozenset[str]  # the user's own departments
    ancestor_codes: frozenset[str]  # and every department above them
    roles: frozenset[str]
    children: dict[int, list[int]]  # the department tree, for "my department or below"

    def my_orgs_and_below(self) -> list[int]:
        found: list[int] = []
        stack = list(self.org_ids)
        while stack:
            oid = stack.pop()
            if oid in found:
                continue
            found.append(oid)
            stack += self.children.get(oid, [])
        return sorted(found)


def require_user(user: AnyUser) -> None:
    if not user.is_authenticated:
        raise NotAuthenticated()


def is_admin(user: AnyUser) -> bool:
    return bool(user.is_authenticated and getattr(user, "is_superuser", False))


def is_system_admin(user: AnyUser) -> bool:
    """Admins and holders of the system administrator role (the access log, "what can this
    user see?")."""
    return is_admin(user) or (user.is_authenticated
                              and SYSTEM_ADMIN_ROLE in subject_of(user).roles)


def administers_directory(user: AnyUser) -> bool:
    """Who may manage departments, users and roles: admins (staff) and system administrators."""
    return is_system_admin(user) or bool(user.is_authenticated
                                         and getattr(user, "is_staff", False))


def subject_of(user: AnyUser) -> Subject:
    """The user's departments and roles, read once per request (cached on the user object).
    The departments are those valid today: the primary one and any extra ones (兼務)."""
    cached = getattr(user, "_daicho_subject", None)
    if isinstance(cached, Subject):
        return cached
    uid = int(user.pk or 0)
    found = plain.fetch(Profile, "user_id = %s", [uid], limit=1)  # every request: no ORM
    org_ids = frozenset(org_ids_of(uid))
    tree = list(Org.objects.values_list("id", "code", "parent_id")) if org_ids else []
    subject = _subject(uid, str(user.get_username()), found[0].roles if found else None,
                       org_ids, tree)
    user._daicho_subject = subject  # type: ignore[union-attr]
    return subject


def prime_subjects(users: Sequence[AnyUser]) -> None:
    """subject_of for many users at once, in three queries in all (who may be mentioned on a
    record, or told of a change, is asked of many users), cached on each user object as
    subject_of does."""
    todo = [u for u in users if not isinstance(getattr(u, "_daicho_subject", None), Subject)]
    if not todo:
        return
    uids = [int(u.pk or 0) for u in todo]
    roles_of: dict[int, Any] = dict(Profile.objects.filter(user_id__in=uids)
                                    .values_list("user_id", "roles"))
    orgs_of = org_ids_by_user(uids)
    tree = list(Org.objects.values_list("id", "code", "parent_id")) if orgs_of else []
    for user, uid in zip(todo, uids, strict=True):
        user._daicho_subject = _subject(  # type: ignore[union-attr]
            uid, str(user.get_username()), roles_of.get(uid), frozenset(orgs_of.get(uid, ())),
            tree)


def _subject(uid: int, login: str, roles: Any, org_ids: frozenset[int],
             tree: Sequence[tuple[int, str, int | None]]) -> Subject:
    parent: dict[int, int | None] = {}
    code: dict[int, str] = {}
    children: dict[int, list[int]] = {}
    if org_ids:
        for oid, ocode, pid in tree:
            parent[oid], code[oid] = pid, ocode
            if pid is not None:
                children.setdefault(pid, []).append(oid)
    ancestors: set[str] = set()
    for oid in org_ids:
        seen: set[int] = set()
        up = parent.get(oid)
        while up is not None and up not in seen:
            seen.add(up)
            ancestors.add(code[up])
            up = parent.get(up)
    return Subject(uid=uid, login=login, org_ids=org_ids,
                   org_codes=frozenset(code[o] for o in org_ids if o in code),
                   ancestor_codes=frozenset(ancestors),
                   roles=frozenset(r for r in roles or [] if isinstance(r, str)),
                   children=children)


def _matches(subject_spec: dict[str, Any], who: Subject) -> bool:
    if subject_spec.get("everyone") is True:
        return True
    if "user" in subject_spec:
        return bool(subject_spec["user"] == who.login)
    if "role" in subject_spec:
        return subject_spec["role"] in who.roles
    if "org" in subject_spec:
        org = subject_spec["org"]
        return org in who.org_codes or (bool(subject_spec.get("include_children"))
                                        and org in who.ancestor_codes)
    return False


def subject_matches(spec: dict[str, Any], user: AnyUser) -> bool:
    """Whether a §5 subject (everyone, a department, a user, a role) names `user`."""
    return user.is_authenticated and _matches(spec, subject_of(user))


def matching_rules(user: AnyUser, ledger: Ledger) -> list[dict[str, Any]]:
    rules = ledger.rules if isinstance(ledger.rules, list) else []
    if not rules or not user.is_authenticated:
        return []
    who = subject_of(user)
    return [r for r in rules if isinstance(r, dict) and _matches(r.get("subject") or {}, who)]


def _field_level(rule: dict[str, Any], code: str) -> int:
    level = (rule.get("fields") or {}).get(code)
    return FIELD_LEVELS.get(level, OPEN) if isinstance(level, str) else OPEN


class Grant:
    """What one user may do on one ledger: the gate's single answer (see docs/permissions.md).

    It holds the ledger's whole definition (`full`, for invariants: unique checks, codes, the
    search key) and the rules that match the user (`None`: every right without conditions, as
    for admins and the system itself). For a right it answers what may be seen
    (`schema(right).fields`), what may be written (`read_only(right)`), and which records
    (`predicate(right)`); the writers ask it for the right they use, so a caller cannot pick the
    wrong one."""

    __slots__ = ("_hidden", "_read_only", "_schemas", "full", "rules", "user")

    def __init__(self, full: LedgerSchema, user: AnyUser,
                 rules: list[dict[str, Any]] | None) -> None:
        self.full = full
        self.user = user
        self.rules = rules
        self._hidden: frozenset[str] | None = None
        self._read_only: dict[str, frozenset[str]] = {}
        self._schemas: dict[str, LedgerSchema] = {}

    @property
    def ledger(self) -> Ledger:
        return self.full.ledger

    def holds(self, right: str) -> bool:
        assert right in RIGHTS
        return self.rules is None or any(right in r["rights"] for r in self.rules)

    def require(self, *rights: str) -> None:
        """NotFound (forbidden looks like missing) unless every one of `rights` is held."""
        if not all(self.holds(right) for right in rights):
            raise NotFound()

    @property
    def hidden(self) -> frozenset[str]:
        """Codes of the fields this user may not see: hidden by every matching rule."""
        if self._hidden is None:
            rules = self.rules
            self._hidden = frozenset() if not rules else frozenset(
                f.code for f in self.full.fields
                if max(_field_level(r, f.code) for r in rules) == HIDDEN)
            if rules:  # a lookup shows another ledger's field: that ledger's rules hold
                self._hidden |= self._hidden_lookups()
            if self._hidden:  # a formula over a hidden field would show it: hidden as well
                self._hidden = hidden_with_formulas(self.full, self._hidden)
        return self._hidden

    def _hidden_lookups(self) -> frozenset[str]:
        """The lookups this user may not see: those of a linked ledger they may not view, of a
        field hidden from them there, or of a ledger whose records they may view only in part
        (record conditions) — a value would show a record they may not read, and a filter or
        sort on it would tell what it holds."""
        out: set[str] = set()
        grants: dict[int, Grant | None] = {}
        for code, lid, field in lookup_sources(self.full):
            if lid not in grants:
                linked = load_schema(lid)
                grants[lid] = None if linked is None else grant_for(self.user, linked)
            grant = grants[lid]
            if grant is None or not grant.holds("view") or field in grant.hidden \
                    or grant.predicate("view")[0]:
                out.add(code)
        return frozenset(out)

    def read_only(self, right: str) -> frozenset[str]:
        """Visible fields that may not be written with `right` (add, edit or import; the others
        write nothing and are judged as edit): open under no rule granting that right."""
        write_right = right if right in ("add", "edit", "import") else "edit"
        found = self._read_only.get(write_right)
        if found is None:
            if self.rules is None:
                found = frozenset()
            else:
                writers = [r for r in self.rules if write_right in r["rights"]]
                found = frozenset(
                    f.code for f in self.full.fields if f.code not in self.hidden
                    and (not writers or max(_field_level(r, f.code) for r in writers) != OPEN))
            self._read_only[write_right] = found
        return found

    def schema(self, right: str) -> LedgerSchema:
        """The ledger as this user sees it when using `right`: hidden fields left out,
        `read_only` for that right, and this grant attached (`schema.grant`)."""
        found = self._schemas.get(right)
        if found is None:
            hidden, read_only = self.hidden, self.read_only(right)
            if not hidden and not read_only:
                found = LedgerSchema(self.full.ledger, self.full.fields)
            else:
                found = LedgerSchema(self.full.ledger,
                                     [f for f in self.full.fields if f.code not in hidden],
                                     hidden=hidden, read_only=read_only, unrestricted=self.full)
            found.grant = self
            self._schemas[right] = found
        return found

    def predicate(self, right: str = "view", alias: str = "t") -> tuple[str, list[Any]]:
        """SQL limiting rows to those this user holds `right` on: the OR of the record
        conditions of the rules granting it ("" when one of them has none, as for admins)."""
        if self.rules is None:
            return "", []
        rules = [r for r in self.rules if right in r["rights"]]
        if not rules:
            return NO_RECORDS, []
        parts: list[str] = []
        params: list[Any] = []
        for rule in rules:
            condition = rule.get("records")
            if not condition:
                return "", []
            sql, p = _record_sql(self.user, self.full, condition, alias)
            parts.append(f"({sql})")
            params += p
        return " OR ".join(parts), params

    def record_filter(self, right: str = "view") -> str | None:
        """The record condition of `right` when it is a single `CODE:OP:VALUE` filter (one rule
        grants the right, with such a condition): what the selectors may plan indexes from, as
        from a page's own filters. The predicate stays what limits the rows."""
        if self.rules is None:
            return None
        rules = [r for r in self.rules if right in r["rights"]]
        condition = rules[0].get("records") if len(rules) == 1 else None
        if not condition or set(condition) != {"filter"}:
            return None
        return str(condition["filter"])

    def check_record(self, record_id: int, right: str) -> None:
        """NotFound unless this user holds `right` on the record as it is now."""
        sql, params = self.predicate(right)
        if not sql:
            return
        if not row_matches(self.full, record_id, sql, params):
            raise NotFound()

    def check_written(self, ids: list[int], right: str) -> None:
        """After a write, in the writer's transaction: Forbidden (403 outside_record_rules)
        unless every record written lies within the record conditions of the rules granting
        `right` — the record as it is *after* the change. The caller's transaction then rolls
        back, so nothing is written."""
        sql, params = self.predicate(right)
        if not ids or not sql:
            return
        outside = rows_outside(self.full, ids, sql, params)
        if outside:
            raise Forbidden(
                _("You may add or change records only within the range your permissions cover "
                  "(for example, your own department). Nothing was saved."),
                code=Code.OUTSIDE_RECORD_RULES, details={"records": outside})


def grant_for(user: AnyUser, schema: LedgerSchema) -> Grant:
    """The grant of `user` on the ledger of `schema` (its whole definition is used). Nobody
    signed in is the system itself (the demo loader, maintenance): every request surface
    passes ledger_for first, which refuses the anonymous."""
    full = schema.full
    grant = Grant(full, user, None if is_admin(user) or not user.is_authenticated
                  else matching_rules(user, full.ledger))
    if full.grant is None:
        full.grant = grant  # writers pass `full` on to the selectors: they find it there
    return grant


def grant_of(user: AnyUser, schema: LedgerSchema) -> Grant:
    """The grant the gate attached to `schema` when it was made for this user; else made anew
    from the ledger, so a schema loaded elsewhere never widens what `user` may do."""
    found = schema.grant
    if isinstance(found, Grant) and found.user is user:
        return found
    return grant_for(user, schema)


def require(user: AnyUser, schema: LedgerSchema, *rights: str) -> Grant:
    """A writer's own check: `user`'s grant on the ledger of `schema`, NotFound unless it holds
    every one of `rights` (whatever right the caller opened the ledger with)."""
    grant = grant_of(user, schema)
    grant.require(*rights)
    return grant


def load_grant(user: AnyUser, ledger_id: int | str) -> Grant:
    """The grant of `user` on a ledger they may see in some way; NotFound otherwise."""
    require_user(user)
    try:
        lid = int(ledger_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    if not 0 < lid < 2**62:
        raise NotFound()
    schema = load_schema(lid)
    if schema is None:
        raise NotFound()
    return grant_for(user, schema)


def ledger_for(user: AnyUser, ledger_id: int | str, right: str = "view",
               *more: str) -> LedgerSchema:
    """The ledger as `user` sees it for `right` (hidden fields left out, `read_only` for that
    right, the grant attached), if they hold `right` and every one of `more`; NotFound
    otherwise. Writers ask `schema.grant` for the right they use themselves. Every grant is
    reported to the access log, which logs reads of sensitive ledgers (sensitive_reads.opened)."""
    grant = load_grant(user, ledger_id)
    grant.require(right, *more)
    return sensitive_reads.opened(user, grant.schema(right), right)


def right_label(right: str) -> str:
    """A right as people read it (the permission screen's words)."""
    labels = {"view": pgettext("right", "View"), "add": pgettext("right", "Add"),
              "edit": pgettext("right", "Edit"), "delete": pgettext("right", "Delete"),
              "export": pgettext("right", "Export"), "import": pgettext("right", "Import"),
              "manage": pgettext("right", "Manage")}
    return labels.get(right, right)


def screen_for(user: AnyUser, ledger_id: int | str, right: str = "view",
               *more: str) -> LedgerSchema:
    """`ledger_for` for a screen a person opens: on a ledger they may view but lack `right` (or
    one of `more`) on, 403 `missing_right` naming the right, so the page can say what is
    missing; a ledger they may not view at all stays NotFound (its existence is not theirs to
    know). The API keeps `ledger_for`'s 404."""
    grant = load_grant(user, ledger_id)
    missing = [r for r in (right, *more) if not grant.holds(r)]
    if missing:
        if not grant.holds("view"):
            raise NotFound()
        raise Forbidden(_("This page needs the 「%(right)s」 right on this ledger, which you do "
                          "not have. Please ask whoever manages the ledger if you need it.")
                        % {"right": right_label(missing[0])}, code=Code.MISSING_RIGHT,
                        details={"right": missing[0]})
    return sensitive_reads.opened(user, grant.schema(right), right)


def screen_rights(user: AnyUser, ledger: Ledger) -> dict[str, bool]:
    """Which of the ledger's rights `user` holds (any record), for a screen to show only the
    tabs and buttons they can use: the gate's flags, so no template decides a right."""
    if is_admin(user):
        return dict.fromkeys(RIGHTS, True)
    held = {r for rule in matching_rules(user, ledger) for r in rule["rights"]}
    return {right: right in held for right in RIGHTS}


def has_right(user: AnyUser, ledger: Ledger, right: str) -> bool:
    return is_admin(user) or any(right in r["rights"] for r in matching_rules(user, ledger))


def visible_ledgers(user: AnyUser) -> list[Ledger]:
    """The ledgers `user` may view, in id order (a city has tens of ledgers, not thousands)."""
    ledgers = list(Ledger.objects.order_by("id"))
    if is_admin(user):
        return ledgers
    return [ledger for ledger in ledgers if has_right(user, ledger, "view")]


def sees_all_records(user: AnyUser, ledger: Ledger) -> bool:
    """Whether a rule lets `user` view every record; otherwise the ledger's record count is not
    theirs to know (it would count records they may not see)."""
    return is_admin(user) or any("view" in r["rights"] and not r.get("records")
                                 for r in matching_rules(user, ledger))


def ledger_list(user: AnyUser) -> list[dict[str, Any]]:
    """The ledgers `user` may view as listed everywhere (API, menus, home page)."""
    if not user.is_authenticated:
        return []
    return list_ledgers(visible_ledgers(user),
                        counted=lambda ledger: sees_all_records(user, ledger))


def ledger_creator_subjects() -> list[dict[str, Any]]:
    """The subjects listed as allowed to create ledgers, in screen order."""
    return [s for s in LedgerCreator.objects.order_by("position", "id")
            .values_list("subject", flat=True) if isinstance(s, dict)]


def can_create_ledger(user: AnyUser) -> bool:
    """The right to create ledgers (a new one, an import into a new one): administrators,
    system administrators and whoever a listed subject matches."""
    if not user.is_authenticated:
        return False
    if is_system_admin(user):
        return True
    who = subject_of(user)
    return any(_matches(s, who) for s in ledger_creator_subjects())


def require_ledger_creator(user: AnyUser) -> None:
    """What every writer that makes a ledger starts with: 403 `ledger_create_not_allowed`
    unless `user` may create ledgers. Nobody signed in is the system itself (the demo loader),
    as for the grants; every request surface refuses the anonymous before."""
    if user.is_authenticated and not can_create_ledger(user):
        raise Forbidden(_("You do not have the right to create ledgers. Please ask a system "
                          "administrator to grant it."), code=Code.LEDGER_CREATE_NOT_ALLOWED,
                        details={"right": "create_ledger"})


def record_predicate(user: AnyUser, schema: LedgerSchema, alias: str = "t",
                     right: str = "view") -> tuple[str, list[Any]]:
    """SQL limiting rows to those `user` holds `right` on (Grant.predicate)."""
    return grant_of(user, schema).predicate(right, alias)


def _record_sql(user: AnyUser, schema: LedgerSchema, condition: dict[str, Any],
                alias: str) -> tuple[str, list[Any]]:
    if condition.get("creator") is True:
        return f"{alias}.created_by = %s", [subject_of(user).uid]
    if "field_is_my_org" in condition:
        f = schema.by_code.get(condition["field_is_my_org"])
        orgs = subject_of(user).my_orgs_and_below()
        if f is None or not orgs:
            return "1=0", []
        return f"{alias}.{q(f.column)} IN ({', '.join(['%s'] * len(orgs))})", orgs
    if "filter" in condition:
        try:
            return parse_filter(schema, str(condition["filter"]), ValueContext(), alias)
        except InvalidInput:
            return "1=0", []  # a rule whose field was deleted since grants nothing
    return "1=0", []


def check_new_records(user: AnyUser, schema: LedgerSchema, ids: list[int],
                      right: str = "add") -> None:
    """Forbidden unless every record just written lies within `right`'s record conditions."""
    grant_of(user, schema).check_written(ids, right)


def check_record(user: AnyUser, schema: LedgerSchema, record_id: int, right: str) -> None:
    """NotFound unless `user` holds `right` on this record (Grant.check_record)."""
    grant_of(user, schema).check_record(record_id, right)
