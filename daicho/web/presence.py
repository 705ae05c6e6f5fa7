"""Who else has a ledger or a record open: noted by the pages' polling, read for the avatars
shown on the list and the record page."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone

from daicho.access import AnyUser
from daicho.errors import NotFound
from daicho.selectors.ledgers import LedgerSchema
from daicho.web.models import RecordPresence

PRESENCE_WINDOW = dt.timedelta(seconds=45)


def touch_presence(*, user: AnyUser, schema: LedgerSchema, record_id: int) -> None:
    """Note that `user` has the record open now (called by the record page's polling)."""
    if not user.is_authenticated:
        raise NotFound()
    now = timezone.now()
    updated = RecordPresence.objects.filter(ledger_id=schema.id, record_id=record_id,
                                            user_id=user.pk).update(last_seen=now)
    if not updated:
        try:
            with transaction.atomic():
                RecordPresence.objects.create(ledger_id=schema.id, record_id=record_id,
                                              user_id=user.pk, last_seen=now)
        except IntegrityError:  # two tabs of the same person polled at once
            pass


def others_present(user: AnyUser, schema: LedgerSchema, record_id: int) -> list[str]:
    since = timezone.now() - PRESENCE_WINDOW
    rows = (RecordPresence.objects.filter(ledger_id=schema.id, record_id=record_id,
                                          last_seen__gte=since)
            .exclude(user_id=int(user.pk or 0))
            .values_list("user__username", "user__profile__name"))
    return sorted(name or login for login, name in rows)


def others_in_ledger(user: AnyUser, schema: LedgerSchema) -> dict[str, set[int]]:
    """Who else has the ledger open (its list or one of its records) → the records they have
    open (RecordPresence.LIST_PAGE for the list itself)."""
    since = timezone.now() - PRESENCE_WINDOW
    rows = (RecordPresence.objects.filter(ledger_id=schema.id, last_seen__gte=since)
            .exclude(user_id=int(user.pk or 0))
            .values_list("user__username", "user__profile__name", "record_id"))
    out: dict[str, set[int]] = {}
    for login, name, record_id in rows:
        out.setdefault(name or login, set()).add(int(record_id))
    return out
