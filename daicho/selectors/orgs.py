"""Reading the department tree over time and a user's departments.

A department's states are its OrgVersions. Two more sources complete the picture: a department
created straight through the ORM (the demo loader, tests) has no version and counts as unchanged
since its creation, and the scheduled OrgChanges are played forward from the recorded states, so
the tree as of a future date shows the reorganisation loaded ahead of it."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Q
from django.utils import timezone

from daicho.db import dialect, plain
from daicho.models import Org, OrgChange, OrgMembership, OrgVersion, Profile

# Holders of this role read the access log and see what any user may see, as admins do
# (daicho.access).
SYSTEM_ADMIN_ROLE = "システム管理者"
# Every city has these two roles (the role list shows them even when nobody holds them).
BUILTIN_ROLES = (SYSTEM_ADMIN_ROLE, "台帳管理者")


@dataclass(frozen=True)
class OrgState:
    code: str
    name: str
    parent_code: str | None
    valid_from: dt.date
    valid_to: dt.date | None  # exclusive; None: open-ended
    scheduled: bool = False  # played forward from a change not applied yet

    def valid_on(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day < self.valid_to)

    def as_json(self) -> dict[str, Any]:
        return {"code": self.code, "name": self.name, "parent_code": self.parent_code,
                "valid_from": self.valid_from.isoformat(),
                "valid_to": self.valid_to.isoformat() if self.valid_to else None}


def pending_changes() -> list[OrgChange]:
    return list(OrgChange.objects.filter(applied_at=None).order_by("valid_from", "id"))


def recorded_states() -> dict[str, list[OrgState]]:
    """Per code, the states stored so far, oldest first."""
    chains: dict[str, list[OrgState]] = {}
    for code, name, parent, start, end in OrgVersion.objects.order_by("valid_from", "id") \
            .values_list("code", "name", "parent__code", "valid_from", "valid_to"):
        chains.setdefault(code, []).append(OrgState(code, name, parent, start, end))
    unversioned = Org.objects.filter(versions__isnull=True, abolished_on=None) \
        .values_list("code", "name", "parent__code", "created_at")
    for code, name, parent, created in unversioned:
        chains[code] = [OrgState(code, name, parent, timezone.localdate(created), None)]
    return chains


def play_forward(chains: dict[str, list[OrgState]],
                 changes: Iterable[OrgChange]) -> dict[str, list[OrgState]]:
    """The chains with `changes` (in date order) applied: each closes the state it replaces."""
    out = {code: list(states) for code, states in chains.items()}
    for change in changes:
        chain = out.setdefault(change.code, [])
        if chain and chain[-1].valid_to is None:
            last = chain.pop()
            if last.valid_from < change.valid_from:
                chain.append(dataclasses.replace(last, valid_to=change.valid_from))
        if not change.abolish:
            chain.append(OrgState(change.code, change.name, change.parent_code or None,
                                  change.valid_from, None, scheduled=True))
    return out


def timeline(changes: Iterable[OrgChange] | None = None) -> dict[str, list[OrgState]]:
    return play_forward(recorded_states(), pending_changes() if changes is None else changes)


def tree_on(day: dt.date, chains: dict[str, list[OrgState]] | None = None) -> list[OrgState]:
    """The departments as they were (or are scheduled to be) on `day`, by code."""
    chains = timeline() if chains is None else chains
    return sorted((s for states in chains.values() for s in states if s.valid_on(day)),
                  key=lambda s: s.code)


def history(code: str) -> list[OrgState]:
    return timeline().get(code, [])


def tree_problem(states: list[OrgState]) -> tuple[str, str, str | None] | None:
    """What is wrong with one day's tree, if anything: ("missing_parent", code, parent) or
    ("cycle", code, None)."""
    parent = {s.code: s.parent_code for s in states}
    for s in states:
        if s.parent_code is not None and s.parent_code not in parent:
            return "missing_parent", s.code, s.parent_code
    for start in parent:
        seen = {start}
        up = parent[start]
        while up is not None:
            if up in seen:
                return "cycle", start, None
            seen.add(up)
            up = parent.get(up)
    return None


def depth_first(states: list[OrgState]) -> list[tuple[OrgState, int]]:
    """The tree in reading order with each department's depth; a department whose parent is not
    in the tree that day (recorded before its parent was) is shown at the top."""
    codes = {s.code for s in states}
    children: dict[str | None, list[OrgState]] = {}
    for s in states:
        children.setdefault(s.parent_code if s.parent_code in codes else None, []).append(s)
    out: list[tuple[OrgState, int]] = []
    seen: set[str] = set()
    stack = [(s, 0) for s in reversed(children.get(None, []))]
    while stack:
        state, depth = stack.pop()
        if state.code in seen:
            continue
        seen.add(state.code)
        out.append((state, depth))
        stack += [(c, depth + 1) for c in reversed(children.get(state.code, []))]
    return out


# -- users ---------------------------------------------------------------------------------------

def _valid_on(day: dt.date) -> Q:
    return Q(valid_from__lte=day) & (Q(valid_to__isnull=True) | Q(valid_to__gt=day))


def org_ids_of(user_id: int, day: dt.date | None = None) -> list[int]:
    """The departments a user belongs to on `day` (today): the primary one and any extra ones."""
    day = dialect.param(day or timezone.localdate())
    # The gate asks on every request: a plain cursor (daicho.db.plain), not the ORM.
    found = plain.fetch(OrgMembership, "user_id = %s AND valid_from <= %s AND "
                        "(valid_to IS NULL OR valid_to > %s)", [user_id, day, day])
    return sorted({m.org_id for m in found})


def org_ids_by_user(user_ids: list[int], day: dt.date | None = None) -> dict[int, list[int]]:
    """org_ids_of for many users in one query; users without a department are left out."""
    day = day or timezone.localdate()
    found: dict[int, list[int]] = {}
    for uid, oid in OrgMembership.objects.filter(_valid_on(day), user_id__in=user_ids) \
            .values_list("user_id", "org_id").distinct():
        found.setdefault(uid, []).append(oid)
    return found


def users_in(org_ids: list[int], day: dt.date | None = None) -> set[int]:
    """The users (ids) who belong to one of `org_ids` on `day` (today), primary or extra."""
    day = day or timezone.localdate()
    return set(OrgMembership.objects.filter(_valid_on(day), org_id__in=org_ids)
               .values_list("user_id", flat=True))


def memberships_of(user_id: int) -> list[OrgMembership]:
    """Every primary and extra department the user held, holds or is scheduled to hold."""
    return list(OrgMembership.objects.filter(user_id=user_id).select_related("org")
                .order_by("-primary", "valid_from", "id"))


def extra_orgs_of(user_id: int, day: dt.date | None = None) -> list[Org]:
    day = day or timezone.localdate()
    return [m.org for m in OrgMembership.objects.filter(_valid_on(day), user_id=user_id,
                                                        primary=False)
            .select_related("org").order_by("org__code")]


def people_in(org_id: int, day: dt.date | None = None) -> list[tuple[str, str, bool]]:
    """Active users in a department on `day` (today): (login, name, primary), by login."""
    day = day or timezone.localdate()
    return list(OrgMembership.objects.filter(_valid_on(day), org_id=org_id, user__is_active=True)
                .order_by("user__username", "-primary")
                .values_list("user__username", "user__profile__name", "primary"))


def roles_in_use() -> list[tuple[str, list[str]]]:
    """The role names the city uses: the two every city has, then every name an active user
    holds, each with the logins holding it."""
    holders: dict[str, list[str]] = {name: [] for name in BUILTIN_ROLES}
    for login, roles in Profile.objects.filter(user__is_active=True) \
            .order_by("user__username").values_list("user__username", "roles"):
        for role in roles if isinstance(roles, list) else []:
            if isinstance(role, str):
                holders.setdefault(role, []).append(login)
    others = sorted(name for name in holders if name not in BUILTIN_ROLES)
    return [(name, holders[name]) for name in (*BUILTIN_ROLES, *others)]


def role_names() -> list[tuple[str, int]]:
    """The role names in use (as roles_in_use), each with how many active users hold it."""
    return [(name, len(logins)) for name, logins in roles_in_use()]
