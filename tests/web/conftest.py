"""Fixtures for the web UI tests.

In-process tests use Django's test client (fast, one database per test). Browser tests drive
Debian's Chromium with Playwright against a real `daicho serve` started once per session, on a
database of its own (SQLite in a temporary data dir, or a fresh PostgreSQL database when the suite
runs under scripts/with-postgres.sh). Screenshots go to test-artifacts/screenshots/. When a browser
test fails, what it saw goes to test-artifacts/failures/<test>/: each of its pages' screenshot and
HTML, and the server's log while it ran.
"""

from __future__ import annotations

import asyncio
import os
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, _fresh_database_url, json_call, run_daicho, running_server

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
FAILURES = ROOT / "test-artifacts" / "failures"
CHROMIUM_LOGS = ROOT / "test-artifacts" / "chromium"


def chromium_log() -> Path:
    """The log of this xdist worker's Chromium (Playwright's `pw:browser` messages)."""
    return CHROMIUM_LOGS / f"{os.environ.get('PYTEST_XDIST_WORKER', 'main')}.log"
ADMIN_PASSWORD = "admin-Pa55word-for-tests"
BOB_PASSWORD = "bob-Pa55word-for-tests"
# Refusals the tests provoke on purpose (invalid input, a record rule, conflicts) are logged by
# the browser.
EXPECTED_HTTP = re.compile(r"Failed to load resource: the server responded with a status of (400|403|409)")


@dataclass
class Server:
    base: str
    token: str
    env: dict[str, str]
    log: Path | None = None  # the server's access and error log

    def log_size(self) -> int:
        return self.log.stat().st_size if self.log is not None and self.log.exists() else 0

    def log_since(self, offset: int) -> bytes:
        if self.log is None or not self.log.exists():
            return b""
        with self.log.open("rb") as f:
            f.seek(offset)
            return f.read()

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        return json_call(self.base, self.token, method, path, body, timeout=30)

    def ledger(self, name: str, fields: list[dict[str, Any]],
               records: list[dict[str, Any]] = ()) -> dict[str, Any]:  # type: ignore[assignment]
        status, led = self.call("POST", "/api/v1/ledgers", {"name": name, "fields": fields})
        assert status == 201, led
        if records:
            status, done = self.call("POST", f"/api/v1/ledgers/{led['id']}/records/bulk",
                                     {"create": [{"values": v} for v in records]})
            assert status == 200, done
        return led  # type: ignore[no-any-return]


@pytest.fixture
def web(admin: Any) -> Any:
    """Django's test client signed in as the admin, in English (the assertions read English)."""
    from django.test import Client

    client = Client()
    client.force_login(admin)
    client.cookies["django_language"] = "en"
    return client


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env["DAICHO_DATA_DIR"] = str(tmp_path_factory.mktemp("webdata"))
    env["DAICHO_ADMIN_PASSWORD"] = ADMIN_PASSWORD
    # As for the in-process tests, passwords are hashed with MD5 (daicho/settings.py): the pages
    # sign in about 70 times a run, and one Argon2 check took 1.6 s on the loaded shared machine.
    # tests/permissions/test_password_hashing.py signs in with the real ones.
    env["DAICHO_TESTING"] = "1"
    url = _fresh_database_url()
    if url:
        env["DAICHO_DATABASE_URL"] = url
    else:
        env.pop("DAICHO_DATABASE_URL", None)
    assert run_daicho(env, "init").code == 0
    created = run_daicho(env, "user", "create", "bob", "--name", "Bob 佐藤", "--password-stdin",
                         stdin=BOB_PASSWORD + "\n")
    assert created.code == 0, created.err
    token = run_daicho(env, "token", "create", "admin").out.strip()
    log = Path(env["DAICHO_DATA_DIR"]) / "server.log"
    with running_server(env, workers=1, threads=8, log=log) as base:
        yield Server(base, token, env, log)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Keeps each phase's report on the test (item.report_setup, report_call) for the fixtures'
    teardown to see whether the test failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def _failed(item: pytest.Item) -> bool:
    return any(getattr(getattr(item, f"report_{when}", None), "failed", False)
               for when in ("setup", "call"))


def save_failure(item: pytest.Item, pages: list[tuple[str, Any]], server_log: bytes) -> Path:
    """What a failed browser test saw, under test-artifacts/failures/<test>/: per page its
    screenshot and HTML (with the URL it was at), and the server's log while the test ran."""
    where = FAILURES / re.sub(r"[^\w.-]+", "_", item.nodeid)[-150:]
    where.mkdir(parents=True, exist_ok=True)
    for i, (login, page) in enumerate(pages):
        stem = where / f"page{i + 1}-{login}"
        try:
            page.screenshot(path=f"{stem}.png", full_page=True)
            stem.with_suffix(".html").write_text(f"<!-- {page.url} -->\n{page.content()}",
                                                 encoding="utf-8")
        except Exception as exc:  # a closed or crashed page: say so, keep the rest
            stem.with_suffix(".txt").write_text(f"not saved: {exc!r}\n", encoding="utf-8")
    (where / "server.log").write_bytes(server_log)
    return where


@dataclass
class Problems:
    """What the browser reported that a test must not leave behind: script errors, CSP refusals,
    alert() dialogs (an escaping bug would run one)."""

    items: list[str] = field(default_factory=list)


@dataclass
class Chromium:
    browser: Any
    loop: Any  # the event loop of Playwright's sync API


@pytest.fixture(scope="session")
def chromium() -> Iterator[Chromium]:
    """One Playwright driver and one Chromium per xdist worker: starting them costs seconds
    (the driver alone 3 to 5 s on a loaded machine), once per module it was minutes of the suite.
    Tests do not share state through it: each page lives in a browser context of its own."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (scripts/system-deps.sh)")
    from playwright.sync_api import sync_playwright

    # What Chromium itself says (its stderr, how it exited: a signal, a code) goes to a file of
    # its own: Playwright's driver would write it into the capture of whichever test started
    # it, where it is lost. A browser that died shows there why (see `browser`).
    CHROMIUM_LOGS.mkdir(parents=True, exist_ok=True)
    saved = {key: os.environ.get(key) for key in ("DEBUG", "DEBUG_FILE")}
    os.environ.update(DEBUG="pw:browser", DEBUG_FILE=str(chromium_log()))
    try:
        pw = sync_playwright().start()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    loop = asyncio.get_running_loop()
    launched = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
        "--no-sandbox", "--disable-background-networking", "--disable-component-update",
        "--disable-gpu"])
    asyncio._set_running_loop(None)
    yield Chromium(launched, loop)
    asyncio._set_running_loop(loop)
    launched.close()
    pw.stop()


@pytest.fixture(scope="module")
def browser(chromium: Chromium) -> Iterator[Any]:
    """The session's Chromium, for the tests of one module.

    Between two of its calls, Playwright's sync API leaves its event loop marked as running on
    this thread, and Django then refuses database work in the same process ("You cannot call
    this from an async context"): the mark is set for the browser modules only, as it was when
    each module started and stopped a Playwright of its own."""
    if not chromium.browser.is_connected():
        log = chromium_log()
        tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
        pytest.fail(f"this worker's Chromium has died (its log: {log}):\n{tail}")
    asyncio._set_running_loop(chromium.loop)
    yield chromium.browser
    asyncio._set_running_loop(None)


@pytest.fixture
def open_page(browser: Any, server: Server,
              request: pytest.FixtureRequest) -> Iterator[Callable[..., Any]]:
    """open_page(login) → a signed-in page in a fresh browser context (its own cookies).
    When the test fails, its pages and the server's log are saved (save_failure)."""
    contexts: list[Any] = []
    pages: list[tuple[str, Any]] = []
    problems = Problems()
    log_start = server.log_size()

    def make(login: str = "admin", *, language: str = "en", viewport: dict[str, int] | None = None,
             scale: float = 1) -> Any:
        ctx = browser.new_context(viewport=viewport or {"width": 1280, "height": 860},
                                  device_scale_factor=scale, locale="ja-JP")
        ctx.set_default_timeout(10_000)
        ctx.add_cookies([{"name": "django_language", "value": language, "url": server.base}])
        contexts.append(ctx)
        page = ctx.new_page()
        page.on("pageerror", lambda exc: problems.items.append(f"{login}: script error {exc}"))
        page.on("console", lambda msg: problems.items.append(f"{login}: {msg.text}")
                if msg.type == "error" and not EXPECTED_HTTP.search(msg.text) else None)
        page.on("dialog", lambda d: problems.items.append(f"{login}: dialog {d.message}")
                if d.type == "alert" else d.accept())
        page.goto(server.base + "/login/")
        page.fill("#id_username", login)
        page.fill("#id_password", ADMIN_PASSWORD if login == "admin" else BOB_PASSWORD)
        page.click("#sign-in")
        page.wait_for_url(server.base + "/")
        pages.append((login, page))
        return page

    yield make
    if _failed(request.node):
        save_failure(request.node, pages, server.log_since(log_start))
    for ctx in contexts:
        ctx.close()
    assert not problems.items, problems.items


def shot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def wait_saved(page: Any) -> None:
    """Wait until the grid's save queue is idle (no cell is marked as saving)."""
    page.wait_for_function("() => !document.querySelector('#grid td.saving')")


def unique(prefix: str) -> str:
    return f"{prefix}-{time.monotonic_ns() % 10_000_000}"


def html_has_no_inline_code(html: str) -> list[str]:
    """Inline <script>, on…= handlers and style attributes or elements: all refused by the CSP."""
    from html.parser import HTMLParser

    found: list[str] = []

    class Finder(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            names = {name for name, _value in attrs}
            if tag == "script" and "src" not in names and \
                    dict(attrs).get("type") != "application/json":
                found.append("inline <script>")
            if tag == "style":
                found.append("<style> element")
            found.extend(f"<{tag} {name}=…>" for name in names
                         if name.startswith("on") or name == "style")

    Finder().feed(html)
    return found
