"""The account screens in Chromium: a user sets up two-step sign-in on their account screen
(QR code drawn by the app), signs out, and signs in again with the password and then a code that
pyotp computes as their phone would; their password screen; and the pages carry no inline code."""

from __future__ import annotations

import time
from typing import Any

import pyotp
from django.test import Client
from playwright.sync_api import expect

from tests.web.conftest import Server, html_has_no_inline_code, shot, unique

PASSWORD = "yuki-no-hi-2026-tests"
NEW_PASSWORD = "hana-no-hi-2026-tests"


def test_account_pages_have_no_inline_code(db: Any) -> None:
    from daicho.services.accounts import create_user

    user = create_user(login="tanaka", password=PASSWORD)
    web = Client()
    web.force_login(user)
    for path in ("/account/", "/account/2fa/enrol"):
        resp = web.get(path)
        assert resp.status_code == 200
        assert html_has_no_inline_code(resp.content.decode()) == [], path


def _sign_in(page: Any, server: Server, login: str, password: str) -> None:
    page.goto(server.base + "/login/")
    page.fill("#id_username", login)
    page.fill("#id_password", password)
    page.click("#sign-in")


def test_two_step_sign_in_in_the_browser(browser: Any, server: Server) -> None:
    login = unique("totp")
    status, body = server.call("POST", "/api/v1/users", {"login": login, "name": "雪野 花子",
                                                         "password": PASSWORD})
    assert status == 201, body
    ctx = browser.new_context(locale="ja-JP")
    ctx.set_default_timeout(10_000)
    errors: list[str] = []
    page = ctx.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        _sign_in(page, server, login, PASSWORD)
        page.wait_for_url(server.base + "/")
        page.click(".user-menu summary")
        page.click("#nav-account")
        page.click("#twofactor-setup")
        expect(page.locator("#totp-qr svg")).to_have_count(1)
        secret = page.get_attribute("#totp-secret", "data-secret")
        assert secret
        shot(page, "account-2fa-enrol")
        page.fill("#id_code", pyotp.TOTP(secret).now())
        page.click("#confirm-code")
        # The form posts to its own address: wait for the answer's list, not for a new URL.
        expect(page.locator("#recovery-codes li")).to_have_count(10)
        page.click("#continue")
        page.wait_for_url(server.base + "/account/")
        assert "認証アプリ" in page.inner_text("#twofactor-state")
        page.click(".user-menu summary")
        page.click("#sign-out")
        page.wait_for_url(server.base + "/login/")

        _sign_in(page, server, login, PASSWORD)
        page.wait_for_url(server.base + "/login/code")
        page.fill("#id_code", "000000")
        page.click("#verify-code")
        assert "正しくありません" in page.inner_text("#code-error")
        page.fill("#id_code", pyotp.TOTP(secret).at(time.time() + 30))
        page.click("#verify-code")
        page.wait_for_url(server.base + "/")

        page.goto(server.base + "/account/")
        page.fill("#pw-old", PASSWORD)
        page.fill("#pw-new", "1234567890123")
        page.fill("#pw-new2", "1234567890123")
        page.click("#change-password")
        assert "数字" in page.inner_text("#password-error")
        page.fill("#pw-old", PASSWORD)
        page.fill("#pw-new", NEW_PASSWORD)
        page.fill("#pw-new2", NEW_PASSWORD)
        page.click("#change-password")
        page.wait_for_url(server.base + "/account/")
        assert "変更しました" in page.inner_text(".messages")
    finally:
        ctx.close()
    assert errors == []
