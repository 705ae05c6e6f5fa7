"""Sign-in against LDAP / Active Directory, against a real OpenLDAP slapd started for the session
(tests/permissions/ldap_fixture): through the web login, with departments and roles from the
directory's groups, beside local accounts, and with the directory down."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from daicho import auth_ldap
from daicho.services import signin
from tests.conftest import free_port
from tests.permissions.ldap_fixture import server
from tests.permissions.ldap_fixture.server import GROUPS, PEOPLE, Slapd, group, person

ROOT = Path(__file__).resolve().parents[2]
ORGS = [("100", "総務部", None), ("110", "総務課", "100"), ("111", "庶務係", "110"),
        ("200", "福祉部", None), ("210", "生活福祉課", "200")]
WRONG = "ログイン名またはパスワードが違います。"
LOCKED = "ロック"


@pytest.fixture(scope="session")
def slapd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Slapd]:
    try:
        found = server.start(tmp_path_factory.mktemp("slapd"))
    except server.SlapdUnavailable as exc:
        pytest.fail(str(exc), pytrace=False)  # a failure, not a skip: CI must have slapd
    yield found
    found.stop()


def city_env(slapd: Slapd, **changes: str) -> dict[str, str]:
    """The city's settings as an administrator would write them in the environment."""
    env = {
        "DAICHO_LDAP_URI": slapd.uri,
        "DAICHO_LDAP_BIND_DN": server.SERVICE_DN,
        "DAICHO_LDAP_BIND_PASSWORD": server.SERVICE_PASSWORD,
        "DAICHO_LDAP_USER_SEARCH_BASE": PEOPLE,
        "DAICHO_LDAP_GROUP_SEARCH_BASE": GROUPS,
        "DAICHO_LDAP_REQUIRE_GROUP": group("daicho-users"),
        "DAICHO_LDAP_ADMIN_GROUP": group("daicho-admins"),
        # Written with spaces and capitals on purpose: DNs compare in their normal form.
        "DAICHO_LDAP_ROLE_MAP": json.dumps({"CN=Ledger-Admins, OU=Groups, DC=city, DC=example":
                                            "台帳管理者", group("auditors"): ["監査"]}),
        "DAICHO_LDAP_ORG_MAP": json.dumps({group("somu"): "110", group("fukushi"): "210"}),
    }
    env.update(changes)
    return {k: v for k, v in env.items() if v}


def use(settings: Any, env: dict[str, str]) -> None:
    settings.DAICHO_LDAP = auth_ldap.from_env(env)
    settings.AUTHENTICATION_BACKENDS = [auth_ldap.BACKEND, "daicho.services.signin.GuardedBackend"]


@pytest.fixture
def city(db: Any, settings: Any, slapd: Slapd) -> Slapd:
    from daicho.services.orgs import create_org

    for code, name, parent in ORGS:
        create_org(code=code, name=name, parent_code=parent)
    use(settings, city_env(slapd))
    return slapd


def sign_in(login: str, password: str, client: Client | None = None,
            ip: str = "10.0.0.1") -> tuple[Client, Any]:
    client = client or Client()
    resp = client.post("/login/", {"username": login, "password": password}, REMOTE_ADDR=ip)
    return client, resp


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def message(resp: Any) -> str:
    found = re.search(r'id="login-error">(.*?)</p>', resp.content.decode(), re.S)
    return found.group(1) if found else ""


def users(client: Client) -> dict[str, dict[str, Any]]:
    """GET /api/v1/users with the session the web login gave."""
    resp = client.get("/api/v1/users")
    assert resp.status_code == 200, resp.content
    return {u["login"]: u for u in resp.json()["items"]}


def who(client: Client, login: str) -> tuple[str, str | None, list[str], bool]:
    """(name, department, roles, admin) of `login`, as the API tells the signed-in client."""
    found = users(client)[login]
    return found["name"], found["org"], found["roles"], found["admin"]


def actions(target: str) -> list[str]:
    from daicho.models import AuditEvent

    return list(AuditEvent.objects.filter(target=target).order_by("seq")
                .values_list("action", flat=True))


def test_directory_users_sign_in_with_department_and_roles_from_groups(city: Slapd) -> None:
    from daicho.models import AuditEvent

    client, resp = sign_in("tanaka", "tanaka-password")
    assert resp.status_code == 302 and signed_in(client)
    # The session the web login gives works on the API too (API tokens stay daicho's own).
    assert who(client, "tanaka") == ("田中 太郎", "110", ["台帳管理者"], False)
    other, resp = sign_in("suzuki", "suzuki-password")
    assert resp.status_code == 302 and signed_in(other)
    assert who(other, "suzuki") == ("鈴木 花子", "210", ["監査"], False)
    assert client.get("/api/v1/audit-log").status_code == 403  # neither is an admin
    # Created once, written to the access log with what the directory gave; signed in each time.
    assert actions("user:tanaka") == ["user_create"]
    created = AuditEvent.objects.get(target="user:tanaka")
    assert (created.details["org"], created.details["roles"]) == ("110", ["台帳管理者"])
    _client, resp = sign_in("TANAKA", "tanaka-password")  # the directory ignores case; so do we
    assert resp.status_code == 302
    assert actions("user:tanaka") == ["user_create"]  # nothing changed: no user_update
    assert list(AuditEvent.objects.filter(user="tanaka", action="sign_in")
                .values_list("action", flat=True)) == ["sign_in", "sign_in"]
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(username="tanaka")
    assert not user.has_usable_password()  # the password stays in the directory


def test_admin_group_makes_an_administrator(city: Slapd) -> None:
    client, resp = sign_in("bucho", "bucho-password")
    assert resp.status_code == 302
    assert who(client, "bucho") == ("部長 一郎", None, [], True)  # the name from cn
    assert client.get("/api/v1/audit-log").status_code == 200


def test_wrong_password_unknown_login_and_outsiders_are_refused(city: Slapd) -> None:
    from daicho.models import AuditEvent, SignInAttempt

    for login, password in [("tanaka", "wrong-password"), ("nobody", "tanaka-password"),
                            ("gaibu", "gaibu-password")]:  # gaibu: not in daicho-users
        client, resp = sign_in(login, password)
        assert resp.status_code == 200 and not signed_in(client), login
        assert message(resp).strip().endswith(WRONG), login
    assert list(SignInAttempt.objects.filter(login="tanaka").values_list("ok", flat=True)) \
        == [False]  # one attempt, noted once
    assert AuditEvent.objects.filter(action="sign_in_failed", target="login:gaibu").count() == 1
    from django.contrib.auth import get_user_model

    assert not get_user_model().objects.filter(username__in=["tanaka", "nobody", "gaibu"]).exists()


def test_local_accounts_keep_working_beside_the_directory(city: Slapd) -> None:
    from daicho.services.accounts import create_user

    create_user(login="honda", password="local password 1234", org="210")
    client, resp = sign_in("honda", "local password 1234")
    assert resp.status_code == 302 and signed_in(client)
    assert users(client)["honda"]["org"] == "210"
    assert not signed_in(sign_in("honda", "wrong password 1234")[0])


def test_a_local_account_is_not_taken_over_by_a_directory_entry_of_the_same_login(
        city: Slapd) -> None:
    from daicho.services.accounts import create_user

    create_user(login="kanri", password="local password 1234", name="管理係")
    client, resp = sign_in("kanri", "directory-password")  # kanri's password in the directory
    assert resp.status_code == 200 and not signed_in(client)
    assert message(resp).strip().endswith(WRONG)
    client, resp = sign_in("kanri", "local password 1234")
    assert resp.status_code == 302
    assert who(client, "kanri") == ("管理係", None, [], False)  # the directory changed nothing


def test_a_user_made_ahead_without_a_password_is_taken_up_by_the_directory(city: Slapd) -> None:
    from daicho.services.accounts import create_user

    create_user(login="suzuki", org="110", roles=["広報"])  # for API tokens, before any sign-in
    client, resp = sign_in("suzuki", "suzuki-password")
    assert resp.status_code == 302
    assert who(client, "suzuki") == ("鈴木 花子", "210", ["広報", "監査"], False)
    assert actions("user:suzuki") == ["user_create", "user_update"]


def test_directory_down_local_accounts_still_sign_in(city: Slapd, settings: Any) -> None:
    from daicho.services.accounts import create_user

    create_user(login="honda", password="local password 1234")
    sign_in("tanaka", "tanaka-password")  # tanaka exists in daicho from an earlier sign-in
    use(settings, city_env(city, DAICHO_LDAP_URI=f"ldap://127.0.0.1:{free_port()}",
                           DAICHO_LDAP_TIMEOUT="2"))
    client, resp = sign_in("tanaka", "tanaka-password")
    assert resp.status_code == 200 and not signed_in(client)
    assert message(resp).strip().endswith(WRONG)  # the usual message, nothing about the directory
    client, resp = sign_in("honda", "local password 1234")
    assert resp.status_code == 302 and signed_in(client)


def test_group_change_is_seen_at_next_sign_in(city: Slapd) -> None:
    from django.contrib.auth import get_user_model

    from daicho.models import AuditEvent, Profile

    client, _resp = sign_in("sato", "sato-password")
    assert who(client, "sato") == ("佐藤 次郎", "110", [], False)
    # A role given in daicho, outside the directory's role map, survives the directory's changes.
    profile = Profile.objects.get(user__username="sato")
    profile.roles = ["広報"]
    profile.save()
    def membership(change: str, cn: str) -> str:
        return f"dn: {group(cn)}\nchangetype: modify\n{change}: member\nmember: {person('sato')}\n"

    city.modify("\n".join([membership("delete", "somu"), membership("add", "fukushi"),
                           membership("add", "auditors")]))
    try:
        assert users(client)["sato"]["org"] == "110"  # a running session is not re-read
        client, resp = sign_in("sato", "sato-password")
        assert resp.status_code == 302
        assert who(client, "sato") == ("佐藤 次郎", "210", ["広報", "監査"], False)
        change = AuditEvent.objects.get(target="user:sato", action="user_update")
        assert (change.user, change.details["org"], change.details["roles"]) \
            == ("", "210", ["広報", "監査"])
        assert set(change.details) == {"org", "roles", "valid_from"}  # what changed, no more
        get_user_model().objects.filter(username="sato").update(is_active=False)
        client, resp = sign_in("sato", "sato-password")  # deactivated in daicho: stays out
        assert resp.status_code == 200 and not signed_in(client)
    finally:
        city.modify("\n".join([membership("add", "somu"), membership("delete", "fukushi"),
                               membership("delete", "auditors")]))


def test_lockout_counts_directory_sign_ins_whatever_the_case(city: Slapd) -> None:
    for n in range(signin.LOCK_AFTER):
        client, resp = sign_in(["tanaka", "Tanaka", "TANAKA"][n % 3], "wrong-password",
                               ip="10.0.1.1")
        assert resp.status_code == 200 and not signed_in(client)
    client, resp = sign_in("tanaka", "tanaka-password", ip="10.0.1.1")
    assert resp.status_code == 200 and not signed_in(client)
    assert LOCKED in message(resp)
    # Called as other code would (not through the form), the backend refuses just the same.
    from django.contrib.auth import authenticate
    from django.test import RequestFactory

    request = RequestFactory().post("/login/", REMOTE_ADDR="10.0.1.1")
    assert authenticate(request, username="tAnaka", password="tanaka-password") is None
    # The lock is for that address: the owner signs in from elsewhere, as does everyone else.
    assert signed_in(sign_in("tanaka", "tanaka-password", ip="10.0.2.2")[0])
    assert signed_in(sign_in("suzuki", "suzuki-password", ip="10.0.1.1")[0])


@pytest.mark.parametrize("changes", [
    # The user's DN from a template; entries read with the service account.
    {"DAICHO_LDAP_USER_SEARCH_BASE": "", "DAICHO_LDAP_USER_DN_TEMPLATE": f"uid=%(user)s,{PEOPLE}"},
    # No service account: the user binds (template), then finds and reads their entry themself.
    {"DAICHO_LDAP_BIND_DN": "", "DAICHO_LDAP_BIND_PASSWORD": "",
     "DAICHO_LDAP_USER_DN_TEMPLATE": f"uid=%(user)s,{PEOPLE}"},
    # Groups from the user's memberOf attribute (as in Active Directory), without a group search;
    # the department from an attribute of the user rather than from a group.
    {"DAICHO_LDAP_GROUP_TYPE": "memberOf", "DAICHO_LDAP_GROUP_SEARCH_BASE": "",
     "DAICHO_LDAP_ORG_ATTR": "departmentNumber"},
    # StartTLS, trusting the city's CA.
    {"DAICHO_LDAP_START_TLS": "1", "DAICHO_LDAP_CA_FILE": "<ca>"},
], ids=["dn_template", "bind_as_user", "member_of_and_org_attribute", "start_tls"])
def test_other_directory_layouts(city: Slapd, settings: Any, changes: dict[str, str]) -> None:
    use(settings, city_env(city, **{k: v.replace("<ca>", str(city.ca_file))
                                    for k, v in changes.items()}))
    client, resp = sign_in("tanaka", "tanaka-password")
    assert resp.status_code == 302 and signed_in(client)
    expected_org = "111" if "DAICHO_LDAP_ORG_ATTR" in changes else "110"
    assert who(client, "tanaka") == ("田中 太郎", expected_org, ["台帳管理者"], False)
    assert not signed_in(sign_in("gaibu", "gaibu-password")[0])  # the required group still holds


def test_start_tls_refuses_a_server_it_cannot_trust(city: Slapd, settings: Any) -> None:
    from daicho.services.accounts import create_user

    use(settings, city_env(city, DAICHO_LDAP_START_TLS="1"))  # the test CA is not trusted
    client, resp = sign_in("tanaka", "tanaka-password")
    assert resp.status_code == 200 and not signed_in(client)
    create_user(login="honda", password="local password 1234")
    assert signed_in(sign_in("honda", "local password 1234")[0])


def test_settings_are_checked_at_start() -> None:
    base = {"DAICHO_LDAP_URI": "ldap://ldap.city.example", "DAICHO_LDAP_USER_SEARCH_BASE": PEOPLE}
    assert auth_ldap.from_env({}) is None
    found = auth_ldap.from_env({**base, "DAICHO_LDAP_GROUP_SEARCH_BASE": GROUPS,
                                "DAICHO_LDAP_ROLE_MAP": json.dumps({
                                    "CN=Auditors, OU=Groups,DC=city,DC=example": "監査"})})
    assert found is not None and found.role_map == ((group("auditors"), ("監査",)),)
    for changes, says in [
        ({"DAICHO_LDAP_USER_SEARCH_BASE": ""}, "DAICHO_LDAP_USER_DN_TEMPLATE"),
        ({"DAICHO_LDAP_USER_FILTER": "(uid=tanaka)"}, "%(user)s"),
        ({"DAICHO_LDAP_ROLE_MAP": "{not json"}, "DAICHO_LDAP_ROLE_MAP"),
        ({"DAICHO_LDAP_ROLE_MAP": json.dumps({"not a dn": "監査"})}, "distinguished name"),
        ({"DAICHO_LDAP_ORG_MAP": json.dumps({group("somu"): 110})}, "DAICHO_LDAP_ORG_MAP"),
        ({"DAICHO_LDAP_ORG_MAP": json.dumps({group("somu"): "110"})},
         "DAICHO_LDAP_GROUP_SEARCH_BASE"),
        ({"DAICHO_LDAP_GROUP_TYPE": "posix"}, "DAICHO_LDAP_GROUP_TYPE"),
        ({"DAICHO_LDAP_CA_FILE": "/nonexistent/ca.pem"}, "DAICHO_LDAP_CA_FILE"),
    ]:
        with pytest.raises(ValueError, match=re.escape(says)):
            auth_ldap.from_env({**base, **changes})


def _settings_in_a_new_process(env: dict[str, str]) -> dict[str, Any]:
    code = ("import json, sys, django; django.setup(); import daicho.urls; "
            "from django.conf import settings; from django.test import Client; "
            "Client().get('/login/'); "
            "print(json.dumps({'backends': settings.AUTHENTICATION_BACKENDS, "
            "'ldap_imported': 'ldap' in sys.modules}))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=False, cwd=ROOT,
                          env={**{k: v for k, v in os.environ.items()
                                  if not k.startswith("DAICHO_LDAP_")}, **env})
    assert proc.returncode == 0, proc.stderr
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def test_the_environment_switches_ldap_on_and_off(slapd: Slapd, tmp_path: Path) -> None:
    env = {"DJANGO_SETTINGS_MODULE": "daicho.settings", "DAICHO_DATA_DIR": str(tmp_path)}
    off = _settings_in_a_new_process(env)
    assert off == {"backends": ["daicho.services.signin.GuardedBackend"], "ldap_imported": False}
    on = _settings_in_a_new_process({**env, **city_env(slapd)})
    assert on["backends"] == [auth_ldap.BACKEND, "daicho.services.signin.GuardedBackend"]
