"""Date reminders (contract §9): a `date` rule notifies its recipients `days_before` days before
the date in a record's field, exactly once per (rule, record, date value).

"Exactly once" is a unique key in the database (`ReminderSent`), written in the same
transaction as the notifications: a run repeated, a second worker, a restart or an upgrade
finds the key and produces nothing again; a run that dies midway rolls its notifications back
with its keys. A record whose date moves to another day within the window is reminded again,
for the new date. A record that enters the window late (created two days before its date under
a seven-day rule) is reminded at the next run; dates already past are not.

The `reminders` job runs them; every worker checks hourly whether one is due, and
`daicho reminders run` runs one now."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from daicho import jobs
from daicho.dates.localtime import TOKYO
from daicho.fields.context import ValueContext
from daicho.fields.temporal import DateTimeType
from daicho.models import Job, Ledger, ReminderSent
from daicho.selectors import records as sel
from daicho.selectors.ledgers import LedgerSchema, load_schema
from daicho.services.notification_rules import rule_key, rules_of
from daicho.services.notifications import Audience, Recipients, Seen, notify

CHUNK = 1000
CHECK_SECONDS = 3600


def _window(schema: LedgerSchema, code: str, today: dt.date, days: int) -> list[str]:
    """The filters of the dates from today to `days` days ahead, in the field's own form."""
    end = today + dt.timedelta(days=days + 1)
    if isinstance(schema.type_of(schema.by_code[code]), DateTimeType):
        def midnight(day: dt.date) -> str:
            return dt.datetime.combine(day, dt.time(), TOKYO).isoformat()

        return [f"{code}:ge:{midnight(today)}", f"{code}:lt:{midnight(end)}"]
    return [f"{code}:ge:{today.isoformat()}", f"{code}:lt:{end.isoformat()}"]


def _day_of(value: Any) -> dt.date | None:
    if not isinstance(value, str):
        return None
    if "T" in value:
        return dt.datetime.fromisoformat(value).astimezone(TOKYO).date()
    return dt.date.fromisoformat(value)


def _text(ledger: str, code: str, record_id: int, day: dt.date, today: dt.date,
          ) -> Callable[[Seen], str | None]:
    def make(seen: Seen) -> str | None:
        if not seen.sees(code):
            return None  # the date itself is hidden from this recipient
        values = {"label": seen.label(record_id), "ledger": ledger,
                  "field": seen.field_name(code), "date": day.isoformat(),
                  "days": (day - today).days}
        if day == today:
            return _("%(label)s in 「%(ledger)s」: %(field)s is today (%(date)s).") % values
        return _("%(label)s in 「%(ledger)s」: %(field)s is %(date)s, in %(days)d days.") % values

    return make


def _due(schema: LedgerSchema, rule: dict[str, Any], today: dt.date) -> list[tuple[int, dt.date]]:
    """(record, date) of the live records whose date lies in the rule's window today."""
    code = rule["field"]
    if code not in schema.by_code:
        return []  # the field was deleted since the rule was written
    filters = [*_window(schema, code, today, rule["days_before"])]
    if rule.get("filter"):
        filters.append(rule["filter"])
    found: list[tuple[int, dt.date]] = []
    for record in sel.all_records(AnonymousUser(), LedgerSchema(schema.ledger, schema.fields),
                                  filters=filters, ctx=ValueContext()):
        day = _day_of(record["values"].get(code))
        if day is not None:
            found.append((int(record["id"]), day))
    return found


def _run_rule(schema: LedgerSchema, rule: dict[str, Any], today: dt.date) -> int:
    key = rule_key(rule)
    due = _due(schema, rule, today)
    made = 0
    for start in range(0, len(due), CHUNK):
        chunk = due[start:start + CHUNK]
        with transaction.atomic():
            done = set(ReminderSent.objects.filter(
                ledger_id=schema.id, rule_key=key,
                record_id__in=[rid for rid, _d in chunk]).values_list("record_id", "day"))
            fresh = [(rid, day) for rid, day in chunk if (rid, day) not in done]
            if not fresh:
                continue
            # The keys first: a second run at the same moment fails here and writes nothing.
            ReminderSent.objects.bulk_create([
                ReminderSent(ledger_id=schema.id, rule_key=key, record_id=rid, day=day)
                for rid, day in fresh])
            audience = Audience(schema, [rid for rid, _d in fresh])
            recipients = Recipients(audience)
            for rid, day in fresh:
                made += len(notify(recipients.of(rule["to"], rid), kind="date",
                                   audience=audience, record_id=rid,
                                   text=_text(schema.ledger.name, rule["field"], rid, day,
                                              today),
                                   mail_too=rule["mail"]))
    return made


def run_reminders(today: dt.date | None = None) -> dict[str, int]:
    """Produce every reminder due today (idempotent)."""
    today = today or timezone.localdate()
    counts = {"ledgers": 0, "rules": 0, "notifications": 0}
    for ledger in Ledger.objects.exclude(table_name=None).order_by("id"):
        rules = [r for r in rules_of(ledger).rules if r.get("on") == "date"]
        if not rules:
            continue
        schema = load_schema(ledger.id)
        if schema is None:
            continue
        counts["ledgers"] += 1
        for rule in rules:
            counts["rules"] += 1
            counts["notifications"] += _run_rule(schema, rule, today)
    return counts


@jobs.kind("reminders", retry=True)
def _reminders(job: Job, progress: Callable[[int, int], None]) -> dict[str, Any]:
    return run_reminders()


@jobs.every(CHECK_SECONDS)
def enqueue_reminders() -> None:
    """Hourly: a reminders run unless one is waiting or running (each run is idempotent, so
    the hour after midnight, a restart or a second server changes nothing)."""
    if any(r.get("on") == "date" for ledger in Ledger.objects.only("settings")
           for r in rules_of(ledger).rules) and not Job.objects.filter(
            kind="reminders", status__in=("queued", "running")).exists():
        jobs.enqueue(kind_name="reminders", params={}, user=None)


