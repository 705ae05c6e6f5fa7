"""Background jobs on a database-backed queue, run by threads inside the server processes.

No extra server is needed: `daicho serve` starts one worker thread per process, and a job is
claimed with a conditional UPDATE so exactly one process runs it. Job kinds register a function
here; progress is written to the job row, which the UI and the API poll."""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

from django.contrib.auth import get_user_model
from django.db import close_old_connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from daicho.errors import DaichoError
from daicho.models import Job

log = logging.getLogger(__name__)
Runner = Callable[[Job, Callable[[int, int], None]], dict[str, Any]]
KINDS: dict[str, Runner] = {}
POLL_SECONDS = 1.0


def kind(name: str) -> Callable[[Runner], Runner]:
    def wrap(fn: Runner) -> Runner:
        KINDS[name] = fn
        return fn
    return wrap


def enqueue(*, kind_name: str, params: dict[str, Any], user: Any) -> Job:
    if kind_name not in KINDS:
        raise ValueError(kind_name)
    return Job.objects.create(kind=kind_name, params=params,
                              user=user if user is not None and user.is_authenticated else None)


def _claim() -> Job | None:
    # A plain read first: on SQLite every transaction takes the write lock (BEGIN IMMEDIATE),
    # and idle pollers in each server process must not queue behind real writers every second.
    if not Job.objects.filter(status="queued").exists():
        return None
    with transaction.atomic():
        candidate = Job.objects.filter(status="queued").order_by("id").values_list(
            "id", flat=True).first()
        if candidate is None:
            return None
        claimed = Job.objects.filter(id=candidate, status="queued").update(
            status="running", started_at=timezone.now())
    return Job.objects.get(id=candidate) if claimed else None


def run_job(job: Job) -> None:
    def progress(done: int, total: int) -> None:
        percent = 100 * done // max(total, 1)
        if percent != job.progress:
            job.progress = percent
            Job.objects.filter(id=job.id).update(progress=percent)

    try:
        result = KINDS[job.kind](job, progress)
        job.status, job.result, job.progress = "done", result, 100
    except DaichoError as exc:
        job.status, job.result = "failed", {"ok": False, **exc.as_dict()}
    except Exception:  # a job must never take its worker thread down
        log.error("job %s failed:\n%s", job.id, traceback.format_exc())
        job.status = "failed"
        job.result = {"ok": False, "error": {"code": "server_error",
                                             "message": _("Something went wrong on the server.")}}
    job.finished_at = timezone.now()
    Job.objects.filter(id=job.id).update(status=job.status, result=job.result,
                                         progress=job.progress, finished_at=job.finished_at)


def run_pending() -> int:
    """Run every queued job in this thread (tests, and `daicho` commands that wait)."""
    ran = 0
    while (job := _claim()) is not None:
        run_job(job)
        ran += 1
    return ran


def _loop(stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            close_old_connections()
            if run_pending() == 0:
                stop.wait(POLL_SECONDS)
        except Exception:  # the database may be briefly unavailable; try again later
            log.exception("job worker")
            stop.wait(5)
        finally:
            close_old_connections()


def start_worker() -> threading.Event:
    stop = threading.Event()
    threading.Thread(target=_loop, args=(stop,), name="daicho-jobs", daemon=True).start()
    return stop


@kind("pair_index")
def _pair_index(job: Job, progress: Callable[[int, int], None]) -> dict[str, Any]:
    """Build a two-column index a ledger turned out to need (daicho.db.schema.ensure_pair_index)."""
    from daicho.db import schema as ddl
    from daicho.models import Field, Ledger

    params = job.params
    ledger = Ledger.objects.filter(id=params["ledger"]).first()
    live = set(Field.objects.filter(ledger_id=params["ledger"], deleted_at=None)
               .values_list("column", flat=True))
    if ledger is None or not {params["first"], params["second"]} <= live \
            or params["kind"] not in ddl.PAIR_KINDS:
        return {"built": False}
    return {"built": ddl.build_pair_index(ledger, params["first"], params["second"],
                                          params["kind"])}


@kind("covering_index")
def _covering_index(job: Job, progress: Callable[[int, int], None]) -> dict[str, Any]:
    """Jobs queued by an earlier version (before pair_index)."""
    params = job.params
    job.params = {"ledger": params["ledger"], "first": params["group"],
                  "second": params["metric"], "kind": "a"}
    return _pair_index(job, progress)


def job_json(job: Job) -> dict[str, Any]:
    return {"id": job.id, "kind": job.kind, "status": job.status, "progress": job.progress,
            "result": job.result, "created_at": job.created_at.isoformat()}


def job_user(job: Job) -> Any:
    return get_user_model().objects.filter(id=job.user_id).first() if job.user_id else None


__all__ = ["enqueue", "job_json", "kind", "run_pending", "start_worker", "time"]
