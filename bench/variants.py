"""Evidence for the engine changes: the SQL shapes daicho issued at 49d81cf (what run 1 of
docs/performance.md measured) next to alternative shapes and indexes, run directly against the
benchmark database (no server), best/median of several runs.

    python bench/variants.py --backend sqlite --data-dir bench/out/data-sqlite-1000000
    python bench/variants.py --backend postgresql --data-dir bench/out/data-postgresql-1000000

SQLite: extra indexes are tried on a copy of the database file (the original is only read).
PostgreSQL: extra indexes are created, measured and dropped again inside a transaction that is
rolled back. See bench/out/explain-*.json for the exact statements the current code issues.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pg import Postgres


def timed(run: Callable[[], Any], repeat: int) -> dict[str, Any]:
    times = []
    rows = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        rows = run()
        times.append((time.perf_counter() - t0) * 1000)
    return {"best_ms": round(min(times), 2), "median_ms": round(statistics.median(times), 2),
            "rows": len(rows) if rows is not None else None}


def sqlite_variants(folder: Path, repeat: int) -> list[dict[str, Any]]:
    meta = json.loads((folder / "meta.json").read_text())
    t, c = meta["table"], meta["columns"]
    fts = f"{t}_fts"
    kubun, amount, acquired = c["kubun"], c["amount"], c["acquired_on"]
    select = f"SELECT t.* FROM {t} t"
    copy = folder / "variants-copy.sqlite3"
    src = sqlite3.connect(folder / "daicho.sqlite3")
    src.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    src.close()
    shutil.copyfile(folder / "daicho.sqlite3", copy)
    con = sqlite3.connect(copy)
    con.execute("PRAGMA cache_size=-65536")
    con.execute("PRAGMA mmap_size=1073741824")

    def q(sql: str, params: tuple[Any, ...] = ()) -> Callable[[], list[Any]]:
        return lambda: con.execute(sql, params).fetchall()

    def plan(sql: str, params: tuple[Any, ...] = ()) -> list[str]:
        return [r[-1] for r in con.execute("EXPLAIN QUERY PLAN " + sql, params).fetchall()]

    def u(ch: str) -> str:
        return f"u{ord(ch):06x}"

    cases: list[tuple[str, str, tuple[Any, ...]]] = []
    for k in ("土地", "無体財産"):
        cases += [
            (f"page kubun={k} sort=-amount: shape of 49d81cf",
             f"{select} WHERE t.deleted = 0 AND (t.{kubun} = ?) "
             f"ORDER BY t.{amount} DESC NULLS LAST, t.id DESC LIMIT 51", (k,)),
            (f"page kubun={k} sort=-amount: filter written +col = ? (walk the sort index)",
             f"{select} WHERE t.deleted = 0 AND (+t.{kubun} = ?) "
             f"ORDER BY t.{amount} DESC NULLS LAST, t.id DESC LIMIT 51", (k,)),
            (f"page kubun={k} sort=acquired_on: shape of 49d81cf",
             f"{select} WHERE t.deleted = 0 AND (t.{kubun} = ?) "
             f"ORDER BY t.{acquired} ASC NULLS FIRST, t.id ASC LIMIT 51", (k,)),
            (f"page kubun={k} sort=acquired_on: +col = ?",
             f"{select} WHERE t.deleted = 0 AND (+t.{kubun} = ?) "
             f"ORDER BY t.{acquired} ASC NULLS FIRST, t.id ASC LIMIT 51", (k,)),
        ]
    for ch in ("市", "園", "鷺"):
        cases += [
            (f"search {ch}: shape of 49d81cf (id IN (SELECT rowid … MATCH))",
             f"{select} WHERE t.deleted = 0 AND t.id IN (SELECT rowid FROM {fts} "
             f"WHERE {fts} MATCH ?) ORDER BY t.id ASC LIMIT 51", (u(ch),)),
            (f"search {ch}: join the gram table, ORDER BY its rowid",
             f"SELECT t.* FROM {fts} f JOIN {t} t ON t.id = f.rowid WHERE {fts} MATCH ? "
             f"AND t.deleted = 0 ORDER BY f.rowid ASC LIMIT 51", (u(ch),)),
        ]
    cases += [
        ("aggregate count by kubun: shape of 49d81cf",
         f"SELECT t.{kubun}, COUNT(*) FROM {t} t WHERE t.deleted = 0 GROUP BY t.{kubun} "
         f"ORDER BY t.{kubun} ASC NULLS FIRST LIMIT 10001", ()),
        ("aggregate sum(amount) by kubun: shape of 49d81cf",
         f"SELECT t.{kubun}, SUM(t.{amount}) FROM {t} t WHERE t.deleted = 0 "
         f"GROUP BY t.{kubun} ORDER BY t.{kubun} ASC NULLS FIRST LIMIT 10001", ()),
        ("aggregate sum(amount) by kubun: full table scan (NOT INDEXED, the shape since afa66fa)",
         f"SELECT t.{kubun}, SUM(t.{amount}) FROM {t} t NOT INDEXED WHERE t.deleted = 0 "
         f"GROUP BY t.{kubun} ORDER BY t.{kubun} ASC NULLS FIRST LIMIT 10001", ()),
        ("aggregate count by kubun: full table scan (NOT INDEXED)",
         f"SELECT t.{kubun}, COUNT(*) FROM {t} t NOT INDEXED WHERE t.deleted = 0 "
         f"GROUP BY t.{kubun} ORDER BY t.{kubun} ASC NULLS FIRST LIMIT 10001", ()),
    ]
    out = []
    for name, sql, params in cases:
        out.append({"variant": name, **timed(q(sql, params), repeat), "plan": plan(sql, params)})
        print(f"{out[-1]['best_ms']:9.1f} ms  {name}  {out[-1]['plan']}", file=sys.stderr)
    # Extra indexes, on the copy only.
    extra = [
        (f"CREATE INDEX x_kubun_amount ON {t} ({kubun}, {amount}, id)",
         f"page kubun=土地 sort=-amount: with index ({kubun}, {amount}, id)",
         f"{select} WHERE t.deleted = 0 AND (t.{kubun} = ?) "
         f"ORDER BY t.{amount} DESC NULLS LAST, t.id DESC LIMIT 51", ("土地",)),
        (f"CREATE INDEX x_kubun_live ON {t} ({kubun}, id) WHERE deleted = 0",
         f"aggregate count by kubun: with partial index ({kubun}, id) WHERE deleted = 0",
         f"SELECT t.{kubun}, COUNT(*) FROM {t} t WHERE t.deleted = 0 GROUP BY t.{kubun} "
         f"ORDER BY t.{kubun} ASC NULLS FIRST LIMIT 10001", ()),
        ("DROP INDEX x_kubun_live", "", "", ()),
        (f"CREATE INDEX x_live_kubun_amount ON {t} (deleted, {kubun}, {amount})",
         "aggregate sum(amount) by kubun: with covering index (deleted, kubun, amount)",
         f"SELECT t.{kubun}, SUM(t.{amount}) FROM {t} t WHERE t.deleted = 0 "
         f"GROUP BY t.{kubun} ORDER BY t.{kubun} ASC NULLS FIRST LIMIT 10001", ()),
        ("",
         "aggregate count by kubun: with covering index (deleted, kubun, amount)",
         f"SELECT t.{kubun}, COUNT(*) FROM {t} t WHERE t.deleted = 0 GROUP BY t.{kubun} "
         f"ORDER BY t.{kubun} ASC NULLS FIRST LIMIT 10001", ()),
    ]
    for ddl, name, sql, params in extra:
        if ddl.startswith("DROP"):
            con.execute(ddl)
            continue
        if ddl:
            t0 = time.perf_counter()
            con.execute(ddl)
            con.execute(f"ANALYZE {t}")
            built = round(time.perf_counter() - t0, 1)
        out.append({"variant": name, "index_build_seconds": built,
                    **timed(q(sql, params), repeat), "plan": plan(sql, params)})
        print(f"{out[-1]['best_ms']:9.1f} ms  {name}  {out[-1]['plan']}", file=sys.stderr)
    con.close()
    copy.unlink()
    return out


def pg_variants(folder: Path, repeat: int, port: int) -> list[dict[str, Any]]:
    import psycopg

    meta = json.loads((folder / "meta.json").read_text())
    t, c = meta["table"], meta["columns"]
    kubun, amount, acquired = c["kubun"], c["amount"], c["acquired_on"]
    select = f"SELECT t.* FROM {t} t"
    server = Postgres(folder / "pg", port)
    server.start()
    out: list[dict[str, Any]] = []
    try:
        with psycopg.connect(server.url, autocommit=False,
                             cursor_factory=psycopg.ClientCursor) as con:  # as Django does
            def run(name: str, sql: str, params: tuple[Any, ...] = ()) -> None:
                def go() -> list[Any]:
                    return con.execute(sql, params).fetchall()
                res = timed(go, repeat)
                plan = [r[0] for r in con.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql,
                                                  params).fetchall()]
                out.append({"variant": name, **res, "plan": plan})
                print(f"{res['best_ms']:9.1f} ms  {name}  {plan[:3]}", file=sys.stderr)

            page_desc = (f"{select} WHERE NOT t.deleted AND (t.{kubun} = %s) "
                         f"ORDER BY t.{amount} DESC NULLS LAST, t.id DESC LIMIT 51")
            page_asc = (f"{select} WHERE NOT t.deleted AND (t.{kubun} = %s) "
                        f"ORDER BY t.{acquired} ASC NULLS FIRST, t.id ASC LIMIT 51")
            for k in ("土地", "無体財産"):
                run(f"page kubun={k} sort=-amount: shape of 49d81cf", page_desc, (k,))
                run(f"page kubun={k} sort=acquired_on: shape of 49d81cf", page_asc, (k,))
            run("page kubun=土地 sort=-amount, ORDER BY without NULLS LAST (what the index serves)",
                f"{select} WHERE NOT t.deleted AND (t.{kubun} = %s) "
                f"ORDER BY t.{amount} DESC, t.id DESC LIMIT 51", ("土地",))
            for q in ("市", "鷺", "鷺宮", "欅台公民"):
                run(f"search {q}: shape of 49d81cf (LIKE on search_key, pg_trgm GIN)",
                    f"{select} WHERE NOT t.deleted AND t.search_key LIKE %s ESCAPE '\\' "
                    "ORDER BY t.id ASC LIMIT 51", (f"%{q}%",))
            run("aggregate count by kubun: shape of 49d81cf",
                f"SELECT t.{kubun}, COUNT(*) FROM {t} t WHERE NOT t.deleted GROUP BY t.{kubun} "
                f"ORDER BY t.{kubun} ASC NULLS FIRST LIMIT 10001")
            run("aggregate sum(amount) by kubun: shape of 49d81cf",
                f"SELECT t.{kubun}, SUM(t.{amount}) FROM {t} t WHERE NOT t.deleted "
                f"GROUP BY t.{kubun} ORDER BY t.{kubun} ASC NULLS FIRST LIMIT 10001")
            con.execute("SET jit = off")
            run("aggregate sum(amount) by kubun: jit = off",
                f"SELECT t.{kubun}, SUM(t.{amount}) FROM {t} t WHERE NOT t.deleted "
                f"GROUP BY t.{kubun} ORDER BY t.{kubun} ASC NULLS FIRST LIMIT 10001")
            con.execute("RESET jit")
            # Indexes whose NULL order matches the ORDER BY daicho writes; rolled back after.
            t0 = time.perf_counter()
            con.execute(f"CREATE INDEX x_amount_nf ON {t} ({amount} ASC NULLS FIRST, id)")
            con.execute(f"CREATE INDEX x_acq_nf ON {t} ({acquired} ASC NULLS FIRST, id)")
            con.execute(f"ANALYZE {t}")
            out.append({"variant": "build two (col ASC NULLS FIRST, id) indexes",
                        "seconds": round(time.perf_counter() - t0, 1)})
            for k in ("土地", "無体財産"):
                run(f"page kubun={k} sort=-amount: with index ({amount} ASC NULLS FIRST, id)",
                    page_desc, (k,))
                run(f"page kubun={k} sort=acquired_on: with index "
                    f"({acquired} ASC NULLS FIRST, id)", page_asc, (k,))
            con.rollback()
    finally:
        server.stop()
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], required=True)
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--port", type=int, default=55499)
    parser.add_argument("--out")
    args = parser.parse_args()
    folder = Path(args.data_dir).resolve()
    if args.backend == "sqlite":
        result = sqlite_variants(folder, args.repeat)
    else:
        result = pg_variants(folder, args.repeat, args.port)
    out = Path(args.out) if args.out else Path(__file__).parent / "out" / \
        f"variants-{args.backend}.json"
    out.write_text(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
