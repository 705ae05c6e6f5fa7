"""Background jobs on a database-backed queue, run by threads inside the server processes.

No extra server is needed: `daicho serve` starts one worker thread per process, and a job is
claimed with a conditional UPDATE so exactly one process runs it, however many servers share the
database. Job kinds register a function here; progress is written to the job row, which the UI
and the API poll.

A process that runs a job holds a lease: its JobWorker row (a unique id — host names and process
ids repeat across containers) renewed every RENEW_SECONDS by a thread beside the job. A job left
"running" by a worker whose lease is older than LEASE_SECONDS is an orphan (its process died or
its host went away) and any server recovers it."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import secrets
import socket
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from typing import Any

from django.contrib.auth import get_user_model
from django.db import close_old_connections, connection, transaction
from django.db.models import DateTimeField, ExpressionWrapper, Value
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import gettext as _

from daicho.error_codes import Code
from daicho.errors import DaichoError
from daicho.models import Job, JobWorker

log = logging.getLogger(__name__)
Runner = Callable[[Job, Callable[[int, int], None]], dict[str, Any]]
KINDS: dict[str, Runner] = {}
# Kinds that may simply run again when their process died midway (their work is idempotent);
# any other interrupted job is marked failed, with a message saying to run it again.
RETRY: set[str] = set()
POLL_SECONDS = 1.0
RECOVER_SECONDS = 60.0
RENEW_SECONDS = 10.0
LEASE_SECONDS = 60.0
# Rows of workers gone this long, with no job left running, are deleted.
FORGET_WORKERS = dt.timedelta(days=1)
# Cheap checks a module wants run now and then by every worker (mail due for a retry, the day's
# date reminders): each enqueues a job when there is work, so the work itself is a job.
PERIODIC: list[tuple[float, Callable[[], None]]] = []


def kind(name: str, *, retry: bool = False) -> Callable[[Runner], Runner]:
    def wrap(fn: Runner) -> Runner:
        KINDS[name] = fn
        if retry:
            RETRY.add(name)
        return fn
    return wrap


def every(seconds: float) -> Callable[[Callable[[], None]], Callable[[], None]]:
    """Register a periodic check (run by the worker loop at most every `seconds`)."""
    def wrap(fn: Callable[[], None]) -> Callable[[], None]:
        if all(registered is not fn for _s, registered in PERIODIC):
            PERIODIC.append((seconds, fn))
        return fn
    return wrap


def _run_periodic(last: dict[int, float]) -> None:
    for k, (seconds, fn) in enumerate(PERIODIC):
        if time.monotonic() - last.get(k, -seconds) >= seconds:
            last[k] = time.monotonic()  # a failing check is tried again next period
            fn()


_identity: tuple[int, str] = (0, "")


def _me() -> str:
    """This process's worker id, made anew in a forked child (gunicorn forks its workers)."""
    global _identity
    pid = os.getpid()
    if _identity[0] != pid:
        _identity = (pid, f"{socket.gethostname()[:200]}:{pid}:{secrets.token_hex(8)}")
    return _identity[1]


def _renew() -> None:
    # The database's clock, for the renewal and for the expiry alike: servers' clocks may differ.
    if not JobWorker.objects.filter(id=_me()).update(seen_at=Now()):
        JobWorker.objects.update_or_create(id=_me(), defaults={
            "host": socket.gethostname()[:255], "pid": os.getpid(), "seen_at": Now()})


def _ago(delta: dt.timedelta) -> Any:
    return ExpressionWrapper(Now() - Value(delta), output_field=DateTimeField())


def _keep_lease(stop: threading.Event) -> None:
    try:
        while not stop.wait(RENEW_SECONDS):
            try:
                _renew()
            except Exception:  # the database may be briefly unavailable; the lease is long
                log.warning("job lease not renewed", exc_info=True)
    finally:
        connection.close()  # this thread's own connection


@contextlib.contextmanager
def _lease() -> Iterator[None]:
    """Renews this worker's lease on its own thread and connection while a job runs: the job's
    transaction may hold its job row (progress) for minutes."""
    stop = threading.Event()
    keeper = threading.Thread(target=_keep_lease, args=(stop,), name="daicho-job-lease",
                              daemon=True)
    keeper.start()
    try:
        yield
    finally:
        stop.set()
        keeper.join()


def _alive_here(worker: JobWorker | None) -> bool:
    """SQLite only: one write transaction (a long import) holds every other writer back, the
    lease renewal included, so a late lease alone does not prove a worker gone. SQLite is never
    shared between machines, so a worker of this host whose process still exists is alive."""
    if worker is None or worker.host != socket.gethostname()[:255]:
        return False
    try:
        os.kill(worker.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def recover_orphans() -> int:
    """Jobs left "running" by a worker whose lease ran out (the server was stopped, a worker
    killed or its host lost in the middle of a job): an idempotent kind is queued again, any
    other is marked failed — its transaction was rolled back with the process, so nothing of it
    was written. A running job without an owner was claimed by a version before owners were
    recorded, whose processes the upgrade stopped."""
    now = timezone.now()
    fresh = JobWorker.objects.filter(seen_at__gte=_ago(dt.timedelta(seconds=LEASE_SECONDS)))
    found = 0
    for job in Job.objects.filter(status="running").exclude(owner__in=fresh.values("id")):
        if connection.vendor == "sqlite" and \
                _alive_here(JobWorker.objects.filter(id=job.owner).first()):
            continue
        # Claimed anew or renewed since the read above: the conditions say so, nothing changes.
        mine = Job.objects.filter(id=job.id, status="running", owner=job.owner).exclude(
            owner__in=fresh.values("id"))
        if job.kind in RETRY:
            changed = mine.update(status="queued", owner="", started_at=None, progress=0)
        else:
            result = {"ok": False, "error": {
                "code": Code.INTERRUPTED,
                "message": _("The server stopped while this was running, so it was cancelled "
                             "and nothing of it was saved. Please run it again.")}}
            changed = mine.update(status="failed", result=result, finished_at=now)
        found += changed
    gone = JobWorker.objects.filter(seen_at__lt=_ago(FORGET_WORKERS)).exclude(
        id__in=Job.objects.filter(status="running").values("owner"))
    if gone.exists():
        gone.delete()
    if found:
        log.warning("recovered %d interrupted job(s)", found)
    return found


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
            status="running", started_at=timezone.now(), owner=_me())
        if claimed:
            _renew()  # the lease starts with the claim, in its transaction
    return Job.objects.get(id=candidate) if claimed else None


def run_job(job: Job) -> None:
    def progress(done: int, total: int) -> None:
        percent = 100 * done // max(total, 1)
        if percent != job.progress:
            job.progress = percent
            Job.objects.filter(id=job.id).update(progress=percent)

    try:
        with _lease():
            result = KINDS[job.kind](job, progress)
        job.status, job.result, job.progress = "done", result, 100
    except DaichoError as exc:
        job.status, job.result = "failed", {"ok": False, **exc.as_dict()}
    except Exception:  # a job must never take its worker thread down
        log.error("job %s failed:\n%s", job.id, traceback.format_exc())
        job.status = "failed"
        job.result = {"ok": False, "error": {"code": Code.SERVER_ERROR,
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
    recovered_at = 0.0
    periodic: dict[int, float] = {}
    while not stop.is_set():
        try:
            close_old_connections()
            if time.monotonic() - recovered_at > RECOVER_SECONDS:
                recover_orphans()
                recovered_at = time.monotonic()
            _run_periodic(periodic)
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


def job_json(job: Job) -> dict[str, Any]:
    return {"id": job.id, "kind": job.kind, "status": job.status, "progress": job.progress,
            "result": job.result, "created_at": job.created_at.isoformat()}


def job_user(job: Job) -> Any:
    return get_user_model().objects.filter(id=job.user_id).first() if job.user_id else None


__all__ = ["enqueue", "every", "job_json", "kind", "recover_orphans", "run_pending", "start_worker", "time"]
