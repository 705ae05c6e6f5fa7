"""The ledger page of a 1,000,000-record ledger at 100 and 1,000 rows (issue 14, point 5): a page
of 100 rows must answer in ≤ 150 ms at p95, a page of 1,000 rows in ≤ 400 ms.

    .venv/bin/python bench/bench_grid_pages.py [--records 1000000] [--requests 20]
        [--data-dir DIR] [--database-url URL] [--reuse] [--fill-only] [--out FILE]

The ledger is bench/dataset.py's, filled as bench/bench_filter_values.py fills it (one INSERT per
5,000 rows, then the indexes an import leaves); --reuse measures the ledger an earlier run of
either script left in --data-dir (a `sqlite3 .backup` copy of one is enough). Each case is a
`GET` of the list page, or of the rows the page's continuous scroll asks for, through Django's
test client as the admin — gate, selector, names, widgets and template as the browser gets them —
once to warm up, then --requests times; p50 / p95 / max in ms of wall time, and the p50 / p95 of
the CPU time the process spent on each request (database included: SQLite runs in the process),
which tells a slow page from a machine busy with other work.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import sys
import time
from html import unescape
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import bench_filter_values as filling  # noqa: E402

TARGETS = {100: 150.0, 1000: 400.0}
NEXT_LINK = re.compile(r'<a href="([^"]+)" rel="next"')


def cases(lid: int) -> list[tuple[str, int, str]]:
    """(label, rows, URL): the first page, sorted, filtered and sorted, a deep page."""
    base = f"/ledgers/{lid}/"
    out = []
    for rows in (100, 1000):
        q = f"?s=1&limit={rows}"
        out += [
            (f"{rows} rows: first page", rows, base + q),
            (f"{rows} rows: sorted by 金額 (number)", rows, base + q + "&sort=-amount"),
            (f"{rows} rows: sorted by 取得日 (date)", rows, base + q + "&sort=acquired_on"),
            (f"{rows} rows: 区分 = 土地, sorted by 名称", rows,
             base + q + "&filter=kubun:eq:%E5%9C%9F%E5%9C%B0&sort=name"),
            (f"{rows} rows: next page (continuous scroll)", rows, base + "rows" + q + "&after=*"),
        ]
    return out


def _p95(values: list[float]) -> float:
    return values[max(0, round(0.95 * len(values)) - 1)]


def measure(lid: int, requests: int) -> list[dict[str, Any]]:
    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client()
    client.force_login(get_user_model().objects.get(username="fbadmin"))
    out = []
    for label, rows, url in cases(lid):
        if url.endswith("&after=*"):
            # The next chunk after a page somewhere in the ledger, as scrolling asks for it.
            page = client.get(url.replace("rows?", "?").replace("&after=*", "") + "&sort=-amount")
            links = NEXT_LINK.findall(page.content.decode())
            assert links, label
            url = unescape(links[0]).replace(f"/ledgers/{lid}/?", f"/ledgers/{lid}/rows?")
        resp = client.get(url)
        assert resp.status_code == 200, (url, resp.status_code, resp.content[:300])
        times, cpu = [], []
        for _ in range(requests):
            started, used = time.perf_counter(), time.process_time()
            resp = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - used) * 1000)
            assert resp.status_code == 200
        drawn = resp.content.count(b"<tr data-id=")
        assert drawn == rows, (label, drawn)
        times.sort()
        cpu.sort()
        p95 = _p95(times)
        result = {"case": label, "rows": rows, "p50": round(statistics.median(times), 1),
                  "p95": round(p95, 1), "max": round(times[-1], 1), "target": TARGETS[rows],
                  "cpu_p50": round(statistics.median(cpu), 1), "cpu_p95": round(_p95(cpu), 1),
                  "load": os.getloadavg()[0]}
        out.append(result)
        flag = "" if p95 <= TARGETS[rows] else "  OVER"
        print(f"{label:45} p50 {result['p50']:7.1f}  p95 {result['p95']:7.1f}  max "
              f"{result['max']:7.1f}  cpu p50 {result['cpu_p50']:6.1f}  p95 "
              f"{result['cpu_p95']:6.1f}  load {result['load']:.1f}{flag}", flush=True)
    return out


def main() -> int:
    parser = filling.arguments(__doc__, requests=20)
    parser.add_argument("--fill-only", action="store_true", help="fill the ledger, measure nothing")
    args = parser.parse_args()
    filling.setup(args)
    lid = filling.existing() if args.reuse else filling.fill(args.records)
    if args.fill_only:
        return 0
    results = measure(lid, args.requests)
    missed = [r["case"] for r in results if r["p95"] > r["target"]]
    print("all met" if not missed else f"MISSED: {', '.join(missed)}")
    if args.out:
        Path(args.out).write_text(json.dumps({"records": args.records, "results": results},
                                             ensure_ascii=False, indent=1))
    return 0 if not missed else 1


if __name__ == "__main__":
    sys.exit(main())
