"""The home page's list of ledgers: a search by name (width and kana folded, as the record
search), grouping by folder or by the creator's department, and the ledgers the user opened
lately. Everything is read from the ledgers the gate lets the user view."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from daicho import access
from daicho.access import AnyUser
from daicho.models import Ledger, Profile
from daicho.selectors.ledgers import list_ledgers
from daicho.textnorm import query_terms, search_key
from daicho.web.models import RecentLedger

GROUPINGS = ("folder", "department")
RECENT_SHOWN = 6


@dataclass
class Group:
    name: str  # "" when the list is not grouped
    items: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class LedgerList:
    groups: list[Group]
    recent: list[dict[str, Any]]
    shown: int  # ledgers that matched the search
    total: int  # ledgers the user may view


def _departments(ledgers: list[Ledger]) -> dict[int, str]:
    """Ledger id → the name of its creator's department today (one query)."""
    creators = {ledger.created_by_id for ledger in ledgers if ledger.created_by_id}
    names = dict(Profile.objects.filter(user_id__in=creators, org__isnull=False)
                 .values_list("user_id", "org__name"))
    return {ledger.id: names.get(ledger.created_by_id or 0, "") for ledger in ledgers}


def _matches(terms: list[str], item: dict[str, Any]) -> bool:
    key = search_key(" ".join((item["name"], item["description"], item["folder"])))
    return all(term in key for term in terms)


def _grouped(items: list[dict[str, Any]], by: str) -> list[Group]:
    if by not in GROUPINGS:
        return [Group("", items)]
    groups: dict[str, Group] = {}
    for item in items:
        name = item[by]
        groups.setdefault(name, Group(name)).items.append(item)
    # Named groups in the order of their names (Japanese reading order is not known; the
    # code point order keeps a folder's 1, 2, 3 together), the unfiled ones last.
    named = sorted((g for g in groups.values() if g.name), key=lambda g: search_key(g.name))
    unfiled = groups.get("")
    if unfiled is not None:
        unfiled.name = _("No folder") if by == "folder" else _("No department")
        named.append(unfiled)
    return named


def ledger_list(user: AnyUser, *, q: str = "", group: str = "") -> LedgerList:
    ledgers = access.visible_ledgers(user)
    items = list_ledgers(ledgers, counted=lambda ledger: access.sees_all_records(user, ledger))
    departments = _departments(ledgers) if group == "department" else {}
    for item in items:
        item["department"] = departments.get(item["id"], "")
    by_id = {item["id"]: item for item in items}
    recent_ids = RecentLedger.objects.filter(user_id=int(user.pk or 0)).order_by(
        "-opened_at").values_list("ledger_id", flat=True)[:RECENT_SHOWN * 3]
    recent = [by_id[i] for i in recent_ids if i in by_id][:RECENT_SHOWN]
    terms = query_terms(q)
    shown = [item for item in items if _matches(terms, item)] if terms else items
    return LedgerList(_grouped(shown, group), recent, len(shown), len(items))

