"""Per-request cost at the floor (issue 19): daicho's list page against Datasette's same page,
over HTTP, one keep-alive client, the two servers' requests interleaved one by one, medians.

    .venv/bin/python bench/bench_floor.py --data-dir DIR [--records 200000] [--reuse]
        [--database-url URL] [--requests 200] [--out FILE]

The ledger is bench/dataset.py's 12 fields, filled and indexed as bench_filter_values.py does
(--reuse measures the one an earlier run left in DIR). Datasette serves a plain SQLite copy of the
live rows (`DIR/floor-plain.db`: one column per field code, one index per column, ANALYZEd);
with --database-url daicho reads PostgreSQL and Datasette still its SQLite copy.

daicho is asked with a bearer token (the gate on: a user whose rule grants view, no record
condition) for `GET /api/v1/ledgers/ID/records?filter=dept:eq:X&sort=-amount&limit=50`;
Datasette for `/floor-plain/ledger.json?dept=X&_sort_desc=amount&_size=50&_nocount=1&_nosuggest=1`
(no total and no facet suggestions: the work daicho's page does). Three rows, as in the issue:

  first minute  no (dept, amount) index on either side: daicho runs with bench/floor_settings.py,
                which never asks for the pair index (what it does before the job has run);
                Datasette has its one-column indexes only;
  after index   daicho's (dept, amount, id) pair index built as its job builds it; Datasette's
                plain table gets the index (dept, amount);
  first page    `limit=50` with no filter and no sort, Datasette's `?_size=50&_nocount=1…`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import bench_filter_values  # noqa: E402
import dataset  # noqa: E402
from httpclient import Http  # noqa: E402
from run import free_port, process, wait_http  # noqa: E402

BIN = Path(sys.executable).parent
USER = "floorbench"
TARGETS = {"first_minute": 2.0, "after_index": 1.5, "first_page": 1.5}


def log(msg: str) -> None:
    print(f"[floor {time.strftime('%H:%M:%S', time.gmtime())}] {msg}", file=sys.stderr, flush=True)


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def ledger_columns(lid: int) -> tuple[str, dict[str, str]]:
    from daicho.models import Field, Ledger

    ledger = Ledger.objects.get(id=lid)
    cols = {f.code: str(f.column) for f in Field.objects.filter(ledger=ledger, deleted_at=None)}
    return str(ledger.table_name), cols


def plain_value(v: Any) -> Any:
    if isinstance(v, Decimal):
        return float(v)
    if isinstance(v, bool):
        return int(v)
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return v


def build_plain(lid: int, plain: Path) -> None:
    """The live rows of the ledger as Datasette's table `ledger`, one index per column."""
    from django.db import connection

    from daicho.db import dialect
    from daicho.db.dialect import q

    table, cols = ledger_columns(lid)
    codes = [f["code"] for f in dataset.FIELDS]
    plain.unlink(missing_ok=True)
    out = sqlite3.connect(plain)
    out.execute(f"CREATE TABLE ledger (id INTEGER PRIMARY KEY, {', '.join(codes)})")
    select = ", ".join(q(cols[c]) for c in codes)
    with connection.cursor() as cur:
        cur.execute(f"SELECT id, {select} FROM {q(table)} WHERE {dialect.live('')} ORDER BY id")
        while batch := cur.fetchmany(10_000):
            out.executemany(f"INSERT INTO ledger VALUES ({', '.join(['?'] * (len(codes) + 1))})",
                            [[plain_value(v) for v in row] for row in batch])
    for c in codes:
        out.execute(f"CREATE INDEX ledger_{c} ON ledger ({c})")
    out.execute("ANALYZE")
    out.commit()
    out.close()


def prepare(args: argparse.Namespace) -> tuple[int, str]:
    """The ledger, the user the token belongs to and its token; the pair index and Datasette's
    pair index dropped, so that the run starts in the first minute."""
    bench_filter_values.setup(args)
    lid = bench_filter_values.existing() if args.reuse else bench_filter_values.fill(args.records)
    from django.contrib.auth import get_user_model
    from django.db import connection

    from daicho.db import schema as ddl
    from daicho.db.dialect import q
    from daicho.models import Ledger
    from daicho.services.accounts import create_user

    if not get_user_model().objects.filter(username=USER).exists():
        create_user(login=USER, name="フロア計測")
    ledger = Ledger.objects.get(id=lid)
    rules = [r for r in ledger.rules if r.get("subject") != {"user": USER}]
    ledger.rules = [*rules, {"subject": {"user": USER}, "rights": ["view"]}]
    ledger.save(update_fields=["rules"])
    _table, cols = ledger_columns(lid)
    pair = ddl.pair_index_name(ledger, cols["dept"], cols["amount"], "s")
    with connection.cursor() as cur:
        cur.execute(f"DROP INDEX IF EXISTS {q(pair)}")
    plain = Path(os.environ["DAICHO_DATA_DIR"]) / "floor-plain.db"
    if not plain.exists() or not args.reuse:
        started = time.perf_counter()
        build_plain(lid, plain)
        log(f"Datasette's copy {plain} in {time.perf_counter() - started:.0f} s")
    con = sqlite3.connect(plain)
    con.execute("DROP INDEX IF EXISTS ledger_dept_amount")
    con.execute("ANALYZE")
    con.commit()
    con.close()
    connection.close()
    env = server_env(args, "daicho.settings")
    token = subprocess.run([str(BIN / "daicho"), "token", "create", USER], env=env, check=True,
                           capture_output=True, text=True).stdout.strip()
    return lid, token


def build_pair_indexes(lid: int) -> None:
    from django.db import connection

    from daicho.db import schema as ddl
    from daicho.models import Ledger

    ledger = Ledger.objects.get(id=lid)
    _table, cols = ledger_columns(lid)
    started = time.perf_counter()
    ddl.build_pair_index(ledger, cols["dept"], cols["amount"], "s")
    log(f"daicho's pair index in {time.perf_counter() - started:.1f} s")
    connection.close()
    con = sqlite3.connect(Path(os.environ["DAICHO_DATA_DIR"]) / "floor-plain.db")
    con.execute("CREATE INDEX ledger_dept_amount ON ledger (dept, amount)")
    con.execute("ANALYZE")
    con.commit()
    con.close()


def server_env(args: argparse.Namespace, settings_module: str) -> dict[str, str]:
    env = dict(os.environ, DJANGO_SETTINGS_MODULE=settings_module,
               PYTHONPATH=os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]))
    env.pop("DAICHO_TESTING", None)
    if not args.database_url:
        env.pop("DAICHO_DATABASE_URL", None)
    return env


@contextlib.contextmanager
def servers(args: argparse.Namespace, settings_module: str) -> Iterator[tuple[int, int]]:
    port, ds_port = free_port(), free_port()
    folder = Path(os.environ["DAICHO_DATA_DIR"])
    daicho_cmd = [str(BIN / "daicho"), "serve", "--host", "127.0.0.1", "--port", str(port),
                  "--workers", str(args.workers), "--threads", str(args.threads)]
    ds_cmd = [str(BIN / "datasette"), "serve", str(folder / "floor-plain.db"), "--host",
              "127.0.0.1", "--port", str(ds_port), "--setting", "sql_time_limit_ms", "5000",
              "--setting", "max_returned_rows", "1000"]
    with contextlib.ExitStack() as stack:
        stack.enter_context(process(daicho_cmd, server_env(args, settings_module),
                                    folder / "floor-server.log"))
        stack.enter_context(process(ds_cmd, dict(os.environ), folder / "floor-datasette.log"))
        wait_http(f"http://127.0.0.1:{port}/healthz")
        wait_http(f"http://127.0.0.1:{ds_port}/floor-plain/ledger.json?_size=1&_nocount=1")
        yield port, ds_port


def pages(kind: str, lid: int, n: int) -> list[tuple[tuple[str, list[tuple[str, str]]],
                                                   tuple[str, list[tuple[str, str]]]]]:
    rnd = random.Random(19)
    lean = [("_size", "50"), ("_nocount", "1"), ("_nosuggest", "1")]
    out = []
    for _ in range(n):
        if kind == "first_page":
            ours = [("limit", "50")]
            theirs = lean
        else:
            dept = rnd.choice(dataset.DEPTS)
            ours = [("filter", f"dept:eq:{dept}"), ("sort", "-amount"), ("limit", "50")]
            theirs = [("dept", dept), ("_sort_desc", "amount"), *lean]
        out.append(((f"/api/v1/ledgers/{lid}/records", ours),
                    ("/floor-plain/ledger.json", theirs)))
    return out


def measure(kind: str, port: int, ds_port: int, token: str, lid: int,
            n: int) -> dict[str, Any]:
    ours, theirs = Http(port, token), Http(ds_port)
    plan = pages(kind, lid, n)
    for (path, params), (ds_path, ds_params) in plan[:max(28, n // 10)]:  # warm-up
        ours.get(path, params)
        theirs.get(ds_path, ds_params)
    times: dict[str, list[float]] = {"daicho": [], "datasette": []}
    load_before = load_average()
    for i, ((path, params), (ds_path, ds_params)) in enumerate(plan):
        pair = [("daicho", ours, path, params), ("datasette", theirs, ds_path, ds_params)]
        for who, http, p, ps in (pair if i % 2 else pair[::-1]):
            status, body, ms = http.get(p, ps)
            rows = body.get("items", body.get("rows")) if isinstance(body, dict) else None
            if status != 200 or rows is None or len(rows) != 50:
                raise RuntimeError(f"{who} {p} {ps}: HTTP {status} {str(body)[:300]}")
            times[who].append(ms)
    ours.close()
    theirs.close()
    med = {who: statistics.median(t) for who, t in times.items()}
    ratio = med["daicho"] / med["datasette"]
    return {"daicho_ms": round(med["daicho"], 2), "datasette_ms": round(med["datasette"], 2),
            "ratio": round(ratio, 2), "target": TARGETS[kind], "met": ratio <= TARGETS[kind],
            "requests": n, "load_average": [load_before, load_average()]}


def main() -> int:
    parser = bench_filter_values.arguments(__doc__, requests=200)
    parser.set_defaults(records=200_000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    if not args.data_dir:
        parser.error("--data-dir is required (an empty folder, or one an earlier run filled)")
    lid, token = prepare(args)
    result: dict[str, Any] = {"records": args.records, "database": "postgresql"
                              if args.database_url else "sqlite", "rows": {}}
    with servers(args, "floor_settings") as (port, ds_port):
        result["rows"]["first_minute"] = measure("first_minute", port, ds_port, token, lid,
                                                 args.requests)
    build_pair_indexes(lid)
    with servers(args, "daicho.settings") as (port, ds_port):
        result["rows"]["after_index"] = measure("after_index", port, ds_port, token, lid,
                                                args.requests)
        result["rows"]["first_page"] = measure("first_page", port, ds_port, token, lid,
                                               args.requests)
    print(f"{'':14} {'daicho':>8} {'Datasette':>10} {'ratio':>6}  target  load average")
    for name, row in result["rows"].items():
        print(f"{name:14} {row['daicho_ms']:8.2f} {row['datasette_ms']:10.2f} "
              f"{row['ratio']:6.2f}  ≤ {row['target']:.1f}{'' if row['met'] else ' ✗'}   "
              f"{' → '.join(row['load_average'])}")
    if args.out:
        Path(args.out).write_text(json.dumps(result, ensure_ascii=False, indent=1))
    return 0 if all(r["met"] for r in result["rows"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
