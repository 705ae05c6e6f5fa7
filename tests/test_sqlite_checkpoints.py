"""Where SQLite's WAL is checkpointed (daicho.db.sqlite.keeper): in a server worker on a thread of
its own, never inside the commit of a request; in a `daicho` command by SQLite itself, and at its
exit. The WAL index (the `-shm` file, https://www.sqlite.org/walformat.html) tells how many frames
the WAL holds (mxFrame, byte 16) and how many a checkpoint copied into the database (nBackfill,
byte 96)."""

from __future__ import annotations

import json
import os
import sqlite3
import struct
import textwrap
import time
from contextlib import closing
from pathlib import Path

import pytest

from daicho.db.sqlite import keeper
from tests.conftest import counter_record, json_call, run_daicho, running_server
from tests.test_sqlite_locking import _python

pytestmark = pytest.mark.skipif(bool(os.environ.get("DAICHO_DATABASE_URL")),
                                reason="SQLite's WAL; PostgreSQL checkpoints on its own")

WAL_INDEX = """
import json, struct
from daicho.db.sqlite import keeper
path = str(connection.settings_dict["NAME"])

def wal_index():
    with open(path + "-shm", "rb") as f:
        head = f.read(100)
    return [struct.unpack_from("=I", head, 16)[0], struct.unpack_from("=I", head, 96)[0]]

def autocheckpoint():
    with connection.cursor() as cur:
        cur.execute("PRAGMA wal_autocheckpoint")
        return cur.fetchone()[0]

def write(times):
    for _ in range(times):
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute("INSERT INTO race(v) VALUES (%s)", ["y" * 5000])
"""


def _wal_index(db: Path) -> tuple[int, int]:
    head = Path(f"{db}-shm").read_bytes()[:100]
    return struct.unpack_from("=I", head, 16)[0], struct.unpack_from("=I", head, 96)[0]


def _database(env: dict[str, str]) -> Path:
    assert run_daicho(env, "init").code == 0
    db = Path(env["DAICHO_DATA_DIR"]) / "daicho.sqlite3"
    with closing(sqlite3.connect(db)) as con:  # closed: an open one would hold the WAL
        con.execute("CREATE TABLE race (id INTEGER PRIMARY KEY, v TEXT)")
        con.commit()
    return db


def _run(env: dict[str, str], code: str) -> list[object]:
    proc = _python(env, WAL_INDEX + textwrap.dedent(code))
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err[-3000:]
    return list(json.loads(out.strip().splitlines()[-1]))


def test_a_server_process_checkpoints_on_its_own_thread_not_in_its_commits(
        cli_env: dict[str, str]) -> None:
    """With the checkpoint thread on (what `daicho serve` starts in each worker; here it waits an
    hour between turns, so the test takes its turns), 800 commits leave every frame in the WAL
    (SQLite's own checkpoint would have run in the commit that passed 1,000 frames; it is only
    a backstop at 64 MB of WAL now); one turn
    copies them all, a turn with nothing committed since does nothing, and the next write starts
    the WAL again from its beginning."""
    db = _database(cli_env)
    auto, frames, copied, turn, after, idle, again = _run(cli_env, """
        keeper.checkpoint_in_background(path, every=3600)
        auto = autocheckpoint()
        write(800)
        frames, copied = wal_index()
        turn = keeper.checkpoint(path)
        after = wal_index()
        idle = keeper.checkpoint(path)
        write(1)
        print(json.dumps([auto, frames, copied, turn, after, idle, wal_index()[0]]))
    """)
    assert auto == keeper.BACKSTOP_PAGES == 16384
    assert isinstance(frames, int) and frames > 1000, frames
    assert copied == 0
    assert turn is True
    assert after == [frames, frames]
    assert idle is None
    assert isinstance(again, int) and again < 10
    with closing(sqlite3.connect(db)) as con:
        assert con.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert con.execute("SELECT count(*) FROM race").fetchone() == (801,)


def test_a_command_keeps_sqlite_checkpoints_and_leaves_no_wal(cli_env: dict[str, str]) -> None:
    """A process without the checkpoint thread (a `daicho` command, a script) keeps SQLite's
    automatic checkpoint, so its WAL stays near 1,000 frames however much it writes, and a
    command that wrote leaves the WAL checkpointed and gone as it exits."""
    db = _database(cli_env)
    auto, frames = _run(cli_env, """
        write(800)
        print(json.dumps([autocheckpoint(), wal_index()[0]]))
    """)
    assert auto == 1000
    assert isinstance(frames, int) and frames < 1100, frames
    assert run_daicho(cli_env, "token", "create", "admin").code == 0
    assert not Path(f"{db}-wal").exists()
    with closing(sqlite3.connect(db)) as con:
        assert con.execute("SELECT count(*) FROM race").fetchone() == (800,)


def test_a_server_checkpoints_the_patches_it_committed(cli_env: dict[str, str]) -> None:
    """Through `daicho serve`: after a run of PATCHes its checkpoint thread copies the whole
    WAL into the database within moments (before, only SQLite's automatic checkpoint in a
    commit did, so up to 1,000 frames stayed until the next one)."""
    db = _database(cli_env)
    token = run_daicho(cli_env, "token", "create", "admin").out.strip()
    with running_server(cli_env) as base:
        led, rec = counter_record(base, token, "検査", 0)
        path = f"/api/v1/ledgers/{led['id']}/records/{rec['id']}"
        for n in range(1, 31):
            status, rec = json_call(base, token, "PATCH", path,
                                    {"revision": rec["revision"], "values": {"n": n}})
            assert status == 200, rec
        deadline = time.monotonic() + 30
        while (index := _wal_index(db))[1] != index[0] and time.monotonic() < deadline:
            time.sleep(0.05)  # polling the server's thread, not waiting a fixed time
        assert index[0] > 0 and index[1] == index[0], index
        status, now = json_call(base, token, "GET", path)
        assert (status, now["values"]["n"], now["revision"]) == (200, 30, 31)
