"""Imports that run in the background: the upload is kept in the files dir until the job ends
(shared by every server, so whichever server's worker claims the job finds it)."""

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

from daicho import access, environment, jobs
from daicho.access import AnyUser
from daicho.errors import NotFound
from daicho.models import Job
from daicho.selectors.ledgers import load_schema
from daicho.services.imports import ColumnChoice, ImportOptions, run_import


def spool_dir() -> Path:
    path = Path(settings.FILES_DIR) / "uploads"
    if not path.is_dir():
        path.mkdir(mode=environment.PRIVATE_DIR_MODE, parents=True, exist_ok=True)
        path.chmod(environment.PRIVATE_DIR_MODE)
    return path


def save_upload(stream: IO[bytes]) -> Path:
    path = spool_dir() / uuid.uuid4().hex
    try:
        with environment.private_open(path) as out:
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
    with tempfile.NamedTemporaryFile(prefix="daicho-import-", dir=environment.temp_dir()) as tmp:
        for chunk in upload.chunks():
            tmp.write(chunk)
        tmp.flush()
        yield Path(tmp.name)


def enqueue_import(*, user: AnyUser, path: Path, filename: str, opts: ImportOptions) -> Job:
    """The job keeps the requester's language: its report (warnings, errors) is read by them."""
    options = asdict(opts)
    for key in ("exclude_rows", "include_rows"):
        options[key] = sorted(options[key])  # JSON has no sets
    return jobs.enqueue(kind_name="import", user=user, params={
        "path": path.name, "filename": filename, "options": options,
        "language": translation.get_language() or settings.LANGUAGE_CODE})


def report_for(user: AnyUser, report: dict[str, Any]) -> dict[str, Any]:
    """A stored report (a background import's result) as `user` may see it now: the fields
    hidden from them — all of them when they may no longer open the ledger — are left out of
    `fields` and `errors`."""
    ledger = report.get("ledger")
    lid = ledger.get("id") if isinstance(ledger, dict) else None
    schema = load_schema(lid) if isinstance(lid, int) else None
    if schema is None:
        return report
    grant = access.grant_for(user, schema)
    seen = {f.code for f in grant.schema("view").fields} \
        if grant.holds("view") or grant.holds("import") else set()
    unseen = {f.name for f in schema.fields if f.code not in seen}
    return {**report,
            "fields": [f for f in report.get("fields") or []
                       if isinstance(f, dict) and f.get("code") in seen],
            "errors": [e for e in report.get("errors") or []
                       if isinstance(e, dict) and e.get("field") not in unseen]}


def job_for(user: AnyUser, job_id: Any, kind: str | None = None) -> Job:
    """A job as its requester (or an admin) may look at it; NotFound otherwise, exactly as for a
    job that does not exist. The API and the wizard's progress page both ask here."""
    access.require_user(user)
    found = Job.objects.filter(id=job_id).first() \
        if isinstance(job_id, int) and 0 < job_id < 2**62 else None
    if found is None or (kind is not None and found.kind != kind) or \
            (found.user_id != user.pk and not access.is_admin(user)):
        raise NotFound()
    return found


def job_result(user: AnyUser, job: Job) -> dict[str, Any]:
    """The job's result as `user` may see it now (an import's report without hidden fields)."""
    result = job.result if isinstance(job.result, dict) else {}
    return report_for(user, result) if job.kind == "import" else result


def job_json(user: AnyUser, job: Job) -> dict[str, Any]:
    return {**jobs.job_json(job), "result": job_result(user, job)}


@jobs.kind("import")
def _run(job: Job, progress: Any) -> dict[str, Any]:
    params = job.params
    options = dict(params["options"])
    options["columns"] = [ColumnChoice(**c) for c in options.get("columns", [])]
    for key in ("exclude_rows", "include_rows"):
        options[key] = frozenset(options.get(key) or ())
    path = spool_dir() / Path(params["path"]).name
    try:
        with translation.override(params.get("language") or settings.LANGUAGE_CODE):
            return run_import(user=jobs.job_user(job), path=path, filename=params["filename"],
                              opts=ImportOptions(**options), progress=progress)
    finally:
        path.unlink(missing_ok=True)
