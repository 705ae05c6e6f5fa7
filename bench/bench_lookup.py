"""Lookups that follow their master (issue 15): a master record that 10,000 records look up
(two lookup fields) is changed with a PATCH — the bar is ≤ 2 s end to end, the lookers
following in the same transaction.

    .venv/bin/python bench/bench_lookup.py [--records 10000] [--patches 10] [--masters 1]
        [--pages 0] [--data-dir DIR] [--database-url URL] [--out FILE]

It makes and fills the benchmark ledger as bench/bench_filter_values.py does (12 fields of
bench/dataset.py), then `add_lookups` gives it a master: a ledger 所管課マスタ with one record,
a link field 所管課（マスタ） on every record pointing at it (set with one UPDATE: the bench's shortcut)
and two lookup fields (課名, 電話), filled set-based when they are added. Then it PATCHes the
master record's two looked-up fields through the API (`PATCH /api/v1/ledgers/M/records/R`,
Django's test client with an API token: the gate, the writer, the lookers' UPDATE, the commit)
`--patches` times and prints p50 / max, checking after each that a looker shows the new value,
with the CPU time of this process and (PostgreSQL) of its database backend, the share of HOT
updates among the table's updates and the load average.

`--masters K` gives the master K records, the records linking to them in turn (the PATCHed
one then has records/K lookers); `--pages N` then times N requests of each list page that
filters, sorts or groups on a lookup (`PAGES`), p50 / p95 in ms.

`add_lookups(admin, ledger_id)` is what the 1,000,000-record bench calls to add its two lookups.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import bench_filter_values as loader  # noqa: E402

PATCH_BAR_S = 2.0
MASTER_NAME = "所管課マスタ"


def add_lookups(admin: Any, ledger_id: int, masters: int = 1) -> dict[str, Any]:
    """Give ledger `ledger_id` a master ledger with `masters` records, a link field `master` on
    every record pointing at one of them (in turn) and two lookups of it (`master_name`,
    `master_phone`). Returns {"master": ledger id, "record": the first master record's id,
    "fill_s": seconds to add both lookups}."""
    from django.db import connection, transaction

    from daicho.db.dialect import q
    from daicho.selectors.ledgers import load_schema
    from daicho.services.ledgers import add_field, create_ledger
    from daicho.services.records import create_record

    master = create_ledger(user=admin, name=MASTER_NAME, fields=[
        {"name": "課名", "type": "text", "code": "name"},
        {"name": "電話", "type": "text", "code": "phone"}])
    record = create_record(user=admin, schema=master,
                           values={"name": "管財課", "phone": "054-000-0000"})
    others = [create_record(user=admin, schema=master,
                            values={"name": f"課{n:03d}", "phone": f"054-100-{n:04d}"})["id"]
              for n in range(1, masters)]
    schema = load_schema(ledger_id)
    assert schema is not None
    link = add_field(user=admin, schema=schema, spec={
        "name": "所管課（マスタ）", "code": "master", "type": "link", "options": {"ledger": master.id}})
    ids = [record["id"], *others]
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(f"UPDATE {q(schema.table)} SET {q(link.column)} = CASE id % {len(ids)} "
                    + " ".join(f"WHEN {n} THEN {rid}" for n, rid in enumerate(ids)) + " END")
    started = time.perf_counter()
    for code, field in (("master_name", "name"), ("master_phone", "phone")):
        schema = load_schema(ledger_id)
        assert schema is not None
        add_field(user=admin, schema=schema, spec={
            "name": f"所管課の{field}", "code": code, "type": "lookup",
            "options": {"link": "master", "field": field}})
    return {"master": master.id, "record": record["id"],
            "fill_s": round(time.perf_counter() - started, 3)}


def backend_cpu() -> float:
    """CPU seconds the database backend of this connection has used (PostgreSQL on this
    machine, read from /proc; 0 on SQLite, whose work is this process's)."""
    from django.db import connection

    from daicho.db import dialect

    if dialect.is_sqlite():
        return 0.0
    with connection.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        pid = cur.fetchone()[0]
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def hot_share(table: str) -> str:
    """PostgreSQL: HOT updates / updates of the table so far."""
    from django.db import connection

    from daicho.db import dialect

    if dialect.is_sqlite():
        return "n/a"
    with connection.cursor() as cur:
        cur.execute("SELECT pg_stat_force_next_flush()")
        cur.execute("SELECT pg_stat_clear_snapshot()")
        cur.execute("SELECT n_tup_hot_upd, n_tup_upd FROM pg_stat_user_tables WHERE relname = %s",
                    [table])
        hot, updated = cur.fetchone()
    return f"{hot:,} / {updated:,}"


def patch_master(admin: Any, ledger_id: int, made: dict[str, Any],
                 patches: int) -> list[dict[str, float]]:
    """Per PATCH of the master record through the API, each checked on a looker: wall, this
    process's CPU and the database backend's CPU, in seconds."""
    from django.db import connection
    from django.test import Client

    from daicho.db.dialect import q
    from daicho.selectors.ledgers import load_schema
    from daicho.services.accounts import create_token

    client = Client(HTTP_AUTHORIZATION=f"Bearer {create_token(user=admin, label='bench')}")
    url = f"/api/v1/ledgers/{made['master']}/records/{made['record']}"
    schema = load_schema(ledger_id)
    assert schema is not None
    column = schema.by_code["master_name"].column
    link = schema.by_code["master"].column
    with connection.cursor() as cur:
        cur.execute(f"SELECT COUNT(*) FROM {q(schema.table)} WHERE {q(link)} = %s",
                    [made["record"]])
        lookers = cur.fetchone()[0]
    out = []
    for n in range(patches):
        revision = json.loads(client.get(url).content)["revision"]
        body = {"revision": revision, "values": {"name": f"管財課{n}", "phone": f"054-{n:03d}"}}
        cpu, db_cpu, started = time.process_time(), backend_cpu(), time.perf_counter()
        resp = client.patch(url, json.dumps(body), content_type="application/json")
        out.append({"wall": time.perf_counter() - started, "cpu": time.process_time() - cpu,
                    "db_cpu": backend_cpu() - db_cpu})
        assert resp.status_code == 200, resp.content
        with connection.cursor() as cur:
            cur.execute(f"SELECT COUNT(*) FROM {q(schema.table)} WHERE {q(column)} = %s",
                        [f"管財課{n}"])
            assert cur.fetchone()[0] == lookers, "a looker did not follow"
    return out


# The list pages on a lookup (`--pages`): (label, API parameters).
PAGES = [
    ("sorted by the lookup", {"sort": "master_name"}),
    ("sorted by the lookup, descending", {"sort": "-master_name,-id"}),
    ("filtered on the lookup", {"filter": "master_name:eq:課001"}),
    ("filtered on the lookup, sorted by 金額", {"filter": "master_name:eq:課001",
                                              "sort": "-amount"}),
    ("filtered on 区分, sorted by the lookup", {"filter": "kubun:eq:土地",
                                             "sort": "master_name"}),
    ("grouped by the lookup (aggregate)", {"group_by": "master_name", "metric": "sum:amount"}),
]


def time_pages(admin: Any, ledger_id: int, requests: int) -> dict[str, dict[str, float]]:
    """p50 / p95 ms of `requests` requests of each of PAGES through the API."""
    from django.test import Client

    from daicho.services.accounts import create_token

    client = Client(HTTP_AUTHORIZATION=f"Bearer {create_token(user=admin, label='pages')}")
    out = {}
    for label, params in PAGES:
        path = "aggregate" if "group_by" in params else "records"
        url = f"/api/v1/ledgers/{ledger_id}/{path}"
        assert client.get(url, params).status_code == 200  # warm
        times = []
        for _ in range(requests):
            started = time.perf_counter()
            resp = client.get(url, params)
            times.append((time.perf_counter() - started) * 1000)
            assert resp.status_code == 200, resp.content[:300]
        times.sort()
        out[label] = {"p50": round(statistics.median(times), 1),
                      "p95": round(times[max(0, round(0.95 * len(times)) - 1)], 1)}
        print(f"  {label:45} p50 {out[label]['p50']:7.1f} ms  p95 {out[label]['p95']:7.1f} ms",
              flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--patches", type=int, default=10)
    parser.add_argument("--masters", type=int, default=1)
    parser.add_argument("--pages", type=int, default=0)
    parser.add_argument("--data-dir")
    parser.add_argument("--database-url")
    parser.add_argument("--out")
    args = parser.parse_args()
    print(f"load {load()}", flush=True)
    loader.setup(args)
    from django.contrib.auth import get_user_model

    from daicho.models import Ledger

    lid = loader.fill(args.records)
    admin = get_user_model().objects.get(username="fbadmin")
    made = add_lookups(admin, lid, args.masters)
    print(f"add 2 lookups to {args.records:,} records: {made['fill_s']:.2f} s", flush=True)
    table = str(Ledger.objects.get(id=lid).table_name)
    print(f"HOT updates / updates of the table before the PATCHes: {hot_share(table)}")
    timings = patch_master(admin, lid, made, args.patches)
    walls = [t["wall"] for t in timings]
    p50, worst = statistics.median(walls), max(walls)
    cpu = statistics.median(t["cpu"] for t in timings)
    db_cpu = statistics.median(t["db_cpu"] for t in timings)
    lookers = args.records // args.masters
    print(f"PATCH of the master record, {lookers:,} lookers × 2 lookups: "
          f"p50 {p50:.3f} s, max {worst:.3f} s (bar {PATCH_BAR_S} s); CPU p50: this process "
          f"{cpu:.3f} s, database backend {db_cpu:.3f} s; load {load()}", flush=True)
    print(f"HOT updates / updates of the table after: {hot_share(table)}")
    result: dict[str, Any] = {
        "records": args.records, "masters": args.masters, "add_lookups_s": made["fill_s"],
        "patch_s": {"p50": round(p50, 3), "max": round(worst, 3)},
        "patch_cpu_s": {"process": round(cpu, 3), "database": round(db_cpu, 3)},
        "patch_bar_s": PATCH_BAR_S}
    if args.pages:
        print(f"list pages on the lookup, {args.pages} requests each:", flush=True)
        result["pages_ms"] = time_pages(admin, lid, args.pages)
        print(f"load {load()}", flush=True)
    print(json.dumps(result, ensure_ascii=False))
    if args.out:
        Path(args.out).write_text(json.dumps(result, ensure_ascii=False, indent=2))


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


if __name__ == "__main__":
    main()
