"""Web UI benchmark: server-side render time of every page of a large ledger and the round trip
of one cell edit, measured against an existing data dir (e.g. one bench/run.py or bench/load.py
filled with 1,000,000 records).

    .venv/bin/python bench/bench_ui.py --data-dir DIR [--database-url URL] [--ledger ID_OR_NAME]
        [--requests 60] [--workers 2] [--threads 8] [--out FILE]

It runs `daicho init` (idempotent: adds the web UI's tables if they are missing), creates or
resets a benchmark admin `uibench`, starts `daicho serve`, signs in through /login/ like a
browser (session cookie + CSRF) and times each page over one keep-alive connection. The
targets (issue 4): any page ≤ 300 ms at p95, a cell edit round trip ≤ 150 ms at p95.

Two times per request: `wall` (request sent → whole body read, as the browser waits) and
`server` (the Server-Timing header of daicho.web.middleware: time inside Django). Totals and
charts are reported too, but they are not "pages": the list page loads its totals afterwards.

The cell edits write to the ledger (a value toggled on random records, with its history): run
it on a copy of data you care about.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import random
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

BIN = Path(sys.executable).parent
PAGE_TARGET_MS = 300
EDIT_TARGET_MS = 150


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Browser:
    """One keep-alive connection with a cookie jar: what a signed-in browser tab does."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, bytes, float, float | None]:
        """(status, body, wall ms, server ms from Server-Timing)."""
        head = {"Connection": "keep-alive", "Referer": f"http://127.0.0.1:{self.port}/",
                **(headers or {})}
        if self.cookies:
            head["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if "csrftoken" in self.cookies and method != "GET":
            head["X-CSRFToken"] = self.cookies["csrftoken"]
        for attempt in range(2):
            try:
                t0 = time.perf_counter()
                self.conn.request(method, path, body=body, headers=head)
                resp = self.conn.getresponse()
                raw = resp.read()
                wall = (time.perf_counter() - t0) * 1000
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError,
                    http.client.CannotSendRequest):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)
                if attempt:
                    raise
        for header, value in resp.getheaders():
            if header.lower() == "set-cookie":
                name, _eq, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        timing = re.search(r"app;dur=([\d.]+)", resp.getheader("Server-Timing", "") or "")
        return resp.status, raw, wall, float(timing.group(1)) if timing else None

    def get(self, path: str) -> tuple[int, bytes, float, float | None]:
        return self.request("GET", path)

    def sign_in(self, login: str, password: str) -> None:
        status, html, _w, _s = self.get("/login/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', html)
        assert token, "no CSRF token on /login/"
        form = urlencode({"username": login, "password": password, "next": "/",
                          "csrfmiddlewaretoken": token.group(1).decode()}).encode()
        status, _b, _w, _s = self.request("POST", "/login/", form, {
            "Content-Type": "application/x-www-form-urlencoded"})
        assert status == 302 and "sessionid" in self.cookies, f"sign-in failed ({status})"


def stats(samples: list[tuple[float, float | None]]) -> dict[str, Any]:
    walls = sorted(w for w, _s in samples)
    servers = sorted(s for _w, s in samples if s is not None)

    def pct(values: list[float], p: float) -> float:
        if not values:
            return float("nan")
        return values[min(len(values) - 1, max(0, round(p / 100 * len(values) + 0.5) - 1))]

    return {"n": len(walls), "wall_p50_ms": round(statistics.median(walls), 1),
            "wall_p95_ms": round(pct(walls, 95), 1), "wall_max_ms": round(walls[-1], 1),
            "server_p50_ms": round(statistics.median(servers), 1) if servers else None,
            "server_p95_ms": round(pct(servers, 95), 1) if servers else None}


def time_pages(browser: Any, pages: dict[str, list[str]], results: dict[str, Any]) -> None:
    """GET each page's URLs in turn; their stats go into `results` under the page's name."""
    for name, urls in pages.items():
        samples = []
        for url in urls:
            status, _body, wall, server = browser.get(url)
            assert status == 200, (name, url, status)
            samples.append((wall, server))
        results[name] = stats(samples)
        print(f"{name:24} {results[name]}", file=sys.stderr)


def setup(env: dict[str, str]) -> str:
    subprocess.run([str(BIN / "daicho"), "init"], env=env, check=True, capture_output=True)
    password = secrets.token_urlsafe(16)
    code = (
        "import django, os, sys; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'daicho.settings');"
        "django.setup();"
        "from django.contrib.auth import get_user_model;"
        "from daicho.services.accounts import create_user;"
        "U = get_user_model(); u = U.objects.filter(username='uibench').first() or "
        "create_user(login='uibench', name='UI bench', admin=True);"
        "u.set_password(sys.argv[1]); u.save()"
    )
    subprocess.run([sys.executable, "-c", code, password], env=env, check=True)
    return password


def pick_ledger(browser: Browser, wanted: str | None) -> dict[str, Any]:
    _status, raw, _w, _s = browser.get("/api/v1/ledgers")
    items = json.loads(raw)["items"]
    if wanted:
        found = [i for i in items if str(i["id"]) == wanted or i["name"] == wanted]
        if not found:
            raise SystemExit(f"no ledger {wanted!r}")
        summary = found[0]
    else:
        summary = max(items, key=lambda i: i["record_count"])
    _status, raw, _w, _s = browser.get(f"/api/v1/ledgers/{summary['id']}")
    return json.loads(raw)  # type: ignore[no-any-return]


Measure = Callable[[argparse.Namespace, int, str], dict[str, Any]]


def run(args: argparse.Namespace, measure_with: Measure | None = None) -> dict[str, Any]:
    """Start `daicho serve` on the data dir, wait for it, measure (by default the pages of this
    script) and stop it. bench_paste.py measures with its own function."""
    env = dict(os.environ, DAICHO_DATA_DIR=str(Path(args.data_dir).resolve()))
    env.pop("DAICHO_TESTING", None)
    if args.database_url:
        env["DAICHO_DATABASE_URL"] = args.database_url
    password = setup(env)
    port = free_port()
    server = subprocess.Popen(
        [str(BIN / "daicho"), "serve", "--port", str(port), "--workers", str(args.workers),
         "--threads", str(args.threads)], env=env, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if Browser(port).get("/healthz")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("the server did not start")
            time.sleep(0.2)
        return (measure_with or measure)(args, port, password)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)


def measure(args: argparse.Namespace, port: int, password: str) -> dict[str, Any]:
    rng = random.Random(4)
    browser = Browser(port)
    browser.sign_in("uibench", password)
    ledger = pick_ledger(browser, args.ledger)
    lid, fields = ledger["id"], ledger["fields"]
    base = f"/ledgers/{lid}/"
    by_type: dict[str, list[dict[str, Any]]] = {}
    for f in fields:
        by_type.setdefault(f["type"], []).append(f)
    choice = next((f for f in by_type.get("choice", []) if f["options"].get("choices")), None)
    number = (by_type.get("number") or [None])[0]
    date = (by_type.get("date") or [None])[0]
    text = next((f for f in by_type.get("text", []) if not f["unique"]), None)

    status, raw, _w, _s = browser.get(f"/api/v1/ledgers/{lid}/records?limit=200")
    sample_ids = [r["id"] for r in json.loads(raw)["items"]]
    n = args.requests

    def grid(query: list[tuple[str, str]]) -> str:
        return base + "?" + urlencode([("s", "1"), *query])

    pages: dict[str, list[str]] = {
        "home": ["/"] * n,
        "list_first_page": [base] * n,
        "record_page": [f"{base}records/{rng.choice(sample_ids)}/" for _ in range(n)],
        "record_history": [f"{base}records/{rng.choice(sample_ids)}/history" for _ in range(n)],
        "new_record_form": [f"{base}records/new"] * n,
        "fields_designer": [f"{base}fields/"] * n,
        "trash": [f"{base}trash"] * n,
    }
    sorts = [f for f in (number, date, text) if f]
    if sorts:
        pages["list_sorted"] = [grid([("sort", ("-" if i % 2 else "") + sorts[i % len(sorts)]["code"])])
                                for i in range(n)]
    if choice and number:
        pages["list_filtered_sorted"] = [
            grid([("filter", f"{choice['code']}:eq:{rng.choice(choice['options']['choices'])}"),
                  ("sort", f"-{number['code']}")]) for _ in range(n)]
    if number:
        pages["list_range_filter"] = [
            grid([("filter", f"{number['code']}:ge:{rng.randint(0, 1000) * 1000}"),
                  ("sort", number["code"])]) for _ in range(n)]
    pages["list_search"] = [grid([("q", rng.choice(args.search_terms))]) for _ in range(n)]

    results: dict[str, Any] = {"ledger": {"id": lid, "name": ledger["name"],
                                          "record_count": ledger["record_count"]}}
    time_pages(browser, pages, results)

    # Deep paging with the page's own next / previous links (keyset cursors): forward n pages
    # from the first, then back n pages from there.
    url = grid([("sort", "-" + (number or {"code": "id"})["code"])])
    for name, rel in (("list_next_page", "next"), ("list_previous_page", "prev")):
        samples = []
        for _ in range(n):
            status, body, wall, server = browser.get(url)
            assert status == 200, (name, url)
            samples.append((wall, server))
            found = re.search(rf'<a href="([^"]+)" rel="{rel}"'.encode(), body)
            if not found:
                break
            url = found.group(1).decode().replace("&amp;", "&")
        results[name] = stats(samples)
        print(f"{name:24} {results[name]}", file=sys.stderr)

    # Deep in the ledger: a cursor anywhere in the default order (by id). The cursor is the
    # selector's own (base64 of the JSON list of sort values), built here so that pages far from
    # both ends can be reached without walking to them.
    def cursor(record_id: int) -> str:
        return base64.urlsafe_b64encode(json.dumps([record_id]).encode()).decode().rstrip("=")

    count = int(ledger["record_count"]) or 1
    for name, param in (("list_deep_page", "after"), ("list_deep_previous_page", "before")):
        samples = []
        for _ in range(n):
            url = grid([(param, cursor(rng.randint(1, count)))])
            status, _body, wall, server = browser.get(url)
            assert status == 200, (name, url, status)
            samples.append((wall, server))
        results[name] = stats(samples)
        print(f"{name:24} {results[name]}", file=sys.stderr)

    # Totals and charts scan every matching record: reported, not held to the page target.
    extra: dict[str, list[str]] = {"totals_unfiltered": [base + "totals?s=1"] * max(3, n // 10)}
    if choice:
        extra["chart_group_count"] = [f"{base}chart?group_by={choice['code']}&metric=count"] * max(3, n // 10)
        if number:
            extra["totals_filtered"] = [base + "totals?" + urlencode([
                ("s", "1"), ("filter", f"{choice['code']}:eq:{choice['options']['choices'][-1]}")])
            ] * max(3, n // 10)
    time_pages(browser, extra, results)

    # A cell edit as the grid sends it: one bulk update, answered with the re-rendered row.
    if text:
        samples = []
        columns = [f["code"] for f in fields]
        for i in range(n):
            rid = rng.choice(sample_ids)
            status, raw, _w, _s = browser.get(f"/api/v1/ledgers/{lid}/records/{rid}")
            assert status == 200, (rid, status, raw[:300])
            record = json.loads(raw)
            body = json.dumps({"update": [{"id": rid, "revision": record["revision"],
                                           "values": {text["code"]: f"ベンチ{i % 2}-{rid}"}}],
                               "create": [], "columns": columns}).encode()
            status, raw, wall, server = browser.request("POST", base + "save", body, {
                "Content-Type": "application/json"})
            assert status == 200, raw[:300]
            samples.append((wall, server))
        results["cell_edit_round_trip"] = stats(samples)
        print(f"{'cell_edit_round_trip':24} {results['cell_edit_round_trip']}", file=sys.stderr)

    checks = {}
    for name, figures in results.items():
        if not isinstance(figures, dict) or "wall_p95_ms" not in figures:
            continue
        if name == "cell_edit_round_trip":
            checks[name] = figures["wall_p95_ms"] <= EDIT_TARGET_MS
        elif not name.startswith(("totals", "chart")):
            checks[name] = figures["wall_p95_ms"] <= PAGE_TARGET_MS
    results["targets"] = {"page_p95_ms": PAGE_TARGET_MS, "edit_p95_ms": EDIT_TARGET_MS,
                          "met": checks, "all_met": all(checks.values())}
    return results


def server_arguments(parser: argparse.ArgumentParser) -> None:
    """The options every benchmark that serves a data dir over HTTP takes (bench_paste.py and
    bench_process.py too)."""
    parser.add_argument("--data-dir", required=True, help="DAICHO_DATA_DIR of the data to use")
    parser.add_argument("--database-url", default="", help="DAICHO_DATABASE_URL, if not SQLite")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--out", default="", help="write the figures as JSON to this file")


def report(results: dict[str, Any], out: str) -> int:
    """Print the figures (and write them to `out`); the exit status says whether every target
    was met."""
    text = json.dumps(results, ensure_ascii=False, indent=2)
    if out:
        Path(out).write_text(text + "\n", encoding="utf-8")
    print(text)
    return 0 if results["targets"]["all_met"] else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    server_arguments(parser)
    parser.add_argument("--ledger", default=None, help="ledger id or name (default: the largest)")
    parser.add_argument("--requests", type=int, default=60, help="requests per scenario")
    parser.add_argument("--search-terms", nargs="+", default=["公園", "市", "鷺宮", "みどり"])
    args = parser.parse_args()
    return report(run(args), args.out)


if __name__ == "__main__":
    sys.exit(main())
