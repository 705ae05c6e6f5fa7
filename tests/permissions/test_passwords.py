"""Contract §10: the password policy, POST /api/v1/me/password, the user's password screen and the
administrator's reset (screen and API). Messages are Japanese by default."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.test import Client

from daicho.models import AuditEvent

PASSWORD = "correct horse battery"
NEW = "sakura-fubuki-2026"


@pytest.mark.parametrize(("login", "name", "password"), [
    ("yamada", "", "short-pw1"),  # fewer than 12 characters
    ("yamada", "", "123456789012345"),  # only digits
    ("yamada", "", "password1234"),  # a common password
    ("yamada", "", "qwertyuiop123"),  # a common password
    ("yamada-taro", "", "yamada-taro1"),  # like the login
    ("yt2026", "Yamada Hanako", "hanako-yamada"),  # like the name
    ("yamada", "", "yamada123456"),  # mostly the login
])
def test_the_policy_refuses(api: Any, login: str, name: str, password: str) -> None:
    resp = api.post("/api/v1/users", {"login": login, "name": name, "password": password})
    assert resp.status == 400, resp.body
    error = resp.body["error"]
    assert error["code"] == "weak_password" and error["details"]["reasons"]
    assert all(any("\u3040" <= ch <= "\u30ff" for ch in r) for r in error["details"]["reasons"])
    assert not get_user_model().objects.filter(username=login).exists()  # nothing created


def test_the_policy_accepts_a_good_password(api: Any) -> None:
    resp = api.post("/api/v1/users", {"login": "yamada", "name": "山田 太郎", "password": NEW})
    assert resp.status == 201, resp.body


def test_change_own_password_through_the_api(make_client: Any) -> None:
    tanaka = make_client("tanaka", name="田中", password=PASSWORD)
    ok = tanaka.post("/api/v1/me/password", {"old": PASSWORD, "new": NEW})
    assert ok.status == 200 and ok.body == {"changed": True}
    assert authenticate(username="tanaka", password=NEW) is not None
    assert authenticate(username="tanaka", password=PASSWORD) is None
    event = AuditEvent.objects.get(action="password_change")
    assert event.user == "tanaka" and event.details == {"login": "tanaka", "by_admin": False}


@pytest.mark.parametrize(("body", "code"), [
    ({"old": "wrong password!", "new": NEW}, "wrong_password"),
    ({"old": PASSWORD, "new": "short"}, "weak_password"),
    ({"old": PASSWORD, "new": "tanaka-tanaka"}, "weak_password"),
    ({"old": PASSWORD, "new": PASSWORD}, "weak_password"),
    ({"old": PASSWORD, "new": 123456789012}, "invalid_request"),
    ({"old": None, "new": NEW}, "invalid_request"),
    ({"new": NEW}, "invalid_request"),
])
def test_change_own_password_refusals(make_client: Any, body: dict[str, Any],
                                      code: str) -> None:
    tanaka = make_client("tanaka", password=PASSWORD)
    resp = tanaka.post("/api/v1/me/password", body)
    assert resp.status == 400 and resp.body["error"]["code"] == code, resp.body
    assert authenticate(username="tanaka", password=PASSWORD) is not None  # unchanged


@pytest.mark.parametrize("raw", [
    '{"old": "\\ud800", "new": "sakura-fubuki-2026"}',
    '{"old": "correct horse battery", "new": "\\ud800\\ud800\\ud800\\ud800\\ud800\\ud800x"}',
    '[]', '"x"', 'null', '123', '{"old": "%s", "new": "sakura-fubuki-2026"}' % ("x" * 5000),
])
def test_hostile_bodies_get_a_clear_400(make_client: Any, raw: str) -> None:
    tanaka = make_client("tanaka", password=PASSWORD)
    resp = tanaka.post("/api/v1/me/password", raw=raw)
    assert resp.status == 400 and resp.body["error"]["code"], resp.body
    assert authenticate(username="tanaka", password=PASSWORD) is not None  # unchanged


def test_change_own_password_needs_a_user(anon: Any) -> None:
    assert anon.post("/api/v1/me/password", {"old": "x", "new": NEW}).status == 401


def test_directory_users_have_no_local_password(make_client: Any) -> None:
    ldap_user = make_client("ldapuser")  # no password of its own
    resp = ldap_user.post("/api/v1/me/password", {"old": "anything", "new": NEW})
    assert resp.status == 400 and resp.body["error"]["code"] == "no_local_password"


def test_password_screen_for_users(db: Any) -> None:
    from daicho.services.accounts import create_user

    user = create_user(login="tanaka", password=PASSWORD)
    web = Client()
    web.force_login(user)
    page = web.get("/account/")
    assert page.status_code == 200 and 'id="password-form"' in page.content.decode()
    mismatch = web.post("/account/password", {"old": PASSWORD, "new": NEW, "new2": NEW + "x"})
    assert mismatch.status_code == 400
    weak = web.post("/account/password", {"old": PASSWORD, "new": "1234", "new2": "1234"})
    assert weak.status_code == 400 and "短すぎ" in weak.content.decode()
    done = web.post("/account/password", {"old": PASSWORD, "new": NEW, "new2": NEW})
    assert done.status_code == 302
    assert web.get("/account/").status_code == 200  # this session stays signed in
    assert authenticate(username="tanaka", password=NEW) is not None


def test_admin_sets_a_password_on_the_user_screen(admin: Any) -> None:
    from daicho.services.accounts import create_user

    create_user(login="tanaka", password=PASSWORD)
    web = Client()
    web.force_login(admin)
    weak = web.post("/manage/users/tanaka/password", {"password": "tanaka", "password2": "tanaka"})
    assert weak.status_code == 400 and 'id="security-error"' in weak.content.decode()
    done = web.post("/manage/users/tanaka/password", {"password": NEW, "password2": NEW})
    assert done.status_code == 302
    assert authenticate(username="tanaka", password=NEW) is not None
    event = AuditEvent.objects.get(action="password_change")
    assert event.user == "admin" and event.details == {"login": "tanaka", "by_admin": True}


def test_admin_sets_a_password_through_the_api(api: Any, make_client: Any) -> None:
    tanaka = make_client("tanaka", password=PASSWORD)
    assert tanaka.post("/api/v1/users/admin/password", {"new": NEW}).status == 403
    assert api.post("/api/v1/users/tanaka/password", {"new": "short"}).status == 400
    assert api.post("/api/v1/users/tanaka/password", {"new": NEW}).status == 200
    assert authenticate(username="tanaka", password=NEW) is not None
    assert api.post("/api/v1/users/nobody/password", {"new": NEW}).status == 404
