"""Lookups that follow their master (issue 15): a master record that 10,000 records look up
(two lookup fields) is changed with a PATCH — the bar is ≤ 2 s end to end, the lookers
following in the same transaction.

    .venv/bin/python bench/bench_lookup.py [--records 10000] [--patches 10]
        [--data-dir DIR] [--database-url URL] [--out FILE]

It makes and fills the benchmark ledger as bench/bench_filter_values.py does (12 fields of
bench/dataset.py), then `add_lookups` gives it a master: a ledger 所管課マスタ with one record,
a link field 所管課（マスタ） on every record pointing at it (set with one UPDATE: the bench's shortcut)
and two lookup fields (課名, 電話), filled set-based when they are added. Then it PATCHes the
master record's two looked-up fields through the API (`PATCH /api/v1/ledgers/M/records/R`,
Django's test client with an API token: the gate, the writer, the lookers' UPDATE, the commit)
`--patches` times and prints p50 / max, checking after each that a looker shows the new value.

`add_lookups(admin, ledger_id)` is what the 1,000,000-record bench calls to add its two lookups.
"""

from __future__ import annotations

import argparse
import json
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


def add_lookups(admin: Any, ledger_id: int) -> dict[str, Any]:
    """Give ledger `ledger_id` a master ledger with one record, a link field `master` on every
    record pointing at it and two lookups of it (`master_name`, `master_phone`). Returns
    {"master": ledger id, "record": record id, "fill_s": seconds to add both lookups}."""
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
    schema = load_schema(ledger_id)
    assert schema is not None
    link = add_field(user=admin, schema=schema, spec={
        "name": "所管課（マスタ）", "code": "master", "type": "link", "options": {"ledger": master.id}})
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(f"UPDATE {q(schema.table)} SET {q(link.column)} = %s", [record["id"]])
    started = time.perf_counter()
    for code, field in (("master_name", "name"), ("master_phone", "phone")):
        schema = load_schema(ledger_id)
        assert schema is not None
        add_field(user=admin, schema=schema, spec={
            "name": f"所管課の{field}", "code": code, "type": "lookup",
            "options": {"link": "master", "field": field}})
    return {"master": master.id, "record": record["id"],
            "fill_s": round(time.perf_counter() - started, 3)}


def patch_master(admin: Any, ledger_id: int, made: dict[str, Any], patches: int) -> list[float]:
    """Seconds per PATCH of the master record through the API, each checked on a looker."""
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
    out = []
    for n in range(patches):
        revision = json.loads(client.get(url).content)["revision"]
        body = {"revision": revision, "values": {"name": f"管財課{n}", "phone": f"054-{n:03d}"}}
        started = time.perf_counter()
        resp = client.patch(url, json.dumps(body), content_type="application/json")
        out.append(time.perf_counter() - started)
        assert resp.status_code == 200, resp.content
        with connection.cursor() as cur:
            cur.execute(f"SELECT COUNT(*) FROM {q(schema.table)} WHERE {q(column)} = %s",
                        [f"管財課{n}"])
            assert cur.fetchone()[0] == schema.ledger.record_count, "a looker did not follow"
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--patches", type=int, default=10)
    parser.add_argument("--data-dir")
    parser.add_argument("--database-url")
    parser.add_argument("--out")
    args = parser.parse_args()
    loader.setup(args)
    from django.contrib.auth import get_user_model

    lid = loader.fill(args.records)
    admin = get_user_model().objects.get(username="fbadmin")
    made = add_lookups(admin, lid)
    print(f"add 2 lookups to {args.records:,} records: {made['fill_s']:.2f} s", flush=True)
    timings = patch_master(admin, lid, made, args.patches)
    p50, worst = statistics.median(timings), max(timings)
    print(f"PATCH of the master record, {args.records:,} lookers × 2 lookups: "
          f"p50 {p50:.3f} s, max {worst:.3f} s (bar {PATCH_BAR_S} s)", flush=True)
    result = {"records": args.records, "add_lookups_s": made["fill_s"],
              "patch_s": {"p50": round(p50, 3), "max": round(worst, 3)},
              "patch_bar_s": PATCH_BAR_S}
    print(json.dumps(result, ensure_ascii=False))
    if args.out:
        Path(args.out).write_text(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
