"""Loads the benchmark ledger through daicho's own fast import path (run as a subprocess).

    DAICHO_DATA_DIR=... [DAICHO_DATABASE_URL=...] python bench/load.py --records N --meta FILE
        [--batch 10000] [--plain FILE]

Creates the ledger with daicho.services.ledgers.create_ledger, cleans every row with
daicho.services.records.clean_values (the same checks as the API and `daicho import`) and stores
it with import_rows in batches, one transaction each (history and search index included), then
refreshes planner statistics. With --plain (SQLite only) it also copies the live rows into a
plain SQLite table for Datasette: same columns (named by field code), one index per indexed
column. Writes what it did (ids, columns, timings) as JSON to --meta.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sqlite3
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.append(str(ROOT))  # after PYTHONPATH, so --snapshot code wins
sys.path.insert(0, str(Path(__file__).resolve().parent))

import dataset  # noqa: E402


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "daicho.settings")
    import django

    django.setup()


def _load_part(ledger_id: int, records: int, batch: int, part: int, parts: int,
               started: float) -> tuple[int, float, float]:
    """Clean and import the batches number part, part + parts, ... of the data set."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    from daicho.fields.context import ValueContext
    from daicho.selectors.ledgers import load_schema
    from daicho.services.records import clean_values, import_rows

    connection.close()  # a forked worker opens its own connection
    admin = get_user_model().objects.get(username="admin")
    schema = load_schema(ledger_id)
    assert schema is not None
    ctx = ValueContext()
    clean_s = insert_s = 0.0
    items = []
    done = 0
    for n, values in enumerate(dataset.rows(records)):
        if (n // batch) % parts != part:
            continue
        t0 = time.perf_counter()
        prepared, errors = clean_values(schema, values, ctx, creating=True)
        clean_s += time.perf_counter() - t0
        if errors:
            raise SystemExit(f"row {done + len(items) + 1} refused: {errors}")
        items.append(prepared)
        if len(items) >= batch:
            t0 = time.perf_counter()
            import_rows(user=admin, schema=schema, items=items)
            insert_s += time.perf_counter() - t0
            done += len(items)
            items = []
            rate = done / (time.perf_counter() - started)
            print(f"  [{part + 1}/{parts}] loaded {done:,} rows ({rate:,.0f} rows/s)",
                  file=sys.stderr, flush=True)
    if items:
        t0 = time.perf_counter()
        import_rows(user=admin, schema=schema, items=items)
        insert_s += time.perf_counter() - t0
        done += len(items)
    connection.close()
    return done, clean_s, insert_s


def _worker(args: tuple[int, int, int, int, int, float]) -> tuple[int, float, float]:
    return _load_part(*args)


def load(records: int, batch: int, procs: int) -> dict[str, Any]:
    from django.contrib.auth import get_user_model
    from django.db import connection

    from daicho.db import schema as ddl
    from daicho.selectors.ledgers import load_schema
    from daicho.services.ledgers import create_ledger

    admin = get_user_model().objects.get(username="admin")
    schema = create_ledger(user=admin, name=dataset.LEDGER_NAME, fields=dataset.FIELDS)
    started = time.perf_counter()
    if procs == 1:
        done, clean_s, insert_s = _load_part(schema.id, records, batch, 0, 1, started)
    else:
        connection.close()
        ctx = multiprocessing.get_context("fork")
        with ctx.Pool(procs) as pool:
            parts = pool.map(_worker, [(schema.id, records, batch, k, procs, started)
                                       for k in range(procs)])
        done = sum(p[0] for p in parts)
        clean_s = sum(p[1] for p in parts)
        insert_s = sum(p[2] for p in parts)
    load_s = time.perf_counter() - started
    reloaded = load_schema(schema.id)
    assert reloaded is not None
    schema = reloaded
    t0 = time.perf_counter()
    ddl.analyze(schema.ledger)
    analyze_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    maintenance = ""
    if connection.vendor == "postgresql":
        # What autovacuum would do shortly after a bulk load (visibility map, hint bits).
        with connection.cursor() as cur:
            cur.execute(f'VACUUM (ANALYZE) "{schema.table}"')
            cur.execute("VACUUM (ANALYZE) daicho_history")
        maintenance = f"VACUUM (ANALYZE) {schema.table}, daicho_history"
    else:
        with connection.cursor() as cur:
            cur.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        maintenance = "PRAGMA wal_checkpoint(TRUNCATE)"
    maintenance_s = time.perf_counter() - t0
    return {
        "ledger_id": schema.id,
        "table": schema.table,
        "columns": {f.code: f.column for f in schema.fields},
        "records": done,
        "batch": batch,
        "load_processes": procs,
        "load_seconds": round(load_s, 2),
        "load_rows_per_second": round(done / load_s, 1),
        "clean_seconds": round(clean_s, 2),  # summed over the processes
        "import_rows_seconds": round(insert_s, 2),  # summed over the processes
        "analyze_seconds": round(analyze_s, 2),
        "maintenance": maintenance,
        "maintenance_seconds": round(maintenance_s, 2),
        "vendor": connection.vendor,
    }


def build_plain(meta: dict[str, Any], plain: Path) -> dict[str, Any]:
    """The same live rows in a plain table `ledger` (id INTEGER PRIMARY KEY, one column per field
    named by its code, same storage types), one index per indexed column, ANALYZEd."""
    from django.conf import settings

    started = time.perf_counter()
    if plain.exists():
        plain.unlink()
    src = settings.DATABASES["default"]["NAME"]
    con = sqlite3.connect(src)
    con.execute("ATTACH DATABASE ? AS plain", (str(plain),))
    types = {"text": "TEXT", "textarea": "TEXT", "choice": "TEXT", "number": "NUMERIC",
             "date": "TEXT", "yesno": "INTEGER"}
    cols = [(f["code"], types[f["type"]]) for f in dataset.FIELDS]
    con.execute("CREATE TABLE plain.ledger (id INTEGER PRIMARY KEY, "
                + ", ".join(f"[{c}] {t}" for c, t in cols) + ")")
    select = ", ".join(f'"{meta["columns"][c]}"' for c, _t in cols)
    con.execute(f"INSERT INTO plain.ledger SELECT id, {select} FROM \"{meta['table']}\""
                " WHERE deleted = 0 ORDER BY id")
    con.commit()
    for c in dataset.INDEXED:
        con.execute(f"CREATE INDEX plain.[ledger_{c}] ON ledger ([{c}])")
    con.execute("ANALYZE plain")
    con.commit()
    con.close()
    seconds = round(time.perf_counter() - started, 2)
    return {"plain_file": str(plain), "plain_build_seconds": seconds}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, required=True)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--meta", required=True)
    parser.add_argument("--plain")
    parser.add_argument("--procs", type=int, default=1,
                        help="loader processes (PostgreSQL takes concurrent writers)")
    args = parser.parse_args()
    _setup()
    meta = load(args.records, args.batch, args.procs)
    if args.plain:
        meta.update(build_plain(meta, Path(args.plain)))
    Path(args.meta).write_text(json.dumps(meta, ensure_ascii=False, indent=2))
    print(json.dumps(meta, ensure_ascii=False))


if __name__ == "__main__":
    main()
