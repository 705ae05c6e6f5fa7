"""Shared fixtures. Tests drive daicho through its HTTP API and its command line, end to end.

The same suite runs on SQLite and, with DAICHO_DATABASE_URL set by scripts/with-postgres.sh,
on PostgreSQL."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("DAICHO_TESTING", "1")
ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"  # real public files, copied in with their licence (README.md)


@dataclass
class Response:
    status: int
    body: Any
    headers: dict[str, str]


class ApiClient:
    """A JSON client for /api/v1 authenticated with a real API token."""

    def __init__(self, token: str | None) -> None:
        from django.test import Client

        headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
        self.client = Client(**headers)

    def _wrap(self, resp: Any) -> Response:
        body: Any = None
        if resp.content and resp.get("Content-Type", "").startswith("application/json"):
            body = json.loads(resp.content)
        elif resp.content:
            body = resp.content
        return Response(resp.status_code, body, dict(resp.items()))

    def get(self, path: str, params: Any = None) -> Response:
        return self._wrap(self.client.get(path, params or {}))

    def post(self, path: str, data: Any = None, raw: bytes | str | None = None) -> Response:
        payload = raw if raw is not None else json.dumps(data if data is not None else {})
        return self._wrap(self.client.post(path, payload, content_type="application/json"))

    def put(self, path: str, data: Any = None) -> Response:
        return self._wrap(self.client.put(path, json.dumps(data), content_type="application/json"))

    def patch(self, path: str, data: Any = None) -> Response:
        return self._wrap(self.client.patch(path, json.dumps(data),
                                            content_type="application/json"))

    def delete(self, path: str) -> Response:
        return self._wrap(self.client.delete(path))

    def upload(self, path: str, data: dict[str, Any]) -> Response:
        return self._wrap(self.client.post(path, data))


@pytest.fixture(autouse=True)
def default_language() -> Iterator[None]:
    """Every test starts and ends in the default language (Japanese).

    A request through Django's test client runs on the test's own thread, and LocaleMiddleware
    leaves the language it activated there; without this, a test after an English request on the
    same xdist worker would see English messages."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


def _create_admin() -> Any:
    from daicho.services.accounts import create_user

    return create_user(login="admin", name="管理者", admin=True)


@pytest.fixture
def admin(db: Any, request: pytest.FixtureRequest) -> Any:
    if "shared_demo" in request.fixturenames:
        # The shared demo was loaded after this very user was created (as a per-test demo is).
        from django.contrib.auth import get_user_model

        return get_user_model().objects.get(username="admin")
    return _create_admin()


@pytest.fixture
def api(admin: Any) -> ApiClient:
    from daicho.services.accounts import create_token

    return ApiClient(create_token(user=admin, label="tests"))


@pytest.fixture
def make_client(db: Any) -> Any:
    from daicho.services.accounts import create_token, create_user

    def make(login: str, **kwargs: Any) -> ApiClient:
        user = create_user(login=login, **kwargs)
        return ApiClient(create_token(user=user))

    return make


@pytest.fixture
def anon(db: Any) -> ApiClient:
    return ApiClient(None)


def make_ledger(api: ApiClient, name: str = "テスト台帳", fields: list[dict[str, Any]] | None = None,
                ) -> dict[str, Any]:
    resp = api.post("/api/v1/ledgers", {"name": name, "fields": fields or [
        {"name": "名称", "type": "text", "code": "name", "required": True},
        {"name": "金額", "type": "number", "code": "amount", "options": {"unit": "円"}},
        {"name": "日付", "type": "date", "code": "day"},
        {"name": "区分", "type": "choice", "code": "kind",
         "options": {"choices": ["土地", "建物", "工作物"]}},
    ]})
    assert resp.status == 201, resp.body
    return resp.body  # type: ignore[no-any-return]


@pytest.fixture
def ledger(api: ApiClient) -> dict[str, Any]:
    return make_ledger(api)


@dataclass
class CliResult:
    code: int
    out: str
    err: str

    @property
    def json(self) -> Any:
        return json.loads(self.out)


def run_cli(*args: str, stdin: str = "") -> CliResult:
    """`daicho ARGS` in this process, against the test database."""
    from daicho.cli import main

    out, err = io.StringIO(), io.StringIO()
    old_stdin = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        with redirect_stdout(out), redirect_stderr(err):
            try:
                code = main(list(args))
            except SystemExit as exc:
                code = int(exc.code or 0)
    finally:
        sys.stdin = old_stdin
    return CliResult(code, out.getvalue(), err.getvalue())


@pytest.fixture
def cli(db: Any) -> Any:
    """Runs `daicho ARGS` in this process, against the test database."""
    return run_cli


class SharedDemo:
    """`daicho demo`, loaded once for a run of consecutive tests that only need it loaded.

    Loading the demo costs seconds; ~45 tests each loaded it afresh. Here the `admin` user is
    created and the demo loaded (exactly as a per-test fixture did: admin first, then
    `daicho demo --json`) inside an outer transaction that is never committed. Each test's own
    `db` transaction nests inside it as a savepoint and is rolled back as always, so every test
    sees the same freshly loaded demo, writes included. As soon as a test that does not ask for
    `shared_demo` comes next on this worker (or the session ends), the outer transaction is
    rolled back: the demo's rows and its per-ledger tables (DDL is transactional on SQLite and
    PostgreSQL) are gone and later tests see the same empty database as before."""

    def __init__(self) -> None:
        self.atomic: Any = None
        self.loaded: float = 0.0
        self.result: CliResult | None = None
        self.tables: list[str] = []
        self.users = 0
        self.blocker: Any = None

    def ensure(self, blocker: Any) -> CliResult:
        import time

        from django.contrib.auth import get_user_model
        from django.db import connection, transaction

        if self.result is not None:
            # Still the very transaction it was loaded in, on this test's connection.
            assert connection.atomic_blocks[:1] == [self.atomic], "the shared demo was lost"
        else:
            self.blocker = blocker
            with blocker.unblock():
                self.tables = connection.introspection.table_names()
                self.users = get_user_model().objects.count()
                atomic = transaction.atomic(using="default")
                # Marked as a test case's own block, so a durable atomic inside still works.
                atomic._from_testcase = True  # type: ignore[attr-defined]
                atomic.__enter__()
                self.atomic = atomic
                try:
                    _create_admin()
                    started = time.monotonic()
                    self.result = run_cli("demo", "--json")
                    self.loaded = time.monotonic() - started
                except BaseException:
                    self.drop()
                    raise
        return self.result

    def drop(self) -> None:
        from django.contrib.auth import get_user_model
        from django.db import connection, transaction

        if self.atomic is None:
            return
        atomic, self.atomic, self.result = self.atomic, None, None
        with self.blocker.unblock():
            transaction.set_rollback(True, using="default")
            atomic.__exit__(None, None, None)
            # Nothing of the demo is left: no per-ledger table, not even its admin.
            assert connection.introspection.table_names() == self.tables
            assert get_user_model().objects.count() == self.users


_SHARED_DEMO = SharedDemo()


@pytest.fixture(scope="session")
def _shared_demo_session(django_db_setup: Any, django_db_blocker: Any) -> Iterator[SharedDemo]:
    """Rolls the shared demo back before the test database is destroyed."""
    yield _SHARED_DEMO
    _SHARED_DEMO.drop()


@pytest.fixture(autouse=True)
def _shared_demo_guard(request: pytest.FixtureRequest) -> None:
    """Loads the shared demo, before the test's `db`, for a test that asks for it."""
    if "shared_demo" in request.fixturenames:
        request.getfixturevalue("_shared_demo_session")
        _SHARED_DEMO.ensure(request.getfixturevalue("django_db_blocker"))
    else:
        assert _SHARED_DEMO.atomic is None, "the shared demo outlived the tests that asked for it"


# Modules whose tests judge the seconds of the demo load they share (test_demo.py: under 30 s).
# They keep their own runs of the shared demo where they are: gathered with the others, they would
# judge the worker's first load, the slowest (on PostgreSQL at load 10: 32 s, where their own
# later loads on a worker that had loaded it before took about 14 s).
_OWN_DEMO_RUNS = {"tests/test_demo.py"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Runs the tests that ask for the shared demo one after another, from where the first of
    them is (their own order kept, every other test in its place): each break in such a run cost
    a load of the demo (10 to 30 s on the loaded machine), and tests/plan and
    web/test_plan_pages.py had five runs, broken by tests that need no demo. Every xdist worker
    sorts the same collection the same way."""
    shared = [item for item in items if "shared_demo" in getattr(item, "fixturenames", ())
              and item.nodeid.split("::")[0] not in _OWN_DEMO_RUNS]
    if not shared:
        return
    first = items.index(shared[0])
    ids = {id(item) for item in shared}
    rest = [item for item in items if id(item) not in ids]
    items[:] = rest[:first] + shared + rest[first:]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    """Rolls the shared demo back as soon as the next test on this worker does not ask for it:
    before that test's fixtures of any scope (a module's server, a session's browser) start."""
    try:
        yield
    finally:
        if nextitem is None or "shared_demo" not in getattr(nextitem, "fixturenames", ()):
            _SHARED_DEMO.drop()


@pytest.fixture
def shared_demo(db: Any) -> tuple[CliResult, float]:
    """The `daicho demo --json` result of the shared load (see SharedDemo) and its seconds."""
    assert _SHARED_DEMO.result is not None
    return _SHARED_DEMO.result, _SHARED_DEMO.loaded


def _fresh_database_url() -> str | None:
    url = os.environ.get("DAICHO_DATABASE_URL", "")
    if not url.startswith("postgres"):
        return None
    import psycopg

    name = f"cli_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE template0 ENCODING \'UTF8\'')
    return url.rsplit("/", 1)[0] + "/" + name


@pytest.fixture
def cli_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    """Environment for a separate `daicho` process: its own data dir and its own database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env["DAICHO_DATA_DIR"] = str(tmp_path / "data")
    env.pop("DAICHO_TESTING", None)
    url = _fresh_database_url()
    if url:
        env["DAICHO_DATABASE_URL"] = url
    else:
        env.pop("DAICHO_DATABASE_URL", None)
    yield env


def run_daicho(env: dict[str, str], *args: str, stdin: str = "",
               timeout: float = 120) -> CliResult:
    exe = Path(sys.executable).parent / "daicho"
    proc = subprocess.run([str(exe), *args], input=stdin, capture_output=True, text=True,
                          env=env, timeout=timeout, check=False)
    return CliResult(proc.returncode, proc.stdout, proc.stderr)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def json_call(base: str, token: str, method: str, path: str, body: Any = None,
              timeout: float = 60) -> tuple[int, Any]:
    """One JSON request to a running `daicho serve`; error bodies are returned, not raised."""
    import urllib.error
    import urllib.request

    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method, headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            raw = resp.read()
            return resp.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as exc:
        raw = exc.read()
        return exc.code, json.loads(raw) if raw.startswith(b"{") else raw


def counter_record(base: str, token: str, name: str, n: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """Through a running `daicho serve`: a new ledger `name` with one number field `n`, and one
    record of it holding `n`. (The ledger, the record.)"""
    status, led = json_call(base, token, "POST", "/api/v1/ledgers", {
        "name": name, "fields": [{"name": "数", "code": "n", "type": "number"}]})
    assert status == 201, led
    status, rec = json_call(base, token, "POST", f"/api/v1/ledgers/{led['id']}/records",
                            {"values": {"n": n}})
    assert status == 201, rec
    return led, rec


@contextmanager
def running_server(env: dict[str, str], *, workers: int = 1, threads: int = 8,
                   log: Path | None = None) -> Iterator[str]:
    """`daicho serve` on a free loopback port until the block ends; yields its base URL.
    With `log`, the server's access and error log (stdout and stderr) go to that file."""
    import time
    import urllib.request

    port = free_port()
    exe = Path(sys.executable).parent / "daicho"
    out: Any = log.open("ab") if log is not None else subprocess.DEVNULL
    proc = subprocess.Popen([str(exe), "serve", "--port", str(port), "--workers", str(workers),
                             "--threads", str(threads)], env=env, stdout=out,
                            stderr=subprocess.STDOUT if log is not None else subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=5) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                time.sleep(0.05)
        else:
            pytest.fail("server did not start")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        if log is not None:
            out.close()
