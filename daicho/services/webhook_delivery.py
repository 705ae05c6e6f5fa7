"""Sending webhook deliveries (contract §9): the `webhooks` job, after commit.

Each delivery is a POST of `{"event", "ledger", "record", "revision", "at", "delivery",
"timestamp"}` (UTF-8 JSON) with

- `X-Daicho-Signature: sha256=HEX` — HMAC-SHA256 of the exact body bytes with the hook's
  secret. The body holds the delivery id and the time of this attempt, so the one signature
  covers them: a receiver that checks the signature, keeps the delivery ids it has seen and
  refuses a `timestamp` more than a few minutes old is safe against replays.
- `X-Daicho-Delivery` (the delivery id, the same on every attempt: the receiver's idempotency
  key), `X-Daicho-Timestamp` (Unix seconds of this attempt) and `X-Daicho-Event`: copies of
  the signed values in the body, for routing and logs.

A delivery is claimed by moving its `next_attempt_at` forward by a lease with a conditional
UPDATE, so two servers never send it at once, and a server killed mid-way leaves it due again
when the lease ends (sent late, never lost). A server killed after the receiver answered but
before the answer was recorded sends it once more, with the same delivery id.

Failed attempts are retried after 1, 5, 15 and 30 minutes, then 1, 2, 4, 8 and 8 hours: ten
attempts over about 24 hours. A delivery whose every attempt failed is `failed`; after
`SUSPEND_AFTER` such deliveries in a row the hook is suspended (its later events are kept, not
sent, until a manager resumes it) and the ledger's managers are told. Finished deliveries are
kept for `KEEP_DAYS` days."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from daicho import jobs, outbound
from daicho.models import Job, Webhook, WebhookDelivery
from daicho.selectors.ledgers import load_schema
from daicho.services import audit
from daicho.services.webhooks import JOB, ensure_job

log = logging.getLogger(__name__)
BACKOFF_SECONDS = (60, 300, 900, 1800, 3600, 7200, 14400, 28800, 28800)
LEASE = dt.timedelta(minutes=5)  # far longer than one attempt (outbound.DEADLINE_SECONDS)
SUSPEND_AFTER = 3
KEEP_DAYS = 30
JOB_SECONDS = 60.0  # one job run sends for at most this long, then queues the next run
USER_AGENT = "daicho-webhooks/1"


def body_of(delivery: WebhookDelivery, timestamp: int) -> bytes:
    return json.dumps({
        "event": delivery.event, "ledger": delivery.ledger_id, "record": delivery.record_id,
        "revision": delivery.revision, "at": timezone.localtime(delivery.at).isoformat(),
        "delivery": delivery.key, "timestamp": timestamp,
    }, ensure_ascii=False, separators=(",", ":")).encode()


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _due(now: dt.datetime) -> Any:
    return WebhookDelivery.objects.filter(status="pending", next_attempt_at__lte=now,
                                          hook__enabled=True, hook__suspended_at=None)


def _claim(now: dt.datetime) -> WebhookDelivery | None:
    candidates = list(_due(now).order_by("next_attempt_at", "id")
                      .values_list("id", "next_attempt_at", "attempts")[:20])
    for delivery_id, due_at, attempts in candidates:
        if WebhookDelivery.objects.filter(id=delivery_id, status="pending", attempts=attempts,
                                          next_attempt_at=due_at).update(
                next_attempt_at=now + LEASE):
            return WebhookDelivery.objects.select_related("hook").get(id=delivery_id)
    return None


def attempt(delivery: WebhookDelivery, now: dt.datetime) -> bool:
    """One POST of a claimed delivery, and its outcome recorded; True when it arrived."""
    hook = delivery.hook
    assert hook is not None  # _due joins the hook
    timestamp = int(now.timestamp())
    body = body_of(delivery, timestamp)
    outcome = outbound.post(hook.url, body, {
        "Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT,
        "X-Daicho-Event": delivery.event, "X-Daicho-Delivery": delivery.key,
        "X-Daicho-Timestamp": str(timestamp), "X-Daicho-Signature": sign(hook.secret, body)})
    attempts = delivery.attempts + 1
    changes: dict[str, Any] = {
        "attempts": attempts, "last_attempt_at": now, "response_code": outcome.status,
        "response_body": outcome.body[:2000].decode("utf-8", "replace")[:500],
        "error": outcome.error[:300]}
    if outcome.ok:
        changes.update(status="delivered", next_attempt_at=None)
    elif outcome.status is not None and not changes["error"]:
        changes["error"] = (_("Redirects are not followed.") if 300 <= outcome.status < 400
                            else _("The receiver answered with an error."))
    if not outcome.ok and attempts > len(BACKOFF_SECONDS):
        changes.update(status="failed", next_attempt_at=None)
    elif not outcome.ok:
        changes["next_attempt_at"] = now + dt.timedelta(seconds=BACKOFF_SECONDS[attempts - 1])
    with transaction.atomic():
        WebhookDelivery.objects.filter(id=delivery.id).update(**changes)
        if outcome.ok and hook.failures:
            Webhook.objects.filter(id=hook.id).update(failures=0)
        elif changes.get("status") == "failed":
            _count_failure(hook.id, now)
    return outcome.ok


def _count_failure(hook_id: int, now: dt.datetime) -> None:
    Webhook.objects.filter(id=hook_id).update(failures=F("failures") + 1)
    hook = Webhook.objects.filter(id=hook_id).first()
    if hook is not None and hook.failures >= SUSPEND_AFTER and hook.suspended_at is None:
        hook.suspended_at = now
        hook.save(update_fields=["suspended_at"])
        _tell_managers(hook)


def _tell_managers(hook: Webhook) -> None:
    """The notice to the ledger's managers that their hook was suspended: in their bell and by
    mail (daicho.services.notifications), and in the access log."""
    from daicho.services import notifications

    message = _("The webhook to %(url)s was suspended because %(n)d deliveries in a row failed "
                "every attempt. Check the receiver, then send a delivery again to resume it.") \
        % {"url": hook.url[:200], "n": hook.failures}
    audit.record(user=None, action="webhook_suspended", target=f"ledger:{hook.ledger_id}",
                 details={"hook": hook.id, "url": hook.url, "failures": hook.failures,
                          "message": message})
    schema = load_schema(hook.ledger_id)
    if schema is not None:
        notifications.tell_managers(schema, message)


def prune(now: dt.datetime) -> int:
    """Forget finished deliveries older than KEEP_DAYS days (pending ones stay), and this job's
    own finished runs older than a day (a busy ledger queues one run per burst of changes)."""
    runs = Job.objects.filter(kind=JOB, status__in=("done", "failed"),
                              finished_at__lt=now - dt.timedelta(days=1))
    if runs.exists():
        runs.delete()
    old = WebhookDelivery.objects.filter(created_at__lt=now - dt.timedelta(days=KEEP_DAYS)) \
        .exclude(status="pending")
    return old.delete()[0] if old.exists() else 0


def deliver_due(*, now: dt.datetime | None = None, seconds: float = JOB_SECONDS) -> dict[str, int]:
    """Send every delivery that is due (at `now`, the present by default), for at most
    `seconds`; what is left is sent by the next run, queued behind the other jobs."""
    started = time.monotonic()
    sent = failed = 0
    while (delivery := _claim(now or timezone.now())) is not None:
        if attempt(delivery, now or timezone.now()):
            sent += 1
        else:
            failed += 1
        if time.monotonic() - started > seconds:
            ensure_job()
            break
    return {"sent": sent, "failed": failed, "pruned": prune(now or timezone.now())}


@jobs.kind(JOB, retry=True)
def _job(job: Job, progress: Callable[[int, int], None]) -> dict[str, Any]:
    return deliver_due()


@jobs.every(15)
def wake_if_due() -> None:
    """Queue the job when a retry has come due and no run is queued or running."""
    if _due(timezone.now()).exists() and not Job.objects.filter(
            kind=JOB, status__in=("queued", "running")).exists():
        ensure_job()
