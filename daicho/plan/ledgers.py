"""The plan's ledgers are found by name: any city can load its own plan into ledgers named as
the demo's are (daicho.plan.demo). Opening one goes through the gate like every other read."""

from __future__ import annotations

from django.utils.translation import gettext as _

from daicho import access
from daicho.error_codes import Code
from daicho.errors import NotFound
from daicho.models import Ledger
from daicho.selectors.ledgers import LedgerSchema


def open_ledger(user: access.AnyUser, name: str, right: str = "view") -> LedgerSchema:
    """The ledger called `name` if `user` holds `right` on it; NotFound otherwise."""
    lid = Ledger.objects.filter(name=name).values_list("id", flat=True).first()
    if lid is None:
        raise NotFound(_("There is no ledger 「%(ref)s」.") % {"ref": name[:100]},
                       code=Code.UNKNOWN_LEDGER)
    return access.ledger_for(user, lid, right)


def viewable(user: access.AnyUser, names: list[str]) -> set[str]:
    """Which of these ledgers `user` may view: one query, no schema loaded (for menus)."""
    if not user.is_authenticated:
        return set()
    return {ledger.name for ledger in Ledger.objects.filter(name__in=names)
            if access.has_right(user, ledger, "view")}
