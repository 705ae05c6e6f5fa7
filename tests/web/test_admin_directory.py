"""The directory screens: departments (tree as of a date, add, rename, move, abolish, scheduled
changes), users (departments with history, extra departments, roles, active) and roles. Through
Django's test client for what every page must do, and in Chromium as an administrator uses them."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from tests.conftest import ApiClient
from tests.web.conftest import Server, html_has_no_inline_code, shot, unique

EVIL = '<script>alert("x")</script>'


def _today() -> dt.date:
    return timezone.localdate()


@pytest.fixture
def city(api: ApiClient) -> dict[str, int]:
    from daicho.models import Org

    for body in ({"code": "100", "name": "総務部", "valid_from": "2020-04-01"},
                 {"code": "110", "name": "総務課", "parent_code": "100", "valid_from": "2020-04-01"},
                 {"code": "666", "name": EVIL, "parent_code": "100"}):
        assert api.post("/api/v1/orgs", body).status == 201
    assert api.post("/api/v1/users", {"login": "sato", "name": EVIL, "org": "110",
                                      "roles": [EVIL]}).status == 201
    return dict(Org.objects.values_list("code", "id"))


def _pages(ids: dict[str, int]) -> list[str]:
    return ["/manage/departments", "/manage/departments?as_of=2021-01-01",
            f"/manage/departments/{ids['110']}", f"/manage/departments/{ids['666']}",
            "/manage/users", "/manage/users/sato", "/manage/roles"]


def test_pages_escape_and_have_no_inline_code(web: Client, city: dict[str, int]) -> None:
    for path in _pages(city):
        resp = web.get(path)
        assert resp.status_code == 200, path
        html = resp.content.decode()
        assert EVIL not in html, path
        assert html_has_no_inline_code(html) == [], path
    html = web.get("/manage/users/sato").content.decode()
    assert "&lt;script&gt;" in html and 'value="&lt;script&gt;alert(&quot;x&quot;)' in html


def test_only_admins_and_system_administrators(make_client: Any, city: dict[str, int]) -> None:
    from django.contrib.auth import get_user_model

    users = get_user_model().objects
    make_client("clerk", org="110", roles=["台帳管理者"])
    make_client("sysadmin", roles=["システム管理者"])
    clerk, sysadmin = Client(), Client()
    clerk.force_login(users.get(username="clerk"))
    sysadmin.force_login(users.get(username="sysadmin"))
    for path in [*_pages(city), "/manage/departments/999999", "/manage/users/nobody"]:
        assert clerk.get(path).status_code == 404, path
        assert clerk.post(path, {"name": "x"}).status_code == 404, path
    assert clerk.post("/manage/departments/changes/1/cancel").status_code == 404
    assert "/manage/departments" not in clerk.get("/").content.decode()
    for path in _pages(city):
        assert sysadmin.get(path).status_code == 200, path
    assert "/manage/departments" in sysadmin.get("/").content.decode()
    # A system administrator manages users but does not make administrators.
    resp = sysadmin.post("/manage/users", {"login": "tanaka", "password": "", "password2": "",
                                           "admin": "on"})
    assert resp.status_code == 302 and not users.get(username="tanaka").is_superuser
    assert 'name="admin"' not in sysadmin.get("/manage/users").content.decode()


def test_forms_need_csrf(admin: Any, city: dict[str, int]) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin)
    assert client.post("/manage/departments", {"code": "9", "name": "x"}).status_code == 403
    assert client.post("/manage/users/sato", {"part": "profile"}).status_code == 403


def test_department_forms(web: Client, api: ApiClient, city: dict[str, int]) -> None:
    soon = (_today() + dt.timedelta(days=10)).isoformat()
    resp = web.post("/manage/departments", {"code": "120", "name": "情報課", "parent": "100",
                                            "valid_from": "2021-04-01"})
    assert resp.status_code == 302
    bad = web.post("/manage/departments", {"code": "120", "name": "重複"})
    assert bad.status_code == 409 and "already used" in bad.content.decode()
    assert 'value="重複"' in bad.content.decode()  # the form keeps what was typed
    page = f"/manage/departments/{city['110']}"
    # Scheduled rename, listed and then cancelled; a same-day change before it is refused.
    assert web.post(page, {"action": "change", "name": "総務管理課", "parent": "100",
                           "valid_from": soon}).status_code == 302
    listing = web.get("/manage/departments").content.decode()
    assert "総務管理課" in listing and soon in listing
    refused = web.post(page, {"action": "change", "name": "x", "parent": "100"})
    assert refused.status_code == 409 and 'id="change-error"' in refused.content.decode()
    change_id = re.search(r"/manage/departments/changes/(\d+)/cancel", listing).group(1)
    assert web.post(f"/manage/departments/changes/{change_id}/cancel",
                    {"back": "department"}).status_code == 302
    assert api.get("/api/v1/orgs", {"as_of": soon}).body["items"][1]["name"] == "総務課"
    # Move, then abolish what has no children; the parent with children is refused.
    assert web.post(f"/manage/departments/{city['666']}", {
        "action": "change", "name": "危機管理課", "parent": ""}).status_code == 302
    refused = web.post(f"/manage/departments/{city['100']}", {"action": "abolish"})
    assert refused.status_code == 400 and 'id="abolish-error"' in refused.content.decode()
    assert web.post(f"/manage/departments/{city['666']}", {"action": "abolish"}).status_code == 302
    html = web.get(f"/manage/departments/{city['666']}").content.decode()
    assert "Abolished on" in html and 'id="abolish-org-form"' not in html
    today_tree = web.get("/manage/departments").content.decode()
    assert "危機管理課" not in today_tree
    past_tree = web.get("/manage/departments?as_of=2021-06-01").content.decode()
    assert "情報課" in past_tree and "総務課" in past_tree and "危機管理課" not in past_tree
    bad_date = web.get("/manage/departments?as_of=2021-02-30")
    assert bad_date.status_code == 200 and 'id="as-of-error"' in bad_date.content.decode()


def test_user_forms(web: Client, api: ApiClient, city: dict[str, int]) -> None:
    page = "/manage/users/sato"
    soon = (_today() + dt.timedelta(days=10)).isoformat()
    # Extras added from the select, with nothing else changed: the primary stays as it was.
    assert web.post(page, {"part": "departments", "org": "110", "org_was": "110",
                           "add_extra": "100", "valid_from": ""}).status_code == 302
    got = api.get("/api/v1/users/sato").body
    assert got["org"] == "110" and got["extra_orgs"] == ["100"]
    assert len([h for h in got["org_history"] if h["primary"]]) == 1
    # A move loaded ahead: the extras (sent as shown) are left alone.
    assert web.post(page, {"part": "departments", "org": "666", "org_was": "110",
                           "extra": ["100"], "extra_was": ["100"],
                           "valid_from": soon}).status_code == 302
    got = api.get("/api/v1/users/sato").body
    assert got["org"] == "110" and got["org_history"][1]["valid_from"] == soon
    html = web.get(page).content.decode()
    assert soon in html and "scheduled" in html
    # Unchecking the extra removes it.
    assert web.post(page, {"part": "departments", "org": "110", "org_was": "110",
                           "extra_was": ["100"]}).status_code == 302
    assert api.get("/api/v1/users/sato").body["extra_orgs"] == []
    # Roles: the checked ones plus new names; then deactivated (its roles no longer count).
    assert web.post(page, {"part": "profile", "name": "佐藤", "role": ["台帳管理者"],
                           "new_roles": "防災担当、監査", "active": "on"}).status_code == 302
    got = api.get("/api/v1/users/sato").body
    assert got["roles"] == ["台帳管理者", "監査", "防災担当"] and got["active"] is True
    assert "防災担当" in web.get("/manage/roles").content.decode()
    assert web.post(page, {"part": "profile", "name": "佐藤", "role": got["roles"]}
                    ).status_code == 302
    assert api.get("/api/v1/users/sato").body["active"] is False
    assert "防災担当" not in web.get("/manage/roles").content.decode()
    refused = web.post("/manage/users/admin", {"part": "profile", "name": "管理者"})
    assert refused.status_code == 400 and 'id="profile-error"' in refused.content.decode()
    bad = web.post(page, {"part": "departments", "org": "110", "org_was": "",
                          "valid_from": "someday"})
    assert bad.status_code == 400 and 'id="orgs-error"' in bad.content.decode()


# -- in the browser -------------------------------------------------------------------------------

def test_departments_screen(open_page: Any, server: Server) -> None:
    top, sub = unique("部"), unique("課")
    page = open_page("admin")
    page.locator(".user-menu summary").click()
    page.locator("#nav-departments").click()
    page.wait_for_selector("#new-org-form")
    page.fill("#o-code", top)
    page.fill("#o-name", "総務部")
    page.fill("#o-from", "2020-04-01")
    page.click("#create-org")
    page.wait_for_selector(".message-success")
    page.fill("#o-code", sub)
    page.fill("#o-name", "総務課")
    page.select_option("#o-parent", top)
    page.fill("#o-from", "2020-04-01")
    page.click("#create-org")
    page.wait_for_selector(f"#org-tree li[data-code='{top}'] li[data-code='{sub}']")
    # Rename from 2023-04-01 on the department's page; its history shows both names.
    page.locator(f"#org-tree li[data-code='{sub}'] > .org-node a").click()
    page.wait_for_selector("#change-org-form")
    page.fill("#c-name", "総務管理課")
    page.fill("#c-from", "2023-04-01")
    page.click("#change-org")
    page.wait_for_selector(".message-success")
    rows = page.locator("#org-history tbody tr")
    assert rows.count() == 2
    assert "総務課" in rows.nth(0).inner_text() and "2023-04-01" in rows.nth(0).inner_text()
    shot(page, "department")
    # The tree as of a date picked before the rename shows the old name.
    page.goto(server.base + "/manage/departments")
    page.fill("#as-of", "2022-06-01")
    page.click("#show-as-of")
    page.wait_for_selector("#back-to-today")
    node = page.locator(f"#org-tree li[data-code='{sub}'] > .org-node")
    assert "総務課" in node.inner_text() and "総務管理課" not in node.inner_text()
    assert "2020-04-01" in node.inner_text()
    shot(page, "departments-as-of")
    page.click("#back-to-today")
    page.wait_for_selector(f"#org-tree li[data-code='{sub}']")
    assert "総務管理課" in page.locator(f"#org-tree li[data-code='{sub}'] > .org-node").inner_text()
    # Abolish (confirmed in the dialog) from the keyboard: it leaves today's tree.
    page.locator(f"#org-tree li[data-code='{sub}'] > .org-node a").click()
    page.focus("#abolish-org")
    page.keyboard.press("Enter")
    page.wait_for_selector("strong#org-state")
    page.goto(server.base + "/manage/departments")
    assert page.locator(f"#org-tree li[data-code='{sub}']").count() == 0
    assert page.locator(f"#org-tree li[data-code='{top}']").count() == 1


def test_user_screen_and_roles(open_page: Any, server: Server) -> None:
    home, extra = unique("H"), unique("X")
    login = unique("yamada").replace("-", "")
    for code, name in ((home, "税務課"), (extra, "防災課")):
        status, body = server.call("POST", "/api/v1/orgs", {"code": code, "name": name,
                                                            "valid_from": "2020-04-01"})
        assert status == 201, body
    status, body = server.call("POST", "/api/v1/users", {"login": login, "name": "山田"})
    assert status == 201, body
    page = open_page("admin")
    page.goto(server.base + "/manage/users")
    page.locator(f"#users a[href='/manage/users/{login}']").click()
    page.wait_for_selector("#orgs-form")
    page.select_option("#d-org", home)
    page.select_option("#d-add-extra", extra)
    page.fill("#d-from", "2024-04-01")
    page.click("#save-orgs")
    page.wait_for_selector(".message-success")
    assert page.locator(f"#extra-{extra}").is_checked()
    history = page.locator("#user-history tbody").inner_text()
    assert "税務課" in history and "防災課" in history and "2024-04-01" in history
    page.fill("#p-new-roles", "防災担当")
    page.check("#p-active")
    page.click("#save-profile")
    page.wait_for_selector(".message-success")
    shot(page, "user")
    status, got = server.call("GET", f"/api/v1/users/{login}")
    assert status == 200 and got["org"] == home and got["extra_orgs"] == [extra]
    assert got["roles"] == ["防災担当"]
    page.locator("#tab-roles").click()
    page.wait_for_selector("#roles")
    row = page.locator("#roles tr", has_text="防災担当")
    assert login in row.inner_text()
    shot(page, "roles")


def test_screens_are_missing_for_others(open_page: Any, server: Server) -> None:
    page = open_page("bob")
    for path in ("/manage/departments", "/manage/roles", "/manage/users/bob"):
        # With bob's cookies, outside the page (a 404 page would log a console error).
        assert page.request.get(server.base + path).status == 404, path
    page.goto(server.base + "/")
    page.locator(".user-menu summary").click()
    assert page.locator("#nav-departments").count() == 0
