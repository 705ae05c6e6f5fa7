"""Record rules at scale (issue 5): with the rule "the record's department field is mine or
below" on a 1,000,000-record ledger, list requests should cost at most 1.2 × the same requests
by a user whose rule has no record condition.

    .venv/bin/python bench/bench_rules.py --data-dir COPY [--database-url URL] [--requests 200]

Run it on a COPY of a benchmark data dir (bench/run.py's, e.g. made with `sqlite3 SRC ".backup
DST"`): it adds departments, two users, a department (org) field to ledger 1 and rules. The
departments, users, field and rules go through the HTTP API; only the new field's values for the
existing million records are written with one SQL UPDATE (the bench's shortcut: the API would
write a million history entries first). Then, over one server, the same requests are sent
alternately as
  - `norules`: rule {"user": "norules"} with view rights and no record condition;
  - `rulebench`: rule {"user": "rulebench"} with view rights and records
    {"field_is_my_org": "dept_org"}; the user belongs to a 部 with 7 課 below it (≈ 1/4 of the
    records), so the predicate is `dept_org IN (8 ids)`.
and p50/p95 and the ratio rulebench/norules are printed (and written with --out).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import dataset  # noqa: E402
from httpclient import Http, summary  # noqa: E402

BIN = Path(sys.executable).parent
TARGET_RATIO = 1.2
BUREAUS = 4  # 部; the 課 of dataset.DEPTS are spread over them round robin
PASSWORD = "rule-bench-password-1"

BACKFILL = """
import django, json, sys
django.setup()
from django.db import connection, transaction
from daicho.models import Field, Org
from daicho.db.schema import analyze
from daicho.db.dialect import q
field = Field.objects.get(ledger_id=1, code="dept_org", deleted_at=None)
ids = {o.name: o.id for o in Org.objects.filter(code__startswith="RB-K")}
table = field.ledger.table_name
cases = " ".join("WHEN %s THEN %s" for _ in ids)
params = [x for name, oid in ids.items() for x in (name, oid)]
dept = Field.objects.get(ledger_id=1, code="dept").column
with transaction.atomic(), connection.cursor() as cur:
    cur.execute(f"UPDATE {q(table)} SET {q(field.column)} = CASE {q(dept)} {cases} END", params)
analyze(field.ledger)
print(json.dumps({"column": field.column, "orgs": len(ids)}))
"""


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def env_for(args: argparse.Namespace) -> dict[str, str]:
    env = dict(os.environ, DAICHO_DATA_DIR=args.data_dir, DJANGO_SETTINGS_MODULE="daicho.settings")
    env.pop("DAICHO_TESTING", None)
    if args.database_url:
        env["DAICHO_DATABASE_URL"] = args.database_url
    else:
        env.pop("DAICHO_DATABASE_URL", None)
    return env


def daicho(env: dict[str, str], *argv: str) -> str:
    return subprocess.run([str(BIN / "daicho"), *argv], env=env, check=True,
                          capture_output=True, text=True).stdout


def token_for(env: dict[str, str], login: str) -> str:
    return daicho(env, "token", "create", login).strip()  # one line: the token


def ok(resp: tuple[int, Any, float], *expected: int) -> Any:
    status, body, _ms = resp
    if status not in (expected or (200,)):
        raise RuntimeError(f"HTTP {status}: {str(body)[:300]}")
    return body


def setup(port: int, admin: str, env: dict[str, str]) -> None:
    api = Http(port, admin)
    have = {o["code"] for o in ok(api.get("/api/v1/orgs"))["items"]}
    if "RB-ROOT" not in have:
        log("departments, users, the department field")
        ok(api.request("POST", "/api/v1/orgs", {"code": "RB-ROOT", "name": "ベンチ市役所"}), 201)
        for b in range(BUREAUS):
            ok(api.request("POST", "/api/v1/orgs", {"code": f"RB-B{b}", "name": f"第{b + 1}部",
                                                    "parent_code": "RB-ROOT"}), 201)
        for i, name in enumerate(dataset.DEPTS):
            ok(api.request("POST", "/api/v1/orgs", {"code": f"RB-K{i:02d}", "name": name,
                                                    "parent_code": f"RB-B{i % BUREAUS}"}), 201)
        for login, org in (("norules", "RB-B1"), ("rulebench", "RB-B0")):
            ok(api.request("POST", "/api/v1/users", {"login": login, "name": login, "org": org,
                                                     "roles": [], "password": PASSWORD}), 201)
        ok(api.request("POST", "/api/v1/ledgers/1/fields",
                       {"name": "所管組織", "type": "org", "code": "dept_org"}), 201)
        t0 = time.monotonic()
        done = subprocess.run([str(BIN / "python"), "-c", BACKFILL], env=env, check=True,
                              capture_output=True, text=True).stdout
        log(f"  field values for every record: {done.strip()} in {time.monotonic() - t0:.1f} s")
    ok(api.request("PUT", "/api/v1/ledgers/1/permissions", {"rules": [
        {"subject": {"user": "norules"}, "rights": ["view"]},
        {"subject": {"user": "rulebench"}, "rights": ["view"],
         "records": {"field_is_my_org": "dept_org"}},
    ]}))
    api.close()


def requests(n: int) -> list[tuple[str, list[tuple[str, str]]]]:
    rnd = random.Random(11)
    out: list[tuple[str, list[tuple[str, str]]]] = []
    queries = [q for q, _what in dataset.SEARCH_QUERIES]  # 1, 2 and 4 characters
    for i in range(n):
        kind = ("first_page", "sorted", "filtered_sorted", "search")[i % 4]
        if kind == "first_page":
            params: list[tuple[str, str]] = [("limit", "50")]
        elif kind == "sorted":
            params = [("sort", rnd.choice(dataset.SORTS)), ("limit", "50")]
        elif kind == "filtered_sorted":
            params = [("filter", f"kubun:eq:{rnd.choice(dataset.KUBUN)}"),
                      ("sort", rnd.choice(dataset.SORTS)), ("limit", "50")]
        else:
            params = [("q", rnd.choice(queries)), ("limit", "50")]
        out.append((kind, params))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--requests", type=int, default=200, help="per kind and user")
    parser.add_argument("--out", default="")
    args = parser.parse_args()
    env = env_for(args)
    admin = (Path(args.data_dir) / "token").read_text().strip()
    sys.path.insert(0, str(HERE))
    from run import free_port, process, wait_http  # the harness's own helpers

    port = free_port()
    server = [str(BIN / "daicho"), "serve", "--host", "127.0.0.1", "--port", str(port)]
    with contextlib.ExitStack() as stack:
        stack.enter_context(process(server, env, Path(args.data_dir) / "rules-server.log"))
        wait_http(f"http://127.0.0.1:{port}/healthz")
        setup(port, admin, env)
        clients = {login: Http(port, token_for(env, login)) for login in ("norules", "rulebench")}
        path = "/api/v1/ledgers/1/records"
        plan = requests(args.requests * 4)
        log("warm-up: every request once per user")
        for _kind, params in plan:
            for http in clients.values():
                ok(http.get(path, params))
        times: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
        seen: dict[str, int] = defaultdict(int)
        log(f"measuring {len(plan)} requests per user, alternating")
        for i, (kind, params) in enumerate(plan):
            order = list(clients.items()) if i % 2 else list(reversed(clients.items()))
            for login, http in order:
                status, body, ms = http.get(path, params)
                ok((status, body, ms))
                times[kind][login].append(ms)
                times["all"][login].append(ms)
                if login == "rulebench":
                    seen[kind] += len(body["items"])
        for http in clients.values():
            http.close()
    result: dict[str, Any] = {"target_ratio": TARGET_RATIO, "kinds": {}}
    for kind, per_user in times.items():
        free, ruled = summary(per_user["norules"]), summary(per_user["rulebench"])
        ratio = ruled["p95_ms"] / free["p95_ms"]
        result["kinds"][kind] = {"norules": free, "rulebench": ruled,
                                 "p95_ratio": round(ratio, 2), "met": ratio <= TARGET_RATIO}
        print(f"{kind:16} norules p50/p95 {free['p50_ms']:7.1f} {free['p95_ms']:7.1f}   "
              f"rulebench {ruled['p50_ms']:7.1f} {ruled['p95_ms']:7.1f}   p95 ratio {ratio:.2f}",
              file=sys.stderr)
    result["rulebench_items_seen"] = dict(seen)
    if args.out:
        Path(args.out).write_text(json.dumps(result, ensure_ascii=False, indent=2))
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
