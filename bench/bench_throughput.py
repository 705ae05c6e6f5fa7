"""Throughput of record updates: N clients updating records with the revision protocol (a 409
is answered by trying again from the current revision), for several client counts and
`daicho serve --workers` counts, on SQLite and PostgreSQL (issue 19; docs/performance.md).

    .venv/bin/python bench/bench_throughput.py [--backend sqlite|postgresql|both]
        [--clients 1,4,16,64] [--workers 1,2,4] [--seconds 7] [--records 1000]
        [--threads 8] [--out bench/out/throughput.json]

Each backend gets a fresh data dir (PostgreSQL: its own server from bench/pg.py, durable
settings) with one ledger of `--records` records. For each worker count a server is started;
for each client count the clients update for `--seconds`: each picks a random record, sends
`PATCH` with the revision it last saw of it and a value of its own (`c<client>-<n>`), and on
409 sends the same value again with the revision the answer holds. The figure is acknowledged
writes (200) per second.

Nothing lost, checked in the database after each server stops: every acknowledged write is
the history entry at the revision it answered, with its value; each record's history runs
1…revision without a gap, with exactly as many update entries as writes were acknowledged;
each record's value is that of its highest acknowledged revision. No response may be 5xx and
the server log may hold no traceback."""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from contention import Monitor  # noqa: E402
from httpclient import Http, summary  # noqa: E402
from pg import Postgres  # noqa: E402

BIN = Path(sys.executable).parent
WARMUP_WRITES = 20  # per server start, acknowledged and verified but not timed


@dataclass
class Tally:
    acked: list[tuple[int, int, str]] = field(default_factory=list)  # (record, revision, value)
    ms: list[float] = field(default_factory=list)
    conflicts: int = 0
    failures: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class Revisions:
    """The revision each record was last seen at, shared by the clients (as people who keep a
    page open share nothing: a stale one costs a 409 and a second try)."""

    def __init__(self, ids: list[int]) -> None:
        self.ids = ids
        self.known = dict.fromkeys(ids, 1)

    def see(self, rid: int, revision: int) -> None:
        if revision > self.known[rid]:
            self.known[rid] = revision


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _daicho(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([str(BIN / "daicho"), *args], env=env, capture_output=True, text=True,
                          timeout=600, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"daicho {args[0]}: {done.stderr[-2000:]}")
    return done.stdout


@contextmanager
def _server(env: dict[str, str], workers: int, threads: int, log: Path) -> Iterator[int]:
    port = _free_port()
    with log.open("ab") as out:
        proc = subprocess.Popen([str(BIN / "daicho"), "serve", "--port", str(port), "--workers",
                                 str(workers), "--threads", str(threads)], env=env,
                                stdout=out, stderr=out)
    try:
        for _ in range(600):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5):
                    break
            except OSError:
                time.sleep(0.05)
        else:
            raise RuntimeError("server did not start")
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def _update(http: Http, lid: int, revisions: Revisions, rnd: random.Random, value: str,
            tally: Tally, timed: bool) -> None:
    rid = rnd.choice(revisions.ids)
    path = f"/api/v1/ledgers/{lid}/records/{rid}"
    for _attempt in range(50):
        status, body, ms = http.request("PATCH", path, {"revision": revisions.known[rid],
                                                        "values": {"v": value}})
        if status == 200:
            revisions.see(rid, int(body["revision"]))
            with tally.lock:
                tally.acked.append((rid, int(body["revision"]), value))
                if timed:
                    tally.ms.append(ms)
            return
        if status == 409 and body["error"]["code"] == "conflict":
            revisions.see(rid, int(body["error"]["details"]["current"]["revision"]))
            with tally.lock:
                tally.conflicts += 1
            continue
        with tally.lock:
            tally.failures.append(f"PATCH {path}: HTTP {status} {str(body)[:200]}")
        return
    with tally.lock:
        tally.failures.append(f"PATCH {path}: still conflicting after 50 tries")


def run_clients(port: int, token: str, lid: int, revisions: Revisions, clients: int,
                seconds: float, tally: Tally, run: str) -> dict[str, Any]:
    before = len(tally.acked), tally.conflicts, len(tally.ms)
    started = threading.Barrier(clients + 1)
    stop = threading.Event()

    def client(k: int) -> None:
        http, rnd, n = Http(port, token), random.Random(f"{run}-{k}"), 0
        http.request("GET", "/healthz")  # the connection is open before the clock starts
        started.wait()
        while not stop.is_set() and len(tally.failures) < 20:
            n += 1
            _update(http, lid, revisions, rnd, f"{run}-c{k}-{n}", tally, timed=True)
        http.close()

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    started.wait()
    monitor = Monitor(markers=[os.environ.get("BENCH_PG_MARKER", "\0")])
    t0, cpu0 = time.monotonic(), time.process_time()
    stop.wait(seconds)
    stop.set()
    for t in threads:
        t.join()
    wall, client_cpu = time.monotonic() - t0, time.process_time() - cpu0
    load = monitor.stop()
    acked = len(tally.acked) - before[0]
    # CPU the servers and the database spent per acknowledged write: the client's own CPU
    # (this process) taken out of everything the benchmark's processes used.
    ours = (load["cpu_ours_pct"] or 0) / 100 * wall * (os.cpu_count() or 1)
    return {"clients": clients, "acked": acked, "writes_per_s": round(acked / wall, 1),
            "conflicts": tally.conflicts - before[1], "seconds": round(wall, 1),
            "client_cpu_s": round(client_cpu, 2),
            "server_cpu_ms_per_write": round(1000 * max(ours - client_cpu, 0) / max(acked, 1), 2),
            **summary(tally.ms[before[2]:]), "load": load}


def _connect(env: dict[str, str]) -> Any:
    url = env.get("DAICHO_DATABASE_URL", "")
    if url.startswith("postgres"):
        import psycopg

        return psycopg.connect(url)
    return sqlite3.connect(f"file:{Path(env['DAICHO_DATA_DIR']) / 'daicho.sqlite3'}?mode=ro",
                           uri=True)


def verify(env: dict[str, str], lid: int, tally: Tally) -> list[str]:
    """What the database holds against what was acknowledged; the problems found."""
    problems: list[str] = []
    con = _connect(env)
    try:
        cur = con.cursor()
        ph = "?" if isinstance(con, sqlite3.Connection) else "%s"
        cur.execute(f"SELECT table_name FROM daicho_ledger WHERE id = {ph}", [lid])
        table = cur.fetchone()[0]
        cur.execute(f"SELECT l.id, l.revision, l.f_{_field_id(cur, ph, lid)} FROM {table} l")
        current = {int(rid): (int(rev), value) for rid, rev, value in cur.fetchall()}
        cur.execute(f"SELECT record_id, revision, action, changes FROM daicho_history "
                    f"WHERE ledger_id = {ph}", [lid])
        history: dict[tuple[int, int], tuple[str, Any]] = {}
        for rid, rev, action, changes in cur.fetchall():
            history[(int(rid), int(rev))] = (str(action), json.loads(changes)
                                             if isinstance(changes, str) else changes)
    finally:
        con.close()
    updates = sum(1 for action, _c in history.values() if action == "update")
    if updates != len(tally.acked):
        problems.append(f"{updates} update entries in the history, {len(tally.acked)} "
                        "acknowledged")
    highest: dict[int, tuple[int, str]] = {}
    for rid, rev, value in tally.acked:
        action, changes = history.get((rid, rev), ("missing", {}))
        if action != "update" or (changes.get("v") or {}).get("new") != value:
            problems.append(f"record {rid} revision {rev}: acknowledged {value!r}, history "
                            f"has {action} {changes!r}"[:300])
        if rev > highest.get(rid, (0, ""))[0]:
            highest[rid] = (rev, value)
    for rid, (rev, value) in current.items():
        revisions = sorted(r for (i, r) in history if i == rid)
        if revisions != list(range(1, rev + 1)):
            problems.append(f"record {rid}: history revisions {revisions[:10]}… at revision {rev}")
        if rid in highest and highest[rid] != (rev, value):
            problems.append(f"record {rid}: holds revision {rev} {value!r}, the last "
                            f"acknowledged write was {highest[rid]}")
        if len(problems) > 20:
            break
    return problems


def _field_id(cur: Any, ph: str, lid: int) -> int:
    cur.execute(f"SELECT id FROM daicho_field WHERE ledger_id = {ph} AND code = 'v'", [lid])
    return int(cur.fetchone()[0])


def _ledger(port: int, token: str, records: int) -> tuple[int, list[int]]:
    http = Http(port, token)
    status, led, _ms = http.request("POST", "/api/v1/ledgers", {"name": "更新の流量", "fields": [
        {"name": "名称", "type": "text", "code": "name"},
        {"name": "値", "type": "text", "code": "v"},
        {"name": "金額", "type": "number", "code": "amount"}]})
    assert status == 201, led
    ids: list[int] = []
    for start in range(0, records, 1000):
        rows = [{"values": {"name": f"記録{n}", "v": "", "amount": n}}
                for n in range(start, min(records, start + 1000))]
        status, body, _ms = http.request("POST", f"/api/v1/ledgers/{led['id']}/records/bulk",
                                         {"create": rows})
        assert status == 200, body
        ids += [r["id"] for r in body["created"]]
    http.close()
    return int(led["id"]), ids


def run_backend(backend: str, args: argparse.Namespace, root: Path) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DAICHO_", "PYTEST"))}
    env.update(DAICHO_DATA_DIR=str(root / "data"), DAICHO_ADMIN_PASSWORD="bench-admin-password")
    pg = None
    if backend == "postgresql":
        pg = Postgres(root / "pg", _free_port())
        pg.init()
        pg.start()
        env["DAICHO_DATABASE_URL"] = pg.url
        os.environ["BENCH_PG_MARKER"] = str(pg.data)
    try:
        _daicho(env, "init")
        token = _daicho(env, "token", "create", "admin").strip()
        log = root / "server.log"
        tally = Tally()
        rows: list[dict[str, Any]] = []
        lid = 0
        revisions: Revisions | None = None
        for workers in args.workers:
            with _server(env, workers, args.threads, log) as port:
                if revisions is None:
                    lid, ids = _ledger(port, token, args.records)
                    revisions = Revisions(ids)
                http, rnd = Http(port, token), random.Random(f"warm-{workers}")
                for n in range(WARMUP_WRITES * workers):
                    _update(http, lid, revisions, rnd, f"w{workers}-{n}", tally, timed=False)
                http.close()
                for clients in args.clients:
                    row = run_clients(port, token, lid, revisions, clients, args.seconds, tally,
                                      f"{backend}-w{workers}-c{clients}")
                    row["workers"] = workers
                    rows.append(row)
                    print(f"{backend:10} workers {workers} clients {clients:3}: "
                          f"{row['writes_per_s']:7.1f} writes/s, p50 {row['p50_ms']} ms, "
                          f"p95 {row['p95_ms']} ms, conflicts {row['conflicts']}, server CPU "
                          f"{row['server_cpu_ms_per_write']} ms/write, ours "
                          f"{row['load']['cpu_ours_pct']} % others "
                          f"{row['load']['cpu_others_pct']} %, load "
                          f"{row['load']['loadavg_1m']}", flush=True)
        problems = verify(env, lid, tally)
        text = log.read_text(errors="replace")
        if "Traceback" in text:
            problems.append("the server log holds a traceback")
        return {"backend": backend, "rows": rows, "acknowledged": len(tally.acked),
                "problems": problems + tally.failures[:20],
                "postgresql": pg.settings_report() if pg else None}
    finally:
        if pg is not None:
            pg.stop()


def table(results: list[dict[str, Any]]) -> str:
    counts = sorted({row["clients"] for result in results for row in result["rows"]})
    lines = ["| database | workers | " + " | ".join(f"{n} clients" for n in counts) + " |",
             "|---|---|" + "---|" * len(counts)]
    for result in results:
        by: dict[int, dict[int, dict[str, Any]]] = {}
        for row in result["rows"]:
            by.setdefault(row["workers"], {})[row["clients"]] = row
        for workers, cells in by.items():
            lines.append(f"| {result['backend']} | {workers} | " + " | ".join(
                f"**{c['writes_per_s']:.0f}**/s · p95 {c['p95_ms']:.0f} ms · "
                f"{c['server_cpu_ms_per_write']:.1f} ms CPU · ours {c['load']['cpu_ours_pct']:.0f} %"
                f" · load {c['load']['loadavg_1m']:.1f}"
                if (c := cells.get(n)) else "" for n in counts) + " |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--clients", default="1,4,16,64")
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--seconds", type=float, default=7.0)
    parser.add_argument("--records", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--out", default=str(HERE / "out" / "throughput.json"))
    args = parser.parse_args()
    args.clients = [int(n) for n in args.clients.split(",")]
    args.workers = [int(n) for n in args.workers.split(",")]
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    results = []
    started = time.monotonic()
    for backend in backends:
        root = Path(tempfile.mkdtemp(prefix=f"daicho-throughput-{backend}-"))
        root.chmod(0o711)  # PostgreSQL runs as its own user when we are root
        try:
            results.append(run_backend(backend, args, root))
        finally:
            shutil.rmtree(root, ignore_errors=True)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"results": results, "seconds": round(time.monotonic() - started),
                               "cores": os.cpu_count()}, ensure_ascii=False, indent=1))
    print(table(results))
    bad = False
    for result in results:
        print(f"{result['backend']}: {result['acknowledged']} writes acknowledged, "
              f"{'nothing lost' if not result['problems'] else 'PROBLEMS'}")
        for problem in result["problems"]:
            print("  " + problem)
            bad = True
    print(f"{round(time.monotonic() - started)} s in all")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
