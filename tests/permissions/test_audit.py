"""The access log: what is recorded, who may read it, and `daicho audit verify` catching edits."""

from __future__ import annotations

from typing import Any

from django.test import Client

from tests.conftest import ApiClient, make_ledger

PASSWORD = "Kq7-very-long-passphrase"


def admin_of(api: ApiClient) -> Any:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username="admin")


def _actions(api: ApiClient, **params: Any) -> list[tuple[str, str, str]]:
    resp = api.get("/api/v1/audit-log", params)
    assert resp.status == 200, resp.body
    return [(e["user"], e["action"], e["target"]) for e in resp.body["items"]]


def test_what_is_logged(api: ApiClient, make_client: Any) -> None:
    from daicho.services.accounts import create_user

    create_user(login="sato", password=PASSWORD)
    browser = Client()
    assert not browser.login(username="sato", password="wrong")
    assert browser.login(username="sato", password=PASSWORD)
    browser.logout()
    ledger = make_ledger(api)
    lid = ledger["id"]
    api.put(f"/api/v1/ledgers/{lid}/permissions", {"rules": [
        {"subject": {"everyone": True}, "rights": ["view", "export"]}]})
    assert api.client.get(f"/api/v1/ledgers/{lid}/export", {"format": "csv"}).status_code == 200
    api.post("/api/v1/users", {"login": "kato", "name": "加藤"})
    clerk = make_client("clerk")
    for _ in range(3):
        assert clerk.get("/api/v1/ledgers").status == 200
    logged = _actions(api)
    for expected in [("", "sign_in_failed", "login:sato"), ("sato", "sign_in", ""),
                     ("sato", "sign_out", ""), ("admin", "permissions", f"ledger:{lid}"),
                     ("admin", "export", f"ledger:{lid}"), ("admin", "user_create", "user:kato")]:
        assert expected in logged, expected
    # A token's use is logged at most once a minute.
    assert sum(1 for user, action, _t in logged if user == "clerk" and action == "token_use") == 1
    items = api.get("/api/v1/audit-log").body["items"]
    assert [e["seq"] for e in items] == list(range(1, len(items) + 1))
    # The address of the request is logged (set for every request, deep services included).
    from daicho.services.accounts import create_token

    other = Client(HTTP_AUTHORIZATION=f"Bearer {create_token(user=admin_of(api))}",
                   REMOTE_ADDR="10.0.0.7")
    assert other.post("/api/v1/users", {"login": "ito"}, content_type="application/json"
                      ).status_code == 201
    entry = api.get("/api/v1/audit-log", {"user": "admin"}).body["items"][-1]
    assert entry["action"] == "user_create" and entry["ip"] == "10.0.0.7"
    assert set(items[0]) == {"seq", "at", "user", "action", "target", "ip", "hash"}
    # Filters
    assert {a for _u, a, _t in _actions(api, user="sato")} == {"sign_in", "sign_out"}
    assert {a for _u, a, _t in _actions(api, ledger=lid)} == {"ledger_create", "permissions",
                                                              "export"}
    assert _actions(api, since="2999-01-01") == []
    assert len(_actions(api, until="2999-01-01T00:00:00+09:00")) >= len(items)
    assert api.get("/api/v1/audit-log", {"since": "yesterday"}).status == 400
    # Administrators only.
    assert clerk.get("/api/v1/audit-log").status == 403


def test_verify_detects_edits_and_deletions(api: ApiClient, cli: Any) -> None:
    from daicho.models import AuditEvent

    for login in ("a1", "a2", "a3", "a4"):
        assert api.post("/api/v1/users", {"login": login}).status == 201
    ok = cli("audit", "verify", "--json")
    assert ok.code == 0 and ok.json["ok"] is True and ok.json["checked"] >= 5
    last = AuditEvent.objects.order_by("-seq").first()
    assert last is not None
    # Altered: one field of one row.
    original = AuditEvent.objects.get(seq=2).target
    AuditEvent.objects.filter(seq=2).update(target="user:someone-else")
    bad = cli("audit", "verify", "--json")
    assert bad.code == 1 and {"seq": 2, "problem": "altered"} in bad.json["problems"]
    AuditEvent.objects.filter(seq=2).update(target=original)
    assert cli("audit", "verify", "--json").code == 0
    # Deleted from the middle, then from the end.
    AuditEvent.objects.filter(seq=3).delete()
    bad = cli("audit", "verify", "--json")
    assert bad.code == 1 and {"seq": 3, "problem": "missing"} in bad.json["problems"]
    text = cli("audit", "verify")
    assert text.code == 1 and "seq 3" in text.out


def test_cutting_off_the_end_shows(api: ApiClient, cli: Any) -> None:
    from daicho.models import AuditEvent

    api.post("/api/v1/users", {"login": "b1"})
    api.post("/api/v1/users", {"login": "b2"})
    assert cli("audit", "verify", "--json").code == 0
    AuditEvent.objects.order_by("-seq").first().delete()  # type: ignore[union-attr]
    bad = cli("audit", "verify", "--json")
    assert bad.code == 1 and bad.json["problems"][-1]["problem"] == "missing_tail"
