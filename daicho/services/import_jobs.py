"""Imports that run in the background: the upload is kept in the data dir until the job ends."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.utils import translation

from daicho import config, jobs
from daicho.access import AnyUser
from daicho.models import Job
from daicho.services.imports import ColumnChoice, ImportOptions, run_import


def spool_dir() -> Path:
    path = Path(settings.DATA_DIR) / "uploads"
    if not path.is_dir():
        path.mkdir(mode=config.PRIVATE_DIR_MODE, parents=True, exist_ok=True)
        path.chmod(config.PRIVATE_DIR_MODE)
    return path


def save_upload(stream: IO[bytes]) -> Path:
    path = spool_dir() / uuid.uuid4().hex
    try:
        with config.private_open(path) as out:
            shutil.copyfileobj(stream, out, 1 << 20)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path


@contextlib.contextmanager
def received(upload: Any) -> Iterator[Path]:
    """The uploaded file as a path for the length of an import: the copy Django received a
    large upload into (in the data dir's temp folder, settings.FILE_UPLOAD_TEMP_DIR), or a
    small one written there; either is deleted when the import ends, however it ends."""
    if hasattr(upload, "temporary_file_path"):
        yield Path(upload.temporary_file_path())
        return
    with tempfile.NamedTemporaryFile(prefix="daicho-import-", dir=config.temp_dir()) as tmp:
        for chunk in upload.chunks():
            tmp.write(chunk)
        tmp.flush()
        yield Path(tmp.name)


def enqueue_import(*, user: AnyUser, path: Path, filename: str, opts: ImportOptions) -> Job:
    """The job keeps the requester's language: its report (warnings, errors) is read by them."""
    return jobs.enqueue(kind_name="import", user=user, params={
        "path": path.name, "filename": filename, "options": asdict(opts),
        "language": translation.get_language() or settings.LANGUAGE_CODE})


@jobs.kind("import")
def _run(job: Job, progress: Any) -> dict[str, Any]:
    params = job.params
    options = dict(params["options"])
    options["columns"] = [ColumnChoice(**c) for c in options.get("columns", [])]
    path = spool_dir() / Path(params["path"]).name
    try:
        with translation.override(params.get("language") or settings.LANGUAGE_CODE):
            return run_import(user=jobs.job_user(job), path=path, filename=params["filename"],
                              opts=ImportOptions(**options), progress=progress)
    finally:
        path.unlink(missing_ok=True)
