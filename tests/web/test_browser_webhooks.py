"""The webhooks screen in the browser, against a real `daicho serve` whose own job worker sends
the deliveries to a real receiver on 127.0.0.1 (allowed by DAICHO_WEBHOOK_ALLOWED_NETWORKS for
this server only). Screenshots in Japanese at 1366×768 and 1920×1080."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.api.receiver import Receiver, receiving
from tests.conftest import _fresh_database_url, json_call, run_daicho, running_server
from tests.web.conftest import ADMIN_PASSWORD, shot

VIEWPORTS = [{"width": 1366, "height": 768}, {"width": 1920, "height": 1080}]


@pytest.fixture(scope="module")
def hooked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env["DAICHO_DATA_DIR"] = str(tmp_path_factory.mktemp("hookdata"))
    env["DAICHO_ADMIN_PASSWORD"] = ADMIN_PASSWORD
    env["DAICHO_WEBHOOK_ALLOWED_NETWORKS"] = "127.0.0.0/8"
    env.pop("DAICHO_TESTING", None)
    url = _fresh_database_url()
    if url:
        env["DAICHO_DATABASE_URL"] = url
    else:
        env.pop("DAICHO_DATABASE_URL", None)
    assert run_daicho(env, "init").code == 0
    token = run_daicho(env, "token", "create", "admin").out.strip()
    with running_server(env, workers=1, threads=4) as base:
        yield base, token


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with receiving() as found:
        yield found


def _settled(base: str, token: str, lid: int,
             done: Callable[[list[dict[str, Any]]], bool]) -> list[dict[str, Any]]:
    """The delivery log once `done` holds for it: the server's worker records an attempt just
    after the receiver answered. Asked again until then, for at most 30 s."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        status, found = json_call(base, token, "GET", f"/api/v1/ledgers/{lid}/webhooks/deliveries")
        assert status == 200, found
        if done(found["items"]):
            return found["items"]  # type: ignore[no-any-return]
    raise AssertionError("the server did not record its attempts")


def _signed_in(browser: Any, base: str, viewport: dict[str, int]) -> Any:
    ctx = browser.new_context(viewport=viewport, locale="ja-JP")
    ctx.set_default_timeout(15_000)
    ctx.add_cookies([{"name": "django_language", "value": "ja", "url": base}])
    page = ctx.new_page()
    page.goto(base + "/login/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", ADMIN_PASSWORD)
    page.click("#sign-in")
    page.wait_for_url(base + "/")
    return page


def test_add_a_hook_watch_it_deliver_and_send_again(browser: Any, hooked: tuple[str, str],
                                                      receiver: Receiver) -> None:
    base, token = hooked
    status, led = json_call(base, token, "POST", "/api/v1/ledgers", {
        "name": "貸出物品台帳", "fields": [{"name": "品名", "type": "text", "code": "name"}]})
    assert status == 201, led
    lid = led["id"]
    page = _signed_in(browser, base, VIEWPORTS[0])
    page.goto(f"{base}/ledgers/{lid}/")
    page.click("#webhooks-tab")
    page.fill("#h0-url", receiver.url)
    page.fill("#h0-secret", "browser-secret-123")
    page.click("#save-hooks")
    page.wait_for_selector("text=Webhook を保存しました。")
    assert page.input_value("#h0-url") == receiver.url
    assert page.input_value("#h0-secret") == ""  # never shown again
    # the server's own worker sends after commit; the first answer is a failure
    receiver.answers = [500]
    for name in ("プロジェクター", "延長コード"):
        status, _rec = json_call(base, token, "POST", f"/api/v1/ledgers/{lid}/records",
                                 {"values": {"name": name}})
        assert status == 201
    assert receiver.wait_for(2)
    _settled(base, token, lid, lambda items: sum(d["attempts"] > 0 for d in items) == 2)
    assert all(r.signed_with("browser-secret-123") for r in receiver.got)
    page.reload()
    failed_row = page.locator("#delivery-log tr.status-pending")
    assert failed_row.count() == 1 and "500" in failed_row.inner_text()
    assert page.locator("#delivery-log tr.status-delivered").count() == 1
    for viewport in VIEWPORTS:
        page.set_viewport_size(viewport)
        shot(page, f"webhooks-{viewport['width']}")
    failed_row.get_by_role("button", name="再送").click()
    page.wait_for_selector("text=まもなく再送します。")
    assert receiver.wait_for(3)
    _settled(base, token, lid, lambda items: all(d["status"] == "delivered" for d in items))
    assert receiver.got[2].json["delivery"] in {r.json["delivery"] for r in receiver.got[:2]}
    page.reload()
    assert page.locator("#delivery-log tr.status-delivered").count() == 2
    page.context.close()


def test_a_private_address_is_refused_on_the_screen(browser: Any, hooked: tuple[str, str]) -> None:
    base, token = hooked
    status, led = json_call(base, token, "POST", "/api/v1/ledgers", {
        "name": "監査指摘台帳", "fields": [{"name": "件名", "type": "text", "code": "name"}]})
    assert status == 201
    page = _signed_in(browser, base, VIEWPORTS[0])
    page.goto(f"{base}/ledgers/{led['id']}/webhooks")
    page.fill("#h0-url", "http://192.168.10.5/hook")
    page.click("#save-hooks")
    page.wait_for_selector("#error-summary")
    assert "内部ネットワーク" in page.inner_text("#hook-0")
    shot(page, "webhooks-refused-1366")
    page.context.close()
