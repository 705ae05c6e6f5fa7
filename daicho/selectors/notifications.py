"""Reading notifications (the bell, the list, the API) and the mail outbox (admins)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count

from daicho.models import Notification, OutboxMail

PAGE = 50
MAX_PAGE = 200


def unread_count(user_id: int) -> int:
    """The bell: answered from the partial index of unread notifications alone."""
    return Notification.objects.filter(user_id=user_id, read_at=None).count()


def notifications_of(user_id: int, *, unread: bool = False, limit: int = PAGE,
                     before: int | None = None) -> list[Notification]:
    """Newest first; `before` (an id) pages further back."""
    found = Notification.objects.filter(user_id=user_id)
    if unread:
        found = found.filter(read_at=None)
    if before is not None:
        found = found.filter(id__lt=before)
    return list(found.select_related("ledger").order_by("-id")[:max(1, min(limit, MAX_PAGE))])


def notification_json(n: Notification) -> dict[str, Any]:
    return {"id": n.id, "at": n.at.isoformat(), "kind": n.kind, "ledger": n.ledger_id,
            "ledger_name": n.ledger.name if n.ledger else None, "record": n.record_id,
            "text": n.text, "read": n.read_at is not None}


def outbox(*, status: str | None = None, limit: int = 200) -> list[OutboxMail]:
    """The mail queue, what waits or failed first, then the most recent."""
    found = OutboxMail.objects.all()
    if status:
        found = found.filter(status=status)
    return list(found.order_by("-id")[:limit])


def outbox_json(m: OutboxMail) -> dict[str, Any]:
    def at(value: Any) -> str | None:
        return value.isoformat() if value else None

    return {"id": m.id, "key": m.key, "to": m.to, "subject": m.subject, "status": m.status,
            "attempts": m.attempts, "last_error": m.last_error,
            "created_at": at(m.created_at), "next_attempt_at": at(m.next_attempt_at),
            "sent_at": at(m.sent_at)}


def outbox_counts() -> dict[str, int]:
    counts = dict.fromkeys(("pending", "sending", "sent", "failed"), 0)
    for row in OutboxMail.objects.values("status").annotate(n=Count("id")):
        counts[str(row["status"])] = int(row["n"])
    return counts
