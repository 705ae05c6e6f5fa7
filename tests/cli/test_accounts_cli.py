"""Contract §10 on the command line: `daicho user password`, the policy for `user create
--password-stdin` and `init`'s DAICHO_ADMIN_PASSWORD, and `user reset-2fa` (`user unlock`:
tests/permissions/test_signin.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import authenticate

from daicho.models import AuditEvent
from tests.conftest import run_daicho

NEW = "sakura-fubuki-2026"


def test_user_password_sets_it_when_the_policy_agrees(cli: Any) -> None:
    assert cli("user", "create", "tanaka", "--name", "田中 一郎").code == 0
    done = cli("user", "password", "tanaka", "--password-stdin", "--json", stdin=NEW + "\n")
    assert done.code == 0 and done.json == {"ok": True, "login": "tanaka"}
    assert authenticate(username="tanaka", password=NEW) is not None
    event = AuditEvent.objects.get(action="password_change")
    # the command acts as its OS account (audit.system_actor)
    assert event.user.startswith("cli:") and event.details == {"login": "tanaka", "by_admin": True}


def test_user_password_exit_1_with_the_reason(cli: Any) -> None:
    assert cli("user", "create", "tanaka").code == 0
    short = cli("user", "password", "tanaka", "--password-stdin", stdin="short\n")
    assert short.code == 1 and "短すぎ" in short.err
    digits = cli("user", "password", "tanaka", "--password-stdin", "--json",
                 stdin="1234567890123\n")
    assert digits.code == 1 and digits.json["error"]["code"] == "weak_password"
    assert "数字" in " ".join(digits.json["error"]["details"]["reasons"])
    like_login = cli("user", "password", "tanaka", "--password-stdin", stdin="tanaka-tanaka\n")
    assert like_login.code == 1 and "ログイン名" in like_login.err
    common = cli("user", "password", "tanaka", "--password-stdin", stdin="password1234\n")
    assert common.code == 1 and "一般的" in common.err
    empty = cli("user", "password", "tanaka", "--password-stdin", stdin="\n")
    assert empty.code == 1
    unknown = cli("user", "password", "nobody", "--password-stdin", stdin=NEW + "\n")
    assert unknown.code == 1 and "nobody" in unknown.err
    assert authenticate(username="tanaka", password="1234567890123") is None


def test_user_create_applies_the_policy(cli: Any) -> None:
    like_name = cli("user", "create", "u1", "--name", "Sakura Fubuki", "--password-stdin",
                    stdin="fubuki-sakura\n")
    assert like_name.code == 1 and "氏名" in like_name.err
    assert cli("user", "create", "u1", "--password-stdin", stdin=NEW + "\n").code == 0


def test_user_reset_2fa(cli: Any) -> None:
    from daicho.models import TwoFactor
    from daicho.services import twofactor

    assert cli("user", "create", "tanaka").code == 0
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(username="tanaka")
    twofactor.pending_secret(user)
    done = cli("user", "reset-2fa", "tanaka", "--json")
    assert done.code == 0 and done.json["reset"] is True
    assert not TwoFactor.objects.filter(user=user).exists()
    assert cli("user", "reset-2fa", "nobody").code == 1


def test_init_refuses_a_weak_admin_password(cli_env: dict[str, str]) -> None:
    env = {**cli_env, "DAICHO_ADMIN_PASSWORD": "admin1234"}
    result = run_daicho(env, "init")
    assert result.code == 1 and "短すぎ" in result.err
    assert not (Path(env["DAICHO_DATA_DIR"]) / "daicho.sqlite3").exists()  # nothing created
    as_json = run_daicho(env, "init", "--json")
    assert as_json.code == 1 and as_json.json["error"]["code"] == "weak_password"
    ok = run_daicho({**env, "DAICHO_ADMIN_PASSWORD": NEW}, "init", "--json")
    assert ok.code == 0 and ok.json["created_admin"] is True


def test_the_generated_admin_password_passes_the_policy(cli_env: dict[str, str]) -> None:
    first = run_daicho(cli_env, "init", "--json")
    assert first.code == 0, first.err
    password = first.json["password"]
    from daicho.services.passwords import check_policy

    assert check_policy(password, login="admin", name="管理者") == password
    # The same password, set again through the command, is accepted.
    again = run_daicho(cli_env, "user", "password", "admin", "--password-stdin", stdin=password)
    assert again.code == 0, again.err

