"""What `daicho check` says about the data dir as files: who may read it, and what a killed
process left behind.

Codes: loose_mode (the data dir or the files dir, a folder or a file in them, or the SQLite
database and its -wal and -shm, readable or writable by anyone but the owner), temp_leftover (a
file in the data dir's temp folder, or an upload spooled for an import, older than
LEFTOVER_SECONDS).
"""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from django.conf import settings
from django.utils.translation import gettext as _

# A temporary file lives as long as one request or one import; a day-old one was left behind.
LEFTOVER_SECONDS = 24 * 3600
# Uploads waiting in the import wizard are swept after two days (web.views.imports); one older
# than that was left by a process that died.
SPOOL_LEFTOVER_SECONDS = 3 * 24 * 3600


class Report(Protocol):
    def add(self, code: str, message: str, **details: object) -> None: ...


def check_files(problems: Report, database_file: str | None) -> None:
    data_dir, files_dir = Path(settings.DATA_DIR), Path(settings.FILES_DIR)
    for path, mode in _loose(data_dir, files_dir, database_file):
        problems.add("loose_mode", _(
            "%(path)s can be read by other users of this computer (permissions %(mode)s). It "
            "may hold personal data: allow only the account daicho runs as (chmod %(want)s).")
            % {"path": path, "mode": f"{mode:04o}",
               "want": "700" if path.is_dir() else "600"},
            path=str(path), mode=f"{mode:04o}")
    now = time.time()
    for folder, age in ((data_dir / "tmp", LEFTOVER_SECONDS),
                        (files_dir / "uploads", SPOOL_LEFTOVER_SECONDS)):
        for path in _old_files(folder, now - age):
            problems.add("temp_leftover", _(
                "%(path)s is a temporary copy of an upload left behind by an interrupted "
                "import or request. If no import is running, delete it.") % {"path": path},
                path=str(path))


def _loose(data_dir: Path, files_dir: Path,
           database_file: str | None) -> Iterator[tuple[Path, int]]:
    """Every path daicho keeps data in whose mode lets group or others in."""
    paths = {data_dir: None, **dict.fromkeys(_walk(data_dir))}
    if files_dir != data_dir:  # DAICHO_FILES_DIR, shared by several servers
        paths.update({files_dir: None, **dict.fromkeys(_walk(files_dir))})
    if database_file:  # the SQLite file may live outside the data dir (DAICHO_DATABASE_URL)
        paths.update(dict.fromkeys(Path(database_file + s) for s in ("", "-wal", "-shm")))
    for path in paths:
        try:
            info = path.lstat()
        except OSError:
            continue
        mode = stat.S_IMODE(info.st_mode)
        if not stat.S_ISLNK(info.st_mode) and mode & 0o077:
            yield path, mode


def _walk(root: Path) -> Iterator[Path]:
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            yield Path(folder) / name


def _old_files(folder: Path, before: float) -> Iterator[Path]:
    if not folder.is_dir():
        return
    for path in sorted(_walk(folder)):
        try:
            if path.is_file() and path.stat().st_mtime < before:
                yield path
        except OSError:
            continue

