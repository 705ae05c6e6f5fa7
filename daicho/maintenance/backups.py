"""`daicho backup FILE` and `daicho restore FILE` (contract §3).

A backup is one archive (see daicho.maintenance.archive) written to FILE.tmp and renamed to FILE
only when complete, so FILE is always either the previous backup or a whole new one.

A restore goes only into an empty target: the database has no daicho tables, or has them without
a single user or ledger, and the attachments folder holds no file. A database made by
`daicho init` is therefore not empty (it has the admin user): restore into a new data dir (and,
on PostgreSQL, a new database) without running `daicho init`; the restore brings the users.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection, transaction
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.utils.translation import gettext as _

import daicho
from daicho import environment
from daicho.db.dialect import q
from daicho.error_codes import Code
from daicho.errors import Conflict, DaichoError, InvalidInput
from daicho.maintenance import crypt, dumps
from daicho.maintenance.archive import (
    FORMAT,
    FORMAT_VERSION,
    MANIFEST,
    ArchiveReader,
    ArchiveWriter,
    Member,
    attachment_member,
    is_safe_member,
    manifest_bytes,
    sha256_file,
)
from daicho.maintenance.inventory import attachment_path, take_inventory
from daicho.models import Ledger

LEDGER_TABLE_RE = re.compile(r"^ledger_\d+$")
VENDOR_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


# -- backup ----------------------------------------------------------------------------------------

def backup(path: str | os.PathLike[str], *, secret: crypt.Secret | None = None) -> dict[str, Any]:
    """With `secret` the archive is encrypted as it is written (daicho.maintenance.crypt)."""
    target = Path(path).resolve()
    _check_backup_target(target)
    partial = target.with_name(target.name + ".tmp")
    # The database snapshot is plain: beside an encrypted backup (a share, a USB disk) it
    # must not appear even for a moment, so it is then staged in the data dir's temp folder.
    staging = Path(tempfile.mkdtemp(prefix=".daicho-backup-",
                                    dir=environment.temp_dir() if secret else target.parent))
    try:
        snapshot = dumps.dump_database(staging)
        manifest = _manifest(snapshot)
        _write_archive(partial, manifest, snapshot, secret)
        os.replace(partial, target)
        _sync_folder(target.parent)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return {"file": str(target), "bytes": target.stat().st_size, "vendor": connection.vendor,
            "counts": manifest["counts"], "encrypted": secret is not None}


def _check_backup_target(target: Path) -> None:
    if not target.parent.is_dir():
        raise InvalidInput(_("The folder %(folder)s does not exist.") % {"folder": target.parent},
                           code=Code.INVALID_TARGET)
    if target.is_dir():
        raise InvalidInput(_("%(file)s is a folder; give a file name.") % {"file": target},
                           code=Code.INVALID_TARGET)
    if target.is_relative_to(Path(settings.ATTACHMENTS_DIR).resolve()):
        # It would be taken for an orphaned attachment and copied into the next backup.
        raise InvalidInput(_("Do not write a backup into the attachments folder."),
                           code=Code.INVALID_TARGET)


def _manifest(snapshot: dumps.Snapshot) -> dict[str, Any]:
    inventory = snapshot.inventory
    files = {snapshot.member: sha256_file(snapshot.path).__dict__}
    for name, size, sha256 in inventory.attachments:
        files[attachment_member(name)] = {"size": size, "sha256": sha256}
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "vendor": connection.vendor,
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "daicho_version": daicho.__version__,
        "counts": inventory.counts,
        "migrations": [list(m) for m in inventory.migrations],
        "database": snapshot.member,
        "files": files,
    }


def _write_archive(partial: Path, manifest: dict[str, Any], snapshot: dumps.Snapshot,
                   secret: crypt.Secret | None) -> None:
    with environment.private_open(partial) as fh:
        out: IO[bytes] = fh if secret is None else crypt.EncryptingWriter(fh, secret)  # type: ignore[assignment]
        writer = ArchiveWriter(out)
        writer.add_bytes(MANIFEST, manifest_bytes(manifest))
        writer.add_file(snapshot.member, snapshot.path)
        damaged = _add_attachments(writer, snapshot.inventory.attachments)
        writer.close()
        if out is not fh:
            out.close()
        fh.flush()
        os.fsync(fh.fileno())
    if damaged:
        # A backup that silently lacks files would be found out only on the day it is needed.
        raise DaichoError(_("Some attachment files are missing or damaged, so no backup was "
                            "written. Run daicho check for details."),
                          code=Code.DAMAGED_ATTACHMENTS,
                          details={"count": len(damaged), "files": damaged[:50]})


def _add_attachments(writer: ArchiveWriter,
                     attachments: list[tuple[str, int, str]]) -> list[str]:
    """Copies each attachment into the archive, checking it on the way; returns the bad ones."""
    damaged: list[str] = []
    for name, size, sha256 in attachments:
        member = attachment_member(name)
        source = attachment_path(name)
        if not is_safe_member(member) or not source.is_file():
            damaged.append(name)
            continue
        if writer.add_file(member, source) != Member(size, sha256):
            damaged.append(name)
    return damaged


def _sync_folder(folder: Path) -> None:
    """Makes the rename itself durable (POSIX; where folders cannot be opened, best effort)."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


# -- restore ---------------------------------------------------------------------------------------

def restore(path: str | os.PathLike[str], *, secret: crypt.Secret | None = None) -> dict[str, Any]:
    """An encrypted backup needs the `secret` it was written with; each chunk is authenticated
    and every member verified before anything in the target changes."""
    source = Path(path).resolve()
    with ArchiveReader(source, secret) as archive:
        manifest = archive.manifest()
        _check_compatible(manifest)
        _check_empty()
        staging = Path(tempfile.mkdtemp(prefix=".daicho-restore-", dir=settings.DATA_DIR))
        try:
            # Every member is verified before anything in the target changes.
            archive.extract_verified(manifest["files"], staging)
            _drop_empty_tables()
            dumps.load_database(staging / manifest["database"])
            _place_attachments(staging / "attachments")
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    migrated = _migrate()
    with connection.cursor() as cur:
        counts = take_inventory(cur, connection.vendor).counts
    if counts != manifest["counts"]:
        raise DaichoError(_("The restored data do not match the backup's manifest."),
                          code=Code.RESTORE_MISMATCH,
                          details={"expected": manifest["counts"], "found": counts})
    return {"file": str(source), "vendor": connection.vendor, "counts": counts,
            "migrations_applied": migrated,
            "backup_created_at": manifest.get("created_at"),
            "backup_daicho_version": manifest.get("daicho_version")}


def _migrate() -> list[str]:
    """Brings a backup made by an older version up to this version's schema."""
    recorder = MigrationRecorder(connection)
    before = set(recorder.applied_migrations())
    call_command("migrate", interactive=False, verbosity=0)
    return [f"{app}.{name}" for app, name in sorted(set(recorder.applied_migrations()) - before)]


def _check_compatible(manifest: dict[str, Any]) -> None:
    version = manifest.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise InvalidInput(_("This backup was written by a newer version of daicho. "
                             "Upgrade daicho first."), code=Code.NEWER_BACKUP)
    vendor = manifest.get("vendor")
    if vendor != connection.vendor:
        raise InvalidInput(
            _("This backup holds a %(backup)s database, but this daicho uses %(here)s. Restore "
              "it where DAICHO_DATABASE_URL points to a %(backup)s database.")
            % {"backup": VENDOR_NAMES.get(str(vendor), str(vendor)[:30]),
               "here": VENDOR_NAMES[connection.vendor]},
            code=Code.WRONG_VENDOR)
    if manifest.get("database") != dumps.dump_member() or \
            manifest["database"] not in manifest["files"] or \
            not isinstance(manifest.get("counts"), dict):
        raise InvalidInput(_("The backup file is damaged or incomplete: %(reason)s")
                           % {"reason": _("the manifest is incomplete")}, code=Code.CORRUPT_BACKUP)
    _check_migrations_known(manifest.get("migrations"))


def _check_migrations_known(migrations: Any) -> None:
    """Django would run happily on a schema newer than its code; refuse instead."""
    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    applied = {(str(m[0]), str(m[1])) for m in migrations or []
               if isinstance(m, list) and len(m) == 2}
    unknown = sorted(applied - known)
    if unknown:
        raise InvalidInput(_("This backup was written by a newer version of daicho. "
                             "Upgrade daicho first."), code=Code.NEWER_BACKUP,
                           details={"unknown_migrations": [f"{a}.{n}" for a, n in unknown[:20]]})


def _check_empty() -> None:
    tables = set(connection.introspection.table_names())
    found: dict[str, int] = {}
    user_model = get_user_model()
    if user_model._meta.db_table in tables:
        found["users"] = user_model.objects.count()
    if Ledger._meta.db_table in tables:
        found["ledgers"] = Ledger.objects.count()
    found["ledger_tables"] = sum(1 for t in tables if LEDGER_TABLE_RE.match(t))
    found["attachment_files"] = _count_files(Path(settings.ATTACHMENTS_DIR))
    found = {key: n for key, n in found.items() if n}
    if found:
        raise Conflict(_("Restore goes only into an empty data dir and database, and this one "
                         "already holds data. Point DAICHO_DATA_DIR (and DAICHO_DATABASE_URL) at "
                         "new ones and run daicho restore without daicho init."),
                       code=Code.NOT_EMPTY, details={"found": found})


def _count_files(folder: Path) -> int:
    return sum(len(files) for _root, _dirs, files in os.walk(folder))


def _drop_empty_tables() -> None:
    """An empty but migrated PostgreSQL database would clash with the dump's CREATE TABLEs. The
    tables were checked to hold no user and no ledger; only Django's own tables are dropped."""
    if connection.vendor == "sqlite":
        return  # the database file is replaced as a whole
    tables = connection.introspection.django_table_names(only_existing=True)
    if "django_migrations" in connection.introspection.table_names():
        tables.append("django_migrations")
    with transaction.atomic(), connection.cursor() as cur:
        for table in tables:
            cur.execute(f"DROP TABLE IF EXISTS {q(table)} CASCADE")


def _place_attachments(staged: Path) -> None:
    target_root = Path(settings.ATTACHMENTS_DIR)
    if not staged.is_dir():
        return
    for source in sorted(staged.rglob("*")):
        if source.is_file():
            target = target_root / source.relative_to(staged)
            target.parent.mkdir(parents=True, exist_ok=True)
            dumps.move_file(source, target)
