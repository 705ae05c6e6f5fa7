"""A passing database condition — here a lock another writer holds longer than
DAICHO_DB_LOCK_TIMEOUT — is answered 503 with Retry-After in the API's error shape (an HTML page
on the web), nothing is written, the server log says what happened, and the same request
succeeds once the lock is gone."""

from __future__ import annotations

import contextlib
import http.cookiejar
import json
import re
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import counter_record, free_port, json_call, run_daicho

PASSWORD = "busy-test-Passw0rd-2026"


@contextlib.contextmanager
def _server(env: dict[str, str], log: Path) -> Iterator[str]:
    port = free_port()
    with log.open("wb") as out:
        proc = subprocess.Popen([str(Path(sys.executable).parent / "daicho"), "serve", "--port",
                                 str(port), "--workers", "2"], env=env, stdout=out,
                                stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=5):
                    break
            except OSError:
                time.sleep(0.05)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@contextlib.contextmanager
def _lock(env: dict[str, str], *, table: str, record_id: int | None = None) -> Iterator[None]:
    """Hold a write lock from outside the server: SQLite's (any write waits for it), or on
    PostgreSQL a row lock on the record, or the whole table when no record is named."""
    url = env.get("DAICHO_DATABASE_URL", "")
    if url.startswith("postgres"):
        import psycopg

        with psycopg.connect(url) as con, con.transaction():
            if record_id is None:
                con.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
            else:
                con.execute(f"SELECT id FROM {table} WHERE id = %s FOR UPDATE", [record_id])
            yield
        return
    con = sqlite3.connect(Path(env["DAICHO_DATA_DIR"]) / "daicho.sqlite3", isolation_level=None)
    try:
        con.execute("BEGIN IMMEDIATE")
        yield
        con.execute("ROLLBACK")
    finally:
        con.close()


def _call(base: str, token: str, method: str, path: str, body: Any) -> tuple[int, Any, Any]:
    req = urllib.request.Request(base + path, data=json.dumps(body).encode(), method=method,
                                 headers={"Authorization": f"Bearer {token}",
                                          "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, json.loads(resp.read()), resp.headers
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read()), exc.headers


@pytest.fixture
def busy_env(cli_env: dict[str, str]) -> dict[str, str]:
    env = dict(cli_env, DAICHO_DB_LOCK_TIMEOUT="1", DAICHO_ADMIN_PASSWORD=PASSWORD)
    assert run_daicho(env, "init").code == 0
    return env


def test_a_write_that_waits_too_long_for_a_lock_answers_503(busy_env: dict[str, str],
                                                            tmp_path: Path) -> None:
    token = run_daicho(busy_env, "token", "create", "admin").out.strip()
    log = tmp_path / "server.log"
    with _server(busy_env, log) as base:
        led, rec = counter_record(base, token, "混雑", 1)
        path = f"/api/v1/ledgers/{led['id']}/records/{rec['id']}"
        with _lock(busy_env, table=f"ledger_{led['id']}", record_id=rec["id"]):
            status, body, headers = _call(base, token, "PATCH", path,
                                          {"revision": 1, "values": {"n": 2}})
        assert status == 503, body
        assert body["error"]["code"] == "database_busy"
        assert "混み合って" in body["error"]["message"]
        assert headers["Retry-After"] == "2"
        status, now = json_call(base, token, "GET", path)
        assert (status, now["revision"], now["values"]["n"]) == (200, 1, 1)  # nothing written
        status, body, _h = _call(base, token, "PATCH", path, {"revision": 1, "values": {"n": 2}})
        assert (status, body["revision"]) == (200, 2)
    text = log.read_text(errors="replace")
    assert f"database unavailable in PATCH {path}" in text
    assert "Traceback" not in text


def test_a_page_that_waits_too_long_for_a_lock_answers_503(busy_env: dict[str, str],
                                                           tmp_path: Path) -> None:
    with _server(busy_env, tmp_path / "server.log") as base:
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        with opener.open(base + "/login/", timeout=30) as resp:
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"',
                              resp.read().decode())
        assert token
        form = urllib.parse.urlencode({"csrfmiddlewaretoken": token.group(1),
                                       "username": "admin", "password": PASSWORD}).encode()
        with _lock(busy_env, table="django_session"):
            try:
                opener.open(urllib.request.Request(base + "/login/", data=form,
                                                   headers={"Referer": base + "/login/"}),
                            timeout=60)
                raise AssertionError("signed in although the database was locked")
            except urllib.error.HTTPError as exc:
                status, page, retry = exc.code, exc.read().decode(), exc.headers["Retry-After"]
        assert (status, retry) == (503, "2")
        assert "混み合って" in page
        with opener.open(urllib.request.Request(base + "/login/", data=form,
                                                headers={"Referer": base + "/login/"}),
                         timeout=60) as resp:
            assert resp.status == 200 and "/login/" not in resp.url
