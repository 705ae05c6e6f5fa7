"""Issue 20's cause without Django: two processes of several threads, every transaction on a new
connection (what Django does by default), daicho's PRAGMAs.

Without a keeper connection, SQLite's close on one thread drops the POSIX lock that another
thread's connection has just taken (its close() runs outside the lock the other thread locks
under). Another process then believes it holds the last connection, checkpoints and deletes the
WAL and the -shm file still in use: "disk I/O error", "database disk image is malformed", and
(on this machine, 30 s, December 2026) an integrity check listing hundreds of broken pages. With
`keeper` (one connection per process, opened first and never closed, as
daicho.db.sqlite.keeper does) nothing fails.

    python3 bench/sqlite_race.py /tmp/race.db 40 4          # usually fails within a minute
    python3 bench/sqlite_race.py /tmp/race.db 60 4 keeper   # does not
"""

from __future__ import annotations

import multiprocessing as mp
import os
import sqlite3
import sys
import threading
import time
from typing import Any

PRAGMAS = ("PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;PRAGMA foreign_keys=ON;"
           "PRAGMA cache_size=-65536;PRAGMA temp_store=MEMORY;PRAGMA mmap_size=1073741824;")


def connect(db: str) -> sqlite3.Connection:
    con = sqlite3.connect(db, timeout=30, isolation_level=None, check_same_thread=False)
    con.executescript(PRAGMAS)
    return con


def worker(db: str, seconds: float, threads: int, keeper: bool, results: Any) -> None:
    keep = None
    if keeper:
        keep = connect(db)
        keep.execute("SELECT count(*) FROM sqlite_master").fetchall()
    errors: list[str] = []
    done = [0]
    end = time.time() + seconds

    def loop(k: int) -> None:
        while time.time() < end and len(errors) < 5:
            try:
                con = connect(db)
                if k % 2:
                    con.execute("BEGIN IMMEDIATE")
                    con.executemany("INSERT INTO t(v) VALUES (?)", [("x" * 200,)] * 200)
                    con.execute("COMMIT")
                else:
                    con.execute("SELECT count(*) FROM t").fetchall()
                con.close()
                done[0] += 1
            except Exception as exc:
                errors.append(repr(exc))

    running = [threading.Thread(target=loop, args=(k,)) for k in range(threads)]
    for t in running:
        t.start()
    for t in running:
        t.join()
    results.put((os.getpid(), done[0], errors[:3]))


def main() -> None:
    db, seconds, threads = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
    keeper = len(sys.argv) > 4 and sys.argv[4] == "keeper"
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(db + suffix):
            os.remove(db + suffix)
    con = connect(db)
    con.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)")
    con.close()
    ctx = mp.get_context("fork")
    results = ctx.Queue()
    procs = [ctx.Process(target=worker, args=(db, seconds, threads, keeper, results))
             for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    while not results.empty():
        pid, done, errors = results.get()
        print(f"process {pid}: {done} transactions, errors {errors}")
    try:
        check = sqlite3.connect(db).execute("PRAGMA integrity_check").fetchall()
        print("integrity_check:", str(check)[:300])
    except sqlite3.Error as exc:
        print("integrity_check:", repr(exc))


if __name__ == "__main__":
    main()
