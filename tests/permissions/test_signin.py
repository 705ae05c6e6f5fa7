"""Sign-in lockout per (login, client address) with growing delays, 429 for an address that keeps
failing, and an administrator's unlock (screen, API, command line)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.test import Client
from django.utils import timezone

from daicho.models import AuditEvent, SignInLock
from daicho.services import signin

PASSWORD = "correct horse battery"
ATTACKER, OWNER = "203.0.113.9", "10.0.0.3"


def _login(client: Client, login: str, password: str, ip: str = "10.0.0.1") -> Any:
    return client.post("/login/", {"username": login, "password": password}, REMOTE_ADDR=ip)


def _signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def _lock_out(login: str, ip: str = ATTACKER, times: int = signin.LOCK_AFTER) -> None:
    for _ in range(times):
        client = Client()
        resp = _login(client, login, "wrong password", ip=ip)
        assert resp.status_code == 200 and not _signed_in(client)


def _let_time_pass(login: str) -> None:
    """The lock's end as if its delay had passed (no sleeping in tests)."""
    SignInLock.objects.filter(login=login).update(
        locked_until=timezone.now() - dt.timedelta(seconds=1))


def test_attacker_address_is_locked_and_the_owner_signs_in_from_elsewhere(db: Any) -> None:
    from daicho.services.accounts import create_user

    create_user(login="tanaka", password=PASSWORD)
    _lock_out("tanaka")
    attacker = Client()
    locked = _login(attacker, "tanaka", PASSWORD, ip=ATTACKER)
    assert locked.status_code == 200 and not _signed_in(attacker)  # right password, refused
    assert "ロック" in locked.content.decode()
    owner = Client()
    ok = _login(owner, "tanaka", PASSWORD, ip=OWNER)
    assert ok.status_code == 302 and _signed_in(owner)  # the owner is not locked out
    event = AuditEvent.objects.get(action="signin_locked")
    assert event.details["ip"] == ATTACKER and event.details["login"] == "tanaka"


def test_tries_while_locked_do_not_extend_the_lock_and_delays_grow(db: Any) -> None:
    from daicho.services.accounts import create_user

    create_user(login="tanaka", password=PASSWORD)
    _lock_out("tanaka")
    first = SignInLock.objects.get(login="tanaka", ip=ATTACKER)
    assert first.failures == signin.LOCK_AFTER
    assert first.locked_until is not None
    assert first.locked_until - first.last_failure_at == signin.FIRST_DELAY
    for _ in range(3):  # refused without checking the password: nothing changes
        _login(Client(), "tanaka", "another guess", ip=ATTACKER)
    again = SignInLock.objects.get(login="tanaka", ip=ATTACKER)
    assert (again.failures, again.locked_until) == (first.failures, first.locked_until)
    _let_time_pass("tanaka")
    _lock_out("tanaka", times=1)  # one more failure after the lock: twice as long
    longer = SignInLock.objects.get(login="tanaka", ip=ATTACKER)
    assert longer.locked_until is not None
    assert longer.locked_until - longer.last_failure_at == 2 * signin.FIRST_DELAY
    assert signin.delay_after(100) == signin.MAX_DELAY
    _let_time_pass("tanaka")
    client = Client()
    assert _login(client, "tanaka", PASSWORD, ip=ATTACKER).status_code == 302
    assert not SignInLock.objects.filter(login="tanaka").exists()  # a success starts afresh


def test_lock_ignores_the_case_of_the_login(db: Any) -> None:
    from daicho.services.accounts import create_user

    create_user(login="tanaka", password=PASSWORD)
    for n in range(signin.LOCK_AFTER):
        _login(Client(), ["tanaka", "Tanaka", "TANAKA"][n % 3], "wrong", ip=ATTACKER)
    assert signin.locked_until("TaNaKa", _request(ATTACKER)) is not None


def _request(ip: str) -> Any:
    from django.test import RequestFactory

    return RequestFactory().post("/login/", REMOTE_ADDR=ip)


def test_an_address_that_keeps_failing_gets_429(db: Any) -> None:
    client = Client()
    statuses = [_login(client, f"user{n}", "x", ip="10.9.9.9").status_code
                for n in range(signin.IP_LIMIT + 2)]
    assert statuses[: signin.IP_LIMIT] == [200] * signin.IP_LIMIT
    assert statuses[-1] == 429
    assert _login(Client(), "user0", "x", ip="10.1.1.1").status_code == 200  # others unaffected


def test_changing_ones_password_counts_and_obeys_the_lock(make_client: Any) -> None:
    tanaka = make_client("tanaka", password=PASSWORD)
    for _ in range(signin.LOCK_AFTER):
        resp = tanaka._wrap(tanaka.client.post(
            "/api/v1/me/password", {"old": "wrong password", "new": "a-new-secret-phrase"},
            content_type="application/json", REMOTE_ADDR=ATTACKER))
        assert resp.status == 400 and resp.body["error"]["code"] == "wrong_password"
    locked = tanaka._wrap(tanaka.client.post(
        "/api/v1/me/password", {"old": PASSWORD, "new": "a-new-secret-phrase"},
        content_type="application/json", REMOTE_ADDR=ATTACKER))
    assert locked.status == 429 and locked.body["error"]["code"] == "signin_locked"
    # The web sign-in from that address is locked as well; from elsewhere all works.
    client = Client()
    assert _login(client, "tanaka", PASSWORD, ip=ATTACKER).status_code == 200
    assert not _signed_in(client)
    ok = tanaka._wrap(tanaka.client.post(
        "/api/v1/me/password", {"old": PASSWORD, "new": "a-new-secret-phrase"},
        content_type="application/json", REMOTE_ADDR=OWNER))
    assert ok.status == 200, ok.body


def test_admin_unlocks_on_the_user_screen(db: Any, admin: Any) -> None:
    from daicho.services.accounts import create_user

    create_user(login="tanaka", password=PASSWORD)
    _lock_out("tanaka")
    web = Client()
    web.force_login(admin)
    page = web.get("/manage/users/tanaka").content.decode()
    assert ATTACKER in page and 'id="unlock"' in page
    resp = web.post("/manage/users/tanaka/unlock")
    assert resp.status_code == 302
    assert not SignInLock.objects.filter(login="tanaka").exists()
    client = Client()
    assert _login(client, "tanaka", PASSWORD, ip=ATTACKER).status_code == 302
    event = AuditEvent.objects.get(action="signin_unlocked")
    assert event.user == "admin" and event.details["addresses"] == [ATTACKER]


def test_admin_unlocks_through_the_api(api: Any, make_client: Any) -> None:
    tanaka = make_client("tanaka", password=PASSWORD)
    _lock_out("tanaka")
    state = api.get("/api/v1/users/tanaka/signin").body
    assert state["locks"][0]["ip"] == ATTACKER and state["locks"][0]["locked"] is True
    assert tanaka.post("/api/v1/users/tanaka/unlock").status == 403  # not for everyone
    resp = api.post("/api/v1/users/tanaka/unlock")
    assert resp.status == 200 and resp.body == {"login": "tanaka", "unlocked": 1}
    assert api.get("/api/v1/users/tanaka/signin").body["locks"] == []
    assert api.post("/api/v1/users/nobody/unlock").status == 404


def test_admin_unlocks_from_the_command_line(cli: Any) -> None:
    from daicho.services.accounts import create_user

    create_user(login="tanaka", password=PASSWORD)
    _lock_out("tanaka")
    done = cli("user", "unlock", "tanaka", "--json")
    assert done.code == 0 and done.json["unlocked"] == 1
    assert signin.locked_until("tanaka", _request(ATTACKER)) is None
    missing = cli("user", "unlock", "nobody")
    assert missing.code == 1 and "nobody" in missing.err
