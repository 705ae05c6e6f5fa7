"""Range paste benchmark: a block of 1,000 cells saved through the list page's save endpoint in
one request, as the grid sends it after Ctrl+V (issue 14: ≤ 1 s).

    .venv/bin/python bench/bench_paste.py --data-dir DIR [--database-url URL] [--requests 20]
        [--workers 2] [--threads 8] [--out FILE]

It runs `daicho init`, creates or resets the admin `uibench` (bench_ui.py), starts `daicho
serve`, signs in like a browser and creates a ledger of its own with 10 fields (text, number,
choice, date) and 1,000 records. Then it pastes, each time with new values so that every cell
changes (a history entry per record, the search index, the totals), two block shapes:

- `100x10`: 100 rows × 10 columns (100 records updated);
- `1000x1`: 1,000 rows × 1 column (1,000 records updated — the bulk limit).

Each paste sends the revisions the previous answer gave, as the grid does, and the answer
carries the rows drawn again. Times are wall (request → whole answer) and server
(Server-Timing).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from bench_ui import Browser, report, server_arguments, stats
from bench_ui import run as serve_and_measure  # the script's folder is on sys.path

TARGET_MS = 1000
FIELDS = [{"name": f"文字{i}", "type": "text", "code": f"t{i}"} for i in range(4)] + \
    [{"name": f"数値{i}", "type": "number", "code": f"n{i}"} for i in range(3)] + \
    [{"name": "区分", "type": "choice", "code": "c0", "options": {"choices": ["土地", "建物"]}},
     {"name": "日付", "type": "date", "code": "d0"},
     {"name": "備考", "type": "text", "code": "t9"}]


def _json(browser: Browser, method: str, path: str, body: Any) -> tuple[int, Any, float, Any]:
    status, raw, wall, server = browser.request(method, path, json.dumps(body).encode(), {
        "Content-Type": "application/json", "Accept": "application/json"})
    return status, json.loads(raw), wall, server


def _cell(code: str, row: int, turn: int) -> str:
    if code.startswith("n"):
        return f"{row * 10 + turn:,}"
    if code == "c0":
        return "土地" if (row + turn) % 2 else "建物"
    if code == "d0":
        return f"R6.{turn % 12 + 1}.{row % 28 + 1}"
    return f"貼り付け{turn}-{row}「{code}」"


def measure(args: argparse.Namespace, port: int, password: str) -> dict[str, Any]:
    browser = Browser(port)
    browser.sign_in("uibench", password)
    status, ledger, _w, _s = _json(browser, "POST", "/api/v1/ledgers",
                                   {"name": f"貼り付けベンチ-{int(time.time())}", "fields": FIELDS})
    assert status == 201, ledger
    lid = ledger["id"]
    status, made, _w, _s = _json(browser, "POST", f"/api/v1/ledgers/{lid}/records/bulk",
                                 {"create": [{"values": {"t0": f"行{i}"}} for i in range(1000)]})
    assert status == 200, made
    revisions = {r["id"]: r["revision"] for r in made["created"]}
    ids = sorted(revisions)
    codes = [f["code"] for f in FIELDS]
    results: dict[str, Any] = {"ledger": lid, "records": len(ids)}
    turn = 0
    for name, rows, cols in (("100x10", 100, 10), ("1000x1", 1000, 1)):
        samples = []
        for _i in range(args.requests):
            turn += 1
            update = [{"id": rid, "revision": revisions[rid],
                       "values": {c: _cell(c, n, turn) for c in codes[:cols]}}
                      for n, rid in enumerate(ids[:rows])]
            status, body, wall, server = _json(browser, "POST", f"/ledgers/{lid}/save",
                                               {"update": update, "create": [],
                                                "columns": codes})
            assert status == 200, body
            revisions.update({r["id"]: r["revision"] for r in body["updated"]})
            samples.append((wall, server))
        results[name] = {"cells": rows * cols, **stats(samples)}
        print(f"{name:8} {results[name]}", file=sys.stderr)
    results["targets"] = {"paste_1000_cells_p95_ms": TARGET_MS,
                          "all_met": all(results[n]["wall_p95_ms"] <= TARGET_MS
                                         for n in ("100x10", "1000x1"))}
    return results


def run(args: argparse.Namespace) -> dict[str, Any]:
    return serve_and_measure(args, measure)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    server_arguments(parser)
    parser.add_argument("--requests", type=int, default=20, help="pastes per block shape")
    args = parser.parse_args()
    return report(run(args), args.out)


if __name__ == "__main__":
    sys.exit(main())
