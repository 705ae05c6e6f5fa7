"""Soak: sustained writes from several clients into `daicho serve`, then proof that nothing was lost.

    .venv/bin/python bench/soak.py [--records 2000000] [--minutes 15] [--workers 2] [--out FILE]
    scripts/with-postgres.sh .venv/bin/python bench/soak.py --workers 2   # on PostgreSQL

A fresh data folder (and the database of DAICHO_DATABASE_URL when set) gets one ledger of six
fields (text, text, choice, number, date, text). Then, at once:

- `--bulk-clients` clients create records through `POST …/records/bulk`, `--batch` per request,
  until `--records` are acknowledged;
- `--readers` clients list pages (sorted, filtered) and search (`q=`);
- `--patchers` clients change one field of one of `--targets` records at a time with the revision
  protocol (`GET`, then `PATCH` with that revision; 409 is a fine answer, it is counted);

for at least `--minutes` (readers and patchers go on until then, bulk clients stop at their count).
Afterwards the server is stopped and the database is read directly:

- every acknowledged record is there, and no other (a refused batch must write nothing);
- the history holds exactly one `create` entry per created record and exactly the acknowledged
  updates: each acknowledged PATCH is the entry at the revision it answered, with its value, and
  every record's revisions run 1…current without a gap;
- `daicho check` passes;
- no response was 5xx, no request failed at the connection, and the server log has no traceback;
- on SQLite, the WAL stayed small (its largest size is reported; more than WAL_MAX_MB fails).

tests/test_soak.py runs a short form of the same in `make test`."""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from httpclient import Http, summary  # noqa: E402

FIELDS = [
    {"name": "氏名", "code": "name", "type": "text"},
    {"name": "所在地", "code": "place", "type": "text"},
    {"name": "区分", "code": "kind", "type": "choice", "options": {"choices": ["土地", "建物", "物品"]}},
    {"name": "金額", "code": "amount", "type": "number"},
    {"name": "取得日", "code": "day", "type": "date"},
    {"name": "備考", "code": "note", "type": "text"},
]
# The job thread empties the WAL past 64 MB, but it competes for the write lock with the bulk
# writers and sometimes loses for a while: 609 and 723 MB were seen with four bulk clients on a
# loaded machine (docs/performance.md). Before the keeper's checkpoint it grew without end
# (17 GB in 17 minutes); this catches that.
WAL_MAX_MB = 2048
SEARCH_TERMS = ["山田", "焼津", "本町", "倉庫", "庁舎", "市", "備考", "3丁目"]


@dataclass
class Config:
    records: int = 2_000_000
    seconds: float = 900.0
    workers: int = 2
    threads: int = 8
    bulk_clients: int = 4
    readers: int = 4
    patchers: int = 2
    batch: int = 1000
    targets: int = 200


@dataclass
class Tally:
    statuses: Counter[str] = field(default_factory=Counter)
    timings: dict[str, list[float]] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    created: list[int] = field(default_factory=list)
    # (record id, revision answered, field code, value sent)
    patched: list[tuple[int, int, str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def note(self, kind: str, status: int, ms: float) -> None:
        with self.lock:
            self.statuses[f"{kind} {status}"] += 1
            self.timings.setdefault(kind, []).append(ms)
            if status >= 500:
                self.failures.append(f"{kind}: HTTP {status}")


def _row(rnd: random.Random) -> dict[str, Any]:
    return {"name": f"山田{rnd.randint(0, 99999)}",
            "place": f"静岡県焼津市本町{rnd.randint(1, 9)}丁目{rnd.randint(1, 999)}",
            "kind": rnd.choice(["土地", "建物", "物品"]),
            "amount": rnd.randint(0, 10**7),
            "day": f"{rnd.randint(1990, 2026)}-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}",
            "note": "倉庫" * rnd.randint(0, 8)}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _daicho(exe: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(exe), *args], env=env, capture_output=True, text=True,
                          timeout=3600, check=False)


class Load:
    def __init__(self, cfg: Config, port: int, token: str, lid: int, targets: list[int]) -> None:
        self.cfg, self.port, self.token, self.lid, self.targets = cfg, port, token, lid, targets
        self.tally = Tally()
        self.acked = 0  # records acknowledged by bulk requests
        self.claimed = 0  # records handed to bulk clients
        self.started = time.monotonic()
        self.bulk_done = threading.Event()
        self.wal_max = 0  # the largest SQLite WAL seen (bytes)
        self.finished = threading.Event()

    def _client(self) -> Http:
        return Http(self.port, self.token)

    def _time_left(self) -> bool:
        return time.monotonic() - self.started < self.cfg.seconds or not self.bulk_done.is_set()

    def _guard(self, kind: str, fn: Any) -> None:
        try:
            fn()
        except Exception as exc:  # a request that failed at the connection is a failure too
            with self.tally.lock:
                self.tally.failures.append(f"{kind}: {type(exc).__name__}: {exc}")

    def bulk(self, k: int) -> None:
        rnd, http = random.Random(k), self._client()
        path = f"/api/v1/ledgers/{self.lid}/records/bulk"
        while len(self.tally.failures) < 20:
            with self.tally.lock:
                n = min(self.cfg.batch, self.cfg.records - self.claimed)
                self.claimed += max(n, 0)
            if n <= 0:
                break
            status, body, ms = http.request("POST", path, {"create": [
                {"values": _row(rnd)} for _ in range(n)]})
            self.tally.note("bulk", status, ms)
            if status == 200:
                with self.tally.lock:
                    self.tally.created += [r["id"] for r in body["created"]]
                    self.acked += n
            else:
                with self.tally.lock:
                    self.claimed -= n  # not written: another batch makes up for it
                    if status < 500:
                        self.tally.failures.append(f"bulk: HTTP {status} {str(body)[:300]}")
        with self.tally.lock:
            if self.acked >= self.cfg.records or len(self.tally.failures) >= 20:
                self.bulk_done.set()

    def read(self, k: int) -> None:
        rnd, http = random.Random(100 + k), self._client()
        base = f"/api/v1/ledgers/{self.lid}/records"
        while self._time_left() and len(self.tally.failures) < 20:
            choice = rnd.random()
            if choice < 0.4:
                params = [("sort", rnd.choice(["-id", "amount", "-day", "name"])), ("limit", "50")]
                kind = "page"
            elif choice < 0.7:
                params = [("filter", f"kind:eq:{rnd.choice(['土地', '建物', '物品'])}"),
                          ("sort", "-amount"), ("limit", "50")]
                kind = "filtered page"
            else:
                params = [("q", rnd.choice(SEARCH_TERMS)), ("limit", "50")]
                kind = "search"
            status, _body, ms = http.request("GET", base + "?" + urlencode(params, quote_via=quote))
            self.tally.note(kind, status, ms)
            if 400 <= status < 500:
                self.tally.failures.append(f"{kind}: HTTP {status}")

    def patch(self, k: int) -> None:
        rnd, http = random.Random(200 + k), self._client()
        codes = ["name", "place", "amount", "note"]
        while self._time_left() and len(self.tally.failures) < 20:
            rid = rnd.choice(self.targets)
            path = f"/api/v1/ledgers/{self.lid}/records/{rid}"
            status, rec, ms = http.request("GET", path)
            self.tally.note("get", status, ms)
            if status != 200:
                continue
            code = rnd.choice(codes)
            value: Any = rnd.randint(0, 10**7) if code == "amount" else f"更新{k}-{rnd.randint(0, 10**9)}"
            status, body, ms = http.request("PATCH", path, {"revision": rec["revision"],
                                                            "values": {code: value}})
            self.tally.note("patch", status, ms)
            if status == 200 and body["revision"] > rec["revision"]:
                with self.tally.lock:
                    self.tally.patched.append((rid, int(body["revision"]), code, value))
            elif status != 409:
                with self.tally.lock:
                    self.tally.failures.append(f"patch: HTTP {status} {str(body)[:300]}")

    def watch_wal(self, path: Path) -> None:
        while not self.finished.is_set():
            try:
                self.wal_max = max(self.wal_max, path.stat().st_size)
            except FileNotFoundError:
                pass
            self.finished.wait(0.5)

    def run(self, wal: Path | None) -> None:
        if wal is not None:
            threading.Thread(target=self.watch_wal, args=(wal,), daemon=True).start()
        threads = [threading.Thread(target=self._guard, args=("bulk", lambda k=k: self.bulk(k)))
                   for k in range(self.cfg.bulk_clients)]
        threads += [threading.Thread(target=self._guard, args=("read", lambda k=k: self.read(k)))
                    for k in range(self.cfg.readers)]
        threads += [threading.Thread(target=self._guard, args=("patch", lambda k=k: self.patch(k)))
                    for k in range(self.cfg.patchers)]
        for t in threads:
            t.start()
        for t in threads[:self.cfg.bulk_clients]:
            t.join()
        self.bulk_done.set()
        for t in threads:
            t.join()
        self.finished.set()


def _connect(env: dict[str, str]) -> Any:
    url = env.get("DAICHO_DATABASE_URL", "")
    if url.startswith("postgres"):
        import psycopg

        return psycopg.connect(url)
    path = url.removeprefix("sqlite:///") if url else str(Path(env["DAICHO_DATA_DIR"]) / "daicho.sqlite3")
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True)


def verify(env: dict[str, str], lid: int, tally: Tally, targets: list[int]) -> list[str]:
    """What the database holds against what was acknowledged; the problems found."""
    problems: list[str] = []
    con = _connect(env)
    try:
        cur = con.cursor()
        ph = "?" if isinstance(con, sqlite3.Connection) else "%s"
        cur.execute(f"SELECT table_name FROM daicho_ledger WHERE id = {ph}", [lid])
        table = cur.fetchone()[0]
        cur.execute(f"SELECT id, revision FROM {table}")
        revisions = dict(cur.fetchall())
        expected = set(tally.created) | set(targets)
        if len(tally.created) != len(set(tally.created)):
            problems.append("an id was acknowledged twice")
        if set(revisions) != expected:
            problems.append(f"records: {len(set(revisions) - expected)} unacknowledged present, "
                            f"{len(expected - set(revisions))} acknowledged missing")
        cur.execute(f"SELECT record_id, revision, action FROM daicho_history WHERE ledger_id = {ph}",
                    [lid])
        entries: dict[int, list[tuple[int, str]]] = {}
        for rid, rev, action in cur.fetchall():
            entries.setdefault(int(rid), []).append((int(rev), str(action)))
        for rid in expected:
            got = sorted(entries.get(rid, []))
            if [rev for rev, _a in got] != list(range(1, revisions.get(rid, 0) + 1)):
                problems.append(f"record {rid}: history revisions {[r for r, _a in got][:10]} "
                                f"but the record is at revision {revisions.get(rid)}")
            elif got[0][1] != "create":
                problems.append(f"record {rid}: first history entry is {got[0][1]}")
            if len(problems) > 20:
                return problems
        stray = set(entries) - expected
        if stray:
            problems.append(f"history of {len(stray)} records nobody created")
        updates = sum(len(v) - 1 for rid, v in entries.items() if rid in expected)
        if updates != len(tally.patched):
            problems.append(f"{updates} update entries in the history, {len(tally.patched)} "
                            "updates acknowledged")
        for rid, rev, code, value in tally.patched:
            cur.execute(f"SELECT changes FROM daicho_history WHERE ledger_id = {ph} AND "
                        f"record_id = {ph} AND revision = {ph}", [lid, rid, rev])
            found = cur.fetchone()
            changes = found[0] if found else None
            if isinstance(changes, str):
                changes = json.loads(changes)
            if not changes or code not in changes or changes[code]["new"] != value:
                problems.append(f"record {rid} revision {rev}: acknowledged {code}={value!r}, "
                                f"history has {changes!r}"[:300])
                if len(problems) > 20:
                    break
    finally:
        con.close()
    return problems


def run(cfg: Config, env: dict[str, str], exe: Path, log_path: Path) -> dict[str, Any]:
    """Set up, load, stop, verify. `env` carries DAICHO_DATA_DIR (a fresh folder) and, for
    PostgreSQL, DAICHO_DATABASE_URL."""
    assert _daicho(exe, env, "init").returncode == 0
    token = _daicho(exe, env, "token", "create", "admin").stdout.strip()
    port = _free_port()
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [str(exe), "serve", "--port", str(port), "--workers", str(cfg.workers),
             "--threads", str(cfg.threads)], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        for _ in range(600):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5):
                    break
            except OSError:
                time.sleep(0.05)
        http = Http(port, token)
        status, led, _ms = http.request("POST", "/api/v1/ledgers", {"name": "耐久試験", "fields": FIELDS})
        assert status == 201, led
        rnd = random.Random(0)
        status, seeded, _ms = http.request("POST", f"/api/v1/ledgers/{led['id']}/records/bulk", {
            "create": [{"values": _row(rnd)} for _ in range(cfg.targets)]})
        assert status == 200, seeded
        targets = [r["id"] for r in seeded["created"]]
        load = Load(cfg, port, token, led["id"], targets)
        load_before = os.getloadavg()
        sqlite = not env.get("DAICHO_DATABASE_URL", "").startswith("postgres")
        load.run(Path(env["DAICHO_DATA_DIR"]) / "daicho.sqlite3-wal" if sqlite else None)
        seconds = time.monotonic() - load.started
        load_after = os.getloadavg()
    finally:
        server.terminate()
        server.wait(timeout=60)
    tally = load.tally
    problems = list(tally.failures)
    problems += verify(env, led["id"], tally, targets)
    check = _daicho(exe, env, "check", "--json")
    if check.returncode != 0:
        problems.append(f"daicho check: {check.stdout[:500]}{check.stderr[:500]}")
    if load.wal_max > WAL_MAX_MB * 2**20:
        problems.append(f"the WAL grew to {load.wal_max / 2**20:.0f} MB")
    log_text = log_path.read_text(errors="replace")
    if "Traceback" in log_text:
        problems.append("the server log has a traceback: " + log_text[log_text.index("Traceback"):][:800])
    statuses = dict(sorted(tally.statuses.items()))
    return {
        "ok": not problems,
        "problems": problems[:30],
        "config": asdict(cfg),
        "database": "postgresql" if env.get("DAICHO_DATABASE_URL", "").startswith("postgres")
        else "sqlite",
        "seconds": round(seconds, 1),
        "records_acknowledged": load.acked,
        "records_per_second": round(load.acked / seconds, 1) if seconds else None,
        "updates_acknowledged": len(tally.patched),
        "wal_max_mb": round(load.wal_max / 2**20, 1),
        "statuses": statuses,
        "responses_5xx": sum(n for k, n in statuses.items() if int(k.rsplit(" ", 1)[1]) >= 500),
        "timings": {kind: summary(ms) for kind, ms in sorted(tally.timings.items())},
        "loadavg_before": [round(x, 2) for x in load_before],
        "loadavg_after": [round(x, 2) for x in load_after],
    }


def report(path: Path) -> str:
    """The Markdown table of docs/performance.md from the JSON lines of `--out`."""
    rows = ["| database | workers | commit | minutes | records | records/s | updates | 5xx | "
            "problems | largest WAL | bulk p50 / p95 ms | page p95 ms | search p95 ms | "
            "PATCH p95 ms | load before → after |", "|" + "---|" * 15]
    for line in path.read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        t = r["timings"]
        rows.append(
            f"| {r['database']} | {r['config']['workers']} | {r['commit']} | "
            f"{r['seconds'] / 60:.1f} | {r['records_acknowledged']:,} | "
            f"{r['records_per_second']:,.0f} | {r['updates_acknowledged']:,} | "
            f"{r['responses_5xx']} | {len(r['problems']) or 'none'} | "
            f"{r.get('wal_max_mb', 0):.0f} MB | {t['bulk']['p50_ms']:,.0f} / {t['bulk']['p95_ms']:,.0f} | "
            f"{t['page']['p95_ms']:,.0f} | {t['search']['p95_ms']:,.0f} | "
            f"{t['patch']['p95_ms']:,.0f} | {r['loadavg_before'][0]} → {r['loadavg_after'][0]} |")
    return "\n".join(rows)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--records", type=int, default=Config.records)
    p.add_argument("--minutes", type=float, default=Config.seconds / 60)
    p.add_argument("--workers", type=int, default=Config.workers)
    p.add_argument("--threads", type=int, default=Config.threads)
    p.add_argument("--bulk-clients", type=int, default=Config.bulk_clients)
    p.add_argument("--readers", type=int, default=Config.readers)
    p.add_argument("--patchers", type=int, default=Config.patchers)
    p.add_argument("--batch", type=int, default=Config.batch)
    p.add_argument("--targets", type=int, default=Config.targets)
    p.add_argument("--out", help="append the result as one JSON line to this file")
    p.add_argument("--report", metavar="FILE", help="print the table of the JSON lines in FILE")
    args = p.parse_args()
    if args.report:
        print(report(Path(args.report)))
        return 0
    cfg = Config(records=args.records, seconds=args.minutes * 60, workers=args.workers,
                 threads=args.threads, bulk_clients=args.bulk_clients, readers=args.readers,
                 patchers=args.patchers, batch=args.batch, targets=args.targets)
    exe = Path(sys.executable).parent / "daicho"
    started = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    with tempfile.TemporaryDirectory(prefix="daicho-soak-") as tmp:
        # the server's log beside the data folder, not in it (daicho check wants that private)
        result = run(cfg, dict(os.environ, DAICHO_DATA_DIR=str(Path(tmp) / "data")), exe,
                     Path(tmp) / "server.log")
    result["started"] = started
    result["commit"] = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=HERE,
                                      capture_output=True, text=True, check=False).stdout.strip()
    text = json.dumps(result, ensure_ascii=False)
    print(json.dumps(result, ensure_ascii=False, indent=1))
    if args.out:
        with open(args.out, "a", encoding="utf-8") as fh:
            fh.write(text + "\n")
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
