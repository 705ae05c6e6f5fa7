"""Account lockout after repeated failures, and 429 for an address that keeps failing."""

from __future__ import annotations

from typing import Any

from django.test import Client

from daicho.services import signin


def _login(client: Client, login: str, password: str, ip: str = "10.0.0.1") -> Any:
    return client.post("/login/", {"username": login, "password": password}, REMOTE_ADDR=ip)


def test_lockout_after_repeated_failures(db: Any) -> None:
    from daicho.services.accounts import create_user

    create_user(login="tanaka", password="correct horse battery")
    client = Client()
    for _ in range(signin.LOCK_AFTER):
        resp = _login(client, "tanaka", "wrong password", ip="10.0.0.2")
        assert resp.status_code == 200 and "_auth_user_id" not in client.session
    locked = _login(client, "tanaka", "correct horse battery", ip="10.0.0.3")
    assert locked.status_code == 200
    assert "_auth_user_id" not in client.session  # even the right password is refused now
    assert "ロック" in locked.content.decode()
    other = Client()
    from daicho.services.accounts import create_user as make

    make(login="suzuki", password="another good password")
    ok = _login(other, "suzuki", "another good password", ip="10.0.0.3")
    assert ok.status_code == 302 and "_auth_user_id" in other.session  # only tanaka is locked


def test_an_address_that_keeps_failing_gets_429(db: Any) -> None:
    client = Client()
    statuses = [_login(client, f"user{n}", "x", ip="10.9.9.9").status_code
                for n in range(signin.IP_LIMIT + 2)]
    assert statuses[: signin.IP_LIMIT] == [200] * signin.IP_LIMIT
    assert statuses[-1] == 429
    assert _login(Client(), "user0", "x", ip="10.1.1.1").status_code == 200  # others unaffected
