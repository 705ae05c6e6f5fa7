"""The list page's live poll and group subtotals on a 1,000,000-record ledger (issue 14, 5b).

    .venv/bin/python bench/bench_live.py [--records 1000000] [--requests 50]
        [--data-dir DIR] [--database-url URL] [--reuse] [--out FILE]

The ledger is the one of bench/bench_filter_values.py (bench/dataset.py, 12 fields, filled and
indexed as an import leaves it; --reuse measures one an earlier run of either left in
--data-dir). In process, through Django's test client (gate, selector, JSON as the page gets
it), as an admin and as a user whose record rule keeps one department's records, it requests:

- the poll, `POST /ledgers/1/live`, with a page of 100 rows shown and nothing written since —
  what every open list page asks every 5 seconds;
- the same with 5 of the page's rows written since (the answer draws them again);
- the subtotals of a grouping, `GET /ledgers/1/subtotals` (区分, 取得日 by 年度 with the sums
  of 金額 and 面積), and the first page of 100 rows grouped by 区分;

and prints p50 / p95 / max in ms. The poll's target: p95 ≤ 50 ms (it is the one request every
open page repeats); the subtotals, like the totals row, scan every matching record.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import bench_filter_values as base  # noqa: E402

POLL_TARGET_MS = 50


def _ids(lid: int, login: str, n: int) -> list[int]:
    from django.contrib.auth import get_user_model

    from daicho import access
    from daicho.selectors import records as sel

    user = get_user_model().objects.get(username=login)
    schema = access.ledger_for(user, lid, "view")
    return [r.id for r in sel.list_records(user, schema, limit=n).rows]


def _write(lid: int, ids: list[int]) -> None:
    """Others' saves: 5 rows of the page, through the writer (history and all)."""
    from django.contrib.auth import get_user_model

    from daicho import access
    from daicho.selectors import records as sel
    from daicho.services import records as svc

    admin = get_user_model().objects.get(username="fbadmin")
    schema = access.ledger_for(admin, lid, "edit")
    for rid in ids:
        revision = sel.get_row(admin, schema, rid).revision
        svc.update_record(user=admin, schema=schema, record_id=rid, revision=revision,
                          values={"note": f"bench {time.time()}"})


class _Done:
    status_code = 200
    content = b""


def _selector(lid: int, login: str, shown: list[int], since: str) -> _Done:
    """The gate and changes.changed_since by themselves: the one query on the records a quiet
    poll makes, without the request around it (session, presence, JSON)."""
    from django.contrib.auth import get_user_model

    from daicho import access
    from daicho.selectors import changes

    user = get_user_model().objects.get(username=login)
    schema = access.ledger_for(user, lid, "view")
    changes.changed_since(user, schema, since=dt.datetime.fromisoformat(since), shown=shown)
    return _Done()


def _time(call: Any, requests: int) -> dict[str, float]:
    from daicho import jobs

    call()  # warm
    # An index the request asked for (the covering index of a grouped sum) is built by the
    # server's job thread; here, at once, as the filter popup bench does.
    jobs.run_pending()
    return base.timed(call, requests)[0]


def measure(lid: int, requests: int) -> list[dict[str, Any]]:
    from django.contrib.auth import get_user_model
    from django.test import Client

    from daicho.db import dialect

    out = []
    for login in ("fbadmin", "fbclerk"):
        client = Client()
        client.force_login(get_user_model().objects.get(username=login))
        shown = _ids(lid, login, 100)

        def poll(since: str, client: Client = client, shown: list[int] = shown) -> Any:
            body = {"since": since, "shown": shown, "query": "?s=1", "editing": None}
            return client.post(f"/ledgers/{lid}/live", json.dumps(body),
                               content_type="application/json")

        quiet = (dialect.now() + dt.timedelta(minutes=5)).isoformat()
        cases: list[tuple[str, Any]] = [("poll, nothing written since", lambda quiet=quiet: poll(quiet))]
        before = dialect.now() - dt.timedelta(seconds=1)
        if login == "fbadmin":
            _write(lid, shown[:5])
        since = before.isoformat()
        cases.append(("poll, 5 rows of the page written since", lambda since=since: poll(since)))
        for label, query in (("subtotals by 区分", "group=kubun"),
                             ("subtotals by 取得日 (年度)", "group=acquired_on:fy"),
                             ("page of 100 grouped by 区分", "")):
            if query:
                url = f"/ledgers/{lid}/subtotals?s=1&{query}&cols=name,kubun,amount,area"
            else:
                url = f"/ledgers/{lid}/?s=1&group=kubun&limit=100"
            cases.append((label, lambda url=url, client=client: client.get(url)))
        cases.append(("poll's gate and query alone (no HTTP)",
                      lambda shown=shown, login=login, quiet=quiet:
                      _selector(lid, login, shown, quiet)))
        for label, call in cases:
            result = {"case": f"{login}: {label}", **_time(call, requests)}
            out.append(result)
            print(f"{result['case']:50} p50 {result['p50']:7.1f}  p95 {result['p95']:7.1f}"
                  f"  max {result['max']:7.1f}", flush=True)
    return out


def main() -> int:
    parser = base.arguments(__doc__, requests=50)
    args = parser.parse_args()
    base.setup(args)
    lid = base.existing() if args.reuse else base.fill(args.records)
    results = measure(lid, args.requests)
    polls = [r["p95"] for r in results if ": poll" in r["case"]]
    worst = max(polls)
    print(f"worst poll p95 {worst:.1f} ms (target {POLL_TARGET_MS} ms): "
          f"{'met' if worst <= POLL_TARGET_MS else 'MISSED'}")
    if args.out:
        Path(args.out).write_text(json.dumps({"records": args.records, "results": results},
                                             ensure_ascii=False, indent=1))
    return 0 if worst <= POLL_TARGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
