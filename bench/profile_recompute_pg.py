"""Where a formula's recompute spends its time on PostgreSQL (issue 15): one chunk of 5,000
records of the benchmark ledger (bench_formula.py's, with its formula 金額(税込) `tax`)
rewritten as the job rewrites it — the search key's tail and the formula's column — in
several ways, each in a transaction rolled back afterwards, so every variant meets the same
rows:

  values+trigger   UPDATE … FROM (VALUES …) per 500 rows; the trigger runs daicho_grams
                   for each row (the code before the set-based recompute)
  values+grams     the same statements also setting search_grams (the trigger skips)
  unnest+grams     one UPDATE … FROM unnest(…) for the 5,000 rows, grams given
  unnest, no GIN   the same with the two GIN search indexes dropped (in the transaction)
  unnest, no GIN, no column index   … and the formula column's index dropped too

Printed per variant: wall ms, the server process's CPU ms (/proc), WAL bytes, and the
trigger's time from EXPLAIN ANALYZE where it runs.

    .venv/bin/python bench/profile_recompute_pg.py --database-url URL --data-dir DIR
        [--chunk 5000] [--repeat 3]"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--chunk", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    import bench_filter_values as loader

    loader.setup(args)
    from django.db import connection, transaction

    from daicho.db import batch, search
    from daicho.db import schema as ddl
    from daicho.db.dialect import q
    from daicho.models import Field, Ledger

    lid = loader.existing()
    ledger = Ledger.objects.get(id=lid)
    table = str(ledger.table_name)
    column = str(Field.objects.get(ledger_id=lid, code="tax", deleted_at=None).column)
    with connection.cursor() as cur:
        cur.execute(f"SELECT id, search_key, {q(column)} FROM {q(table)} ORDER BY id LIMIT %s",
                    [args.chunk])
        base = cur.fetchall()
    stamp = [0]

    def rows() -> list[list[Any]]:  # a new tail each time, so every key changes
        stamp[0] += 1
        return [[rid, f"{key}\n{stamp[0]}税込{n}", Decimal(value or 0) + stamp[0]]
                for n, (rid, key, value) in enumerate(base)]

    def backend_cpu() -> float:
        with connection.cursor() as cur:
            cur.execute("SELECT pg_backend_pid()")
            pid = int(cur.fetchone()[0])
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def wal() -> int:
        with connection.cursor() as cur:
            cur.execute("SELECT pg_current_wal_insert_lsn() - '0/0'::pg_lsn")
            return int(cur.fetchone()[0])

    def trigger_ms(chunk: list[list[Any]]) -> float:
        """EXPLAIN ANALYZE of the first 500 rows' statement: the trigger's time, × chunk/500."""
        part = chunk[:500]
        with connection.cursor() as cur:
            one = "(%s, %s, %s)"
            cur.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) UPDATE {q(table)} AS t"
                        f" SET search_key = v.k, {q(column)} = v.c::numeric"
                        f" FROM (VALUES {', '.join([one] * len(part))}) AS v(id, k, c)"
                        " WHERE t.id = v.id::bigint", [x for row in part for x in row])
            plan = cur.fetchone()[0]
        plan = plan[0] if isinstance(plan, list) else json.loads(plan)[0]
        return sum(t["Time"] for t in plan.get("Triggers", [])) * len(chunk) / len(part)

    def variant(name: str) -> dict[str, Any]:
        chunk = rows()
        out: dict[str, Any] = {}
        with transaction.atomic():
            if "no GIN" in name:
                ddl.suspend_search_indexes(ledger)
            if "no column index" in name:
                ddl.drop_column_index(ledger, column)
            cpu, lsn, started = backend_cpu(), wal(), time.perf_counter()
            if name == "values+trigger":
                batch.update_rows(table, [], [], [("search_key", "TEXT"),
                                                  (column, "NUMERIC")], chunk)
            elif name == "values+grams":
                batch.update_rows(table, [], [], [
                    ("search_key", "TEXT"), ("search_grams", "TEXT[]"), (column, "NUMERIC")],
                    [[r[0], r[1], search.grams_literal(r[1]), r[2]] for r in chunk])
            else:
                assert batch.update_columns(table, [
                    ("search_key", "TEXT"), ("search_grams", "TEXT[]"), (column, "NUMERIC")],
                    [[r[0], r[1], search.grams_literal(r[1]), r[2]] for r in chunk],
                    keep_if_null=["search_grams"])
            out = {"wall_ms": (time.perf_counter() - started) * 1000,
                   "db_cpu_ms": (backend_cpu() - cpu) * 1000, "wal_kb": (wal() - lsn) / 1024}
            if name == "values+trigger":
                out["trigger_ms"] = trigger_ms(rows())
            transaction.set_rollback(True)
        return out

    names = ["values+trigger", "values+grams", "unnest+grams", "unnest, no GIN",
             "unnest, no GIN, no column index"]
    variant("unnest+grams")  # warm the cache
    results: dict[str, list[dict[str, Any]]] = {n: [] for n in names}
    for _ in range(args.repeat):
        for name in names:  # alternated
            results[name].append(variant(name))
    load = Path("/proc/loadavg").read_text().split()[0]
    print(f"{args.chunk:,} records per chunk, median of {args.repeat}, load {load}")
    for name, found in results.items():
        line = {k: round(statistics.median(r[k] for r in found)) for k in found[0]}
        print(f"  {name:34} {line}", flush=True)


if __name__ == "__main__":
    main()
