"""Formula fields on a big ledger (issue 15): adding a formula field recomputes every record
in the background — the bar is ≤ 60 s for 1,000,000 records — and a PATCH of a record whose
ledger has three formula fields stays within the engine's bar (p95 ≤ 15 ms).

    .venv/bin/python bench/bench_formula.py [--records 100000] [--patches 200]
        [--data-dir DIR] [--database-url URL] [--reuse] [--lookups] [--http 200]
        [--breakdown] [--out FILE]

It makes and fills the benchmark ledger as bench/bench_filter_values.py does (12 fields of
bench/dataset.py, indexed as an import leaves them), then, as the ledger's manager:

1. adds 金額(税込) = ROUND(amount * 1.1) and times the `formula_recompute` job it queues
   (daicho.services.formulas.recompute: every record read, computed and rewritten in chunks of
   5,000, search keys and gram index kept in step);
2. adds 年度 = FISCAL_YEAR(acquired_on) and 和暦 = WAREKI(acquired_on) and times that job
   (three formulas computed per record, two rewritten);
3. times `update_record` (the PATCH service: clean, lock, compute the formulas, write, history)
   on random records, p50 / p95 / max — before the formulas are added, and with the three;
4. with --http N: starts `daicho serve` on the same database and times N list pages (50
   records, sorted and filtered by the formulas too), N searches and N PATCHes over HTTP as
   the manager's API token, p50 / p95 / max each. The jobs the server's job thread took up
   meanwhile (a list page may ask for a two-column index) are waited for and printed before
   the PATCHes are timed: a PATCH during such a build waits for its write lock.

Each recompute is given as wall time, the CPU time of the process that ran the job (less
sensitive to the machine's load than wall time; on PostgreSQL the database server's CPU is
not in it) and the load average before and after: the machine may be shared.

--breakdown: the wall and CPU time of each step of the recompute (reading the chunks,
computing, search keys, UPDATE, gram index), summed per job.

--lookups: when a field type `lookup` is registered (contract §7), a master ledger of 100
records (名称, 単価), a link field 所管 on the benchmark ledger pointing at them (filled by one
UPDATE, the bench's shortcut) and two lookup fields (所管名, 所管単価) are added before the
formulas, so the formulas are recomputed on a ledger that also has lookups; the time the
lookups' own jobs take is printed. Without a registered `lookup` type it says so and goes on.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import bench_filter_values as loader  # noqa: E402
from httpclient import Http  # noqa: E402
from run import free_port, process, wait_http  # noqa: E402

RECOMPUTE_BAR_S = 60  # for 1,000,000 records
PATCH_BAR_MS = 15
PAGE_BAR_MS = 50
BIN = Path(sys.executable).parent
FORMULAS = [
    {"name": "金額（税込）", "code": "tax", "type": "formula",
     "options": {"expression": "ROUND(amount * 1.1)", "result": "number"}},
    {"name": "年度", "code": "fy", "type": "formula",
     "options": {"expression": "FISCAL_YEAR(acquired_on)", "result": "number"}},
    {"name": "和暦", "code": "wareki", "type": "formula",
     "options": {"expression": "WAREKI(acquired_on)", "result": "text"}},
]


def load_average() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


def _backend_cpu() -> tuple[int, float] | None:
    """PostgreSQL: the CPU seconds this connection's server process has used (it runs on this
    machine: /proc); None on SQLite, where the database's work is the process's own."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        pid = int(cur.fetchone()[0])
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return pid, (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _add(admin: Any, lid: int, spec: dict[str, Any]) -> dict[str, Any]:
    """Add a field and run the job(s) it queues: wall and CPU seconds, load before/after."""
    from daicho import jobs
    from daicho.selectors.ledgers import load_schema
    from daicho.services.ledgers import add_field

    schema = load_schema(lid)
    assert schema is not None
    add_field(user=admin, schema=schema, spec=spec)
    load_before = load_average()
    backend = _backend_cpu()
    started, cpu = time.perf_counter(), time.process_time()
    ran = jobs.run_pending()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    backend_after = _backend_cpu()
    database = {} if backend is None or backend_after is None or backend[0] != backend_after[0] \
        else {"database_cpu_s": round(backend_after[1] - backend[1], 2)}
    steps = {label: [round(w, 2), round(c, 2)] for label, (w, c) in BREAKDOWN.items()}
    BREAKDOWN.clear()
    return {"field": spec["code"], "jobs": ran, "wall_s": round(seconds, 2),
            "cpu_s": round(cpu, 2), **database, "load": [load_before, load_average()],
            **({"steps_wall_cpu_s": steps} if steps else {})}


BREAKDOWN: dict[str, list[float]] = {}  # step → [wall s, CPU s], --breakdown


def _time_steps() -> None:
    """--breakdown: wrap the recompute's steps to sum their wall and CPU time per job."""
    from daicho.db import batch, schema, search
    from daicho.services import formulas

    def timed(owner: Any, name: str, label: str) -> None:
        inner = getattr(owner, name, None)
        if inner is None:  # an older code (PYTHONPATH) without the step
            return

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            started, cpu = time.perf_counter(), time.process_time()
            try:
                return inner(*args, **kwargs)
            finally:
                spent = BREAKDOWN.setdefault(label, [0.0, 0.0])
                spent[0] += time.perf_counter() - started
                spent[1] += time.process_time() - cpu
        setattr(owner, name, wrapper)

    timed(formulas._Chunk, "read", "read the chunk's columns")
    timed(formulas, "compute_columns", "compute the formulas")
    timed(formulas._Chunk, "_keys", "search keys")
    timed(batch, "update_rows", "UPDATE by id")
    timed(batch, "update_columns",
          "UPDATE … FROM unnest (PostgreSQL; with the search table's trigger)")
    timed(schema, "build_search_indexes", "GIN search indexes: rebuilt at the end (older code)")
    timed(schema, "sync_indexes", "formula column indexes: rebuilt at the end")
    timed(search, "write_texts", "search table: the sections that changed (PostgreSQL)")
    timed(search, "index_records", "gram index: keys changed one by one")
    timed(search, "build_index", "gram index: rebuilt at the end")


def _lookups(admin: Any, lid: int, records: int) -> list[dict[str, Any]]:
    """The lead's hook for issue 15's two lookups (see the module's docstring)."""
    from django.db import connection, transaction

    from daicho.db.dialect import q
    from daicho.fields import REGISTRY
    from daicho.models import Ledger
    from daicho.selectors.ledgers import load_schema
    from daicho.services.ledgers import add_field, create_ledger
    from daicho.services.records import create_record

    if "lookup" not in REGISTRY:
        print("--lookups: no field type `lookup` is registered; no lookups added", flush=True)
        return []
    from daicho.models import Field

    if Field.objects.filter(ledger_id=lid, code="owner", deleted_at=None).exists():
        # --reuse of a ledger a run with --lookups left: it has them already.
        print("--lookups: the ledger has its link and lookups already", flush=True)
        return []
    master = create_ledger(user=admin, name="ベンチ 所管マスタ", fields=[
        {"name": "名称", "code": "mname", "type": "text"},
        {"name": "単価", "code": "rate", "type": "number", "options": {"decimals": 0}}])
    for n in range(1, 101):
        create_record(user=admin, schema=master, values={"mname": f"所管{n:03d}", "rate": n * 10})
    schema = load_schema(lid)
    assert schema is not None
    link = add_field(user=admin, schema=schema, spec={
        "name": "所管", "code": "owner", "type": "link", "options": {"ledger": master.id}})
    started = time.perf_counter()
    table = Ledger.objects.get(id=lid).table_name or ""
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(f"SELECT MIN(id) FROM {q(master.table)}")
        first = int(cur.fetchone()[0])
        cur.execute(f"UPDATE {q(table)} SET {q(link.column)} = %s + id %% 100", [first])
    print(f"link 所管 filled on {records:,} records in {time.perf_counter() - started:.1f} s",
          flush=True)
    out = []
    for name, code, target in (("所管名", "owner_name", "mname"), ("所管単価", "owner_rate", "rate")):
        done = _add(admin, lid, {"name": name, "code": code, "type": "lookup",
                                 "options": {"link": "owner", "field": target}})
        print(f"add lookup {name}: {done}", flush=True)
        out.append(done)
    return out


def _patches(admin: Any, lid: int, count: int, records: int, seed: int) -> list[float]:
    """`count` updates of 金額 to a new value (each `seed` picks other records and values; a
    value the record holds already, as after an earlier run on the same database, is moved by
    one, so no update is one that changes nothing)."""
    from daicho.selectors.ledgers import load_schema
    from daicho.services.records import update_record

    rng = random.Random(seed)
    timings = []
    for _ in range(count):
        schema = load_schema(lid)
        assert schema is not None
        rid = rng.randint(1, records)
        revision, amount = _revision(schema, rid)
        started = time.perf_counter()
        row = update_record(user=admin, schema=schema, record_id=rid, revision=revision,
                            values={"amount": _new_amount(rng, amount)})
        timings.append((time.perf_counter() - started) * 1000)
        assert row["values"].get("tax", 0) is not None
    return timings


def _revision(schema: Any, rid: int) -> tuple[int, Any]:
    """The record's revision and 金額."""
    from django.db import connection

    from daicho.db.dialect import q

    column = q(schema.by_code["amount"].column)
    with connection.cursor() as cur:
        cur.execute(f"SELECT revision, {column} FROM {q(schema.table)} WHERE id = %s", [rid])
        revision, amount = cur.fetchone()
        return int(revision), amount


def _new_amount(rng: random.Random, current: Any) -> int:
    """A random 金額 that is not `current`: the same seed on a database that ran the bench
    before would otherwise send the values it holds, and a PATCH that changes nothing writes
    nothing (no revision, no history, no WAL frame) and times nothing of interest."""
    value = rng.randint(1, 10**8)
    return value + 1 if current is not None and float(current) == value else value


@contextlib.contextmanager
def _server(args: argparse.Namespace) -> Iterator[tuple[int, str]]:
    """`daicho serve` on the bench's database, and an API token of the manager."""
    env = dict(os.environ)
    env.pop("DAICHO_TESTING", None)
    folder = Path(os.environ["DAICHO_DATA_DIR"])
    token = subprocess.run([str(BIN / "daicho"), "token", "create", "fbadmin"], env=env,
                           check=True, capture_output=True, text=True).stdout.strip()
    port = free_port()
    cmd = [str(BIN / "daicho"), "serve", "--host", "127.0.0.1", "--port", str(port),
           "--workers", "1", "--threads", "4"]
    with process(cmd, env, folder / "formula-server.log"):
        wait_http(f"http://127.0.0.1:{port}/healthz", 120)
        yield port, token


def _stats(times: list[float]) -> dict[str, float]:
    return {"p50": round(statistics.median(times), 1),
            "p95": round(statistics.quantiles(times, n=20)[-1], 1), "max": round(max(times), 1)}


def _maintenance(lid: int) -> dict[str, Any]:
    """PostgreSQL: VACUUM (ANALYZE) the ledger's tables before the HTTP timings, as the engine
    benchmark does after its load (bench/load.py): the recomputes left a dead row version of
    each record behind, and autovacuum cleaning them up meanwhile would be timed with them."""
    from django.db import connection

    from daicho.db.dialect import q
    from daicho.db.schema import texts_table
    from daicho.models import Ledger

    if connection.vendor != "postgresql":
        return {}
    ledger = Ledger.objects.get(id=lid)
    started = time.perf_counter()
    with connection.cursor() as cur:
        for name in (str(ledger.table_name), texts_table(ledger), "daicho_history"):
            cur.execute(f"VACUUM (ANALYZE) {q(name)}")
    seconds = round(time.perf_counter() - started, 1)
    print(f"VACUUM (ANALYZE) of the ledger's tables before the HTTP timings: {seconds} s",
          flush=True)
    return {"vacuum_analyze_s": seconds}


def _http(args: argparse.Namespace, lid: int, codes: set[str]) -> dict[str, Any]:
    """List pages, searches and PATCHes over HTTP with the three formulas (--http N each)."""
    rng = random.Random(15)
    base = f"/api/v1/ledgers/{lid}/records"
    pages = [[("limit", "50")], [("limit", "50"), ("sort", "-amount")],
             [("limit", "50"), ("sort", "-tax")], [("limit", "50"), ("sort", "fy")],
             [("limit", "50"), ("filter", "fy:eq:2015")],
             [("limit", "50"), ("filter", "tax:gt:50000000"), ("sort", "tax")],
             [("limit", "50"), ("filter", "dept:eq:管財課"), ("sort", "-tax")]]
    pages = [p for p in pages  # those of the formulas the ledger has (--formulas)
             if all(v.lstrip("-").split(":")[0] in codes for k, v in p if k != "limit")]
    searches = ["令和", "平成3年", "00123", "市役所", "土地"]
    out: dict[str, Any] = {"load_before": load_average()}
    started = time.time()
    with _server(args) as (port, token):
        http = Http(port, token)
        for kind, plan in (("page", pages), ("search", [[("q", q), ("limit", "50")]
                                                        for q in searches])):
            for params in plan:  # warm-up
                http.get(base, params)
            times = []
            for n in range(args.http):
                status, body, ms = http.get(base, plan[n % len(plan)])
                assert status == 200, (status, body)
                times.append(ms)
            out[kind] = {**_stats(times), "load": load_average()}
            print(f"HTTP {kind}: {out[kind]}", flush=True)
        out["jobs_before_patches"] = _wait_for_jobs(started)
        times = []
        for _n in range(args.http):
            rid = rng.randint(1, args.records)
            status, body, _ms = http.get(f"{base}/{rid}")
            assert status == 200, (status, body)
            amount = _new_amount(rng, body["values"].get("amount"))
            status, body, ms = http.request("PATCH", f"{base}/{rid}", {
                "revision": body["revision"], "values": {"amount": amount}})
            assert status == 200, (status, body)
            assert body["values"]["amount"] == amount, body
            times.append(ms)
        out["patch"] = {**_stats(times), "load": load_average()}
        print(f"HTTP PATCH: {out['patch']}", flush=True)
        http.close()
    return out


def _wait_for_jobs(since: float) -> list[dict[str, Any]]:
    """The jobs the server took up since `since` (a list page sorted by a formula may ask for a
    two-column index, daicho.services.indexes), waited for before the PATCHes are timed: the
    server's job thread builds such an index in a transaction, and a PATCH meanwhile waits for
    the write lock (5 s for the 管財課-by-税込 index on 1,000,000 records, the 2.9 and 4.8 s
    outliers of earlier runs). Each is printed with its time, not folded into the PATCH's."""
    import datetime as dt

    from django.db import connection

    from daicho.models import Job

    begun = time.perf_counter()
    since_at = dt.datetime.fromtimestamp(since, tz=dt.UTC)
    while Job.objects.filter(status__in=("queued", "running"), created_at__gte=since_at).exists():
        time.sleep(0.2)
    found = [{"kind": j.kind, "params": j.params, "status": j.status,
              "seconds": round((j.finished_at - j.started_at).total_seconds(), 1)
              if j.finished_at and j.started_at else None}
             for j in Job.objects.filter(created_at__gte=since_at).order_by("id")]
    connection.close()
    if found:
        print(f"jobs the server ran before the PATCHes (waited {time.perf_counter() - begun:.1f} s "
              f"for them): {found}", flush=True)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--patches", type=int, default=200)
    parser.add_argument("--data-dir")
    parser.add_argument("--database-url")
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--lookups", action="store_true",
                        help="add a link field and two lookup fields before the formulas")
    parser.add_argument("--http", type=int, default=0, metavar="N",
                        help="then time N list pages, searches and PATCHes over HTTP")
    parser.add_argument("--formulas", type=int, default=3, choices=(0, 1, 2, 3),
                        help="add only the first N of the three formulas (0: none, e.g. to "
                             "time HTTP on a ledger that has them)")
    parser.add_argument("--breakdown", action="store_true",
                        help="sum the wall and CPU time of each step of the recompute")
    parser.add_argument("--out")
    args = parser.parse_args()
    loader.setup(args)
    from django.contrib.auth import get_user_model
    from django.db import connection

    lid = loader.existing() if args.reuse else loader.fill(args.records)
    if args.breakdown:
        _time_steps()
    admin = get_user_model().objects.get(username="fbadmin")
    baseline = _patches(admin, lid, args.patches, args.records, seed=1)  # before any formula
    print(f"update_record before this run adds a field (--reuse: the ledger as it is): "
          f"p50 {statistics.median(baseline):.1f} ms, "
          f"p95 {statistics.quantiles(baseline, n=20)[-1]:.1f} ms", flush=True)
    lookups = _lookups(admin, lid, args.records) if args.lookups else []
    added = []
    for spec in FORMULAS[:args.formulas]:
        done = _add(admin, lid, spec)
        assert done["jobs"] >= 1, "no recompute job was queued"
        print(f"add {spec['name']} ({spec['options']['expression']}), recompute "
              f"{args.records:,} records: {done['wall_s']:.1f} s wall, {done['cpu_s']:.1f} s CPU, "
              f"load {done['load'][0]:.1f} → {done['load'][1]:.1f} {done}", flush=True)
        added.append(done)
    timings = _patches(admin, lid, args.patches, args.records, seed=2)
    patch = _stats(timings)
    print(f"update_record with {args.formulas} formula(s): {patch}", flush=True)
    result: dict[str, Any] = {
        "records": args.records, "database": connection.vendor, "lookups": lookups,
        "recompute": added, "recompute_bar_s": RECOMPUTE_BAR_S, "patch_ms": patch,
        "patch_without_formulas_ms": _stats(baseline), "patch_bar_ms": PATCH_BAR_MS}
    if args.http:
        from daicho.models import Field

        codes = set(Field.objects.filter(ledger_id=lid, deleted_at=None)
                    .values_list("code", flat=True))
        result["maintenance"] = _maintenance(lid)
        connection.close()
        result["http_ms"] = _http(args, lid, codes)
        result["page_bar_ms"] = PAGE_BAR_MS
    print(json.dumps(result, ensure_ascii=False))
    if args.out:
        Path(args.out).write_text(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
