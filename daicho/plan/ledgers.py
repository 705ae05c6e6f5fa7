"""The plan's ledgers are found by a stable key (`Ledger.key`), never by their names, so a city
may rename them or load its own plan into ledgers it made and keyed (the demo keys the ledgers
it creates, daicho.demo.plan; migration 0016 keyed those an earlier version made by their names).
Opening one goes through the gate like every other read."""

from __future__ import annotations

from django.utils.translation import gettext as _

from daicho import access
from daicho.error_codes import Code
from daicho.errors import NotFound
from daicho.models import Ledger
from daicho.selectors.ledgers import LedgerSchema

PLAN_INFO = "plan_info"
INVENTORY = "plan_inventory"
MEASURES = "plan_measures"
PROGRESS = "plan_progress"
COMMITTEE_MEETINGS = "plan_committee_meetings"
COMMITTEE_ITEMS = "plan_committee_items"
REVISIONS = "plan_revisions"
KPIS = "plan_kpis"
REFERENCES = ["plan_reference_1", "plan_reference_2", "plan_reference_3"]

# The name the demo gives each (and the one a missing ledger is called by in a message).
NAMES: dict[str, str] = {
    PLAN_INFO: "計画概要",
    INVENTORY: "情報システム台帳",
    MEASURES: "全体最適化取組",
    PROGRESS: "取組進捗",
    COMMITTEE_MEETINGS: "委員会開催",
    COMMITTEE_ITEMS: "委員会議題",
    REVISIONS: "計画改定",
    KPIS: "目標指標",
    REFERENCES[0]: "参考資料1",
    REFERENCES[1]: "参考資料2",
    REFERENCES[2]: "参考資料3",
}


def open_ledger(user: access.AnyUser, key: str, right: str = "view") -> LedgerSchema:
    """The plan's ledger `key` if `user` holds `right` on it; NotFound otherwise."""
    lid = Ledger.objects.filter(key=key).values_list("id", flat=True).first()
    if lid is None:
        raise NotFound(_("There is no ledger 「%(ref)s」.") % {"ref": NAMES.get(key, key)[:100]},
                       code=Code.UNKNOWN_LEDGER)
    return access.ledger_for(user, lid, right)


def viewable(user: access.AnyUser, keys: list[str]) -> set[str]:
    """Which of these ledgers `user` may view: one query, no schema loaded (for menus)."""
    if not user.is_authenticated:
        return set()
    return {str(ledger.key) for ledger in Ledger.objects.filter(key__in=keys)
            if access.has_right(user, ledger, "view")}
