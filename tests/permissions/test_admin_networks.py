"""DAICHO_ADMIN_NETWORKS: the administration screens and privileged accounts (admins, holders of
DAICHO_ADMIN_NETWORK_ROLES) work only from the listed networks; the client address is
REMOTE_ADDR, never a header the client sends."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from daicho.services.accounts import create_token, create_user

INSIDE, OUTSIDE = "10.1.2.3", "198.51.100.7"
PASSWORD = "correct horse battery"


@pytest.fixture
def restricted(settings: Any) -> None:
    settings.DAICHO_ADMIN_NETWORKS = ["127.0.0.0/8", "10.1.0.0/16"]
    settings.DAICHO_ADMIN_NETWORK_ROLES = ["システム管理者"]


def _get(token: str, path: str, ip: str, **headers: Any) -> Any:
    return Client().get(path, HTTP_AUTHORIZATION=f"Bearer {token}", REMOTE_ADDR=ip, **headers)


def test_admin_token_works_only_from_the_admin_networks(restricted: None, admin: Any) -> None:
    token = create_token(user=admin)
    assert _get(token, "/api/v1/users", INSIDE).status_code == 200
    refused = _get(token, "/api/v1/users", OUTSIDE)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "network_not_allowed"
    assert OUTSIDE in refused.json()["error"]["message"]
    # A forwarded-for header is the client's word, not its address.
    spoofed = _get(token, "/api/v1/users", OUTSIDE, HTTP_X_FORWARDED_FOR=INSIDE)
    assert spoofed.status_code == 403
    assert _get(token, "/api/v1/users", "::ffff:10.1.9.9").status_code == 200  # mapped IPv4


def test_listed_roles_are_bound_too_other_users_are_not(restricted: None, db: Any) -> None:
    sysadmin = create_token(user=create_user(login="jouhou", roles=["システム管理者"]))
    clerk = create_token(user=create_user(login="clerk"))
    assert _get(sysadmin, "/api/v1/ledgers", OUTSIDE).status_code == 403
    assert _get(sysadmin, "/api/v1/ledgers", INSIDE).status_code == 200
    assert _get(clerk, "/api/v1/ledgers", OUTSIDE).status_code == 200


def test_admin_screens_and_privileged_sessions(restricted: None, admin: Any) -> None:
    web = Client()
    web.force_login(admin)
    assert web.get("/manage/users", REMOTE_ADDR=INSIDE).status_code == 200
    outside = web.get("/manage/users", REMOTE_ADDR=OUTSIDE)
    assert outside.status_code == 403 and "network-error" in outside.content.decode()
    assert web.get("/", REMOTE_ADDR=OUTSIDE).status_code == 403  # the whole session
    api = web.get("/api/v1/users", REMOTE_ADDR=OUTSIDE)
    assert api.status_code == 403 and api.json()["error"]["code"] == "network_not_allowed"
    clerk = Client()
    clerk.force_login(create_user(login="clerk"))
    assert clerk.get("/", REMOTE_ADDR=OUTSIDE).status_code == 200
    assert clerk.get("/manage/tokens", REMOTE_ADDR=OUTSIDE).status_code == 200  # their own
    assert clerk.get("/manage/users", REMOTE_ADDR=OUTSIDE).status_code == 403


def test_privileged_sign_in_from_outside_is_refused(restricted: None, db: Any) -> None:
    create_user(login="boss", password=PASSWORD, admin=True)
    client = Client()
    resp = client.post("/login/", {"username": "boss", "password": PASSWORD},
                       REMOTE_ADDR=OUTSIDE)
    assert resp.status_code == 403 and "_auth_user_id" not in client.session
    assert "network" in resp.content.decode() or "ネットワーク" in resp.content.decode()
    assert client.post("/login/", {"username": "boss", "password": PASSWORD},
                       REMOTE_ADDR=INSIDE).status_code == 302


def test_nothing_is_restricted_without_the_setting(admin: Any) -> None:
    token = create_token(user=admin)
    assert _get(token, "/api/v1/users", OUTSIDE).status_code == 200


def test_the_setting_is_read_and_checked(monkeypatch: Any) -> None:
    from daicho import environment

    monkeypatch.setenv("DAICHO_ADMIN_NETWORKS", "127.0.0.1/8, 10.1.0.0/16")
    assert environment.admin_networks() == ["127.0.0.0/8", "10.1.0.0/16"]
    monkeypatch.setenv("DAICHO_ADMIN_NETWORKS", "10.1.0.0/16,intranet")
    with pytest.raises(ValueError, match="intranet"):
        environment.admin_networks()
    monkeypatch.setenv("DAICHO_2FA_ROLES", "システム管理者、台帳管理者")
    monkeypatch.setenv("DAICHO_2FA_ADMINS", "1")
    assert environment.two_factor() == {"admins": True, "roles": ["システム管理者", "台帳管理者"]}
