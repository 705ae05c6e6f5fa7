"""What the home page shows as recent: the ledgers a person opened last, and the latest record
changes they may see."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from daicho import access
from daicho.access import AnyUser
from daicho.errors import NotFound
from daicho.fields.context import ValueContext
from daicho.models import History
from daicho.selectors import records as sel
from daicho.selectors.ledgers import LedgerSchema, is_sensitive
from daicho.services import audit
from daicho.web.grid import record_title
from daicho.web.models import RecentLedger

RECENT_KEPT = 20  # ledgers remembered per user; the home page shows the first few


def note_ledger_opened(*, user: AnyUser, schema: LedgerSchema) -> None:
    """Remember that `user` opened the ledger's list just now (the home page's recent ledgers,
    latest first). Only a change of that order is written: paging, sorting or filtering the list
    the user opened last is one read and no write. Another ledger is one UPDATE; a first visit
    inserts and forgets the user's oldest beyond RECENT_KEPT."""
    if not user.is_authenticated:
        return
    latest = RecentLedger.objects.filter(user_id=user.pk).order_by("-opened_at") \
        .values_list("ledger_id", flat=True).first()
    if latest == schema.id:
        return
    now = timezone.now()
    if RecentLedger.objects.filter(user_id=user.pk, ledger_id=schema.id).update(opened_at=now):
        return
    try:
        with transaction.atomic():
            RecentLedger.objects.create(user_id=user.pk, ledger_id=schema.id, opened_at=now)
    except IntegrityError:  # two tabs opened it at once
        return
    ids = list(RecentLedger.objects.filter(user_id=user.pk).order_by("-opened_at")
               .values_list("id", flat=True)[:RECENT_KEPT + 20])
    if len(ids) > RECENT_KEPT:
        RecentLedger.objects.filter(id__in=ids[RECENT_KEPT:]).delete()


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
