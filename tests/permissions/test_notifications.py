"""Nobody is notified about a record or a field they may not see (contract §9), through the
permission matrix: a record rule keeps a recipient away from a record, a hidden field keeps
its name and value out of their text, and a change of a field they may not see tells them
nothing."""

from __future__ import annotations

from typing import Any

from tests.conftest import ApiClient
from tests.permissions.conftest import World

RULES = [
    {"subject": {"org": "110", "include_children": False}, "rights": ["view", "edit"],
     "records": {"field_is_my_org": "dept"}},
    {"subject": {"org": "210", "include_children": False}, "rights": ["view"],
     "records": {"field_is_my_org": "dept"}},
    {"subject": {"role": "監査"}, "rights": ["view"],
     "fields": {"secret": "hidden", "name": "hidden"}},
]


def _texts(client: ApiClient) -> list[str]:
    return [n["text"] for n in client.get("/api/v1/notifications", {"unread": "1"}).body["items"]]


def _read_all(world: World) -> None:
    for client in world.clients.values():
        client.post("/api/v1/notifications/read")


def test_recipients_get_nothing_of_what_they_may_not_see(world: World) -> None:
    world.rules(RULES)
    resp = world.api.put(f"{world.base}/notifications", {"rules": [
        {"on": "create", "to": {"everyone": True}},
        {"on": "update", "to": {"everyone": True}}]})
    assert resp.status == 200, resp.body
    rec = world.api.post(f"{world.base}/records", {"values": {
        "name": "新庁舎", "amount": 777, "dept": "110", "secret": "秘密ゼット"}}).body
    seen = {login: _texts(c) for login, c in world.clients.items()}
    assert len(seen["somu"]) == 1 and "新庁舎" in seen["somu"][0]
    # The auditor sees the record but neither its name nor its secret.
    assert len(seen["auditor"]) == 1
    assert "新庁舎" not in seen["auditor"][0] and "秘密" not in seen["auditor"][0]
    # Outside the record rules (another department, a sub-section, no rule at all): nothing.
    for login in ("fukushi", "shomu", "named", "nobody"):
        assert seen[login] == [], login
    _read_all(world)
    # A change of the hidden field alone: the auditor is told nothing, somu is told which.
    resp = world.api.patch(f"{world.base}/records/{rec['id']}",
                           {"revision": 1, "values": {"secret": "秘密ワイ"}})
    assert resp.status == 200, resp.body
    assert _texts(world.clients["auditor"]) == []
    [text] = _texts(world.clients["somu"])
    assert "個人番号" in text and "秘密" not in text
    _read_all(world)
    # A change of visible and hidden fields: the auditor hears of the visible one only.
    world.api.patch(f"{world.base}/records/{rec['id']}",
                    {"revision": 2, "values": {"secret": "秘密ダブ", "amount": 1}})
    [text] = _texts(world.clients["auditor"])
    assert "金額" in text and "個人番号" not in text


def test_an_update_rule_on_a_hidden_field_and_field_recipients(world: World) -> None:
    world.rules(RULES)
    resp = world.api.put(f"{world.base}/notifications", {"rules": [
        {"on": "update", "to": {"role": "監査"}, "field": "secret"},
        {"on": "update", "to": {"field": "dept"}, "field": "amount"}]})
    assert resp.status == 200, resp.body
    rid = world.ids["庁舎"]  # dept 110, revision 2
    world.api.patch(f"{world.base}/records/{rid}", {"revision": 2, "values": {
        "secret": "新しい秘密", "amount": 5}})
    assert _texts(world.clients["auditor"]) == []  # the field is hidden from them
    # {"field": "dept"} names the department 110: somu, and not 111's shomu.
    assert len(_texts(world.clients["somu"])) == 1
    assert _texts(world.clients["shomu"]) == []


def test_a_digest_counts_only_the_records_each_recipient_may_see(world: World,
                                                                 make_client: Any) -> None:
    world.rules(RULES)
    world.api.put(f"{world.base}/notifications", {"rules": [
        {"on": "create", "to": {"everyone": True}}], "digest_over": 1})
    resp = world.api.post(f"{world.base}/records/bulk", {"create": [
        {"values": {"name": "甲", "dept": "110"}}, {"values": {"name": "乙", "dept": "110"}},
        {"values": {"name": "丙", "dept": "210"}}]})
    assert resp.status == 200, resp.body
    [somu] = _texts(world.clients["somu"])
    [fukushi] = _texts(world.clients["fukushi"])
    assert "2 件" in somu and "1 件" in fukushi
    assert _texts(world.clients["nobody"]) == []
