"""The job queue does not leave a job "running" forever when its process died midway."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from daicho import jobs
from daicho.models import Job

pytestmark = pytest.mark.django_db


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_interrupted_jobs_are_failed_or_queued_again() -> None:
    host = socket.gethostname()
    dead = f"{host}:{_dead_pid()}"
    imported = Job.objects.create(kind="import", status="running", owner=dead, params={})
    index = Job.objects.create(kind="pair_index", status="running", owner=dead, progress=40,
                               params={"ledger": 1, "first": "f_1", "second": "f_2", "kind": "s"})
    mine = Job.objects.create(kind="import", status="running", owner=f"{host}:{os.getpid()}")
    elsewhere = Job.objects.create(kind="import", status="running", owner="other-host:1")
    # claimed by a version that did not record owners
    legacy = Job.objects.create(kind="pair_index", status="running", owner="",
                                params={"ledger": 1, "first": "f_1", "second": "f_3", "kind": "s"})

    assert jobs.recover_orphans() == 3
    legacy.refresh_from_db()
    assert legacy.status == "queued"

    imported.refresh_from_db()
    assert imported.status == "failed" and imported.finished_at is not None
    assert imported.result["error"]["code"] == "interrupted"
    assert "もう一度" in imported.result["error"]["message"]
    index.refresh_from_db()
    assert (index.status, index.owner, index.progress) == ("queued", "", 0)
    for job in (mine, elsewhere):
        job.refresh_from_db()
        assert job.status == "running"
    assert jobs.recover_orphans() == 0


def test_a_claimed_job_names_its_process() -> None:
    job = jobs.enqueue(kind_name="pair_index", params={"ledger": 999, "first": "f_1",
                                                       "second": "f_2", "kind": "s"}, user=None)
    claimed = jobs._claim()
    assert claimed is not None and claimed.id == job.id
    assert claimed.owner == f"{socket.gethostname()}:{os.getpid()}"
    jobs.run_job(claimed)
    claimed.refresh_from_db()
    assert claimed.status == "done" and claimed.result == {"built": False}
