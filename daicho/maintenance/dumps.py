"""Dumping and loading the whole database, one pair of functions per vendor.

SQLite: the online backup API copies the live file page by page inside one read transaction,
so the copy is consistent while the server keeps writing (WAL lets it).
PostgreSQL: a REPEATABLE READ transaction exports its snapshot; the counts for the manifest are
taken in it and `pg_dump --snapshot` dumps exactly that state.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

import psycopg
from django.conf import settings
from django.db import connection, connections
from django.utils.translation import gettext as _

from daicho.db.sqlite import keeper
from daicho.error_codes import Code
from daicho.errors import DaichoError
from daicho.maintenance.inventory import Inventory, take_inventory

SQLITE_MEMBER = "database/daicho.sqlite3"
PG_MEMBER = "database/daicho.pgdump"
PG_ENV = {"host": "PGHOST", "port": "PGPORT", "user": "PGUSER", "password": "PGPASSWORD",
          "dbname": "PGDATABASE"}
# pg_dump writes COMMENT ON EXTENSION, which only the extension's owner may run; on a database
# where an administrator created pg_trgm beforehand it would fail the whole restore.
SKIPPED_TOC = re.compile(r"^\d+; \d+ \d+ COMMENT - EXTENSION ")


@dataclass
class Snapshot:
    path: Path  # the dump file in the staging folder
    member: str  # its name in the archive
    inventory: Inventory


def dump_database(staging: Path) -> Snapshot:
    if connection.vendor == "sqlite":
        return _dump_sqlite(staging)
    return _dump_postgresql(staging)


def load_database(dump: Path) -> None:
    """Puts the dump in place of the (empty) target database."""
    connections.close_all()
    if connection.vendor == "sqlite":
        _load_sqlite(dump)
    else:
        _load_postgresql(dump)


def dump_member() -> str:
    return SQLITE_MEMBER if connection.vendor == "sqlite" else PG_MEMBER


# -- SQLite ----------------------------------------------------------------------------------------

def _sqlite_path() -> Path:
    return Path(settings.DATABASES["default"]["NAME"])


def _dump_sqlite(staging: Path) -> Snapshot:
    source_path = _sqlite_path()
    if not source_path.is_file():
        raise DaichoError(_("There is no database to back up yet. Run daicho init first."),
                          code=Code.NO_DATABASE)
    target = staging / "daicho.sqlite3"
    # mode=rw: never create an empty database where the real one was expected; opened after the
    # process's lock keeper, as every connection (daicho.db.sqlite.keeper)
    keeper.hold(str(source_path))
    source = sqlite3.connect(source_path.as_uri() + "?mode=rw", uri=True, timeout=30)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)
        # One self-contained file: a restore must not need a -wal file beside it.
        copy.execute("PRAGMA journal_mode=DELETE")
        inventory = take_inventory(copy.cursor(), "sqlite")
    finally:
        copy.close()
        source.close()
    return Snapshot(target, SQLITE_MEMBER, inventory)


def _load_sqlite(dump: Path) -> None:
    target = _sqlite_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    # Stale -wal/-shm files of the empty database must not be replayed onto the restored one.
    for suffix in ("-wal", "-shm", "-journal"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    move_file(dump, target)


def move_file(source: Path, target: Path) -> None:
    """Renames when both are on one file system; otherwise copies beside the target first, so
    the target never exists half-written."""
    try:
        os.replace(source, target)
    except OSError:
        partial = target.with_name(target.name + ".partial")
        shutil.copyfile(source, partial)
        os.replace(partial, target)
        source.unlink()


# -- PostgreSQL ------------------------------------------------------------------------------------

def _pg_params() -> dict[str, str]:
    db = settings.DATABASES["default"]
    params = {"host": db.get("HOST"), "port": db.get("PORT"), "user": db.get("USER"),
              "password": db.get("PASSWORD"), "dbname": db.get("NAME")}
    return {key: str(value) for key, value in params.items() if value}


def _pg_env() -> dict[str, str]:
    """Connection settings travel in the environment, never on a command line others can read."""
    env = dict(os.environ)
    for key, value in _pg_params().items():
        env[PG_ENV[key]] = value
    return env


def _version_key(path: Path) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", path.parent.name))


def pg_program(name: str) -> str:
    """PGBIN, else the newest /usr/lib/postgresql/*/bin (pg_dump must not be older than the
    server), else the PATH."""
    folders = [Path(os.environ["PGBIN"])] if os.environ.get("PGBIN") else \
        sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=_version_key, reverse=True)
    for folder in folders:
        if (folder / name).is_file():
            return str(folder / name)
    found = shutil.which(name)
    if found:
        return found
    raise DaichoError(_("The PostgreSQL program %(program)s was not found. Install the "
                        "PostgreSQL client programs or set PGBIN.") % {"program": name},
                      code=Code.PG_TOOLS_MISSING)


def _run(args: list[str], failure_code: Code) -> str:
    proc = subprocess.run(args, env=_pg_env(), capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise DaichoError(_("%(program)s failed: %(error)s")
                          % {"program": Path(args[0]).name, "error": proc.stderr.strip()[-2000:]},
                          code=failure_code)
    return proc.stdout


def _dump_postgresql(staging: Path) -> Snapshot:
    target = staging / "daicho.pgdump"
    pg_dump = pg_program("pg_dump")
    with psycopg.connect(**_pg_params()) as conn:  # type: ignore[arg-type]
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        with conn.cursor() as cur:
            cur.execute("SELECT pg_export_snapshot()")
            row = cur.fetchone()
            assert row is not None
            inventory = take_inventory(cur, "postgresql")
            # The outer gzip compresses the archive; compressing twice only costs time.
            _run([pg_dump, "--format=custom", "--compress=0", f"--snapshot={row[0]}",
                  f"--file={target}"], Code.DUMP_FAILED)
    return Snapshot(target, PG_MEMBER, inventory)


def _load_postgresql(dump: Path) -> None:
    pg_restore = pg_program("pg_restore")
    toc = _run([pg_restore, "--list", str(dump)], Code.RESTORE_FAILED)
    listing = dump.with_name("restore.list")
    listing.write_text("\n".join(line for line in toc.splitlines()
                                 if not SKIPPED_TOC.match(line)) + "\n")
    # Only the name goes on the command line; the password stays in the environment.
    conninfo = psycopg.conninfo.make_conninfo(dbname=_pg_params().get("dbname", ""))
    # One transaction: a failed restore leaves the database as empty as it was.
    _run([pg_restore, "--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error",
          f"--use-list={listing}", f"--dbname={conninfo}", str(dump)], Code.RESTORE_FAILED)
