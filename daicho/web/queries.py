"""Reads the web UI needs beyond the engine's selectors: saved views, presence, recent changes,
deleted fields, people and departments for pickers, users and tokens for the admin pages."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone

from daicho import access
from daicho.access import AnyUser
from daicho.errors import NotFound
from daicho.fields.context import ValueContext
from daicho.models import ApiToken, Field, History, Org
from daicho.selectors import records as sel
from daicho.selectors.ledgers import LedgerSchema, is_sensitive
from daicho.services import audit
from daicho.web.grid import record_title
from daicho.web.models import RecordPresence, SavedView
from daicho.web.names import name_key

PRESENCE_WINDOW = dt.timedelta(seconds=45)


def _uid(user: AnyUser) -> int:
    return int(user.pk or 0)


def has_right(user: AnyUser, schema: LedgerSchema, right: str) -> bool:
    """Through the gate, on the ledger the page already loaded (no second load per right)."""
    return access.has_right(user, schema.ledger, right)


def rights(user: AnyUser, schema: LedgerSchema, *names: str) -> dict[str, bool]:
    return {name: has_right(user, schema, name) for name in names}


# -- saved views --------------------------------------------------------------------------------

def may_change_view(user: AnyUser, view: SavedView | None, can_manage: bool) -> bool:
    """Own views by their owner; shared views by whoever manages the ledger."""
    if view is None:
        return False
    return can_manage if view.owner_id is None else view.owner_id == user.pk


def views_for(user: AnyUser, schema: LedgerSchema) -> list[SavedView]:
    """The user's own views of the ledger and the shared ones, shared first."""
    views = SavedView.objects.filter(ledger_id=schema.id).filter(Q(owner=None) | Q(owner_id=_uid(user)))
    return sorted(views, key=lambda v: (v.owner_id is not None, v.name, v.id))


def view_for(user: AnyUser, schema: LedgerSchema, view_id: Any) -> SavedView | None:
    try:
        vid = int(view_id)
    except (TypeError, ValueError):
        return None
    return SavedView.objects.filter(Q(owner=None) | Q(owner_id=_uid(user)), id=vid,
                                    ledger_id=schema.id).first()


# -- presence -----------------------------------------------------------------------------------

def others_present(user: AnyUser, schema: LedgerSchema, record_id: int) -> list[str]:
    since = timezone.now() - PRESENCE_WINDOW
    rows = (RecordPresence.objects.filter(ledger_id=schema.id, record_id=record_id,
                                          last_seen__gte=since)
            .exclude(user_id=_uid(user)).values_list("user__username", "user__profile__name"))
    return sorted(name or login for login, name in rows)


def others_in_ledger(user: AnyUser, schema: LedgerSchema) -> dict[str, set[int]]:
    """Who else has the ledger open (its list or one of its records) → the records they have
    open (RecordPresence.LIST_PAGE for the list itself)."""
    since = timezone.now() - PRESENCE_WINDOW
    rows = (RecordPresence.objects.filter(ledger_id=schema.id, last_seen__gte=since)
            .exclude(user_id=_uid(user))
            .values_list("user__username", "user__profile__name", "record_id"))
    out: dict[str, set[int]] = {}
    for login, name, record_id in rows:
        out.setdefault(name or login, set()).add(int(record_id))
    return out


# -- recent changes -----------------------------------------------------------------------------

@dataclass
class RecentChange:
    ledger: LedgerSchema
    record_id: int
    title: str
    action: str
    at: dt.datetime
    user_id: int | None


def recent_changes(user: AnyUser, limit: int = 15) -> list[RecentChange]:
    """The latest record changes the user may see, newest first (one row per record), leaving
    out sensitive ledgers.

    Reads History by id, newest first, which the primary key serves at any size; each record
    is then read through the permission gate, so what a user may not see is left out."""
    seen: set[tuple[int, int]] = set()
    schemas: dict[int, LedgerSchema | None] = {}
    out: list[RecentChange] = []
    ctx = ValueContext()
    entries = History.objects.order_by("-id").values_list(
        "ledger_id", "record_id", "action", "at", "user_id")[: limit * 6]
    for ledger_id, record_id, action, at, user_id in entries:
        if (ledger_id, record_id) in seen:
            continue
        seen.add((ledger_id, record_id))
        if ledger_id not in schemas:
            try:
                found = access.ledger_for(user, ledger_id, "view")
            except NotFound:
                found = None
            # A sensitive ledger's records are shown only on its own pages, which log the view.
            if found is not None and is_sensitive(found.ledger):
                audit.not_shown(found)
                found = None
            schemas[ledger_id] = found
        schema = schemas[ledger_id]
        if schema is None:
            continue
        try:
            row = sel.get_row(user, schema, record_id)
        except NotFound:  # in the trash, or not visible to this user
            continue
        record = sel.records_json(schema, [row], ctx)[0]
        out.append(RecentChange(schema, record_id, record_title(schema, record), action, at,
                                user_id))
        if len(out) >= limit:
            break
    return out


# -- fields -------------------------------------------------------------------------------------

def deleted_fields(schema: LedgerSchema) -> list[Field]:
    return list(Field.objects.filter(ledger_id=schema.id).exclude(deleted_at=None)
                .exclude(code__in=list(schema.by_code)).order_by("-deleted_at"))


def field_names(schema: LedgerSchema) -> dict[str, Field]:
    """Every field a history entry may name, deleted ones included (live ones win)."""
    out = {f.code: f for f in Field.objects.filter(ledger_id=schema.id).order_by("deleted_at")}
    out.update(schema.by_code)
    return out


# -- people and departments ---------------------------------------------------------------------

def _matching(rows: list[tuple[str, str]], text: str, limit: int) -> list[tuple[str, str]]:
    """(code, name) rows whose name or code holds `text`, Japanese-aware as the search box
    (width, case, kana and blanks folded), names that begin with it first. The directory of a
    city office is a few thousand rows: folded here rather than by a key column in SQL."""
    key = name_key(text)
    if not key:
        return rows[:limit]
    found = []
    for code, name in rows:
        folded = name_key(name)
        if key in folded or key in code.lower():
            found.append((not folded.startswith(key), code, name))
    return [(code, name) for _rank, code, name in sorted(found)[:limit]]


def users_matching(text: str, limit: int = 20) -> list[tuple[str, str]]:
    """Active users by name or login: anyone signed in may list the directory (contract §5)."""
    rows = get_user_model().objects.filter(is_active=True).order_by("username") \
        .values_list("username", "profile__name")
    return _matching([(login, name or login) for login, name in rows], text, limit)


def orgs_matching(text: str, limit: int = 20) -> list[tuple[str, str]]:
    rows = Org.objects.filter(abolished_on=None).order_by("code")  # today's departments only
    return _matching(list(rows.values_list("code", "name")), text, limit)


def all_orgs() -> list[Org]:
    return list(Org.objects.order_by("code"))


def logins() -> list[str]:
    return list(get_user_model().objects.filter(is_active=True).order_by("username")
                .values_list("username", flat=True))


def user_list() -> list[Any]:
    return list(get_user_model().objects.select_related("profile", "profile__org")
                .order_by("username"))


def tokens_for(user: AnyUser, *, everyone: bool) -> list[ApiToken]:
    tokens = ApiToken.objects.select_related("user").order_by("-created_at")
    return list(tokens if everyone else tokens.filter(user_id=_uid(user)))


def token_for(user: AnyUser, token_id: Any, *, everyone: bool) -> ApiToken:
    tokens = ApiToken.objects.select_related("user")
    if not everyone:
        tokens = tokens.filter(user_id=_uid(user))
    try:
        return tokens.get(id=int(token_id))
    except (TypeError, ValueError, ApiToken.DoesNotExist):
        raise NotFound() from None
