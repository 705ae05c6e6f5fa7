"""The column filter popup on a 1,000,000-record ledger (issue 14): the popup of each column,
values and counts included, must answer in ≤ 300 ms.

    .venv/bin/python bench/bench_filter_values.py [--records 1000000] [--requests 20]
        [--data-dir DIR] [--database-url URL] [--out FILE]

It makes the benchmark ledger (bench/dataset.py, 12 fields) in a fresh data dir (SQLite; or the
PostgreSQL database of --database-url, which must be empty), fills it with one INSERT per batch
— the bench's shortcut, the writers would also write a million history entries — and indexes it
as an import does (the search keys and gram index, every field's partial (column, id) index,
then ANALYZE). Then, in process,
it requests `GET /ledgers/1/fields/CODE/filter?s=1` through Django's test client (the gate, the
selector and the template, as a browser gets it) for every column, as an admin and as a user
whose record rule keeps one department's records, plus the popup under another column's filter
and a search in a capped column, and prints p50 / p95 / max per request in ms.
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
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import dataset  # noqa: E402

TARGET_MS = 300
BATCH = 5000


def setup(args: argparse.Namespace) -> None:
    data_dir = args.data_dir or tempfile.mkdtemp(prefix="filterbench-")
    os.environ["DAICHO_DATA_DIR"] = data_dir
    if args.database_url:
        os.environ["DAICHO_DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "daicho.settings")
    os.environ["DAICHO_ALLOWED_HOSTS"] = "testserver,127.0.0.1,localhost"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    print(f"data dir {data_dir}", flush=True)


def fill(n: int) -> int:
    from django.db import connection, transaction

    from daicho.db import dialect, search
    from daicho.db import schema as ddl
    from daicho.db.dialect import q
    from daicho.fields.context import ValueContext
    from daicho.models import Field, Ledger
    from daicho.services.accounts import create_user
    from daicho.services.ledgers import create_ledger
    from daicho.services.record_values import record_search_key

    admin = create_user(login="fbadmin", name="ベンチ管理者", admin=True)
    create_user(login="fbclerk", name="ベンチ職員")
    schema = create_ledger(user=admin, name=dataset.LEDGER_NAME, fields=dataset.FIELDS)
    ledger = Ledger.objects.get(id=schema.id)
    ledger.rules = [{"subject": {"user": "fbadmin"}, "rights": ["view", "manage"]},
                    {"subject": {"user": "fbclerk"}, "rights": ["view"],
                     "records": {"filter": "dept:eq:管財課"}}]
    ledger.save(update_fields=["rules"])
    fields = list(Field.objects.filter(ledger=ledger, deleted_at=None).order_by("position"))
    ddl.suspend_indexes(ledger, fields)
    if dialect.is_sqlite():
        search.suspend_index(ledger)
    ctx = ValueContext()
    types = [(f, schema.type_of(f)) for f in fields]
    columns = ", ".join(["created_at", "updated_at", "deleted", "search_key",
                         *(q(f.column) for f in fields)])
    marks = ", ".join(["%s"] * (4 + len(fields)))
    sql = f"INSERT INTO {q(ledger.table_name or '')} ({columns}) VALUES ({marks})"
    now = dialect.param(dt.datetime.now(dt.UTC).replace(microsecond=0))
    live = 0 if dialect.is_sqlite() else False
    started = time.perf_counter()
    batch: list[list[Any]] = []
    with transaction.atomic(), connection.cursor() as cur:
        for row in dataset.rows(n):
            stored = {f.code: t.clean(f, row.get(f.code), ctx) for f, t in types}
            batch.append([now, now, live, record_search_key(schema, stored, ctx),
                          *(t.to_param(stored[f.code]) for f, t in types)])
            if len(batch) == BATCH:
                cur.executemany(sql, batch)
                batch = []
        if batch:
            cur.executemany(sql, batch)
        ledger.record_count = n
        ledger.save(update_fields=["record_count"])
    print(f"filled {n:,} records in {time.perf_counter() - started:.0f} s", flush=True)
    started = time.perf_counter()
    with transaction.atomic():
        search.build_index(ledger)  # SQLite's gram index; PostgreSQL's follow the keys
    for f in fields:  # as an import indexes the ledger it made
        ddl.sync_indexes(ledger, f)
    ddl.create_system_indexes(ledger)
    ddl.analyze(ledger)
    if not dialect.is_sqlite():
        # What autovacuum does after a bulk load: without the visibility map an index-only
        # scan visits the table for every row.
        with connection.cursor() as cur:
            cur.execute(f"VACUUM ANALYZE {q(ledger.table_name or '')}")
    print(f"indexed in {time.perf_counter() - started:.0f} s", flush=True)
    return int(ledger.id)


def existing() -> int:
    from daicho.models import Ledger

    return int(Ledger.objects.get(name=dataset.LEDGER_NAME).id)


def measure(lid: int, requests: int) -> list[dict[str, Any]]:
    from django.contrib.auth import get_user_model
    from django.test import Client

    users = get_user_model().objects
    clients = {}
    for login in ("fbadmin", "fbclerk"):
        client = Client()
        client.force_login(users.get(username=login))
        clients[login] = client
    cases: list[tuple[str, str, str]] = [
        (f"{login}: {f['code']}", login, f"/ledgers/{lid}/fields/{f['code']}/filter?s=1")
        for login in ("fbadmin", "fbclerk") for f in dataset.FIELDS
    ]
    cases += [
        ("fbadmin: name under kubun=土地", "fbadmin",
         f"/ledgers/{lid}/fields/name/filter?s=1&filter=kubun:eq:%E5%9C%9F%E5%9C%B0"),
        ("fbadmin: kanri_no, search 00123", "fbadmin",
         f"/ledgers/{lid}/fields/kanri_no/filter?s=1&part=values&text=00123"),
    ]
    from daicho import jobs

    out = []
    for label, login, url in cases:
        client = clients[login]
        started = time.perf_counter()
        resp = client.get(url)  # warm: plans and caches, as any later request finds them
        first = (time.perf_counter() - started) * 1000
        assert resp.status_code == 200, (url, resp.status_code)
        # A pair index it asked for is built by the server's job thread; here, at once.
        started = time.perf_counter()
        built = jobs.run_pending()
        if built:
            print(f"{label}: first request {first:.0f} ms; {built} index job(s) "
                  f"{time.perf_counter() - started:.1f} s", flush=True)
        figures, resp = timed(lambda: client.get(url), requests)  # noqa: B023  (called here)
        result: dict[str, Any] = {"case": label, **figures,
                  "values": resp.content.count(b"data-filter-value=")}
        out.append(result)
        flag = "" if result["p95"] <= TARGET_MS else "  OVER"
        print(f"{label:40} p50 {result['p50']:7.1f}  p95 {result['p95']:7.1f}  max "
              f"{result['max']:7.1f}  values {result['values']}{flag}", flush=True)
    return out


def timed(call: Any, requests: int) -> tuple[dict[str, float], Any]:
    """`call()` (a request through the test client) `requests` times: p50 / p95 / max in ms, and
    the last response. The benchmarks on this ledger share it."""
    times = []
    resp = None
    for _ in range(requests):
        started = time.perf_counter()
        resp = call()
        times.append((time.perf_counter() - started) * 1000)
        assert resp.status_code == 200, resp.content[:300]
    times.sort()
    p95 = times[max(0, round(0.95 * len(times)) - 1)]
    return ({"p50": round(statistics.median(times), 1), "p95": round(p95, 1),
             "max": round(times[-1], 1)}, resp)


def arguments(doc: str | None, requests: int) -> argparse.ArgumentParser:
    """The options of the benchmarks on this ledger (this one, bench_grid_pages, bench_live,
    bench_crosstab); each adds its own."""
    parser = argparse.ArgumentParser(description=(doc or "").split("\n\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=requests)
    parser.add_argument("--data-dir", default="")
    parser.add_argument("--database-url", default="")
    parser.add_argument("--out", default="")
    parser.add_argument("--reuse", action="store_true",
                        help="measure the ledger an earlier run left in --data-dir")
    return parser


def main() -> int:
    parser = arguments(__doc__, requests=20)
    args = parser.parse_args()
    setup(args)
    lid = existing() if args.reuse else fill(args.records)
    results = measure(lid, args.requests)
    worst = max(r["p95"] for r in results)
    print(f"worst p95 {worst:.1f} ms (target {TARGET_MS} ms): {'met' if worst <= TARGET_MS else 'MISSED'}")
    if args.out:
        Path(args.out).write_text(json.dumps({"records": args.records, "results": results},
                                             ensure_ascii=False, indent=1))
    return 0 if worst <= TARGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
