"""Server-side phases of each request, for finding where slow PATCHes spend their time (SQLite).

Loaded by Python at start-up when this folder is on PYTHONPATH, in every process (`daicho serve`
and its workers included), and active only when DAICHO_PHASES names a file: then each HTTP
request a worker answers appends one JSON line to it —

    {"t": start (epoch s), "method", "path", "ms": the whole request in Django's handler,
     "begin_ms": waiting for the write lock (the process's queue and BEGIN IMMEDIATE),
     "commit_ms": COMMIT (with any automatic checkpoint SQLite runs in it),
     "frames": WAL frames the commit wrote, "wal_reset": the WAL started again from frame 0,
     "backfilled": frames a checkpoint inside the commit had copied into the database (its
     nBackfill after the commit, when the commit changed it),
     "job": a background job was running meanwhile, "cpu_ms": the request thread's CPU time,
     "process_cpu_s": the worker's CPU time so far, all its threads (checkpoints included)}

The frames come from the WAL index (the `-shm` file's header: mxFrame at byte 16, nBackfill at
byte 96), read before and after each COMMIT; nothing in daicho is changed. Works on the code of
any commit (old code first on PYTHONPATH, this folder after it):

    PYTHONPATH=/tmp/code-OLD:bench/phases DAICHO_PHASES=/tmp/phases.jsonl daicho serve ...
    .venv/bin/python bench/phases/report.py /tmp/phases.jsonl
"""

from __future__ import annotations

import json
import os
import struct
import threading
import time
from typing import Any

_OUT = os.environ.get("DAICHO_PHASES")
_local = threading.local()
_jobs_running = [0]
_write = threading.Lock()


def _wal_index(path: str) -> tuple[int, int]:
    try:
        with open(f"{path}-shm", "rb") as f:
            head = f.read(100)
    except OSError:
        return 0, 0
    (mx,) = struct.unpack_from("=I", head, 16)
    (backfill,) = struct.unpack_from("=I", head, 96)
    return mx, backfill


def _install() -> None:
    from django.core.handlers import wsgi
    from django.db.backends.sqlite3 import base

    commit, begin = base.DatabaseWrapper._commit, base.DatabaseWrapper._start_transaction_under_autocommit

    def timed_commit(self: Any) -> Any:
        acc = getattr(_local, "acc", None)
        if acc is None or self.is_in_memory_db():
            return commit(self)
        path = str(self.settings_dict["NAME"])
        mx0, b0 = _wal_index(path)
        t0 = time.perf_counter()
        try:
            return commit(self)
        finally:
            acc["commit_ms"] += (time.perf_counter() - t0) * 1000
            mx1, b1 = _wal_index(path)
            acc["frames"] += mx1 - mx0 if mx1 >= mx0 else mx1
            acc["wal_reset"] = acc["wal_reset"] or mx1 < mx0
            if b1 != b0:
                acc["backfilled"] += b1
            acc["wal_at"] = mx1

    def timed_begin(self: Any) -> Any:
        acc = getattr(_local, "acc", None)
        t0 = time.perf_counter()
        try:
            return begin(self)
        finally:
            if acc is not None:
                acc["begin_ms"] += (time.perf_counter() - t0) * 1000

    base.DatabaseWrapper._commit = timed_commit  # type: ignore[method-assign]
    base.DatabaseWrapper._start_transaction_under_autocommit = timed_begin  # type: ignore[method-assign]
    handler = wsgi.WSGIHandler.__call__

    def timed_request(self: Any, environ: Any, start_response: Any) -> Any:
        _local.acc = acc = {"begin_ms": 0.0, "commit_ms": 0.0, "frames": 0, "wal_reset": False,
                            "backfilled": 0, "wal_at": 0}
        jobs_before = _jobs_running[0]
        t, t0, c0 = time.time(), time.perf_counter(), time.thread_time()
        try:
            return handler(self, environ, start_response)
        finally:
            _local.acc = None
            line = {"t": round(t, 4), "method": environ.get("REQUEST_METHOD"),
                    "path": environ.get("PATH_INFO"),
                    "ms": round((time.perf_counter() - t0) * 1000, 2),
                    "cpu_ms": round((time.thread_time() - c0) * 1000, 2),
                    "process_cpu_s": round(time.process_time(), 4),
                    **{k: round(v, 2) if isinstance(v, float) else v for k, v in acc.items()},
                    "job": bool(jobs_before or _jobs_running[0])}
            with _write, open(str(_OUT), "a") as f:
                f.write(json.dumps(line) + "\n")

    wsgi.WSGIHandler.__call__ = timed_request  # type: ignore[method-assign]

    from daicho import jobs

    run_job = jobs.run_job

    def counted(job: Any) -> Any:
        _jobs_running[0] += 1
        try:
            return run_job(job)
        finally:
            _jobs_running[0] -= 1

    jobs.run_job = counted  # type: ignore[assignment]


class _Finder:
    """Installs the timers right after `daicho.wsgi` is imported (Django configured)."""

    def find_spec(self, name: str, path: Any, target: Any = None) -> Any:
        if name != "daicho.wsgi":
            return None
        import importlib.util
        import sys

        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None:
            return spec
        loader = spec.loader

        class Loader:
            def create_module(self, spec: Any) -> Any:
                return loader.create_module(spec)

            def exec_module(self, module: Any) -> None:
                loader.exec_module(module)
                _install()

        spec.loader = Loader()  # type: ignore[assignment]
        return spec


if _OUT:
    import sys as _sys

    _sys.meta_path.insert(0, _Finder())  # type: ignore[arg-type]
