"""The one gate for permission-checked reads and writes.

Every view, API endpoint, export and search goes through these functions. Forbidden looks exactly
like missing: both raise NotFound. Until the permissions issue lands every signed-in user may read
and write every ledger; the rule engine plugs in here, as SQL predicates, without touching callers.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from daicho.errors import NotAuthenticated, NotFound
from daicho.selectors.ledgers import LedgerSchema, load_schema

RIGHTS = ("view", "add", "edit", "delete", "export", "import", "manage")

AnyUser = AbstractBaseUser | AnonymousUser


def require_user(user: AnyUser) -> None:
    if not user.is_authenticated:
        raise NotAuthenticated()


def ledger_for(user: AnyUser, ledger_id: int | str, right: str = "view") -> LedgerSchema:
    """The ledger with its live fields, if `user` holds `right` on it; NotFound otherwise."""
    require_user(user)
    assert right in RIGHTS
    try:
        lid = int(ledger_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    schema = load_schema(lid)
    if schema is None:
        raise NotFound()
    return schema


def can_create_ledger(user: AnyUser) -> bool:
    return bool(user.is_authenticated)


def record_predicate(user: AnyUser, schema: LedgerSchema, alias: str = "t") -> tuple[str, list[Any]]:
    """SQL limiting rows to those the user may see (evaluated at query time, at any size)."""
    return "", []
