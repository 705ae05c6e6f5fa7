"""The `daicho` command end to end (contract §3): exit codes, --json, --help, messages."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import run_daicho

SUBCOMMANDS = [["init"], ["serve"], ["demo"], ["user", "create"], ["token", "create"],
               ["backup"], ["restore"], ["check"], ["import"], ["export"]]


@pytest.mark.parametrize("words", SUBCOMMANDS)
def test_every_subcommand_has_help(cli: Any, words: list[str]) -> None:
    result = cli(*words, "--help")
    assert result.code == 0
    assert "usage: daicho" in result.out


def test_wrong_usage_exits_2(cli: Any) -> None:
    assert cli("frobnicate").code == 2
    assert cli("user", "create").code == 2
    result = cli("token", "create", "--json")
    assert result.code == 2
    assert json.loads(result.out)["ok"] is False


def test_user_and_token(cli: Any) -> None:
    from daicho.models import Org

    Org.objects.create(code="120", name="情報企画課")
    made = cli("user", "create", "suzuki", "--name", "鈴木", "--org", "120", "--json")
    assert made.code == 0 and made.json == {"ok": True, "login": "suzuki"}
    again = cli("user", "create", "suzuki", "--json")
    assert again.code == 1
    assert again.json["ok"] is False and again.json["error"]["code"] == "duplicate_login"
    bad_org = cli("user", "create", "sato", "--org", "999")
    assert bad_org.code == 1 and "999" in bad_org.err
    token = cli("token", "create", "suzuki", "--label", "集計ツール")
    assert token.code == 0
    lines = token.out.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("dc_")
    from daicho.models import ApiToken

    stored = ApiToken.objects.get(label="集計ツール")
    assert stored.key_hash != lines[0] and lines[0] not in stored.key_hash
    assert cli("token", "create", "nobody").code == 1


def test_password_from_stdin_follows_the_policy(cli: Any) -> None:
    weak = cli("user", "create", "tanaka", "--password-stdin", "--json", stdin="123\n")
    assert weak.code == 1 and weak.json["error"]["code"] == "weak_password"
    ok = cli("user", "create", "tanaka", "--password-stdin", stdin="correct horse battery\n")
    assert ok.code == 0
    from django.contrib.auth import authenticate

    assert authenticate(username="tanaka", password="correct horse battery") is not None


def test_messages_are_japanese(cli: Any) -> None:
    result = cli("token", "create", "nobody")
    assert result.err.strip() == "ユーザー「nobody」はいません。"


def test_init_creates_admin_once_and_prints_password(cli_env: dict[str, str]) -> None:
    first = run_daicho(cli_env, "init", "--json")
    assert first.code == 0, first.err
    body = first.json
    assert body["created_admin"] is True and body["login"] == "admin"
    assert len(body["password"]) >= 12
    second = run_daicho(cli_env, "init", "--json")
    assert second.json == {"ok": True, "created_admin": False}
    text = run_daicho({**cli_env}, "init")
    assert text.code == 0


def test_init_uses_the_given_admin_password(cli_env: dict[str, str]) -> None:
    env = {**cli_env, "DAICHO_ADMIN_PASSWORD": "given-password-42"}
    result = run_daicho(env, "init")
    assert result.code == 0
    assert "given-password-42" not in result.out
    check = run_daicho(env, "check", "--json")
    assert check.code == 0, check.out + check.err


def test_token_create_with_expiry(cli: Any) -> None:
    import datetime as dt

    from daicho.models import ApiToken

    assert cli("user", "create", "expiring").code == 0
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    result = cli("token", "create", "expiring", "--expires", tomorrow)
    assert result.code == 0, result.err
    token = ApiToken.objects.get(prefix=result.out.strip()[:10])
    assert token.expires_at is not None and token.expires_at.date() > dt.date.today()
    bad = cli("token", "create", "expiring", "--expires", "2020-13-01")
    assert bad.code != 0 and "YYYY-MM-DD" in bad.err
    past = cli("token", "create", "expiring", "--expires", "2020-01-01")
    assert past.code != 0
