"""SQLite under several processes of several threads (daicho.db.sqlite.keeper): each process
keeps the database file's shared lock while it lives, so no process ever takes the WAL of another
away, and connections opened and closed on many threads at once leave the database whole."""

from __future__ import annotations

import fcntl
import json
import os
import sqlite3
import struct
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import run_daicho

pytestmark = pytest.mark.skipif(bool(os.environ.get("DAICHO_DATABASE_URL")),
                                reason="SQLite's locking; PostgreSQL has its own server")

PENDING_BYTE = 0x40000000
SHARED_FIRST, SHARED_SIZE = PENDING_BYTE + 2, 510

SETUP = """
import os, sys, threading, time
os.environ["DJANGO_SETTINGS_MODULE"] = "daicho.settings"
import django
django.setup()
from django.db import connection, transaction
"""


def _python(env: dict[str, str], code: str, *args: str, timeout: float = 120
            ) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", SETUP + textwrap.dedent(code), *args], env=env,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def _shared_lock_holder(db: Path) -> int | None:
    """The pid of a process holding a lock on SQLite's shared range of `db`, if any."""
    with db.open("rb") as fh:
        probe = struct.pack("hhqqi", fcntl.F_WRLCK, os.SEEK_SET, SHARED_FIRST, SHARED_SIZE, 0)
        answer = fcntl.fcntl(fh.fileno(), fcntl.F_GETLK, probe)
    kind, _whence, _start, _len, pid = struct.unpack("hhqqi", answer)
    return None if kind == fcntl.F_UNLCK else pid


def test_a_process_keeps_its_lock_and_its_wal_after_closing_every_connection(
        cli_env: dict[str, str]) -> None:
    assert run_daicho(cli_env, "init").code == 0
    db = Path(cli_env["DAICHO_DATA_DIR"]) / "daicho.sqlite3"
    server = _python(cli_env, """
        from daicho.models import Ledger
        Ledger.objects.count()
        connection.close()  # every connection of this process is closed now
        print("ready", flush=True)
        sys.stdin.readline()
        with transaction.atomic():
            Ledger.objects.count()
        print("still fine", flush=True)
    """)
    try:
        assert server.stdout is not None and server.stdin is not None
        assert server.stdout.readline().strip() == "ready"
        # Without the keeper the process would hold nothing now, and the next process to close
        # its last connection would checkpoint and delete the WAL the first one still maps.
        assert _shared_lock_holder(db) == server.pid
        other = _python(cli_env, """
            from daicho.models import Ledger
            Ledger.objects.count()
            connection.close()
            from daicho.db.sqlite import keeper
            keeper.release()
        """)
        assert other.wait(timeout=60) == 0, other.stderr.read() if other.stderr else ""
        assert Path(f"{db}-wal").exists() and Path(f"{db}-shm").exists()
        server.stdin.write("\n")
        server.stdin.flush()
        assert server.stdout.readline().strip() == "still fine"
    finally:
        server.kill()
        server.wait()


RACE = """
seconds, threads = float(sys.argv[1]), int(sys.argv[2])
errors, done = [], [0]
end = time.monotonic() + seconds

def loop(k):
    while time.monotonic() < end and len(errors) < 5:
        try:
            with transaction.atomic():
                with connection.cursor() as cur:
                    if k % 2:
                        cur.executemany("INSERT INTO race(v) VALUES (%s)", [("x" * 200,)] * 100)
                    else:
                        cur.execute("SELECT count(*) FROM race")
                        cur.fetchall()
            done[0] += 1
        except Exception as exc:
            errors.append(repr(exc))
        finally:
            connection.close()  # a connection per transaction, as a request has by default

workers = [threading.Thread(target=loop, args=(k,)) for k in range(threads)]
for t in workers:
    t.start()
for t in workers:
    t.join()
print(done[0], errors[:3], flush=True)
sys.exit(1 if errors else 0)
"""


def test_connections_opened_and_closed_on_many_threads_of_two_processes(
        cli_env: dict[str, str]) -> None:
    """The pattern of issue 20 (bench/sqlite_race.py reproduces its race without Django): it
    leaves the database whole. The race is one of timing, so the test above is the guard that
    fails at once without the keeper; this one checks the whole path through Django."""
    assert run_daicho(cli_env, "init").code == 0
    db = Path(cli_env["DAICHO_DATA_DIR"]) / "daicho.sqlite3"
    with sqlite3.connect(db) as con:
        con.execute("CREATE TABLE race (id INTEGER PRIMARY KEY, v TEXT)")
    procs = [_python(cli_env, RACE, "20", "4") for _ in range(2)]
    outputs = [p.communicate(timeout=120) for p in procs]
    for proc, (out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, (out, err[-2000:])
    with sqlite3.connect(db) as con:
        assert con.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    assert run_daicho(cli_env, "check").code == 0


def test_a_large_wal_is_emptied_while_others_read_and_write(cli_env: dict[str, str]) -> None:
    """No connection closes last while the server runs, so nothing else would ever reset the
    WAL under a load that never pauses; the job thread's keep_wal_small does."""
    assert run_daicho(cli_env, "init").code == 0
    db = Path(cli_env["DAICHO_DATA_DIR"]) / "daicho.sqlite3"
    with sqlite3.connect(db) as con:
        con.execute("CREATE TABLE race (id INTEGER PRIMARY KEY, v TEXT)")
    busy = [_python(cli_env, RACE, "8", "2") for _ in range(2)]
    proc = _python(cli_env, """
        from daicho.db.sqlite import keeper
        path = connection.settings_dict["NAME"]
        with transaction.atomic(), connection.cursor() as cur:
            cur.executemany("INSERT INTO race(v) VALUES (%s)", [("y" * 1000,)] * 3000)
        before = os.stat(path + "-wal").st_size
        emptied = None
        for _ in range(50):
            emptied = keeper.keep_wal_small(path, limit=1024 * 1024)
            if emptied is not False:
                break
            time.sleep(0.1)
        print(before, emptied, flush=True)
    """)
    out, err = proc.communicate(timeout=120)
    for other in busy:
        assert other.wait(timeout=120) == 0
    before, emptied = out.split()
    assert int(before) > 3_000_000, err
    assert emptied == "True"
    with sqlite3.connect(db) as con:
        assert con.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert con.execute("SELECT count(*) FROM race WHERE v = ?", ["y" * 1000]).fetchone() == (3000,)


def test_the_threads_of_a_process_take_turns_for_the_write_lock(cli_env: dict[str, str]) -> None:
    """daicho.db.sqlite.writers: a transaction holds its process's turn from BEGIN to its commit
    or rollback (a turn never released would hang every later writer of the process); a thread
    that waits for it past DAICHO_DB_LOCK_TIMEOUT fails as a busy database does (503)."""
    assert run_daicho(cli_env, "init").code == 0
    env = {**cli_env, "DAICHO_DB_LOCK_TIMEOUT": "1"}
    proc = _python(env, """
        import json
        from daicho.db import transient
        from daicho.db.sqlite import writers
        from daicho.models import Job
        turn = writers.turn_for(str(connection.settings_dict["NAME"]))
        out = []
        try:
            with transaction.atomic():
                Job.objects.create(kind="rolled-back")
                out.append(turn.locked())
                raise RuntimeError
        except RuntimeError:
            pass
        out.append(turn.locked())
        held, go = threading.Event(), threading.Event()

        def holder():
            with transaction.atomic():
                Job.objects.create(kind="held")
                held.set()
                go.wait()
            connection.close()

        def late():
            with transaction.atomic():
                Job.objects.create(kind="after")
            connection.close()

        first = threading.Thread(target=holder)
        first.start()
        held.wait()
        started = time.monotonic()
        try:
            with transaction.atomic():
                Job.objects.create(kind="refused")
        except Exception as exc:
            out.append([transient.is_transient(exc), time.monotonic() - started >= 0.9])
        second = threading.Thread(target=late)
        second.start()
        go.set()
        first.join()
        second.join()
        out.append(turn.locked())
        out.append(sorted(Job.objects.values_list("kind", flat=True)))
        print(json.dumps(out))
    """)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err[-3000:]
    assert json.loads(out.strip().splitlines()[-1]) == [
        True, False, [True, True], False, ["after", "held"]]
