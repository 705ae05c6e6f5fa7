"""Attacks tried and refused: id guessing, probing hidden fields through filters, sorts, search and
counts, token reuse after revocation; and the rules API refusing what it cannot store."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import ApiClient
from tests.permissions.conftest import World


def test_idor_by_id_guessing(world: World) -> None:
    world.rules([{"subject": {"user": "somu"}, "rights": ["view", "edit", "delete"],
                  "records": {"creator": True}}])
    client = world.clients["somu"]
    missing = client.get(f"{world.base}/records/999999")
    assert missing.status == 404
    for rid in range(1, max(world.ids.values()) + 3):
        got = client.get(f"{world.base}/records/{rid}")
        if rid == world.ids["無所属"]:
            assert got.status == 200
            continue
        assert (got.status, got.body) == (404, missing.body), rid
        for resp in (client.get(f"{world.base}/records/{rid}/history"),
                     client.patch(f"{world.base}/records/{rid}", {"revision": 1, "values": {}}),
                     client.delete(f"{world.base}/records/{rid}"),
                     client.post(f"{world.base}/records/{rid}/restore")):
            assert (resp.status, resp.body) == (404, missing.body), rid
    # Another ledger answers exactly like one that does not exist.
    other = world.api.post("/api/v1/ledgers", {"name": "別の台帳", "fields": []}).body["id"]
    nothing = client.get("/api/v1/ledgers/999999")
    for path in (f"/api/v1/ledgers/{other}", f"/api/v1/ledgers/{other}/records",
                 f"/api/v1/ledgers/{other}/aggregate", f"/api/v1/ledgers/{other}/permissions"):
        resp = client.get(path)
        assert (resp.status, resp.body) == (404, nothing.body), path
    # Holding view is not holding manage.
    assert client.get(f"{world.base}/permissions").status == 404
    assert client.put(f"{world.base}/permissions", {"rules": []}).status == 404


def _unknown(resp: Any, code: str) -> str:
    """The error body with the probed code replaced, to compare with a field that does not exist."""
    return json.dumps(resp.body, ensure_ascii=False).replace(code, "CODE")


def test_hidden_field_probes_reveal_nothing(world: World) -> None:
    world.rules([{"subject": {"everyone": True}, "rights": ["view", "export"],
                  "fields": {"secret": "hidden"}}])
    client = world.clients["somu"]
    url = f"{world.base}/records"
    probes = [
        (url, {"filter": "{}:eq:秘密甲改"}), (url, {"filter": "{}:notempty"}),
        (url, {"sort": "{}"}), (url, {"sort": "-{}"}),
        (f"{world.base}/aggregate", {"group_by": "{}"}),
        (f"{world.base}/aggregate", {"metric": "min:{}"}),
        (f"{world.base}/aggregate", {"filter": "{}:contains:秘密"}),
    ]
    for path, params in probes:
        hidden = client.get(path, {k: v.format("secret") for k, v in params.items()})
        absent = client.get(path, {k: v.format("nosuch") for k, v in params.items()})
        assert hidden.status == absent.status == 400, params
        assert _unknown(hidden, "secret") == _unknown(absent, "nosuch"), params
    # Search terms that match only hidden text find nothing, and count nothing.
    for q in ("秘密", "秘密甲改", "秘密丙"):
        assert client.get(url, {"q": q}).body["items"] == []
        assert client.get(f"{world.base}/aggregate", {"q": q}).body["groups"] == [
            {"key": None, "value": 0}]
    # The admin, for contrast, finds them.
    assert world.api.get(url, {"q": "秘密"}).body["items"]


def test_rule_change_takes_effect_at_once(world: World) -> None:
    client = world.clients["fukushi"]
    assert client.get(f"{world.base}/records").status == 404
    world.rules([{"subject": {"org": "200", "include_children": True}, "rights": ["view"],
                  "records": {"field_is_my_org": "dept"}}])
    assert world.names(client.get(f"{world.base}/records").body["items"]) == {"福祉会館"}
    world.rules([])
    assert client.get(f"{world.base}/records").status == 404


def test_token_reuse_after_revocation(world: World) -> None:
    from django.contrib.auth import get_user_model

    from daicho.models import ApiToken
    from daicho.services.accounts import revoke_token

    world.rules([{"subject": {"everyone": True}, "rights": ["view"]}])
    client = world.clients["somu"]
    assert client.get(f"{world.base}/records").status == 200
    user = get_user_model().objects.get(username="somu")
    for token in ApiToken.objects.filter(user=user):
        revoke_token(token_id=token.id, user=user)
    resp = client.get(f"{world.base}/records")
    assert resp.status == 401 and resp.body["error"]["code"] == "not_authenticated"
    assert client.get("/api/v1/ledgers").status == 401


def test_default_rules_of_a_new_ledger(world: World) -> None:
    # Creating ledgers is a right of its own (test_ledger_creators.py): everyone holds it here.
    assert world.api.put("/api/v1/ledger-creators", {"subjects": [{"everyone": True}]}).status == 200
    somu = world.clients["somu"]
    assert somu.get(f"{world.base}/records").status == 404  # the admin's ledger: not theirs
    mine = somu.post("/api/v1/ledgers", {"name": "総務課の台帳", "fields": [
        {"name": "名称", "type": "text", "code": "name"}]})
    assert mine.status == 201
    base = f"/api/v1/ledgers/{mine.body['id']}"
    assert somu.get(f"{base}/permissions").body == {"rules": [
        {"subject": {"org": "110", "include_children": True}, "rights": ["view", "add", "edit"]},
        {"subject": {"user": "somu"}, "rights": list(__import__("daicho.access").access.RIGHTS)},
    ]}
    shomu = world.clients["shomu"]  # 庶務係, below 総務課
    assert shomu.post(f"{base}/records", {"values": {"name": "a"}}).status == 201
    assert shomu.get(f"{base}/permissions").status == 404
    assert shomu.get(f"{base}/export", {"format": "csv"}).status == 404
    assert world.clients["fukushi"].get(base).status == 404
    lone = world.clients["named"].post("/api/v1/ledgers", {"name": "個人の台帳", "fields": []})
    assert world.api.get(f"/api/v1/ledgers/{lone.body['id']}/permissions").body["rules"] == [
        {"subject": {"user": "named"}, "rights": list(__import__("daicho.access").access.RIGHTS)}]


BAD_RULES = [
    ("rules", "not a list"),
    ("rules[0]", [{"rights": ["view"]}]),
    ("rules[0]", [{"subject": {"everyone": True}, "rights": ["view"], "extra": 1}]),
    ("rules[0].subject", [{"subject": {"everyone": False}, "rights": ["view"]}]),
    ("rules[0].subject", [{"subject": {"user": "x", "role": "y"}, "rights": ["view"]}]),
    ("rules[0].subject.user", [{"subject": {"user": "ghost"}, "rights": ["view"]}]),
    ("rules[0].subject.org", [{"subject": {"org": "999"}, "rights": ["view"]}]),
    ("rules[0].subject.include_children",
     [{"subject": {"org": "110", "include_children": "yes"}, "rights": ["view"]}]),
    ("rules[0].rights", [{"subject": {"everyone": True}, "rights": []}]),
    ("rules[0].rights", [{"subject": {"everyone": True}, "rights": ["read"]}]),
    ("rules[0].records", [{"subject": {"everyone": True}, "rights": ["view"],
                           "records": {"creator": False}}]),
    ("rules[0].records.field_is_my_org", [{"subject": {"everyone": True}, "rights": ["view"],
                                           "records": {"field_is_my_org": "kind"}}]),
    ("rules[0].records.filter", [{"subject": {"everyone": True}, "rights": ["view"],
                                  "records": {"filter": "nosuch:eq:1"}}]),
    ("rules[0].fields.nosuch", [{"subject": {"everyone": True}, "rights": ["view"],
                                 "fields": {"nosuch": "hidden"}}]),
    ("rules[0].fields.secret", [{"subject": {"everyone": True}, "rights": ["view"],
                                 "fields": {"secret": "write"}}]),
]


@pytest.mark.parametrize(("at", "rules"), BAD_RULES)
def test_invalid_rules_are_refused_whole(world: World, at: str, rules: Any) -> None:
    before = world.api.get(f"{world.base}/permissions").body
    resp = world.api.put(f"{world.base}/permissions", {"rules": rules})
    assert resp.status == 400
    assert resp.body["error"]["code"] == "invalid_rules"
    assert resp.body["error"]["details"]["at"] == at and resp.body["error"]["message"]
    assert world.api.get(f"{world.base}/permissions").body == before


def test_rules_round_trip(world: World) -> None:
    rules = [
        {"subject": {"everyone": True}, "rights": ["view"], "fields": {"secret": "hidden"}},
        {"subject": {"org": "210", "include_children": False}, "rights": ["edit", "view"],
         "records": {"field_is_my_org": "dept"}, "fields": {"amount": "read"}},
        {"subject": {"role": "監査"}, "rights": ["export", "view"],
         "records": {"filter": "kind:eq:建物"}},
        {"subject": {"user": "named"}, "rights": ["view"], "records": {"creator": True}},
    ]
    resp = world.api.put(f"{world.base}/permissions", {"rules": rules})
    assert resp.status == 200
    rules[1]["rights"] = ["view", "edit"]
    rules[2]["rights"] = ["view", "export"]
    assert resp.body == {"rules": rules}
    assert world.api.get(f"{world.base}/permissions").body == {"rules": rules}


def test_web_pages_list_only_visible_ledgers(world: World) -> None:
    from django.contrib.auth import get_user_model
    from django.test import Client

    world.rules([{"subject": {"org": "210"}, "rights": ["view"]}])
    pages = {}
    for login in ("fukushi", "somu"):
        browser = Client()
        browser.force_login(get_user_model().objects.get(username=login))
        pages[login] = browser.get("/").content.decode()
        assert browser.get(f"/ledgers/{world.ledger_id}/").status_code == (
            200 if login == "fukushi" else 404)
    assert "公有財産" in pages["fukushi"] and "公有財産" not in pages["somu"]


def test_attachments_follow_record_and_field_rules(api: ApiClient, make_client: Any) -> None:
    import io

    led = api.post("/api/v1/ledgers", {"name": "添付台帳", "fields": [
        {"name": "名称", "type": "text", "code": "name"},
        {"name": "図面", "type": "file", "code": "drawing"},
        {"name": "写真", "type": "file", "code": "photo"}]}).body
    base = f"/api/v1/ledgers/{led['id']}"
    somu = make_client("somu")
    api.put(f"{base}/permissions", {"rules": [
        {"subject": {"user": "somu"}, "rights": ["view", "add", "edit"],
         "records": {"creator": True}, "fields": {"photo": "hidden"}}]})

    def upload(client: ApiClient, code: str, name: str) -> int:
        stream = io.BytesIO(b"%PDF-1.4 " + name.encode())
        stream.name = name
        resp = client.upload(f"{base}/files", {"field": code, "file": stream})
        assert resp.status == 201, resp.body
        return int(resp.body["id"])

    theirs = upload(api, "drawing", "admin.pdf")
    photo = upload(api, "photo", "photo.jpg")
    api.post(f"{base}/records", {"values": {"name": "A", "drawing": [{"id": theirs}],
                                            "photo": [{"id": photo}]}})
    mine = upload(somu, "drawing", "somu.pdf")
    assert somu.post(f"{base}/records", {"values": {"name": "B", "drawing": [{"id": mine}]}}
                     ).status == 201
    missing = somu.client.get(f"{base}/files/999999")
    assert somu.client.get(f"{base}/files/{mine}").status_code == 200
    for guessed in (theirs, photo):
        resp = somu.client.get(f"{base}/files/{guessed}")
        assert (resp.status_code, resp.content) == (404, missing.content)
    assert api.client.get(f"{base}/files/{theirs}").status_code == 200
