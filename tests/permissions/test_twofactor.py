"""Two-step sign-in with TOTP: voluntary enrolment, the second step (app code once, recovery
codes once), enrolment forced right after the password for the roles the settings name, and an
administrator's reset. Codes are computed here with pyotp, as an authenticator app would."""

from __future__ import annotations

import re
import time
from typing import Any

import pyotp
import pytest
from django.test import Client

from daicho.models import AuditEvent, RecoveryCode, SignInLock, TwoFactor
from daicho.services import signin

PASSWORD = "correct horse battery"


def _password_step(client: Client, login: str, ip: str = "10.0.0.1") -> Any:
    return client.post("/login/", {"username": login, "password": PASSWORD}, REMOTE_ADDR=ip)


def _signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def _secret(page: str) -> str:
    found = re.search(r'data-secret="([A-Z2-7]+)"', page)
    assert found, page
    return found.group(1)


def _codes(page: str) -> list[str]:
    return re.findall(r"<li><code>([a-z0-9-]+)</code></li>", page)


def _enrol_from_account(client: Client) -> tuple[str, list[str]]:
    page = client.get("/account/2fa/enrol")
    assert page.status_code == 200 and page["Cache-Control"] == "no-store"
    body = page.content.decode()
    assert "<svg" in body  # the QR code, drawn here
    secret = _secret(body)
    wrong = client.post("/account/2fa/enrol", {"code": "000000"})
    assert wrong.status_code == 400 and _secret(wrong.content.decode()) == secret
    done = client.post("/account/2fa/enrol", {"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 200
    codes = _codes(done.content.decode())
    assert len(codes) == 10
    return secret, codes


def _next_code(secret: str) -> str:
    """The app's next code: a code is accepted once, and one step either side of now."""
    return pyotp.TOTP(secret).at(time.time() + 30)


@pytest.fixture
def tanaka(db: Any) -> Any:
    from daicho.services.accounts import create_user

    return create_user(login="tanaka", name="田中", password=PASSWORD)


def test_voluntary_enrolment_then_sign_in_asks_for_the_code(tanaka: Any) -> None:
    web = Client()
    web.force_login(tanaka)
    assert "twofactor-setup" in web.get("/account/").content.decode()
    secret, codes = _enrol_from_account(web)
    assert TwoFactor.objects.get(user=tanaka).confirmed_at is not None
    # Only hashes are stored.
    stored = set(RecoveryCode.objects.filter(user=tanaka).values_list("code_hash", flat=True))
    assert len(stored) == 10 and not {c.replace("-", "") for c in codes} & stored
    assert AuditEvent.objects.filter(action="2fa_enrol", user="tanaka").exists()

    client = Client()
    first = _password_step(client, "tanaka")
    assert first.status_code == 302 and first["Location"] == "/login/code"
    assert not _signed_in(client)  # the password alone is not enough
    assert client.get("/").status_code == 302
    wrong = client.post("/login/code", {"code": "123456"}, REMOTE_ADDR="10.0.0.1")
    assert wrong.status_code == 400 and not _signed_in(client)
    assert AuditEvent.objects.filter(action="2fa_failed").count() == 1
    code = _next_code(secret)  # the current one was used to confirm the enrolment
    ok = client.post("/login/code", {"code": code}, REMOTE_ADDR="10.0.0.1")
    assert ok.status_code == 302 and _signed_in(client)
    assert not SignInLock.objects.filter(login="tanaka").exists()  # complete: count afresh
    # The same code again (replayed, e.g. seen over a shoulder) is refused.
    again = Client()
    _password_step(again, "tanaka")
    assert again.post("/login/code", {"code": code}).status_code == 400


def test_recovery_codes_work_once(tanaka: Any) -> None:
    web = Client()
    web.force_login(tanaka)
    _secret, codes = _enrol_from_account(web)
    client = Client()
    _password_step(client, "tanaka")
    assert client.post("/login/code", {"code": codes[0].upper()}).status_code == 302
    assert _signed_in(client)
    used = AuditEvent.objects.get(action="2fa_recovery_used")
    assert used.details["codes_left"] == 9
    other = Client()
    _password_step(other, "tanaka")
    assert other.post("/login/code", {"code": codes[0]}).status_code == 400  # used up


def test_wrong_codes_lock_the_address_like_wrong_passwords(tanaka: Any) -> None:
    web = Client()
    web.force_login(tanaka)
    secret, _codes = _enrol_from_account(web)
    attacker = Client()
    _password_step(attacker, "tanaka", ip="203.0.113.9")
    for _ in range(signin.LOCK_AFTER):
        attacker.post("/login/code", {"code": "000000"}, REMOTE_ADDR="203.0.113.9")
    locked = attacker.post("/login/code", {"code": pyotp.TOTP(secret).now()},
                           REMOTE_ADDR="203.0.113.9")
    assert locked.status_code == 429 and not _signed_in(attacker)  # the right code, refused
    assert SignInLock.objects.get(login="tanaka", ip="203.0.113.9").locked_until is not None
    owner = Client()
    _password_step(owner, "tanaka", ip="10.0.0.7")
    ok = owner.post("/login/code", {"code": _next_code(secret)},
                    REMOTE_ADDR="10.0.0.7")
    assert ok.status_code == 302 and _signed_in(owner)


def test_required_role_enrols_right_after_the_password(db: Any, settings: Any) -> None:
    from daicho.services.accounts import create_user

    settings.DAICHO_2FA = {"admins": False, "roles": ["台帳管理者"]}
    create_user(login="kanri", password=PASSWORD, roles=["台帳管理者"])
    create_user(login="plain", password=PASSWORD)
    plain = Client()
    assert _password_step(plain, "plain")["Location"] == "/" and _signed_in(plain)
    client = Client()
    first = client.post("/login/", {"username": "kanri", "password": PASSWORD, "next": "/plan/"})
    assert first["Location"] == "/login/enrol" and not _signed_in(client)
    page = client.get("/login/enrol").content.decode()
    secret = _secret(page)
    done = client.post("/login/enrol", {"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 200 and _signed_in(client)
    assert len(_codes(done.content.decode())) == 10
    assert 'href="/plan/"' in done.content.decode()
    # Required: it cannot be turned off by the user.
    off = client.post("/account/2fa/off", {"code": _next_code(secret)})
    assert off.status_code == 403 and TwoFactor.objects.filter(user__username="kanri").exists()


def test_admins_must_use_it_when_the_setting_says_so(db: Any, settings: Any) -> None:
    from daicho.services.accounts import create_user

    settings.DAICHO_2FA = {"admins": True, "roles": []}
    create_user(login="boss", password=PASSWORD, admin=True)
    client = Client()
    assert _password_step(client, "boss")["Location"] == "/login/enrol"
    assert not _signed_in(client)
    assert client.get("/manage/users").status_code == 302  # not signed in yet


def test_admin_resets_a_lost_phone(tanaka: Any, admin: Any, api: Any) -> None:
    web = Client()
    web.force_login(tanaka)
    _enrol_from_account(web)
    boss = Client()
    boss.force_login(admin)
    page = boss.get("/manage/users/tanaka").content.decode()
    assert 'id="reset-2fa"' in page
    assert boss.post("/manage/users/tanaka/2fa/reset").status_code == 302
    assert not TwoFactor.objects.filter(user=tanaka).exists()
    assert not RecoveryCode.objects.filter(user=tanaka).exists()
    event = AuditEvent.objects.get(action="2fa_reset")
    assert event.user == "admin" and event.details["login"] == "tanaka"
    client = Client()
    assert _password_step(client, "tanaka")["Location"] == "/"  # the password alone again
    # Through the API (and nothing left to remove).
    assert api.post("/api/v1/users/tanaka/2fa/reset").body == {"login": "tanaka", "reset": False}


def test_user_renews_recovery_codes_and_turns_it_off(tanaka: Any) -> None:
    web = Client()
    web.force_login(tanaka)
    secret, old = _enrol_from_account(web)
    assert web.post("/account/2fa/recovery", {"code": "000000"}).status_code == 400
    renewed = web.post("/account/2fa/recovery", {"code": _next_code(secret)})
    new = _codes(renewed.content.decode())
    assert len(new) == 10 and not set(new) & set(old)
    off = web.post("/account/2fa/off", {"code": new[0]})
    assert off.status_code == 302 and not TwoFactor.objects.filter(user=tanaka).exists()


def test_the_second_step_needs_a_fresh_password_step(tanaka: Any) -> None:
    client = Client()
    assert client.get("/login/code")["Location"] == "/login/"
    assert client.post("/login/code", {"code": "123456"})["Location"] == "/login/"


def test_guessing_codes_on_the_account_screen_locks_too(tanaka: Any) -> None:
    web = Client()
    web.force_login(tanaka)
    secret, _codes = _enrol_from_account(web)
    for _ in range(signin.LOCK_AFTER):
        assert web.post("/account/2fa/off", {"code": "000000"}).status_code == 400
    refused = web.post("/account/2fa/off", {"code": _next_code(secret)})
    assert refused.status_code == 400 and TwoFactor.objects.filter(user=tanaka).exists()
