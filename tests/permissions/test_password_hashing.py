"""Passwords are stored with Argon2 outside the tests, and a sign-in checks them with it.

The test settings put MD5 first (daicho/settings.py: tests create hundreds of users), and so does
the browser tests' server (tests/web/conftest.py): this test keeps the real hashers covered."""

from __future__ import annotations

from typing import Any

from django.test import Client

PASSWORD = "correct horse battery"


def test_sign_in_with_argon2_as_in_production(db: Any, settings: Any) -> None:
    from django.contrib.auth import get_user_model

    from daicho.services.accounts import create_user

    settings.PASSWORD_HASHERS = [h for h in settings.PASSWORD_HASHERS if "MD5" not in h]
    assert settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    create_user(login="tanaka", password=PASSWORD)
    stored = get_user_model().objects.get(username="tanaka").password
    assert stored.startswith("argon2$")
    wrong, right = Client(), Client()
    assert wrong.post("/login/", {"username": "tanaka", "password": "wrong password"}).status_code == 200
    assert "_auth_user_id" not in wrong.session
    assert right.post("/login/", {"username": "tanaka", "password": PASSWORD}).status_code == 302
    assert "_auth_user_id" in right.session
