"""The job queue does not leave a job "running" forever when its process died midway, and never
takes a live worker's job for an orphan: not when another machine (or container) has the same
host name and process ids, not while the worker's lease is fresh."""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import sys

import pytest
from django.utils import timezone

from daicho import jobs
from daicho.models import Job, JobWorker

pytestmark = pytest.mark.django_db


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _worker(name: str, *, seen_ago: float, pid: int, host: str | None = None) -> str:
    JobWorker.objects.create(id=name, host=host or socket.gethostname(), pid=pid,
                             seen_at=timezone.now() - dt.timedelta(seconds=seen_ago))
    return name


def test_interrupted_jobs_are_failed_or_queued_again() -> None:
    dead = _worker("w-dead", seen_ago=jobs.LEASE_SECONDS + 5, pid=_dead_pid())
    imported = Job.objects.create(kind="import", status="running", owner=dead, params={})
    index = Job.objects.create(kind="pair_index", status="running", owner=dead, progress=40,
                               params={"ledger": 1, "first": "f_1", "second": "f_2", "kind": "s"})
    renewing = _worker("w-live", seen_ago=1, pid=os.getpid())
    mine = Job.objects.create(kind="import", status="running", owner=renewing)
    # a worker that never renewed (another machine, or a version before leases)
    elsewhere = Job.objects.create(kind="import", status="running", owner="other-host:1")
    # claimed by a version that did not record owners
    legacy = Job.objects.create(kind="pair_index", status="running", owner="",
                                params={"ledger": 1, "first": "f_1", "second": "f_3", "kind": "s"})

    assert jobs.recover_orphans() == 4
    legacy.refresh_from_db()
    assert legacy.status == "queued"
    elsewhere.refresh_from_db()
    assert elsewhere.status == "failed"

    imported.refresh_from_db()
    assert imported.status == "failed" and imported.finished_at is not None
    assert imported.result["error"]["code"] == "interrupted"
    assert "もう一度" in imported.result["error"]["message"]
    index.refresh_from_db()
    assert (index.status, index.owner, index.progress) == ("queued", "", 0)
    mine.refresh_from_db()
    assert mine.status == "running"
    assert jobs.recover_orphans() == 0


def test_a_job_of_a_live_worker_with_the_same_host_name_is_left_alone() -> None:
    """Two containers can both be "localhost" with the same process ids: the other one's
    process does not exist here, but its lease is fresh, so its job is not taken over (the
    check used to be whether that pid was alive on this machine)."""
    twin = _worker(f"{socket.gethostname()}:{_dead_pid()}:0a1b2c3d", seen_ago=2,
                   pid=_dead_pid())
    running = Job.objects.create(kind="import", status="running", owner=twin)
    assert jobs.recover_orphans() == 0
    running.refresh_from_db()
    assert running.status == "running"


def test_an_expired_lease_of_a_process_still_running_here() -> None:
    """Past its lease, a worker's job is recovered — except on SQLite while its process exists on
    this machine: a long write transaction there holds the renewal back."""
    from django.db import connection

    late = _worker("w-late", seen_ago=jobs.LEASE_SECONDS + 5, pid=os.getpid())
    running = Job.objects.create(kind="pair_index", status="running", owner=late,
                                 params={"ledger": 1, "first": "f_1", "second": "f_2", "kind": "s"})
    sqlite = connection.vendor == "sqlite"
    assert jobs.recover_orphans() == (0 if sqlite else 1)
    running.refresh_from_db()
    assert running.status == ("running" if sqlite else "queued")


def test_a_claimed_job_names_its_worker_and_renews_its_lease() -> None:
    job = jobs.enqueue(kind_name="pair_index", params={"ledger": 999, "first": "f_1",
                                                       "second": "f_2", "kind": "s"}, user=None)
    claimed = jobs._claim()
    assert claimed is not None and claimed.id == job.id
    worker = JobWorker.objects.get(id=claimed.owner)
    assert claimed.owner.startswith(f"{socket.gethostname()}:{os.getpid()}:")
    assert (worker.pid, worker.host) == (os.getpid(), socket.gethostname())
    assert timezone.now() - worker.seen_at < dt.timedelta(seconds=5)
    jobs.run_job(claimed)
    claimed.refresh_from_db()
    assert claimed.status == "done" and claimed.result == {"built": False}


def test_old_workers_are_forgotten() -> None:
    _worker("w-old", seen_ago=2 * 86400, pid=_dead_pid())
    _worker("w-recent", seen_ago=3600, pid=_dead_pid())
    jobs.recover_orphans()
    assert list(JobWorker.objects.values_list("id", flat=True)) == ["w-recent"]


def test_a_queued_job_of_a_kind_this_version_no_longer_has_fails_and_the_queue_goes_on() -> None:
    """An earlier version queued `covering_index` jobs (pair_index does their work now): one
    left in an old database's queue is failed, not run, and the jobs after it still run."""
    old = Job.objects.create(kind="covering_index",
                             params={"ledger": 1, "group": "f_1", "metric": "f_2"})
    after = Job.objects.create(kind="pair_index", params={"ledger": 999999, "first": "f_1",
                                                          "second": "f_2", "kind": "s"})
    assert jobs.run_pending() == 2
    old.refresh_from_db()
    after.refresh_from_db()
    assert old.status == "failed" and old.finished_at is not None and old.result["ok"] is False
    assert after.status == "done" and after.result == {"built": False}
