"""`daicho user create --email`, `daicho reminders run` and `daicho mail send` (contract §9)."""

from __future__ import annotations

from typing import Any

import pytest


def test_user_create_takes_an_email(cli: Any) -> None:
    from django.contrib.auth import get_user_model

    done = cli("user", "create", "tanaka", "--email", "tanaka@city.example.jp", "--json")
    assert done.code == 0, done.err
    assert get_user_model().objects.get(username="tanaka").email == "tanaka@city.example.jp"
    bad = cli("user", "create", "suzuki", "--email", "メールではない", "--json")
    assert bad.code == 1 and bad.json["error"]["code"] == "invalid_email"
    assert not get_user_model().objects.filter(username="suzuki").exists()


def test_reminders_run_with_nothing_to_do(cli: Any) -> None:
    done = cli("reminders", "run", "--json")
    assert done.code == 0, done.err
    assert done.json["notifications"] == 0


def test_mail_send_needs_an_smtp_url(cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DAICHO_SMTP_URL", raising=False)
    refused = cli("mail", "send")
    assert refused.code == 1 and "DAICHO_SMTP_URL" in refused.err
