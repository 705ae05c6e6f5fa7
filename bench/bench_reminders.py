"""Date reminders and the bell (issue 16, "Speed"): 1,000 reminders due in one day produced by
one job run in ≤ 10 s; the bell's unread count ≤ 10 ms.

    .venv/bin/python bench/bench_reminders.py [--records 1000] [--notifications 100000]
        [--database-url URL]

In a fresh temporary data dir (or the given database, which must be empty): a ledger of
`--records` records, each due in two days and assigned to one of 50 users (a `user` field), a
`date` rule "3 days before, to the user in the field", and a ledger rule that lets each
department view only its own records, so every recipient goes through the gate. Times one
`run_reminders()` (the `reminders` job's body) and a second run that must produce nothing.
Then adds `--notifications` notifications over 100 users and times the bell's unread count
of one user (p50 / p95 of 200 calls) with the query plan. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=1000)
    parser.add_argument("--notifications", type=int, default=100_000)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    os.environ.setdefault("DAICHO_DATA_DIR", tempfile.mkdtemp(prefix="bench-reminders-"))
    if args.database_url:
        os.environ["DAICHO_DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "daicho.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from daicho.access import ledger_for
    from daicho.models import Notification, Org
    from daicho.selectors.notifications import unread_count
    from daicho.services import ledgers, notification_rules, record_batches
    from daicho.services.accounts import create_user
    from daicho.services.reminders import run_reminders

    call_command("migrate", interactive=False, verbosity=0)
    admin = create_user(login="benchadmin", admin=True)
    orgs = [Org.objects.create(code=f"B{k}", name=f"課{k}") for k in range(5)]
    users = [create_user(login=f"u{k}", org=orgs[k % 5].code) for k in range(100)]
    lid = ledgers.create_ledger(user=admin, name="貸出物品台帳", fields=[
        {"name": "物品名", "type": "text", "code": "name"},
        {"name": "担当", "type": "user", "code": "owner"},
        {"name": "所管課", "type": "org", "code": "dept"},
        {"name": "返却予定日", "type": "date", "code": "due"}]).id
    schema = ledger_for(admin, lid, "manage")
    from daicho.services import permissions

    permissions.set_rules(user=admin, schema=schema, rules=[
        {"subject": {"org": o.code, "include_children": False}, "rights": ["view"],
         "records": {"field_is_my_org": "dept"}} for o in orgs])
    notification_rules.set_rules(user=admin, schema=schema, rules=[
        {"on": "date", "to": {"field": "owner"}, "field": "due", "days_before": 3}])
    due = (timezone.localdate() + dt.timedelta(days=2)).isoformat()
    schema = ledger_for(admin, lid, "add")
    for start in range(0, args.records, 1000):
        record_batches.apply(user=admin, schema=schema, create=[
            {"values": {"name": f"物品{k}", "owner": f"u{k % 50}", "dept": orgs[k % 50 % 5].code,
                        "due": due}} for k in range(start, min(start + 1000, args.records))])
    started = time.perf_counter()
    first = run_reminders()
    first_s = time.perf_counter() - started
    started = time.perf_counter()
    second = run_reminders()
    second_s = time.perf_counter() - started

    now = timezone.now()
    with transaction.atomic():
        Notification.objects.bulk_create(
            [Notification(user_id=users[k % 100].id, at=now, kind="update", ledger_id=lid,
                          record_id=1, text="bench", read_at=now if k % 10 else None)
             for k in range(args.notifications)], batch_size=5000)
    uid = users[7].id
    unread_count(uid)
    times = []
    for _ in range(200):
        started = time.perf_counter()
        unread_count(uid)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    with connection.cursor() as cur:
        sql = ("EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN ") + \
            "SELECT COUNT(*) FROM daicho_notification WHERE user_id = %s AND read_at IS NULL"
        cur.execute(sql, [uid])
        plan = [" ".join(str(c) for c in row) for row in cur.fetchall()]
    print(json.dumps({
        "database": connection.vendor, "records_due": args.records,
        "reminders": first["notifications"], "run_s": round(first_s, 2),
        "second_run": second["notifications"], "second_run_s": round(second_s, 2),
        "notifications": args.notifications, "unread": unread_count(uid),
        "unread_count_ms": {"p50": round(statistics.median(times), 3),
                            "p95": round(times[int(len(times) * 0.95)], 3)},
        "plan": plan}, ensure_ascii=False, indent=1))
    return 0 if first_s <= 10 and second["notifications"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
