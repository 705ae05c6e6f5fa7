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
overlap without pause: under a sustained load the WAL grew by a gigabyte a minute. So the job
thread of each server process calls `keep_wal_small` every second: once the WAL passes
WAL_LIMIT it checkpoints on the keeper in TRUNCATE mode. That waits for the write lock like any
writer (bulk writers hold it nearly all the time under load: with one second to wait it lost
often enough that the WAL reached 723 MB in a soak), then for the readers of older snapshots to
finish (page requests: tenths of a second), copies the rest into the database and empties the
WAL. Writers wait while it holds the lock, at most CHECKPOINT_WAIT_MS; readers never do.

Keyed by process id and file identity: a child after fork() opens its own (a connection must not
cross fork(); the parent's keeper is kept referenced and never closed there), and a database file
replaced by a restore gets a new one."""

from __future__ import annotations

import os
import sqlite3
import threading

WAL_LIMIT = 64 * 1024 * 1024  # bytes of WAL before a truncating checkpoint
CHECKPOINT_WAIT_MS = 5000

_lock = threading.Lock()
_keepers: dict[tuple[int, int, int], sqlite3.Connection] = {}


def hold(path: str) -> None:
    """Make sure this process keeps a lock-holding connection to the database file `path`
    (nothing to do for a file that does not exist yet: the connection about to open creates it,
    and the next one opens the keeper)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return
    key = (os.getpid(), st.st_dev, st.st_ino)
    if key in _keepers:
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
        st = os.stat(path)
    except FileNotFoundError:
        return None
    conn = _keepers.get((os.getpid(), st.st_dev, st.st_ino))
    if size <= limit or conn is None:
        return None
    with _lock:
        busy, _frames, _copied = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    return bool(busy == 0)


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
