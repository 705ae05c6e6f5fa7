"""daicho's performance benchmark (`make bench`): a city-shaped ledger of 1,000,000 records × 12
fields, served by `daicho serve`, measured through the HTTP API on SQLite and on PostgreSQL, with
the same filtered, sorted page through Datasette for comparison. See docs/performance.md.

    .venv/bin/python bench/run.py [--records N | --quick] [--backend sqlite|postgresql|both]
        [--data-dir DIR] [--requests 200] [--workers 2] [--threads 8] [--out FILE]
        [--imports yes|no|only]

It first runs bench/bench_import.py (import and export against python-calamine, sqlite-utils
and XlsxWriter, see that file) unless --imports no, and bench/bench_floor.py (a request's own cost
against Datasette's same page on 200,000 records, issue 19) unless --floor no.

Data is built once per backend and size under bench/out/data-<backend>-<N>/ (or --data-dir, a
folder per backend inside it) and reused by later runs; delete the folder to rebuild it.
Results go to bench/out/results.json.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import scenarios  # noqa: E402
from contention import Monitor  # noqa: E402
from pg import Postgres, pg_bin  # noqa: E402

BIN = Path(sys.executable).parent
CODE: dict[str, str] = {}  # PYTHONPATH of a snapshot of the committed code (--snapshot)
MARKER = ".daicho-bench"
ADMIN_PASSWORD = "bench-admin-password"

TARGETS = {  # figure -> (statistic, limit in ms)
    "page1_filter_sort": ("p95_ms", 50),
    "page2_cursor": ("p95_ms", 50),
    "search_q_1char": ("p95_ms", 100),
    "search_q_2char": ("p95_ms", 100),
    "search_q_4char": ("p95_ms", 100),
    "aggregate_group_count": ("p95_ms", 500),
    "aggregate_group_sum_amount": ("p95_ms", 500),
    "update_one_record": ("p95_ms", 15),
}


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not answer")
        time.sleep(0.3)


@contextlib.contextmanager
def process(cmd: list[str], env: dict[str, str],
            logfile: Path) -> Iterator[subprocess.Popen[bytes]]:
    with logfile.open("ab") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


class Backend:
    """One database (SQLite file or the bench's own PostgreSQL) with its loaded ledger."""

    def __init__(self, name: str, folder: Path, records: int) -> None:
        self.name, self.folder, self.records = name, folder, records
        self.app_dir = folder if name == "sqlite" else folder / "app"
        self.meta_file = folder / "meta.json"
        self.pg: Postgres | None = None
        self.load_procs = 1

    def env(self) -> dict[str, str]:
        env = dict(os.environ, DAICHO_DATA_DIR=str(self.app_dir),
                   DAICHO_ADMIN_PASSWORD=ADMIN_PASSWORD)
        env.pop("DAICHO_TESTING", None)
        env.pop("DAICHO_DATABASE_URL", None)
        if CODE:
            env["PYTHONPATH"] = CODE["path"]
        if self.pg is not None:
            env["DAICHO_DATABASE_URL"] = self.pg.url
        return env

    def start_database(self) -> None:
        if self.name == "postgresql":
            self.pg = Postgres(self.folder / "pg", free_port())
            self.pg.init()
            self.pg.start()

    def stop_database(self) -> None:
        if self.pg is not None:
            self.pg.stop()

    def meta(self) -> dict[str, Any] | None:
        """The loaded ledger's metadata, if it was loaded with this size and with the same
        table/index/search-index layout as the code under test (else the data is rebuilt)."""
        if not self.meta_file.exists():
            return None
        meta: dict[str, Any] = json.loads(self.meta_file.read_text())
        if meta.get("records") != self.records:
            return None
        if meta.get("layout") != layout_fingerprint():
            log(f"{self.name}: {self.folder} was loaded by code with another table/index/search "
                "layout (daicho/db/schema.py, daicho/db/search.py): rebuilding it")
            return None
        return meta

    def prepare(self) -> tuple[dict[str, Any], bool]:
        """The loaded ledger's metadata; loads it first unless a complete load is there."""
        meta = self.meta()
        if meta is not None:
            log(f"{self.name}: reusing {self.folder} ({self.records:,} records)")
            self.start_database()
            # Apply any newer migrations of the code under test (idempotent).
            subprocess.run([str(BIN / "daicho"), "init"], env=self.env(), check=True,
                           capture_output=True)
            return meta, True
        if self.folder.exists():
            if not (self.folder / MARKER).exists() and any(self.folder.iterdir()):
                raise SystemExit(f"{self.folder} is not empty and not a bench data dir")
            if self.name == "postgresql":
                self.pg = Postgres(self.folder / "pg", free_port())
                self.pg.stop()
                self.pg = None
            shutil.rmtree(self.folder)
        self.folder.mkdir(parents=True)
        (self.folder / MARKER).write_text("daicho benchmark data; safe to delete\n")
        self.app_dir.mkdir(parents=True, exist_ok=True)
        self.start_database()
        env = self.env()
        subprocess.run([str(BIN / "daicho"), "init"], env=env, check=True)
        log(f"{self.name}: loading {self.records:,} records into {self.folder}")
        cmd = [sys.executable, str(HERE / "load.py"), "--records", str(self.records),
               "--meta", str(self.meta_file) + ".tmp"]
        if self.name == "sqlite":
            cmd += ["--plain", str(self.folder / "plain.db")]
        else:
            cmd += ["--procs", str(self.load_procs)]
        with (self.folder / "load.log").open("ab") as out:
            subprocess.run(cmd, env=env, check=True, stdout=out, stderr=out)
        loaded = json.loads(Path(str(self.meta_file) + ".tmp").read_text())
        loaded["loaded_with"] = CODE.get("describe", "working tree")
        loaded["layout"] = layout_fingerprint()
        self.meta_file.write_text(json.dumps(loaded, ensure_ascii=False, indent=2))
        meta = self.meta()
        assert meta is not None
        return meta, False

    def token(self) -> str:
        path = self.folder / "token"
        if not path.exists():
            out = subprocess.run([str(BIN / "daicho"), "token", "create", "admin",
                                  "--label", "bench"], env=self.env(), check=True,
                                 capture_output=True, text=True).stdout.strip()
            path.write_text(out)
        return path.read_text().strip()


def layout_fingerprint() -> str:
    """A hash of the modules that decide a ledger's tables, indexes and gram tokens."""
    import hashlib

    base = Path(CODE["path"]) if CODE else ROOT
    digest = hashlib.sha256()
    for rel in ("daicho/db/schema.py", "daicho/db/search.py"):
        digest.update((base / rel).read_bytes())
    return digest.hexdigest()[:16]


def run_backend(backend: Backend, args: argparse.Namespace, out_dir: Path) -> dict[str, Any]:
    meta, reused = backend.prepare()
    result: dict[str, Any] = {"data_dir": str(backend.folder), "reused_data": reused,
                              "load": {k: v for k, v in meta.items() if k != "columns"}}
    try:
        if backend.pg is not None:
            result["postgresql_settings"] = backend.pg.settings_report()
            result["postgresql_version"] = backend.pg.version()
        token = backend.token()
        log(f"{backend.name}: database-side query plans and times (bench/explain.py)")
        explain_out = out_dir / f"explain-{backend.name}.json"
        subprocess.run([sys.executable, str(HERE / "explain.py"), "--meta",
                        str(backend.meta_file), "--out", str(explain_out)],
                       env=backend.env(), check=True, capture_output=True)
        result["explain"] = json.loads(explain_out.read_text())["queries"]
        port = free_port()
        server_cmd = [str(BIN / "daicho"), "serve", "--host", "127.0.0.1", "--port", str(port),
                      "--workers", str(args.workers), "--threads", str(args.threads)]
        result["server"] = " ".join(server_cmd[1:])
        with contextlib.ExitStack() as stack:
            stack.enter_context(process(server_cmd, backend.env(),
                                        out_dir / f"server-{backend.name}.log"))
            wait_http(f"http://127.0.0.1:{port}/healthz")
            ds_port = None
            if backend.name == "sqlite" and not args.no_datasette:
                ds_port = free_port()
                ds_cmd = [str(BIN / "datasette"), "serve", str(backend.folder / "plain.db"),
                          "--host", "127.0.0.1", "--port", str(ds_port),
                          "--setting", "sql_time_limit_ms", "5000",
                          "--setting", "facet_time_limit_ms", "1000",
                          "--setting", "max_returned_rows", "1000",
                          "--setting", "num_sql_threads", "3"]
                result["datasette_command"] = " ".join(
                    ["datasette", *ds_cmd[1:]]).replace(str(ROOT) + "/", "")
                stack.enter_context(process(ds_cmd, dict(os.environ),
                                            out_dir / "datasette.log"))
                wait_http(f"http://127.0.0.1:{ds_port}/plain/ledger.json?_size=1&_nocount=1")
            n, lid = args.requests, meta["ledger_id"]
            markers = [str(backend.folder / "pg")]
            busy: dict[str, Any] = {}
            result["machine_busy"] = busy

            def measure(key: str, what: str, fn: Any, *fargs: Any) -> None:
                log(f"{backend.name}: {what}")
                wait_quiet(markers, args.quiet, args.quiet_wait)
                monitor = Monitor(markers)
                result[key] = fn(*fargs)
                busy[key] = monitor.stop()
                log(f"  machine: {busy[key]}")

            measure("pages", "filtered, sorted pages" + (" (+ Datasette)" if ds_port else ""),
                    scenarios.filtered_pages, port, token, lid, n, ds_port,
                    lambda: wait_jobs(backend))
            measure("search", "search", scenarios.search, port, token, lid, n)
            measure("aggregate", "aggregation", scenarios.aggregates, port, token, lid,
                    args.agg_requests or n)
            measure("update", "single-record updates", scenarios.single_updates, port, token,
                    lid, meta["records"], n)
            measure("concurrency", "16 concurrent clients", scenarios.concurrency, port, token)
    finally:
        backend.stop_database()
    result["server_errors"] = list(scenarios.SERVER_ERRORS)
    scenarios.SERVER_ERRORS.clear()
    result["figures"] = figures(result)
    return result


JOBS_LEFT = ("import django; django.setup(); from daicho.models import Job; "
             "print(Job.objects.filter(status__in=('queued', 'running')).count())")


def wait_jobs(backend: Backend, max_wait: float = 900) -> float:
    """Wait until the server's background jobs (index builds queued by the warm-up) are done;
    the seconds waited."""
    start = time.monotonic()
    env = dict(backend.env(), DJANGO_SETTINGS_MODULE="daicho.settings")
    while time.monotonic() - start < max_wait:
        out = subprocess.run([str(BIN / "python"), "-c", JOBS_LEFT], env=env, check=True,
                             capture_output=True, text=True).stdout.strip()
        if out == "0":
            break
        log(f"  waiting for {out} background job(s)")
        time.sleep(2)
    return time.monotonic() - start


def wait_quiet(markers: list[str], limit: float, max_wait: float) -> None:
    """Wait (at most max_wait seconds) until other processes use at most `limit` % of the
    machine's CPU over a 5-second window."""
    if limit >= 100:
        return
    deadline = time.monotonic() + max_wait
    while True:
        monitor = Monitor(markers)
        time.sleep(5)
        others = monitor.stop()["cpu_others_pct"]
        if others <= limit:
            return
        if time.monotonic() > deadline:
            log(f"  machine still busy (others use {others}% CPU); measuring anyway")
            return
        log(f"  waiting for a quieter machine: others use {others}% CPU")


def figures(r: dict[str, Any]) -> dict[str, Any]:
    """The headline numbers with their targets."""
    pages, search, agg = r["pages"], r["search"], r["aggregate"]
    out: dict[str, Any] = {
        "page1_filter_sort": pages["daicho_page1"],
        "page2_cursor": pages["daicho_page2"],
        "search_q_1char": search["q_1char"],
        "search_q_2char": search["q_2char"],
        "search_q_4char": search["q_4char"],
        "aggregate_group_count": {k: v for k, v in agg["group_count"].items() if k != "groups"},
        "aggregate_group_sum_amount": {k: v for k, v in agg["group_sum_amount"].items()
                                       if k != "groups"},
        "update_one_record": r["update"],
    }
    for name, (stat, limit) in TARGETS.items():
        out[name] = {**out[name], "target": f"{stat} <= {limit}",
                     "met": out[name][stat] <= limit}
    for key in ("datasette_page1_lean", "datasette_page1_default", "datasette_page2_lean"):
        if key in pages:
            out[key] = pages[key]
    if "datasette_page1_lean" in pages:
        for ours, theirs in (("daicho_page1", "datasette_page1_lean"),
                             ("daicho_page2", "datasette_page2_lean")):
            out[f"{ours}_vs_{theirs}"] = {
                stat: round(pages[ours][stat] / pages[theirs][stat], 2)
                for stat in ("p50_ms", "p95_ms")}
        ratio = out["daicho_page1_vs_datasette_page1_lean"]["p95_ms"]
        out["page1_vs_datasette"] = {"ratio_p95": ratio, "target": "<= 1.5", "met": ratio <= 1.5}
    busy = r.get("machine_busy", {})
    for name in out:
        scenario = ("pages" if name.startswith(("page", "daicho", "datasette")) else
                    "search" if name.startswith("search") else
                    "aggregate" if name.startswith("aggregate") else "update")
        if "n" in out[name] and scenario in busy:
            out[name]["cpu_others_pct"] = busy[scenario]["cpu_others_pct"]
    conc = r["concurrency"]
    out["concurrent_updates"] = {
        "merge_updates_per_second": conc["merge"]["updates_per_second"],
        "conflict_updates_per_second": conc["conflict"]["updates_per_second"],
        "no_lost_update": conc["verification"]["ok"],
        "cpu_others_pct": busy.get("concurrency", {}).get("cpu_others_pct"),
        "met": conc["verification"]["ok"],
    }
    return out


def machine() -> dict[str, Any]:
    cpu = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = ""
    with contextlib.suppress(OSError):
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kib / 1024 / 1024:.1f} GiB"
    versions: dict[str, str] = {}
    from importlib.metadata import PackageNotFoundError, version

    for pkg in ("Django", "django-ninja", "gunicorn", "psycopg", "datasette"):
        with contextlib.suppress(PackageNotFoundError):
            versions[pkg] = version(pkg)
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip()
    return {"cpu": cpu, "cores": os.cpu_count(), "memory": mem,
            "python": platform.python_version(), "sqlite": sqlite3.sqlite_version,
            "os": platform.platform(), "packages": versions, "git_commit": commit}


def snapshot() -> dict[str, str]:
    sha = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], check=True,
                         capture_output=True, text=True).stdout.strip()
    dest = HERE / "out" / f"code-{sha[:12]}"
    if not (dest / "daicho" / "__init__.py").exists():
        dest.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", "HEAD", "daicho"],
                                 check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    log(f"measuring the committed code {sha[:12]} from {dest}")
    return {"path": str(dest), "describe": f"git archive HEAD ({sha[:12]})"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="20,000 records: test the harness")
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--data-dir", help="parent folder of the per-backend data folders")
    parser.add_argument("--requests", type=int, default=200, help="measured requests per figure")
    parser.add_argument("--agg-requests", type=int, default=0,
                        help="measured requests per aggregation figure (default: --requests)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--no-datasette", action="store_true")
    parser.add_argument("--quiet", type=float, default=15,
                        help="before each scenario wait until other processes use at most this "
                             "%% of the CPU (100: don't wait)")
    parser.add_argument("--quiet-wait", type=float, default=900,
                        help="longest wait for a quiet machine, seconds")
    parser.add_argument("--pg-load-procs", type=int, default=2,
                        help="loader processes for PostgreSQL (SQLite loads with one)")
    parser.add_argument("--out", default=str(HERE / "out" / "results.json"))
    parser.add_argument("--snapshot", action="store_true",
                        help="measure the committed code (git archive HEAD) rather than the "
                             "working tree")
    parser.add_argument("--imports", choices=["yes", "no", "only"], default="yes",
                        help="also run bench/bench_import.py (import/export against calamine, "
                             "sqlite-utils and XlsxWriter; its results go to import.json beside "
                             "--out); 'only' runs just that")
    parser.add_argument("--floor", choices=["yes", "no"], default="yes",
                        help="also run bench/bench_floor.py on 200,000 records (its results go "
                             "to floor.json beside --out)")
    args = parser.parse_args()
    if args.snapshot:
        CODE.update(snapshot())
    if args.quick:
        args.records = 20_000
    out_file = Path(args.out).resolve()
    out_dir = out_file.parent
    out_dir.mkdir(parents=True, exist_ok=True)
    data_root = Path(args.data_dir).resolve() if args.data_dir else HERE / "out"
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    if "postgresql" in backends and pg_bin() is None:
        log("PostgreSQL binaries not found: skipping PostgreSQL (run make system-deps)")
        backends.remove("postgresql")
    if args.imports != "no":
        run_import_bench(args, out_dir)
        if args.imports == "only":
            return
    if args.floor == "yes":
        run_floor_bench(args, out_dir, data_root)
    results: dict[str, Any] = {
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "machine": machine(),
        "config": {"code": CODE.get("describe", "working tree"), "records": args.records,
                   "requests_per_figure": args.requests,
                   "workers": args.workers, "threads": args.threads,
                   "command": " ".join([".venv/bin/python", "bench/run.py", *sys.argv[1:]])},
        "targets": {k: f"{s} <= {v}" for k, (s, v) in TARGETS.items()},
        "backends": {},
    }
    for name in backends:
        folder = data_root / f"data-{name}-{args.records}"
        started = time.perf_counter()
        backend = Backend(name, folder, args.records)
        backend.load_procs = args.pg_load_procs
        results["backends"][name] = run_backend(backend, args, out_dir)
        results["backends"][name]["run_seconds"] = round(time.perf_counter() - started, 1)
        write_results(out_file, results)
        print_summary(name, results["backends"][name])
    results["finished"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    write_results(out_file, results)
    log(f"wrote {out_file}")


def run_import_bench(args: argparse.Namespace, out_dir: Path) -> None:
    """bench/bench_import.py in its own process (it starts `daicho import/export` itself)."""
    cmd = [sys.executable, str(HERE / "bench_import.py"), "--out", str(out_dir / "import.json")]
    if args.quick:
        cmd += ["--rows", "20000", "--repeat", "1"]
    log("import/export figures (bench/bench_import.py)")
    env = dict(os.environ, PYTHONPATH=CODE["path"]) if CODE else None
    subprocess.run(cmd, check=True, env=env)


def run_floor_bench(args: argparse.Namespace, out_dir: Path, data_root: Path) -> None:
    """bench/bench_floor.py in its own process, on SQLite; its ledger is kept for later runs."""
    records = 20_000 if args.quick else 200_000
    folder = data_root / f"data-floor-{records}"
    cmd = [sys.executable, str(HERE / "bench_floor.py"), "--data-dir", str(folder),
           "--records", str(records), "--out", str(out_dir / "floor.json")]
    if (folder / "floor-plain.db").exists():
        cmd.append("--reuse")
    folder.mkdir(parents=True, exist_ok=True)
    log("per-request cost against Datasette (bench/bench_floor.py)")
    env = dict(os.environ, PYTHONPATH=CODE["path"]) if CODE else None
    subprocess.run(cmd, check=False, env=env)  # a missed ratio is a figure, not a failure


def write_results(out_file: Path, results: dict[str, Any]) -> None:
    """Write results, keeping the figures of a backend this run did not measure (same size)."""
    backends = dict(results["backends"])
    if out_file.exists():
        with contextlib.suppress(ValueError):
            previous = json.loads(out_file.read_text())
            if previous.get("config", {}).get("records") == results["config"]["records"]:
                for name, figures in previous.get("backends", {}).items():
                    backends.setdefault(name, figures)
    out_file.write_text(json.dumps({**results, "backends": backends}, ensure_ascii=False,
                                   indent=2))


def print_summary(name: str, r: dict[str, Any]) -> None:
    print(f"\n== {name}: {r['load']['records']:,} records "
          f"(load {r['load']['load_seconds']} s, {r['load']['load_rows_per_second']:,} rows/s)")
    for key, fig in r["figures"].items():
        if "n" in fig:
            met = "" if "met" not in fig else ("  ok" if fig["met"] else "  MISSED")
            print(f"  {key:<28} p50 {fig['p50_ms']:>8.1f}  p95 {fig['p95_ms']:>8.1f}  "
                  f"max {fig['max_ms']:>8.1f} ms  n={fig['n']}{met}"
                  f"  (others used {fig.get('cpu_others_pct')}% CPU)")
        else:
            print(f"  {key:<28} {json.dumps(fig, ensure_ascii=False)}")


if __name__ == "__main__":
    main()
