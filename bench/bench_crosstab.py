"""The cross-tab and the charts by 年度 on a 1,000,000-record ledger (issue 14 point 7): one
GROUP BY query per request, no Python loop over the records.

    .venv/bin/python bench/bench_crosstab.py [--records 1000000] [--requests 10]
        [--data-dir DIR] [--database-url URL] [--reuse] [--out FILE]

It makes and fills the benchmark ledger exactly as bench/bench_filter_values.py does (12 fields
of bench/dataset.py, indexed as an import leaves them; `--reuse` measures a ledger an earlier run
of either bench left in --data-dir), then requests, through Django's test client as a browser
or an API client would, the cross-tab API, the chart page's cross-tab (labels and HTML), its
Excel file and the line chart by 年度, as an admin and as a user whose record rule keeps one
department's records, and prints p50 / p95 / max in ms and the number of GROUP BY queries.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import bench_filter_values as loader  # noqa: E402

TARGET_MS = 1000  # a cross-tab of the whole ledger, as the aggregation bar (docs/performance.md)


def cases(lid: int) -> list[tuple[str, str, str]]:
    api = f"/api/v1/ledgers/{lid}/crosstab"
    page = f"/ledgers/{lid}/chart?kind=crosstab"
    return [
        ("API 区分 × 取得日(年度), count", "fbadmin", f"{api}?rows=kubun&columns=acquired_on:fy"),
        ("API 区分 × 取得日(年度), sum 金額", "fbadmin",
         f"{api}?rows=kubun&columns=acquired_on:fy&metric=sum:amount"),
        ("API 所管課 × 状態, count", "fbadmin", f"{api}?rows=dept&columns=status"),
        ("API 所管課 × 区分, sum 金額", "fbadmin",
         f"{api}?rows=dept&columns=kubun&metric=sum:amount"),
        ("API 取得日(月) × 区分, count", "fbadmin", f"{api}?rows=acquired_on:month&columns=kubun"),
        ("API 区分 × 取得日(年度), sum, rule", "fbclerk",
         f"{api}?rows=kubun&columns=acquired_on:fy&metric=sum:amount"),
        ("page 区分 × 取得日(年度), sum 金額", "fbadmin",
         f"{page}&group_by=kubun&columns=acquired_on&column_period=fy&metric=sum:amount"),
        ("xlsx 区分 × 取得日(年度), sum 金額", "fbadmin",
         f"/ledgers/{lid}/chart/crosstab.xlsx?kind=crosstab&group_by=kubun&columns=acquired_on"
         "&column_period=fy&metric=sum:amount"),
        # For comparison under the same load: the one-field aggregation of contract §4.3.
        ("API aggregate 区分, sum 金額 (one field)", "fbadmin",
         f"/api/v1/ledgers/{lid}/aggregate?group_by=kubun&metric=sum:amount"),
        ("API aggregate 取得日(年度), count", "fbadmin",
         f"/api/v1/ledgers/{lid}/aggregate?group_by=acquired_on:fy"),
        ("page line chart by 年度, count", "fbadmin",
         f"/ledgers/{lid}/chart?kind=line&group_by=acquired_on&period=fy"),
        ("page line chart by 年度, sum 金額", "fbadmin",
         f"/ledgers/{lid}/chart?kind=line&group_by=acquired_on&period=fy&metric=sum:amount"),
    ]


def measure(lid: int, requests: int) -> list[dict[str, Any]]:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    clients = {}
    for login in ("fbadmin", "fbclerk"):
        client = Client()
        client.force_login(get_user_model().objects.get(username=login))
        clients[login] = client
    out = []
    for label, login, url in cases(lid):
        client = clients[login]
        with CaptureQueriesContext(connection) as queries:
            resp = client.get(url)  # warm: plans and caches, as any later request finds them
        assert resp.status_code == 200, (url, resp.status_code, resp.content[:300])
        group_bys = sum("GROUP BY" in q["sql"] for q in queries.captured_queries)
        figures, resp = loader.timed(lambda: client.get(url), requests)  # noqa: B023
        result: dict[str, Any] = {"case": label, **figures, "group_by_queries": group_bys}
        if "/crosstab?" in url and url.startswith("/api/"):
            body = json.loads(resp.content)
            result["cells"] = len(body["rows"]) * len(body["columns"])
            result["total"] = body["total"]
        out.append(result)
        flag = "" if result["p95"] <= TARGET_MS else "  OVER"
        print(f"{label:42} p50 {result['p50']:7.1f}  p95 {result['p95']:7.1f}  max "
              f"{result['max']:7.1f}  GROUP BY queries {group_bys}"
              f"{'  cells ' + str(result['cells']) if 'cells' in result else ''}{flag}",
              flush=True)
    return out


def main() -> int:
    parser = loader.arguments(__doc__, requests=10)
    args = parser.parse_args()
    loader.setup(args)
    lid = loader.existing() if args.reuse else loader.fill(args.records)
    results = measure(lid, args.requests)
    worst = max(r["p95"] for r in results)
    print(f"worst p95 {worst:.1f} ms (bar {TARGET_MS} ms): "
          f"{'met' if worst <= TARGET_MS else 'MISSED'}")
    if args.out:
        Path(args.out).write_text(json.dumps({"records": args.records, "results": results},
                                             ensure_ascii=False, indent=1))
    return 0 if worst <= TARGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
