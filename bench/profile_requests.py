"""Where a request's time goes, in-process: the real Django stack (middleware, token auth,
django-ninja, selectors/services) driven by django.test.Client, with every SQL statement timed by
a connection.execute_wrapper, and optionally cProfile's top functions.

    DAICHO_DATA_DIR=... [DAICHO_DATABASE_URL=...] python bench/profile_requests.py \
        --meta FILE --token TOKEN --kind update|page|search|aggregate [--n 200] [--cprofile]

Prints, for the measured requests: total time per request (p50/p95), time in SQL per request,
and the statements ranked by total time (with their count and mean), then the rest (Python).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import random
import re
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.append(str(ROOT))  # after PYTHONPATH, so --snapshot code wins
sys.path.insert(0, str(Path(__file__).resolve().parent))

import dataset  # noqa: E402
from httpclient import summary  # noqa: E402


def normalise(sql: str) -> str:
    sql = re.sub(r"'(?:[^']|'')*'", "?", sql)
    sql = re.sub(r"\b\d+\b", "N", sql)
    sql = re.sub(r"\s+", " ", sql)
    return sql[:160]


def requests_for(kind: str, meta: dict[str, Any], n: int) -> list[tuple[str, str, Any]]:
    lid, rnd = meta["ledger_id"], random.Random(5)
    base = f"/api/v1/ledgers/{lid}"
    out: list[tuple[str, str, Any]] = []
    for i in range(n):
        if kind == "update":
            out.append(("PATCH", f"{base}/records/{rnd.randint(1, meta['records'])}",
                        {"note": f"プロファイル {i}", "status": rnd.choice(dataset.STATUS)}))
        elif kind == "page":
            kubun, sort = rnd.choice(dataset.KUBUN), rnd.choice(dataset.SORTS)
            out.append(("GET", f"{base}/records?filter=kubun:eq:{kubun}&sort={sort}&limit=50",
                        None))
        elif kind == "search":
            q, _what = rnd.choice(dataset.SEARCH_QUERIES)
            out.append(("GET", f"{base}/records?q={q}&limit=50", None))
        else:
            metric = rnd.choice(["count", "sum:amount"])
            out.append(("GET", f"{base}/aggregate?group_by=kubun&metric={metric}", None))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--meta", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--kind", choices=["update", "page", "search", "aggregate"],
                        default="update")
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--cprofile", action="store_true")
    args = parser.parse_args()
    meta = json.loads(Path(args.meta).read_text())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "daicho.settings")
    os.environ["DAICHO_ALLOWED_HOSTS"] = "testserver,127.0.0.1"
    import django

    django.setup()
    from django.db import connection
    from django.test import Client

    client = Client(HTTP_AUTHORIZATION=f"Bearer {args.token}")
    stmt_time: dict[str, float] = defaultdict(float)
    stmt_count: dict[str, int] = defaultdict(int)
    current: list[float] = [0.0]

    measuring = [False]

    def timer(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            if measuring[0]:
                dt = time.perf_counter() - t0
                key = normalise(sql)
                stmt_time[key] += dt
                stmt_count[key] += 1
                current[0] += dt

    def send(method: str, path: str, body: Any) -> tuple[Any, float]:
        """The measured request; for PATCH the GET that fetches the revision is not measured."""
        payload = None
        if method == "PATCH":
            got = client.get(path)
            assert got.status_code == 200, got.content[:300]
            payload = json.dumps({"revision": got.json()["revision"], "values": body})
        current[0] = 0.0
        measuring[0] = True
        if profiler:
            profiler.enable()
        t0 = time.perf_counter()
        if payload is None:
            resp = client.get(path)
        else:
            resp = client.patch(path, data=payload, content_type="application/json")
        elapsed = time.perf_counter() - t0
        if profiler:
            profiler.disable()
        measuring[0] = False
        assert resp.status_code == 200, resp.content[:300]
        return resp, elapsed * 1000

    profiler = None
    totals, sql_totals = [], []
    with connection.execute_wrapper(timer):
        for method, path, body in requests_for(args.kind, meta, 20):  # warm-up
            send(method, path, body)
        stmt_time.clear()
        stmt_count.clear()
        profiler = cProfile.Profile() if args.cprofile else None
        for method, path, body in requests_for(args.kind, meta, args.n):
            _resp, ms = send(method, path, body)
            totals.append(ms)
            sql_totals.append(current[0] * 1000)
    print(f"{args.kind}: {args.n} requests in-process (no HTTP, no gunicorn)")
    print(f"  total per request   {summary(totals)}")
    print(f"  SQL per request     {summary(sql_totals)}")
    print("  statements by total time over all measured requests:")
    for key, total in sorted(stmt_time.items(), key=lambda kv: -kv[1])[:15]:
        print(f"    {total * 1000:9.1f} ms  x{stmt_count[key]:<5} "
              f"{total * 1000 / stmt_count[key]:7.2f} ms  {key}")
    if profiler:
        buf = io.StringIO()
        pstats.Stats(profiler, stream=buf).sort_stats(os.environ.get("PSORT", "cumulative")).print_stats(
            int(os.environ.get("PN", "35")))
        print(buf.getvalue())


if __name__ == "__main__":
    main()
