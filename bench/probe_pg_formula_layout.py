"""What adding a formula field to 1,000,000 records costs PostgreSQL in each table layout (issue
15, "adding a formula field ≤ 60 s"): SQL only, on the ledger `bench/run.py --backend postgresql`
loaded, every change rolled back or dropped, so the data stays as it was.

    .venv/bin/python bench/probe_pg_formula_layout.py DATA_DIR [gin] [update] [heap] [side] [hot]
        [search] [rows]

DATA_DIR is the folder run.py loaded (e.g. bench/out/data-postgresql-1000000, or
--data-dir DIR/data-postgresql-1000000); its server is started and stopped here.

- gin:    the two GIN search indexes built again (pg_trgm on search_key, the gram array), with
          maintenance_work_mem 256 MB and 1 GB;
- update: one numeric column set on every record, the GIN indexes dropped, the B-trees kept
          (what the formula job's chunks pay besides computing);
- heap:   the same with no index but the primary key;
- side:   the derived values' search texts as a table of their own (id, key, grams) and its
          GIN indexes;
- hot:    the ledger's table without its search columns, rewritten at fillfactor 50, every
          B-tree built again, then the column set on every record twice (HOT updates: no
          indexed column changes and each page has room for the new versions);
- search: the search columns copied to a table of their own with both GIN indexes, and the
          engine benchmark's searches (bench/dataset.SEARCH_QUERIES, a page of 50 in id order)
          timed in the database as they are now and as a semi-join or a join with that table
          (values bound on the client, as Django binds them: psycopg's server-side prepared
          statements turn into generic plans after five runs, which walk the primary key);
- rows:   the same table of search columns with a row per record for its own texts (part 0),
          and a formula's texts added as a row of their own per record (part 1), both GIN
          indexes kept; then those rows deleted and added again (the formula changed).
See docs/performance.md, "Adding a formula on PostgreSQL: where the minute goes"."""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import psycopg
from dataset import SEARCH_QUERIES
from pg import Postgres

PORT = 55991


def main() -> None:
    folder = Path(sys.argv[1])
    steps = set(sys.argv[2:]) or {"gin", "update", "heap", "side", "hot", "search", "rows"}
    table = json.loads((folder / "meta.json").read_text())["table"]
    amount = json.loads((folder / "meta.json").read_text())["columns"]["amount"]
    pg = Postgres(folder / "pg", PORT)
    pg.start()
    try:
        with psycopg.connect(pg.url, autocommit=True, cursor_factory=psycopg.ClientCursor,
                             prepare_threshold=None) as conn:
            probe(conn.cursor(), table, amount, steps)
            if "search" in steps:
                search(conn.cursor(), table)
            if "rows" in steps:
                rows(conn.cursor(), table, amount)
    finally:
        pg.stop()


def probe(cur: Any, table: str, amount: str, steps: set[str]) -> None:
    def timed(label: str, sql: str) -> None:
        start = time.perf_counter()
        cur.execute(sql)
        print(f"{label}: {time.perf_counter() - start:.1f} s", flush=True)

    cur.execute("SELECT pg_size_pretty(pg_table_size(%s)), count(*) FROM pg_indexes"
                " WHERE tablename = %s", [table, table])
    print("table size, indexes:", cur.fetchone())
    gins = [r[0] for r in cur.execute("SELECT indexname FROM pg_indexes WHERE tablename = %s"
                                      " AND indexdef ILIKE '%%using gin%%'", [table]).fetchall()]
    btrees = [r[0] for r in cur.execute(
        "SELECT indexname FROM pg_indexes WHERE tablename = %s AND indexdef NOT ILIKE"
        " '%%using gin%%' AND indexname NOT LIKE '%%pkey'", [table]).fetchall()]
    value = f"round({amount} * 1.1)"
    if "gin" in steps:
        for memory in ("256MB", "1GB"):
            cur.execute("BEGIN")
            for name in gins:
                cur.execute(f"DROP INDEX {name}")
            cur.execute(f"SET LOCAL maintenance_work_mem = '{memory}'")
            timed(f"gin: pg_trgm index built ({memory})",
                  f"CREATE INDEX probe_trgm ON {table} USING gin (search_key gin_trgm_ops)")
            timed(f"gin: gram array index built ({memory})",
                  f"CREATE INDEX probe_grams ON {table} USING gin (search_grams)")
            cur.execute("ROLLBACK")
    for step, dropped in (("update", gins), ("heap", gins + btrees)):
        if step in steps:
            cur.execute("BEGIN")
            for name in dropped:
                cur.execute(f"DROP INDEX {name}")
            cur.execute(f"ALTER TABLE {table} ADD COLUMN probe numeric")
            timed(f"{step}: a column set on every record ({len(dropped)} indexes dropped, "
                  f"{len(gins) + len(btrees) - len(dropped)} kept)",
                  f"UPDATE {table} SET probe = {value}")
            cur.execute("ROLLBACK")
    if "side" in steps:
        cur.execute("BEGIN")
        timed("side: (id, key) table of a formula's search texts",
              f"CREATE TABLE probe_side AS SELECT id, {value}::text AS key FROM {table}")
        timed("side: its gram arrays", "ALTER TABLE probe_side ADD COLUMN grams text[];"
              " UPDATE probe_side SET grams = daicho_grams(key)")
        timed("side: its pg_trgm index", "CREATE INDEX ON probe_side USING gin (key gin_trgm_ops)")
        timed("side: its gram index", "CREATE INDEX ON probe_side USING gin (grams)")
        cur.execute("ROLLBACK")
    if "hot" in steps:
        defs = [r[0] for r in cur.execute("SELECT indexdef FROM pg_indexes WHERE tablename = %s"
                                          " AND indexdef NOT ILIKE '%%using gin%%'",
                                          [table]).fetchall()]
        cur.execute("DROP TABLE IF EXISTS probe_hot")
        try:
            timed("hot: copy without the search columns",
                  f"CREATE TABLE probe_hot WITH (fillfactor = 50) AS SELECT * FROM {table}")
            cur.execute("ALTER TABLE probe_hot DROP COLUMN search_key, DROP COLUMN search_grams")
            timed("hot: rewritten at fillfactor 50", "VACUUM FULL probe_hot")
            start = time.perf_counter()
            for sql in defs:
                cur.execute(re.sub(rf"INDEX (\S+) ON (\S+\.)?{table}\b",
                                   lambda m: f"INDEX probe_{m.group(1)} ON probe_hot", sql))
            print(f"hot: {len(defs)} B-trees built one after another: "
                  f"{time.perf_counter() - start:.1f} s; size",
                  cur.execute("SELECT pg_size_pretty(pg_table_size('probe_hot'))").fetchone())
            cur.execute("ANALYZE probe_hot")
            for column in ("probe1", "probe2"):
                cur.execute(f"ALTER TABLE probe_hot ADD COLUMN {column} numeric")
                timed(f"hot: {column} set on every record, every B-tree kept",
                      f"UPDATE probe_hot SET {column} = {value}")
            time.sleep(1)  # the statistics collector
            print("hot: updates, of them HOT:", cur.execute(
                "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables"
                " WHERE relname = 'probe_hot'").fetchone())
        finally:
            cur.execute("DROP TABLE IF EXISTS probe_hot")



def search(cur: Any, table: str) -> None:
    columns = ", ".join(f"t.{q}" for q in _columns(cur, table))
    cur.execute("DROP TABLE IF EXISTS probe_search")
    try:
        cur.execute(f"CREATE TABLE probe_search AS SELECT id, search_key, search_grams FROM {table}")
        cur.execute("ALTER TABLE probe_search ADD PRIMARY KEY (id)")
        cur.execute("SET maintenance_work_mem = '512MB'")
        cur.execute("CREATE INDEX ON probe_search USING gin (search_key gin_trgm_ops)")
        cur.execute("CREATE INDEX ON probe_search USING gin (search_grams)")
        cur.execute("ALTER TABLE probe_search ALTER COLUMN search_grams SET STATISTICS 1000")
        cur.execute("ANALYZE probe_search")

        def term(alias: str, text: str) -> tuple[str, list[str]]:
            if len(text) <= 2:
                return f"{alias}.search_grams @> ARRAY[%s]::text[]", [text]
            return f"{alias}.search_key LIKE %s", [f"%{text}%"]

        shapes = {
            "now": ("{c} FROM {t} t WHERE NOT t.deleted AND {w} ORDER BY t.id LIMIT 51", "t"),
            "semi-join": ("{c} FROM {t} t WHERE NOT t.deleted AND t.id IN (SELECT s.id FROM "
                          "probe_search s WHERE {w}) ORDER BY t.id LIMIT 51", "s"),
            "join": ("{c} FROM probe_search s JOIN {t} t ON t.id = s.id WHERE NOT t.deleted "
                     "AND {w} ORDER BY s.id LIMIT 51", "s"),
        }
        for name, (shape, alias) in shapes.items():
            figures = []
            for text, _what in SEARCH_QUERIES:
                where, params = term(alias, text)
                sql = "SELECT " + shape.format(c=columns, t=table, w=where)
                times = []
                for _ in range(17):
                    start = time.perf_counter()
                    cur.execute(sql, params)
                    cur.fetchall()
                    times.append((time.perf_counter() - start) * 1000)
                times = sorted(times[2:])
                figures.append(f"{text} {times[len(times) // 2]:.1f}/{times[-1]:.1f}")
            print(f"search, {name} (ms, median/max of 15):", ", ".join(figures), flush=True)
    finally:
        cur.execute("DROP TABLE IF EXISTS probe_search")


def rows(cur: Any, table: str, amount: str) -> None:
    def timed(label: str, sql: str) -> None:
        start = time.perf_counter()
        cur.execute(sql)
        print(f"rows: {label}: {time.perf_counter() - start:.1f} s", flush=True)

    cur.execute("DROP TABLE IF EXISTS probe_rows")
    try:
        cur.execute(f"CREATE TABLE probe_rows AS SELECT id, 0 AS part, search_key, search_grams"
                    f" FROM {table}")
        cur.execute("CREATE INDEX ON probe_rows (id)")
        cur.execute("SET maintenance_work_mem = '512MB'")
        cur.execute("CREATE INDEX ON probe_rows USING gin (search_key gin_trgm_ops)")
        cur.execute("CREATE INDEX ON probe_rows USING gin (search_grams)")
        cur.execute("ANALYZE probe_rows")
        text = f"round({amount} * 1.1)::text"
        timed("a formula's texts added, a row per record, the GIN indexes kept",
              f"INSERT INTO probe_rows SELECT id, 1, {text}, daicho_grams({text}) FROM {table}")
        timed("those rows deleted", "DELETE FROM probe_rows WHERE part = 1")
        timed("added again", f"INSERT INTO probe_rows SELECT id, 1, {text}, daicho_grams({text})"
                             f" FROM {table}")
    finally:
        cur.execute("DROP TABLE IF EXISTS probe_rows")


def _columns(cur: Any, table: str) -> list[str]:
    cur.execute("SELECT attname FROM pg_attribute WHERE attrelid = to_regclass(%s) AND attnum > 0"
                " AND NOT attisdropped AND attname <> 'search_grams' ORDER BY attnum", [table])
    return [f'"{row[0]}"' for row in cur.fetchall()]


if __name__ == "__main__":
    main()
