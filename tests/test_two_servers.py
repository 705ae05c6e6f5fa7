"""Two `daicho serve` processes on two data dirs sharing one database and one files dir
(DAICHO_FILES_DIR), as a city runs them behind a load balancer (docs/scale.md): a write on one
is read on the other, a session begun on one is valid on the other, presence and notifications
cross over, background jobs queued on either run exactly once whichever server claims them, an
attachment uploaded through one is served by the other, and `daicho backup` of the setup holds
it all.

On PostgreSQL this is the setup docs/scale.md describes (two hosts, one database). On SQLite
the two servers share one database file on one machine, which works the same way."""

from __future__ import annotations

import http.cookiejar
import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import _fresh_database_url, json_call, run_daicho, running_server

PASSWORD = "two-servers-password-0"
JOBS = 6
ROWS = 40


@dataclass
class Pair:
    a: str
    b: str
    token: str
    env_a: dict[str, str]
    env_b: dict[str, str]
    files: Path


def _env(base: dict[str, str], data: Path, files: Path) -> dict[str, str]:
    return {**base, "DAICHO_DATA_DIR": str(data), "DAICHO_FILES_DIR": str(files)}


@pytest.fixture
def pair(cli_env: dict[str, str], tmp_path: Path) -> Iterator[Pair]:
    files = tmp_path / "shared-files"
    base = dict(cli_env, DAICHO_ADMIN_PASSWORD=PASSWORD)
    if "DAICHO_DATABASE_URL" not in base:  # SQLite: one database file both servers open
        base["DAICHO_DATABASE_URL"] = f"sqlite:///{tmp_path / 'shared-db' / 'daicho.sqlite3'}"
        (tmp_path / "shared-db").mkdir(mode=0o700)
    env_a = _env(base, tmp_path / "data-a", files)
    env_b = _env(base, tmp_path / "data-b", files)
    assert run_daicho(env_a, "init").code == 0
    assert run_daicho(env_b, "init").code == 0  # the second server's init finds it up to date
    created = run_daicho(env_a, "user", "create", "clerk", "--name", "山田花子", "--admin",
                         "--password-stdin", stdin=PASSWORD + "\n")
    assert created.code == 0, created.err
    token = run_daicho(env_a, "token", "create", "admin").out.strip()
    with ExitStack() as stack:
        a = stack.enter_context(running_server(env_a, workers=1, threads=4))
        b = stack.enter_context(running_server(env_b, workers=1, threads=4))
        yield Pair(a, b, token, env_a, env_b, files)


def _call(base: str, token: str, method: str, path: str, body: Any = None) -> Any:
    status, answer = json_call(base, token, method, path, body)
    assert status in (200, 201, 202), (status, answer)
    return answer


def _multipart(fields: dict[str, str], name: str, content: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
             for k, v in fields.items()]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
                 f'filename="{name}"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode()
                 + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def _upload(base: str, token: str, path: str, fields: dict[str, str], name: str,
            content: bytes) -> Any:
    body, kind = _multipart(fields, name, content)
    req = urllib.request.Request(base + path, data=body, method="POST", headers={
        "Authorization": f"Bearer {token}", "Content-Type": kind})
    with urllib.request.urlopen(req, timeout=60) as resp:
        assert resp.status in (201, 202)
        return json.loads(resp.read())


def test_a_write_on_one_server_is_read_on_the_other(pair: Pair) -> None:
    ledger = _call(pair.a, pair.token, "POST", "/api/v1/ledgers", {"name": "共有台帳", "fields": [
        {"name": "名称", "type": "text", "code": "name"},
        {"name": "金額", "type": "number", "code": "amount"}]})
    rec = _call(pair.a, pair.token, "POST", f"/api/v1/ledgers/{ledger['id']}/records",
                {"values": {"name": "庁舎", "amount": 100}})
    path = f"/api/v1/ledgers/{ledger['id']}/records/{rec['id']}"
    seen = _call(pair.b, pair.token, "GET", path)
    assert (seen["revision"], seen["values"]["name"]) == (1, "庁舎")
    changed = _call(pair.b, pair.token, "PATCH", path, {"revision": 1, "values": {"amount": 250}})
    assert changed["revision"] == 2
    assert _call(pair.a, pair.token, "GET", path)["values"]["amount"] == 250
    # the revision protocol holds across servers: A's stale revision is a conflict
    status, body = json_call(pair.a, pair.token, "PATCH", path,
                             {"revision": 1, "values": {"amount": 300}})
    assert status == 409 and body["error"]["details"]["conflicting_fields"] == ["amount"]
    history = _call(pair.a, pair.token, "GET", path + "/history")["items"]
    assert [h["action"] for h in history] == ["update", "create"]


class Browser:
    """A person's browser: one cookie jar, whichever server the balancer sends it to."""

    def __init__(self) -> None:
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def sign_in(self, base: str, login: str) -> None:
        with self.opener.open(base + "/login/", timeout=30) as resp:
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', resp.read().decode())
        assert token
        form = urllib.parse.urlencode({"csrfmiddlewaretoken": token.group(1), "username": login,
                                       "password": PASSWORD}).encode()
        with self.opener.open(urllib.request.Request(base + "/login/", data=form), timeout=30) \
                as resp:
            assert resp.status == 200 and "/login/" not in resp.url

    def page(self, url: str) -> tuple[int, str]:
        with self.opener.open(url, timeout=30) as resp:
            return resp.status, resp.url

    def post_json(self, url: str, body: Any) -> Any:
        csrf = next(c.value for c in self.jar if c.name == "csrftoken")
        req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json",
                                              "X-CSRFToken": str(csrf)})
        with self.opener.open(req, timeout=30) as resp:
            return json.loads(resp.read())


def _poll(browser: Browser, base: str, ledger_id: int) -> Any:
    return browser.post_json(f"{base}/ledgers/{ledger_id}/live", {
        "since": "2020-01-01T00:00:00+00:00", "shown": [], "editing": None, "query": "",
        "columns": None})


def test_sessions_and_presence_cross_servers(pair: Pair) -> None:
    ledger = _call(pair.a, pair.token, "POST", "/api/v1/ledgers",
                   {"name": "在席確認", "fields": [{"name": "名称", "type": "text", "code": "name"}]})
    admin, clerk = Browser(), Browser()
    admin.sign_in(pair.a, "admin")
    # the session cookie made by A is valid on B (one secret key in the shared files dir,
    # sessions in the database): B shows the page, not the sign-in form
    status, url = admin.page(f"{pair.b}/ledgers/{ledger['id']}/")
    assert status == 200 and "/login/" not in url
    assert _poll(admin, pair.a, ledger["id"])["present"] == ""
    clerk.sign_in(pair.b, "clerk")
    seen_by_clerk = _poll(clerk, pair.b, ledger["id"])  # on B, admin polled A
    assert "管理者" in seen_by_clerk["present"]
    seen_by_admin = _poll(admin, pair.b, ledger["id"])  # admin's CSRF token works on B too
    assert "山田花子" in seen_by_admin["present"]
    assert (pair.files / "secret_key").is_file()
    assert not (Path(pair.env_a["DAICHO_DATA_DIR"]) / "secret_key").exists()


def _wait_for(base: str, token: str, job_ids: list[int], seconds: float = 120) -> list[Any]:
    deadline = time.monotonic() + seconds
    while True:
        found = [_call(base, token, "GET", f"/api/v1/jobs/{j}") for j in job_ids]
        if all(j["status"] in ("done", "failed") for j in found) or time.monotonic() > deadline:
            return found
        time.sleep(0.2)  # the servers' workers poll the queue every second


def test_background_jobs_run_once_whichever_server_claims_them(pair: Pair) -> None:
    """Imports queued through both servers: each upload waits in the shared files dir, whichever
    worker claims the job finds it, and each job runs exactly once (one ledger, one access log
    entry each)."""
    job_ids = []
    for n in range(JOBS):
        base = pair.a if n % 2 == 0 else pair.b
        csv = "名称,金額\n" + "".join(f"品目{n}-{k},{k}\n" for k in range(ROWS))
        answer = _upload(base, pair.token, "/api/v1/imports",
                         {"background": "true", "name": f"背景取込{n}"}, f"import{n}.csv",
                         csv.encode())
        job_ids.append(answer["job"]["id"])
    found = _wait_for(pair.b, pair.token, job_ids)
    assert [j["status"] for j in found] == ["done"] * JOBS, [j["result"] for j in found]
    assert all(j["result"]["created"] == ROWS for j in found)
    ledgers = [x for x in _call(pair.a, pair.token, "GET", "/api/v1/ledgers")["items"]
               if x["name"].startswith("背景取込")]
    assert sorted(x["name"] for x in ledgers) == [f"背景取込{n}" for n in range(JOBS)]
    assert all(x["record_count"] == ROWS for x in ledgers)
    log = _call(pair.a, pair.token, "GET", "/api/v1/audit-log")["items"]
    assert sum(1 for e in log if e["action"] == "import") == JOBS
    assert not any((pair.files / "uploads").iterdir())  # each spooled upload removed once


def test_attachments_are_shared_and_backed_up(pair: Pair, tmp_path: Path) -> None:
    ledger = _call(pair.a, pair.token, "POST", "/api/v1/ledgers", {"name": "添付台帳", "fields": [
        {"name": "名称", "type": "text", "code": "name"},
        {"name": "図面", "type": "file", "code": "drawing"}]})
    content = "図面データ".encode() * 1000
    saved = _upload(pair.a, pair.token, f"/api/v1/ledgers/{ledger['id']}/files",
                    {"field": "drawing"}, "図面.pdf", content)
    rec = _call(pair.a, pair.token, "POST", f"/api/v1/ledgers/{ledger['id']}/records",
                {"values": {"name": "庁舎", "drawing": [saved]}})
    req = urllib.request.Request(f"{pair.b}/api/v1/ledgers/{ledger['id']}/files/{saved['id']}",
                                 headers={"Authorization": f"Bearer {pair.token}"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        assert resp.read() == content  # stored through A, served by B
    # a backup taken beside server B holds the record and the file A received
    archive = tmp_path / "backup.daicho"
    done = run_daicho(pair.env_b, "backup", str(archive), "--json")
    assert done.code == 0, done.err
    assert done.json["counts"]["attachments"] == 1
    assert run_daicho(pair.env_b, "check").code == 0
    # restored into a new installation (new data dir, files dir and database), it is whole
    fresh = {**pair.env_b, "DAICHO_DATA_DIR": str(tmp_path / "restored"),
             "DAICHO_FILES_DIR": str(tmp_path / "restored-files")}
    url = _fresh_database_url()
    fresh["DAICHO_DATABASE_URL"] = url or f"sqlite:///{tmp_path / 'restored' / 'db.sqlite3'}"
    restored = run_daicho(fresh, "restore", str(archive), "--json")
    assert restored.code == 0, restored.err
    assert restored.json["counts"] == done.json["counts"]
    files = [p for p in (tmp_path / "restored-files" / "attachments").rglob("*") if p.is_file()]
    assert [p.read_bytes() for p in files] == [content]
    assert run_daicho(fresh, "check").code == 0
    assert rec["values"]["drawing"][0]["id"] == saved["id"]


def test_notifications_cross_servers(pair: Pair) -> None:
    clerk = run_daicho(pair.env_b, "token", "create", "clerk").out.strip()
    ledger = _call(pair.a, pair.token, "POST", "/api/v1/ledgers", {"name": "連絡台帳", "fields": [
        {"name": "件名", "type": "text", "code": "name"}]})
    rec = _call(pair.a, pair.token, "POST", f"/api/v1/ledgers/{ledger['id']}/records",
                {"values": {"name": "備品の発注"}})
    said = _call(pair.a, pair.token, "POST",
                 f"/api/v1/ledgers/{ledger['id']}/records/{rec['id']}/comments",
                 {"text": "@clerk 確認をお願いします"})
    assert said["mentions"] == ["clerk"]
    # written on A, read on B; marked read on B, read on A
    [told] = _call(pair.b, clerk, "GET", "/api/v1/notifications?unread=1")["items"]
    assert (told["kind"], told["record"]) == ("mention", rec["id"])
    _call(pair.b, clerk, "POST", f"/api/v1/notifications/{told['id']}/read")
    assert _call(pair.a, clerk, "GET", "/api/v1/notifications?unread=1")["items"] == []
