"""Reading a ledger's process (contract §8): the definition a record follows, who may take which
action now, the approvals gathered so far (合議), who is waited for, and the trail.

Who may take an action (`by`): a §5 subject (everyone, a department, a user, a role), the user
or department named in a field of the record (`{"field": CODE}`), the record's creator
(`{"creator": true}`) or the creator's superior (`{"superior": true}`: a member, today, of the
department above the creator's primary department). A delegate (代理) may take what the person
who named them may take, within the dates set. Taking an action needs the view right on the
record as well; it needs no edit right."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Q
from django.utils import timezone

from daicho import access
from daicho.access import AnyUser
from daicho.db.dialect import live, q
from daicho.errors import InvalidInput
from daicho.fields.context import ValueContext
from daicho.fields.refs import OrgType, UserType
from daicho.models import (
    History,
    Ledger,
    Org,
    OrgMembership,
    ProcessApproval,
    ProcessDelegation,
    ProcessVersion,
    Profile,
)
from daicho.selectors import conditions
from daicho.selectors import records as sel
from daicho.selectors.ledgers import (
    STATUS_COLUMN,
    VERSION_COLUMN,
    LedgerSchema,
    load_schema,
    process_of,
)

# any: one of the people `by` names takes it; one: `by` names exactly one person (a user, the
# creator, a user field), who takes it; all: every person `by` names must approve; n_of_m: any
# `count` of them (合議). Partial approvals are kept until the status moves.
MODES = ("any", "one", "all", "n_of_m")
# "everyone" and large departments: the people waited for are listed up to this many.
MAX_WAITING = 200


def definition(schema: LedgerSchema, version: int | None) -> dict[str, Any]:
    """The process version a record follows (the current one is in the ledger's settings)."""
    current = schema.process or {}
    if version is None or version == current.get("version"):
        return current
    found = ProcessVersion.objects.filter(ledger_id=schema.id, version=version) \
        .values_list("definition", flat=True).first()
    return found if isinstance(found, dict) else current


def stored_definition(ledger: Ledger) -> dict[str, Any] | None:
    """The process as last saved, enabled or not (the designer and `GET …/process`)."""
    found = ledger.settings.get("process") if isinstance(ledger.settings, dict) else None
    return found if isinstance(found, dict) else None


def actions_from(process: dict[str, Any], status: str | None) -> list[dict[str, Any]]:
    return [a for a in process.get("actions", []) if a.get("from") == status]


def gathers_approvals(process: dict[str, Any], status: str | None) -> bool:
    """Whether an action from `status` needs several approvers (partial approvals kept)."""
    return any(a.get("mode") in ("all", "n_of_m") for a in actions_from(process, status))


def needed_count(action: dict[str, Any], schema: LedgerSchema, row: sel.Row) -> int:
    """How many distinct approvers the action needs before the status moves."""
    mode = action.get("mode", "any")
    if mode == "n_of_m":
        return int(action.get("count", 1))
    if mode == "all":
        return max(1, len(resolve_users(action["by"], schema, row)))
    return 1


# -- who ------------------------------------------------------------------------------------------

def principals(user: AnyUser, day: dt.date | None = None) -> list[Any]:
    """The people `user` stands in for today (they named `user` their delegate)."""
    if not user.is_authenticated:
        return []
    cached = getattr(user, "_daicho_principals", None)
    if cached is not None and day is None:
        return list(cached)
    ids = ProcessDelegation.objects.filter(delegate_id=user.pk,
                                           starts__lte=day or timezone.localdate(),
                                           ends__gte=day or timezone.localdate()) \
        .values_list("user_id", flat=True)
    found = list(get_user_model().objects.filter(id__in=list(ids), is_active=True)
                 .order_by("username"))
    if day is None:  # asked once per request (per action and record otherwise)
        user._daicho_principals = found  # type: ignore[attr-defined]
    return found


def _primary_org(user_id: int | None) -> int | None:
    if user_id is None:
        return None
    return Profile.objects.filter(user_id=user_id).values_list("org_id", flat=True).first()


def _superior_org(schema: LedgerSchema, row: sel.Row) -> int | None:
    """The department above the creator's primary department (None when there is none)."""
    org = _primary_org(row.created_by)
    if org is None:
        return None
    return Org.objects.filter(id=org).values_list("parent_id", flat=True).first()


def matches(by: dict[str, Any], user: AnyUser, schema: LedgerSchema, row: sel.Row) -> bool:
    """Whether `user` is named by the action's `by` for this record."""
    if not user.is_authenticated:
        return False
    uid = int(user.pk or 0)
    if "field" in by:
        f = schema.full.by_code.get(by["field"])
        value = row.raw.get(by["field"]) if f is not None else None
        if value is None or f is None:
            return False
        ftype = schema.full.type_of(f)
        if isinstance(ftype, UserType):
            return int(value) == uid
        return isinstance(ftype, OrgType) and int(value) in access.subject_of(user).org_ids
    if by.get("creator") is True:
        return row.created_by == uid
    if by.get("superior") is True:
        parent = _superior_org(schema, row)
        return parent is not None and parent in access.subject_of(user).org_ids
    return access.subject_matches(by, user)


def actor(action: dict[str, Any], user: AnyUser, schema: LedgerSchema,
          row: sel.Row) -> tuple[bool, Any]:
    """(may take it, the person acted for): `user` themself (None), or someone `user` stands
    in for as their delegate."""
    if matches(action["by"], user, schema, row):
        return True, None
    for principal in principals(user):
        if matches(action["by"], principal, schema, row):
            return True, principal
    return False, None


def condition_holds(action: dict[str, Any], schema: LedgerSchema, row: sel.Row) -> bool:
    condition = action.get("condition")
    if not condition:
        return True
    try:
        sql, params = conditions.parse_filter(schema.full, str(condition), ValueContext())
    except InvalidInput:
        return False  # its field was deleted since: the action is not offered
    return conditions.row_matches(schema.full, row.id, sql, params)


def members(org_ids: Iterable[int]) -> set[int]:
    ids = list(org_ids)
    if not ids:
        return set()
    day = timezone.localdate()
    valid = Q(valid_from__lte=day) & (Q(valid_to__isnull=True) | Q(valid_to__gt=day))
    return set(OrgMembership.objects.filter(valid, org_id__in=ids, user__is_active=True)
               .values_list("user_id", flat=True)[:MAX_WAITING])


def _below(org_id: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for oid, pid in Org.objects.filter(abolished_on=None).values_list("id", "parent_id"):
        if pid is not None:
            children.setdefault(pid, []).append(oid)
    found, stack = [], [org_id]
    while stack:
        oid = stack.pop()
        if oid not in found:
            found.append(oid)
            stack += children.get(oid, [])
    return found


def resolve_users(by: dict[str, Any], schema: LedgerSchema, row: sel.Row) -> set[int]:
    """The ids of the active users `by` names for this record (at most MAX_WAITING)."""
    users = get_user_model().objects.filter(is_active=True)
    if "field" in by:
        f = schema.full.by_code.get(by["field"])
        value = row.raw.get(by["field"]) if f is not None else None
        if value is None or f is None:
            return set()
        if isinstance(schema.full.type_of(f), UserType):
            return set(users.filter(id=int(value)).values_list("id", flat=True))
        return members([int(value)])
    if by.get("creator") is True:
        return set(users.filter(id=row.created_by).values_list("id", flat=True)) \
            if row.created_by else set()
    if by.get("superior") is True:
        parent = _superior_org(schema, row)
        return members([parent]) if parent is not None else set()
    if by.get("everyone") is True:
        return set(users.values_list("id", flat=True)[:MAX_WAITING])
    if "user" in by:
        return set(users.filter(username=by["user"]).values_list("id", flat=True))
    if "role" in by:
        return {uid for uid, roles in Profile.objects.filter(user__is_active=True)
                .values_list("user_id", "roles") if isinstance(roles, list) and by["role"] in roles}
    if "org" in by:
        org = Org.objects.filter(code=by["org"]).values_list("id", flat=True).first()
        if org is None:
            return set()
        return members(_below(org) if by.get("include_children") else [org])
    return set()


def waiting_users(schema: LedgerSchema, row: sel.Row, process: dict[str, Any]) -> list[int]:
    """Who may act next on the record as it is now: the people the actions from its status
    name (whose condition holds), who may view the record, and their delegates of today."""
    found: set[int] = set()
    seen: list[dict[str, Any]] = []  # 承認 and 差戻し usually name the same people
    for action in actions_from(process, row.status):
        if action["by"] not in seen and condition_holds(action, schema, row):
            seen.append(action["by"])
            found |= resolve_users(action["by"], schema, row)
    if not found:
        return []
    day = timezone.localdate()
    found |= set(ProcessDelegation.objects.filter(user_id__in=found, starts__lte=day,
                                                  ends__gte=day)
                 .values_list("delegate_id", flat=True))
    if _everyone_sees(schema.ledger):
        return sorted(found)  # the usual ledger: no one to leave out, nothing more to ask
    viewers = []
    for person in get_user_model().objects.filter(id__in=found).order_by("id"):
        grant = access.grant_for(person, schema.full)
        if not grant.holds("view"):
            continue
        sql, params = grant.predicate("view")
        if not sql or conditions.row_matches(schema.full, row.id, sql, params):
            viewers.append(int(person.pk))
    return viewers


def _everyone_sees(ledger: Ledger) -> bool:
    """Whether a rule lets everyone view every record of the ledger."""
    rules = ledger.rules if isinstance(ledger.rules, list) else []
    return any(isinstance(r, dict) and (r.get("subject") or {}).get("everyone") is True
               and "view" in (r.get("rights") or []) and not r.get("records") for r in rules)


# -- what the caller sees -------------------------------------------------------------------------

@dataclass
class Offer:
    """An action the caller may take now, with the approvals it has gathered."""

    action: dict[str, Any]
    acting_for: Any  # the person a delegate acts for, or None
    needed: int
    approved_by: list[str]  # logins of the approvers so far

    def as_json(self) -> dict[str, Any]:
        a = self.action
        return {"name": a["name"], "from": a["from"], "to": a["to"],
                "mode": a.get("mode", "any"), "comment_required": bool(a.get("comment_required")),
                "needed": self.needed, "approved_by": self.approved_by,
                "acting_for": self.acting_for.get_username() if self.acting_for else None}


def approvals(schema: LedgerSchema, record_id: int) -> dict[str, list[dict[str, Any]]]:
    """Per action name, the partial approvals gathered in the record's current status."""
    out: dict[str, list[dict[str, Any]]] = {}
    for name, login, by, at, comment in ProcessApproval.objects.filter(
            ledger_id=schema.id, record_id=record_id).order_by("at", "id").values_list(
            "action", "user__username", "acted_by__username", "at", "comment"):
        out.setdefault(name, []).append({"user": login, "by": by, "at": at.isoformat(),
                                         "comment": comment})
    return out


def offers(user: AnyUser, schema: LedgerSchema, row: sel.Row) -> list[Offer]:
    """The actions `user` may take on the record now (`row` read with the full schema)."""
    if schema.process is None or row.status is None:
        return []
    process = definition(schema, row.process_version)
    gathered = approvals(schema, row.id) if gathers_approvals(process, row.status) else {}
    out = []
    for action in actions_from(process, row.status):
        allowed, acting_for = actor(action, user, schema, row)
        if not allowed or not condition_holds(action, schema, row):
            continue
        done = [a["user"] for a in gathered.get(action["name"], [])]
        me = (acting_for or user).get_username()
        if me in done:
            continue  # approved already; waits for the others
        out.append(Offer(action, acting_for, needed_count(action, schema, row), done))
    return out


def full_row(user: AnyUser, schema: LedgerSchema, record_id: Any, *,
             for_update: bool = False) -> sel.Row:
    """The record as the process reads it: every field (a `by` or condition may name one the
    caller may not see), among the records `user` may view (NotFound otherwise)."""
    grant = access.grant_of(user, schema)
    row = sel.get_row(user, grant.full, record_id, for_update=for_update)
    grant.check_record(row.id, "view")
    return row


def trail(schema: LedgerSchema, record_id: int) -> list[dict[str, Any]]:
    """The status changes of a record, oldest first: who moved it when, and why."""
    ctx = ValueContext()
    entries = list(History.objects.filter(ledger_id=schema.id, record_id=record_id,
                                          action="status").order_by("revision")
                   .values("revision", "at", "user_id", "changes"))
    ctx.preload_users(e["user_id"] for e in entries)
    out = []
    for e in entries:
        change = e["changes"].get("status") or {}
        out.append({"revision": e["revision"], "at": e["at"], "by": ctx.login(e["user_id"]),
                    "by_name": ctx.user_name(e["user_id"]), "old": change.get("old"),
                    "new": change.get("new"), "action": change.get("action"),
                    "comment": change.get("comment") or "",
                    "acting_for": change.get("acting_for"),
                    "approvals": change.get("approvals") or []})
    return out


# -- waiting for me -------------------------------------------------------------------------------

def _by_sql(by: dict[str, Any], person: AnyUser, schema: LedgerSchema) -> tuple[str, list[Any]]:
    """SQL over alias t: the records on which `by` names `person`."""
    who = access.subject_of(person)
    if "field" in by:
        f = schema.full.by_code.get(by["field"])
        if f is None:
            return "1=0", []
        ftype = schema.full.type_of(f)
        if isinstance(ftype, UserType):
            return f"t.{q(f.column)} = %s", [who.uid]
        orgs = sorted(who.org_ids)
        if not isinstance(ftype, OrgType) or not orgs:
            return "1=0", []
        return f"t.{q(f.column)} IN ({', '.join(['%s'] * len(orgs))})", orgs
    if by.get("creator") is True:
        return "t.created_by = %s", [who.uid]
    if by.get("superior") is True:
        below = list(Org.objects.filter(parent_id__in=who.org_ids).values_list("id", flat=True))
        creators = list(Profile.objects.filter(org_id__in=below).values_list("user_id", flat=True))
        if not creators:
            return "1=0", []
        return f"t.created_by IN ({', '.join(['%s'] * len(creators))})", creators
    return ("1=1", []) if access.subject_matches(by, person) else ("1=0", [])


def waiting_for(user: AnyUser, limit: int = 50) -> list[dict[str, Any]]:
    """The records across ledgers on which `user` (or someone they stand in for) may take an
    action now: [{"ledger", "record", "status", "actions", "updated_at"}], newest first."""
    people = [user, *principals(user)]
    out: list[dict[str, Any]] = []
    for ledger in access.visible_ledgers(user):
        if process_of(ledger) is None:
            continue  # most ledgers: no query
        schema = load_schema(int(ledger.id))
        if schema is None or schema.process is None:
            continue
        grant = access.grant_for(user, schema)
        versions: dict[Any, dict[str, Any]] = {schema.process.get("version"): schema.process}
        for number, body in ProcessVersion.objects.filter(ledger_id=schema.id) \
                .values_list("version", "definition"):
            versions.setdefault(number, body)
        parts: list[str] = []
        params: list[Any] = []
        for version, process in versions.items():
            for action in process.get("actions", []):
                for person in people:
                    by_sql, by_params = _by_sql(action["by"], person, schema)
                    if by_sql == "1=0":
                        continue
                    clause = f"t.{VERSION_COLUMN} = %s AND t.{STATUS_COLUMN} = %s AND ({by_sql})"
                    parts.append(f"({clause})")
                    params += [version, action["from"], *by_params]
        if not parts:
            continue
        where = f"{live('t')} AND ({' OR '.join(parts)})"
        perm, perm_params = grant.predicate("view")
        if perm:
            where += f" AND ({perm})"
            params += perm_params
        sql = (f"SELECT {sel.select_list(schema.full)} FROM {q(schema.table)} t WHERE {where}"
               f" ORDER BY t.updated_at DESC, t.id DESC LIMIT {int(limit)}")
        with connection.cursor() as cur:
            cur.execute(sql, params)
            rows = sel.to_rows(schema.full, cur.fetchall())
        for row in rows:
            found = [o.action["name"] for o in offers(user, schema, row)]
            if found:
                out.append({"ledger": schema.ledger, "record": row.id, "status": row.status,
                            "actions": found, "updated_at": row.updated_at,
                            "title": _title(schema, row, grant.hidden)})
    out.sort(key=lambda item: str(item["updated_at"]), reverse=True)
    return out[:limit]


def _title(schema: LedgerSchema, row: sel.Row, hidden: frozenset[str]) -> str:
    """The record as a line in a list: its first visible text value, else its number."""
    for f, _ftype in schema.searchable:
        value = row.raw.get(f.code)
        if isinstance(value, str) and value.strip() and f.code not in hidden:
            return value.strip()[:80]
    return f"#{row.id}"
