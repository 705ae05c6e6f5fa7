"""One connection per process that holds the database file's shared lock while the process lives.

Why: SQLite locks the database file with POSIX advisory locks, which belong to the *process* and
are all released when the process closes *any* descriptor of the file. SQLite knows this and,
while a connection of the process holds a lock, parks the descriptor of a closing connection
instead of closing it. But its close checks "does any connection hold a lock?" and then calls
close() outside the lock that another thread's connection takes to lock the file; a connection
that locks in between (an open or a read on another request thread) has its lock silently
dropped by that close(). With WAL the shared lock is what tells other processes "I am using this
WAL": a connection of another process that closes then believes it is the last one, checkpoints
and *deletes* the -wal and -shm files the first process is still using. From then on the two
processes write different WALs into one file: "database disk image is malformed", then "file is
not a database" (bench/sqlite_race.py reproduces it without Django in under a minute with two
processes of four threads, each transaction on a new connection — what Django does by default).

The keeper closes the window: it opens before any other connection of the process, reads once
in WAL mode (a WAL connection keeps its shared lock until it closes) and is never closed while the
process runs. So some connection always holds a lock, every other close is parked, no descriptor
of the file is closed, and no process ever takes another's WAL away. It holds no read snapshot
(it is not inside a transaction), so it never holds back a checkpoint.

Because no connection ever closes last while the server runs, SQLite's checkpoint-on-close no
longer resets the WAL either, and automatic checkpoints (PASSIVE) never finish while readers
overlap without pause: under a sustained load the WAL grew by a gigabyte a minute. So once the
WAL passes WAL_LIMIT, `keep_wal_small` checkpoints on the keeper in TRUNCATE mode. That waits
for the write lock like any writer (bulk writers hold it nearly all the time under load: with
one second to wait it lost often enough that the WAL reached 723 MB in a soak), then for the
readers of older snapshots to finish (page requests: tenths of a second), copies the rest into
the database and empties the WAL. Writers wait while it holds the lock, at most
CHECKPOINT_WAIT_MS; readers never do.

A server process checkpoints off the request path (`checkpoint_in_background`, started by
`daicho serve` in each worker): a thread of its own calls `checkpoint` every CHECKPOINT_SECONDS
— past WAL_LIMIT the TRUNCATE above, else a PASSIVE checkpoint on the keeper when anything was
committed since the last one (PASSIVE waits for no one: writers and readers never wait for it)
— and its connections leave SQLite's automatic checkpoint to it: they open with
`wal_autocheckpoint` at BACKSTOP_PAGES instead of 1,000 pages. SQLite ran that checkpoint inside
the commit that took the WAL past 1,000 pages, every 35 or so PATCHes of a big ledger (9-49 ms
of a 3 ms request). The backstop is WAL_LIMIT's worth of pages: should the thread fall behind
(a WAL past the limit that the TRUNCATE cannot empty yet), every commit checkpoints again as
SQLite's default does. A process without that thread (a `daicho` command) keeps SQLite's
automatic checkpoint at 1,000 pages, and its exit checkpoints too (`release`).

Keyed by process id and file identity: a child after fork() opens its own (a connection must not
cross fork(); the parent's keeper is kept referenced and never closed there), and a database file
replaced by a restore gets a new one."""

from __future__ import annotations

import logging
import os
import sqlite3
import threading

WAL_LIMIT = 64 * 1024 * 1024  # bytes of WAL before a truncating checkpoint
CHECKPOINT_WAIT_MS = 5000
# How often a server process's checkpoint thread looks at the WAL: once a second, as the job
# thread looked for a WAL past its limit before. Every 0.2 s, PATCHes under tests/test_soak.py's
# bulk load had a p95 of 184-490 ms (main's 135-1,264, at load 9-17); once a second 38-40 ms
# (main's 214-322). Why 0.2 s cost more was not found (docs/performance.md).
CHECKPOINT_SECONDS = 1.0
BACKSTOP_PAGES = WAL_LIMIT // 4096  # wal_autocheckpoint in a server process (4 KiB pages)

log = logging.getLogger("daicho.db")
_lock = threading.Lock()
_keepers: dict[tuple[int, int, int], sqlite3.Connection] = {}
_background: set[int] = set()  # the processes whose own thread checkpoints (by pid)
_seen: dict[tuple[int, int, int], int] = {}  # the keeper's data_version at its last checkpoint


def _key(path: str) -> tuple[int, int, int] | None:
    """This process's key for the database file `path` (None when it does not exist)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return (os.getpid(), st.st_dev, st.st_ino)


def hold(path: str) -> None:
    """Make sure this process keeps a lock-holding connection to the database file `path`
    (nothing to do for a file that does not exist yet: the connection about to open creates it,
    and the next one opens the keeper)."""
    key = _key(path)
    if key is None or key in _keepers:
        return
    with _lock:
        if key in _keepers:
            return
        conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL").fetchall()
        conn.execute("SELECT count(*) FROM sqlite_master").fetchall()
        conn.execute(f"PRAGMA busy_timeout={CHECKPOINT_WAIT_MS}").fetchall()
        _keepers[key] = conn


def keep_wal_small(path: str, limit: int = WAL_LIMIT) -> bool | None:
    """Checkpoint and empty the WAL of `path` once it is larger than `limit` bytes: True when
    it was emptied, False when readers kept it busy (tried again next time), None when there was
    nothing to do."""
    try:
        size = os.stat(f"{path}-wal").st_size
    except FileNotFoundError:
        return None
    key = _key(path)
    conn = None if key is None else _keepers.get(key)
    if size <= limit or conn is None:
        return None
    with _lock:
        busy, _frames, _copied = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    return bool(busy == 0)


def checkpoint(path: str) -> bool | None:
    """One turn of a server process's checkpoint thread: `keep_wal_small` when the WAL is past
    its limit, else a PASSIVE checkpoint on the keeper when another connection committed since
    the last one. True when the WAL was copied into the database entirely, False when a
    reader or writer kept part of it, None when there was nothing to do."""
    emptied = keep_wal_small(path)
    if emptied is False:
        log.info("the WAL is large but readers kept the checkpoint busy; trying again")
    if emptied is not None:
        return emptied
    key = _key(path)
    conn = None if key is None else _keepers.get(key)
    if key is None or conn is None:
        return None
    with _lock:
        version = int(conn.execute("PRAGMA data_version").fetchone()[0])
        if _seen.get(key) == version:
            return None
        busy, frames, copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        if busy == 0 and frames == copied:
            _seen[key] = version
    return bool(busy == 0 and frames == copied)


def checkpoint_in_background(path: str, every: float = CHECKPOINT_SECONDS) -> threading.Event:
    """Checkpoint the WAL of `path` on a thread of this process every `every` seconds instead of
    in the commits of its connections (which open with `wal_autocheckpoint=BACKSTOP_PAGES` from
    now on); set the event returned to stop. For a long-running server process only: a
    command keeps SQLite's own checkpoints and the one at its exit."""
    _background.add(os.getpid())
    stop = threading.Event()

    def run() -> None:
        while not stop.wait(every):
            try:
                hold(path)
                checkpoint(path)
            except sqlite3.Error:  # the database may be briefly unavailable; try again
                log.exception("checkpointing the WAL")
                stop.wait(5)

    threading.Thread(target=run, name="daicho-checkpoints", daemon=True).start()
    return stop


def autocheckpoint_pages() -> int | None:
    """The `wal_autocheckpoint` for a new connection of this process: BACKSTOP_PAGES when its
    own thread checkpoints, else None (SQLite's default)."""
    return BACKSTOP_PAGES if os.getpid() in _background else None


def held() -> int:
    """How many files this process holds (tests)."""
    pid = os.getpid()
    return sum(1 for key in _keepers if key[0] == pid)


def release() -> None:
    """Close this process's keepers: only when no other connection of the process is open and
    none will be (the command is about to exit), so that the last process to leave checkpoints
    the WAL as SQLite does on a last close."""
    pid = os.getpid()
    with _lock:
        for key in [k for k in _keepers if k[0] == pid]:
            _keepers.pop(key).close()
            _seen.pop(key, None)
