"""Imports that run in the background: the upload is kept in the data dir until the job ends."""

from __future__ import annotations

import shutil
import uuid
from dataclasses import asdict
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.utils import translation

from daicho import jobs
from daicho.access import AnyUser
from daicho.models import Job
from daicho.services.imports import ColumnChoice, ImportOptions, run_import


def spool_dir() -> Path:
    path = Path(settings.DATA_DIR) / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def save_upload(stream: IO[bytes]) -> Path:
    path = spool_dir() / uuid.uuid4().hex
    with path.open("wb") as out:
        shutil.copyfileobj(stream, out, 1 << 20)
    return path


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
