"""Where the time goes: the SQL that daicho's selectors issue for each benchmarked request shape,
its query plan, and how long the database alone takes to run it (run as a subprocess).

    DAICHO_DATA_DIR=... [DAICHO_DATABASE_URL=...] python bench/explain.py --meta FILE --out FILE

For each shape it calls the real selector (daicho.selectors.records) inside Django's
CaptureQueriesContext, takes the record query it ran, then runs that SQL again directly
(best and median of several runs) and asks for its plan: EXPLAIN QUERY PLAN on SQLite,
EXPLAIN (ANALYZE, BUFFERS) on PostgreSQL. The difference between these database times and the
HTTP latencies in results.json is Python (Django, JSON) and HTTP.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.append(str(ROOT))  # after PYTHONPATH, so --snapshot code wins
sys.path.insert(0, str(Path(__file__).resolve().parent))

import dataset  # noqa: E402


def shapes() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for kubun in ("土地", "無体財産"):
        for sort in ("-amount", "acquired_on", "name"):
            out.append({"name": f"page kubun={kubun} sort={sort}", "kind": "list",
                        "filters": [f"kubun:eq:{kubun}"], "sort": sort})
    out.append({"name": "page 2 kubun=土地 sort=-amount", "kind": "list", "page": 2,
                "filters": ["kubun:eq:土地"], "sort": "-amount"})
    for q, what in dataset.SEARCH_QUERIES:
        out.append({"name": f"search {q} ({what})", "kind": "list", "search": q})
    out.append({"name": "aggregate kubun count", "kind": "aggregate", "metric": "count"})
    out.append({"name": "aggregate kubun sum:amount", "kind": "aggregate", "metric": "sum:amount"})
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--meta", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    meta = json.loads(Path(args.meta).read_text())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "daicho.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from daicho.selectors import records as sel
    from daicho.selectors.ledgers import load_schema

    admin = get_user_model().objects.get(username="admin")
    schema = load_schema(meta["ledger_id"])
    assert schema is not None
    table = schema.table
    results = []
    for shape in shapes():
        cursor = None
        if shape.get("page") == 2:
            first = sel.list_records(admin, schema, filters=shape["filters"], sort=shape["sort"])
            cursor = first.next_cursor
        with CaptureQueriesContext(connection) as captured:
            if shape["kind"] == "list":
                sel.list_records(admin, schema, filters=shape.get("filters", ()),
                                 search=shape.get("search", ""), sort=shape.get("sort"),
                                 cursor=cursor)
            else:
                sel.aggregate(admin, schema, group_by="kubun", metric=shape["metric"])
        statements = [q["sql"] for q in captured.captured_queries
                      if table in q["sql"] and "daicho_" not in q["sql"]]
        parts = []
        with connection.cursor() as cur:
            for sql in statements:
                timings = []
                for _ in range(args.repeat):
                    t0 = time.perf_counter()
                    cur.execute(sql)
                    fetched = cur.fetchall()
                    timings.append((time.perf_counter() - t0) * 1000)
                if connection.vendor == "sqlite":
                    cur.execute("EXPLAIN QUERY PLAN " + sql)
                    plan = [str(r[-1]) for r in cur.fetchall()]
                else:
                    cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                    plan = [r[0] for r in cur.fetchall()]
                parts.append({"sql": sql, "rows": len(fetched),
                              "db_ms_best": round(min(timings), 2),
                              "db_ms_median": round(statistics.median(timings), 2),
                              "plan": plan})
        best = round(sum(p["db_ms_best"] for p in parts), 2)
        median = round(sum(p["db_ms_median"] for p in parts), 2)
        results.append({"shape": shape["name"], "statements": len(parts), "db_ms_best": best,
                        "db_ms_median": median, "parts": parts})
        plans = [p["plan"][:2] for p in parts]
        print(f"{shape['name']:<50} {best:8.1f} ms  {plans}", file=sys.stderr)
    Path(args.out).write_text(json.dumps({"vendor": connection.vendor, "queries": results},
                                         ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
