"""Reads of a ledger's webhook deliveries (the delivery log, contract §9)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from daicho.access import Grant
from daicho.db.dialect import q
from daicho.models import Webhook, WebhookDelivery

PAGE = 100
STATUSES = ("pending", "delivered", "failed", "cancelled")


def _iso(value: Any) -> str | None:
    return timezone.localtime(value).isoformat() if value is not None else None


def delivery_json(d: WebhookDelivery, urls: dict[int, str]) -> dict[str, Any]:
    return {"id": d.id, "delivery": d.key, "hook": d.hook_id, "url": urls.get(d.hook_id or 0),
            "event": d.event, "record": d.record_id, "revision": d.revision, "at": _iso(d.at),
            "status": d.status, "attempts": d.attempts,
            "next_attempt_at": _iso(d.next_attempt_at) if d.status == "pending" else None,
            "last_attempt_at": _iso(d.last_attempt_at), "response_code": d.response_code,
            "response_body": d.response_body, "error": d.error}


def _visible(grant: Grant, rows: QuerySet[WebhookDelivery]) -> QuerySet[WebhookDelivery]:
    """Only deliveries of records the manager may view (trashed ones included): a record id
    is not theirs to know otherwise."""
    sql, params = grant.predicate("view")
    if not sql:
        return rows
    table = q(grant.full.table)
    return rows.extra(  # the gate's own SQL, over a generated table name
        where=[f"record_id IN (SELECT t.id FROM {table} t WHERE {sql})"], params=params)


def deliveries(grant: Grant, *, status: str | None = None, hook: int | None = None,
               before: int | None = None, limit: int = PAGE) -> dict[str, Any]:
    """The newest deliveries first, `limit` a page; `next` is the `before` of the next page."""
    rows = WebhookDelivery.objects.filter(ledger_id=grant.full.id)
    if status:
        rows = rows.filter(status=status)
    if hook is not None:
        rows = rows.filter(hook_id=hook)
    if before is not None:
        rows = rows.filter(id__lt=before)
    found = list(_visible(grant, rows).order_by("-id")[:limit + 1])
    urls = dict(Webhook.objects.filter(ledger_id=grant.full.id).values_list("id", "url"))
    items = [delivery_json(d, urls) for d in found[:limit]]
    return {"items": items, "next": found[limit - 1].id if len(found) > limit else None}
