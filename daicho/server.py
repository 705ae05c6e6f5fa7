"""`daicho serve`: gunicorn with threaded workers; static files are served by WhiteNoise."""

from __future__ import annotations

import gc
from typing import Any

from gunicorn.app.base import BaseApplication


class _Server(BaseApplication):  # type: ignore[misc]  # gunicorn ships no types
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from daicho.wsgi import application

        return application


def _start_jobs(worker: Any) -> None:
    from daicho import jobs
    from daicho.services import import_jobs  # noqa: F401  (registers the job kinds)

    # What the worker has loaded (Django, the app: some 100,000 objects) lives as long as the
    # process: kept out of the garbage collector's full passes, which otherwise walk it all
    # every few hundred requests — 50 ms of CPU inside whichever request triggers one.
    gc.collect()
    gc.freeze()
    _checkpoint_in_background()
    jobs.start_worker()


def _checkpoint_in_background() -> None:
    """SQLite: this worker's WAL checkpoints run on a thread of their own, not inside the
    commits of its requests (daicho.db.sqlite.keeper says why)."""
    from django.db import connection

    from daicho.db.sqlite import keeper

    if connection.vendor == "sqlite":
        keeper.checkpoint_in_background(str(connection.settings_dict["NAME"]))


def _proxy_protocol() -> dict[str, Any]:
    """Behind balancers that send the PROXY protocol header, the client's address they pass on
    becomes REMOTE_ADDR — accepted only on connections from those balancers."""
    from daicho import environment

    balancers = environment.proxy_protocol_from()
    if not balancers:
        return {}
    return {"proxy_protocol": "auto", "proxy_allow_ips": ",".join(balancers)}


def run(*, host: str, port: int, workers: int, threads: int) -> None:
    _Server({
        "bind": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
        "workers": max(1, workers),
        "threads": max(1, threads),
        "worker_class": "gthread",
        "timeout": 120,
        "graceful_timeout": 10,
        "accesslog": "-",
        "errorlog": "-",
        "loglevel": "warning",
        "forwarded_allow_ips": "127.0.0.1",
        "post_worker_init": _start_jobs,
        "umask": 0o077,  # the files gunicorn itself creates (its workers' heartbeat files)
        **_proxy_protocol(),
    }).run()
