"""A ledger's webhooks (contract §9): the managers' settings, and one delivery row per (hook,
event) written in the transaction of the change by the listener on daicho.services.events.

Sending happens after commit, in the `webhooks` job (daicho.services.webhook_delivery): a
delivery row is the durable queue entry, so a crash before the job runs delays it, never loses
it. Hook URLs are checked against server-side request forgery by daicho.outbound, here when
they are saved and again for every attempt."""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from daicho import access, outbound
from daicho.access import AnyUser
from daicho.error_codes import Code
from daicho.errors import Conflict, InvalidInput, NotFound
from daicho.models import Job, Ledger, Webhook, WebhookDelivery
from daicho.selectors.ledgers import LedgerSchema
from daicho.services import audit, events

# The events a hook may ask for: the contract's five, and `restore` (a record back from the
# trash), which a receiver that mirrors a ledger needs as much as `delete`.
EVENTS = ("create", "update", "delete", "restore", "status", "comment")
MAX_HOOKS = 20
HOOK_KEYS = {"id", "url", "events", "secret", "enabled", "suspended"}
READ_ONLY_KEYS = {"failures", "suspended_at"}  # shown by GET, ignored when sent back
SECRET = re.compile(r"^[\x21-\x7e]{8,200}$")
JOB = "webhooks"


def event_name(event: events.RecordEvent) -> str | None:
    """The webhook event of a record event. An import's entry is a `create` for a record it
    added (revision 1) and an `update` for one it changed (kintone sends nothing for either)."""
    if event.action == "import":
        return "create" if event.revision == 1 else "update"
    if event.action == "revert":
        return "update"
    return event.action if event.action in EVENTS else None


def on_events(schema: LedgerSchema, batch: Sequence[events.RecordEvent]) -> None:
    """The listener: in the writer's transaction, one pending delivery per (hook, event). A
    ledger without hooks costs nothing (`has_hooks` reads the settings loaded with the ledger);
    a hook switched off gets nothing; a suspended hook's deliveries are kept until it is
    resumed."""
    if not has_hooks(schema):
        return
    hooks = list(Webhook.objects.filter(ledger_id=schema.id, enabled=True)
                 .values_list("id", "events"))
    if not hooks:
        return
    now = timezone.now()
    rows = []
    for event in batch:
        name = event_name(event)
        if name is None:
            continue
        rows += [WebhookDelivery(key=uuid.uuid4().hex, ledger_id=schema.id, hook_id=hook_id,
                                 event=name, record_id=event.record_id, revision=event.revision,
                                 at=now, next_attempt_at=now, created_at=now)
                 for hook_id, wanted in hooks if name in wanted]
    if rows:
        WebhookDelivery.objects.bulk_create(rows, batch_size=1000)
        ensure_job()


def has_hooks(schema: LedgerSchema) -> bool:
    """Whether the ledger has a hook switched on: a flag in `Ledger.settings`, which
    `set_hooks` keeps in step in its transaction and which is loaded with the ledger."""
    settings_ = schema.ledger.settings
    return isinstance(settings_, dict) and settings_.get("webhooks") is True


def ensure_job() -> None:
    """Queue the sending job, in the caller's transaction, unless one is waiting already (the
    workers poll the queue, and `wake_if_due` finds retries that come due later)."""
    if not Job.objects.filter(kind=JOB, status="queued").exists():
        Job.objects.create(kind=JOB, params={})


# --- the managers' settings ---------------------------------------------------------------


def hook_json(hook: Webhook, *, secret: str | None = None) -> dict[str, Any]:
    """A hook as the API shows it. The secret is write-only: `null`, except in the answer to
    the PUT that generated it."""
    return {"id": hook.id, "url": hook.url, "events": list(hook.events), "secret": secret,
            "enabled": hook.enabled, "suspended": hook.suspended_at is not None,
            "suspended_at": (timezone.localtime(hook.suspended_at).isoformat()
                             if hook.suspended_at else None),
            "failures": hook.failures}


def list_hooks(schema: LedgerSchema) -> list[dict[str, Any]]:
    return [hook_json(h) for h in Webhook.objects.filter(ledger_id=schema.id)
            .order_by("position", "id")]


def _bad(at: str, message: str) -> InvalidInput:
    return InvalidInput(message, code=Code.INVALID_WEBHOOKS, details={"at": at})


def _clean_hook(spec: Any, at: str, existing: dict[int, Webhook]) -> dict[str, Any]:
    if not isinstance(spec, dict):
        raise _bad(at, _("Each webhook must be an object with url, events and secret."))
    unknown = sorted(set(spec) - HOOK_KEYS - READ_ONLY_KEYS)
    if unknown:
        raise _bad(at, _("Unknown keys in a webhook: %(keys)s") % {"keys": ", ".join(unknown)[:200]})
    hook_id = spec.get("id")
    if hook_id is not None and (type(hook_id) is not int or hook_id not in existing):
        raise _bad(f"{at}.id", _("This ledger has no webhook with this id."))
    try:
        outbound.check_url(spec.get("url", ""))
    except InvalidInput as exc:
        exc.details = {**exc.details, "at": f"{at}.url"}
        raise
    url = str(spec["url"]).strip()
    wanted = spec.get("events")
    if not isinstance(wanted, list) or not wanted or not all(isinstance(e, str) for e in wanted):
        raise _bad(f"{at}.events", _("Choose at least one event: %(events)s")
                   % {"events": ", ".join(EVENTS)})
    unknown_events = [e for e in wanted if e not in EVENTS]
    if unknown_events:
        raise _bad(f"{at}.events", _("Unknown event %(event)s; the events are %(events)s.")
                   % {"event": unknown_events[0][:40], "events": ", ".join(EVENTS)})
    secret = spec.get("secret")
    if secret is not None and (not isinstance(secret, str) or not SECRET.match(secret)):
        raise _bad(f"{at}.secret", _("The secret must be 8 to 200 letters, digits or symbols "
                                     "(no spaces)."))
    for flag in ("enabled", "suspended"):
        if flag in spec and not isinstance(spec[flag], bool):
            raise _bad(f"{at}.{flag}", _("%(key)s must be true or false.") % {"key": flag})
    return {"id": hook_id, "url": url, "events": [e for e in EVENTS if e in wanted],
            "secret": secret, "enabled": spec.get("enabled", True),
            "suspended": spec.get("suspended")}


def set_hooks(*, user: AnyUser, schema: LedgerSchema, hooks: Any) -> list[dict[str, Any]]:
    """Replace the ledger's hooks as a whole. A hook sent with its `id` (or, without one, the
    same URL as a hook the ledger has) keeps its secret when none is sent, its deliveries and
    its state; a new hook without a secret gets a generated one, shown in this answer only.
    Hooks left out are removed and their pending deliveries cancelled."""
    access.require(user, schema, "manage")
    if not isinstance(hooks, list):
        raise _bad("hooks", _("hooks must be a list."))
    if len(hooks) > MAX_HOOKS:
        raise _bad("hooks", _("A ledger may have at most %(n)d webhooks.") % {"n": MAX_HOOKS})
    existing = {h.id: h for h in Webhook.objects.filter(ledger_id=schema.id)}
    # Host names are resolved here, before the transaction: no lock is held while DNS answers.
    cleaned = [_clean_hook(spec, f"hooks[{i}]", existing) for i, spec in enumerate(hooks)]
    now = timezone.now()
    shown: list[dict[str, Any]] = []
    with transaction.atomic():
        # The settings as they are now (other writers keep theirs there too), locked.
        ledger = Ledger.objects.select_for_update().get(id=schema.id)
        # Again under the lock: another PUT may have changed the hooks since they were read.
        existing = {h.id: h for h in Webhook.objects.filter(ledger_id=schema.id)}
        for i, spec in enumerate(cleaned):
            if spec["id"] is not None and spec["id"] not in existing:
                raise _bad(f"hooks[{i}].id", _("This ledger has no webhook with this id."))
        unmatched = {k: h for k, h in existing.items() if k not in {s["id"] for s in cleaned}}
        for spec in cleaned:  # a hook sent without its id is the stored one with its URL
            same = next((h.id for h in unmatched.values() if h.url == spec["url"]), None)
            if spec["id"] is None and same is not None:
                spec["id"] = same
                del unmatched[same]
        for position, spec in enumerate(cleaned):
            generated = None
            hook = existing.get(spec["id"]) or Webhook(ledger_id=schema.id)
            if spec["secret"] is None and not hook.secret:
                generated = spec["secret"] = secrets.token_urlsafe(32)
            if spec["secret"] is not None:
                hook.secret = spec["secret"]
            moved = bool(hook.url) and hook.url != spec["url"]
            hook.url, hook.events, hook.enabled = spec["url"], spec["events"], spec["enabled"]
            hook.position = position
            if spec["suspended"] is False or moved:  # a new URL is a fresh start
                hook.suspended_at, hook.failures = None, 0
            elif spec["suspended"] and hook.suspended_at is None:
                hook.suspended_at = now
            hook.save()
            shown.append(hook_json(hook, secret=generated))
        if unmatched:
            WebhookDelivery.objects.filter(hook_id__in=list(unmatched), status="pending").update(
                status="cancelled", next_attempt_at=None, error=_("The webhook was removed."))
            Webhook.objects.filter(id__in=list(unmatched)).delete()
        settings_ = dict(ledger.settings) if isinstance(ledger.settings, dict) else {}
        if any(h["enabled"] for h in shown):
            settings_["webhooks"] = True
        else:
            settings_.pop("webhooks", None)
        if settings_ != ledger.settings:
            ledger.settings = settings_
            ledger.save(update_fields=["settings"])
        schema.ledger.settings = settings_
        if WebhookDelivery.objects.filter(ledger_id=schema.id, status="pending").exists():
            ensure_job()  # a resumed hook sends what it held
        audit.record(user=user, action="webhooks", target=f"ledger:{schema.id}",
                     details={"hooks": [{"url": h["url"], "events": h["events"],
                                         "enabled": h["enabled"]} for h in shown]})
    return shown


def retry(*, user: AnyUser, schema: LedgerSchema, delivery_id: int) -> WebhookDelivery:
    """"Send again": the delivery is due now, with the same delivery id (receivers that have
    it already may skip it) and a fresh round of attempts. A hook suspended after failures is
    resumed by it, and sends what it held."""
    grant = access.require(user, schema, "manage")
    with transaction.atomic():
        delivery = WebhookDelivery.objects.filter(id=delivery_id, ledger_id=schema.id).first()
        if delivery is None:
            raise NotFound()
        grant.check_record(delivery.record_id, "view")  # as the log shows it: or not at all
        hook = (Webhook.objects.filter(id=delivery.hook_id).first()
                if delivery.hook_id is not None else None)
        if hook is None:
            raise Conflict(_("The webhook of this delivery was removed, so it cannot be sent "
                             "again."), code=Code.WEBHOOK_REMOVED)
        if not hook.enabled:
            raise Conflict(_("This webhook is switched off. Switch it on to send again."),
                           code=Code.WEBHOOK_OFF)
        if hook.suspended_at is not None:  # sending again means the receiver is back
            Webhook.objects.filter(id=hook.id).update(suspended_at=None, failures=0)
        delivery.status, delivery.attempts = "pending", 0
        delivery.next_attempt_at = timezone.now()
        delivery.error = ""
        delivery.save(update_fields=["status", "attempts", "next_attempt_at", "error"])
        ensure_job()
        audit.record(user=user, action="webhook_retry", target=f"ledger:{schema.id}",
                     details={"delivery": delivery.key})
    return delivery
