"""Every page through Django's test client: sign-in required, forbidden looks like missing,
security headers, no inline code for the CSP, every user-supplied string escaped."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.conftest import ApiClient, make_ledger
from tests.web.conftest import html_has_no_inline_code

XSS_LEDGER = "<script>alert(1)</script>"
XSS_FIELD = '"><img src=x onerror=alert(1)>'
XSS_VALUE = "<b onmouseover=alert(2)>太字</b>"


@pytest.fixture
def browser_client(admin: Any) -> Client:
    client = Client()
    client.force_login(admin)
    client.cookies["django_language"] = "en"  # the assertions read English messages
    return client


@pytest.fixture
def xss(api: ApiClient) -> dict[str, Any]:
    led = make_ledger(api, XSS_LEDGER, [
        {"name": XSS_FIELD, "type": "text", "code": "evil"},
        {"name": "区分", "type": "choice", "code": "kind", "options": {"choices": [XSS_VALUE, "普通"]}},
        {"name": "金額", "type": "number", "code": "amount", "options": {"unit": "<i>円</i>"}},
        {"name": "URL", "type": "url", "code": "link"},
    ])
    rec = api.post(f"/api/v1/ledgers/{led['id']}/records", {"values": {
        "evil": XSS_VALUE, "kind": XSS_VALUE, "amount": 5,
        "link": "https://example.jp/?a=1&b=2"}}).body
    assert "id" in rec, rec
    api.patch(f"/api/v1/ledgers/{led['id']}/records/{rec['id']}",
              {"revision": 1, "values": {"evil": XSS_VALUE + "!"}})
    return {"ledger": led, "record": rec}


def pages(lid: int, rid: int) -> list[str]:
    return [
        "/", f"/ledgers/{lid}/", f"/ledgers/{lid}/records/{rid}/",
        f"/ledgers/{lid}/records/{rid}/history", f"/ledgers/{lid}/records/new",
        f"/ledgers/{lid}/trash", f"/ledgers/{lid}/fields/", f"/ledgers/{lid}/chart?group_by=kind",
        f"/ledgers/{lid}/totals", "/manage/users", "/manage/tokens",
        "/pick/users?q=a", "/pick/orgs?q=1",
    ]


def test_pages_need_sign_in(db: Any, client: Client) -> None:
    for path in ["/", "/ledgers/1/", "/ledgers/1/records/1/", "/manage/tokens"]:
        resp = client.get(path)
        assert resp.status_code == 302 and resp["Location"].startswith("/login/?next="), path
    assert client.get("/login/").status_code == 200


def test_sign_in_and_out(admin: Any, client: Client) -> None:
    admin.set_password("a-long-enough-password")
    admin.save()
    resp = client.post("/login/", {"username": "admin", "password": "wrong"})
    assert resp.status_code == 200 and b'role="alert"' in resp.content
    resp = client.post("/login/", {"username": "admin", "password": "a-long-enough-password"})
    assert resp.status_code == 302 and resp["Location"] == "/"
    assert client.get("/").status_code == 200
    assert client.post("/logout/").status_code == 302
    assert client.get("/").status_code == 302


def test_csrf_is_required(admin: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin)
    assert client.post("/ledgers/new", {"name": "x"}).status_code == 403


def test_every_page_escapes_and_has_no_inline_code(browser_client: Client,
                                                   xss: dict[str, Any]) -> None:
    lid, rid = xss["ledger"]["id"], xss["record"]["id"]
    for path in pages(lid, rid):
        resp = browser_client.get(path)
        assert resp.status_code == 200, path
        html = resp.content.decode()
        for raw in (XSS_LEDGER, XSS_FIELD, XSS_VALUE, "<i>円</i>"):
            assert raw not in html, (path, raw)
        assert html_has_no_inline_code(html) == [], path
        assert resp["Content-Security-Policy"].startswith("default-src 'self'"), path
        assert "script-src 'self';" in resp["Content-Security-Policy"]
        assert "style-src 'self';" in resp["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in resp["Content-Security-Policy"]
        assert resp["X-Frame-Options"] == "DENY"
        assert resp["X-Content-Type-Options"] == "nosniff"
    html = browser_client.get(f"/ledgers/{lid}/").content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in html


def test_secure_cookies_over_https(admin: Any, client: Client) -> None:
    admin.set_password("a-long-enough-password")
    admin.save()
    resp = client.post("/login/", {"username": "admin", "password": "a-long-enough-password"},
                       HTTP_X_FORWARDED_PROTO="https", secure=True)
    assert resp.cookies["sessionid"]["secure"] is True
    assert resp.cookies["sessionid"]["httponly"] is True
    assert "Strict-Transport-Security" in resp
    plain = Client().get("/login/")
    assert "Strict-Transport-Security" not in plain


def test_missing_and_forbidden_look_the_same(browser_client: Client, ledger: dict[str, Any]) -> None:
    lid = ledger["id"]
    for path in ["/ledgers/999999/", f"/ledgers/{lid}/records/999999/", f"/ledgers/{lid}/records/x/",
                 f"/ledgers/{lid}/records/999999/history", "/ledgers/999999/fields/"]:
        assert browser_client.get(path).status_code == 404, path


def test_admin_pages_are_for_admins(make_client: Any, db: Any) -> None:
    from django.contrib.auth import get_user_model

    make_client("clerk")
    client = Client()
    client.force_login(get_user_model().objects.get(username="clerk"))
    assert client.get("/manage/users").status_code == 404
    assert client.get("/manage/tokens").status_code == 200


def test_language_switch(admin: Any) -> None:
    browser_client = Client()
    browser_client.force_login(admin)
    assert b'<html lang="ja">' in browser_client.get("/").content  # Japanese by default
    resp = browser_client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert resp.status_code == 302
    assert b'<html lang="en">' in browser_client.get("/").content


def test_create_ledger_from_home(browser_client: Client) -> None:
    resp = browser_client.post("/ledgers/new", {"name": "新しい台帳", "description": "説明"})
    assert resp.status_code == 302 and resp["Location"].endswith("/fields/")
    resp = browser_client.post("/ledgers/new", {"name": "新しい台帳"})
    assert resp.status_code == 409 and "新しい台帳".encode() in resp.content


def test_recent_changes_on_home(browser_client: Client, api: ApiClient,
                                ledger: dict[str, Any]) -> None:
    for name in ("庁舎", "倉庫"):
        api.post(f"/api/v1/ledgers/{ledger['id']}/records", {"values": {"name": name}})
    html = browser_client.get("/").content.decode()
    assert html.index("倉庫") < html.index("庁舎")  # newest first
