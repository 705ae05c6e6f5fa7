"""A lookup shows a field of another ledger: that ledger's rules hold. A field hidden there, a
ledger closed to the user, or one they may read only in part (record conditions) gives `null`
in the record's values, and the lookup is neither filterable, sortable nor exported for them —
a filter on it must not tell what the hidden value is."""

from __future__ import annotations

from typing import Any

import pytest

from tests.permissions.conftest import World


@pytest.fixture
def looking(world: World) -> dict[str, Any]:
    resp = world.api.post("/api/v1/ledgers", {"name": "貸出記録", "fields": [
        {"name": "件名", "type": "text", "code": "title"},
        {"name": "財産", "type": "link", "code": "asset", "options": {"ledger": world.ledger_id}},
        {"name": "財産名", "type": "lookup", "code": "asset_name",
         "options": {"link": "asset", "field": "name"}},
        {"name": "番号", "type": "lookup", "code": "asset_secret",
         "options": {"link": "asset", "field": "secret"}},
    ]})
    assert resp.status == 201, resp.body
    lid = resp.body["id"]
    rules = [{"subject": {"everyone": True}, "rights": ["view", "export"]}]
    assert world.api.put(f"/api/v1/ledgers/{lid}/permissions", {"rules": rules}).status == 200
    base = f"/api/v1/ledgers/{lid}"
    ids = {name: world.api.post(f"{base}/records", {"values": {
        "title": f"{name}の貸出", "asset": world.ids[name]}}).body["id"]
        for name in ("庁舎", "福祉会館")}
    return {"base": base, "ids": ids}


def _export(client: Any, base: str) -> str:
    resp = client.client.get(f"{base}/export", {"format": "csv", "encoding": "utf-8"})
    assert resp.status_code == 200
    return b"".join(resp.streaming_content).decode("utf-8")  # type: ignore[no-any-return]


def _values(client: Any, looking: dict[str, Any], name: str) -> dict[str, Any]:
    resp = client.get(f"{looking['base']}/records/{looking['ids'][name]}")
    assert resp.status == 200, resp.body
    return resp.body["values"]  # type: ignore[no-any-return]


def test_a_field_hidden_in_the_linked_ledger_is_null(world: World, looking: Any) -> None:
    world.rules([{"subject": {"everyone": True}, "rights": ["view"],
                  "fields": {"secret": "hidden"}}])
    somu = world.clients["somu"]
    values = _values(somu, looking, "庁舎")
    assert values["asset_name"] == "庁舎" and values["asset_secret"] is None
    assert _values(world.api, looking, "庁舎")["asset_secret"] == "秘密甲改"
    # Neither filter nor sort may tell the hidden value: refused as for an unknown field.
    url = f"{looking['base']}/records"
    yes = somu.get(url, {"filter": "asset_secret:eq:秘密甲改"})
    no = somu.get(url, {"filter": "asset_secret:eq:違う"})
    assert yes.status == no.status == 400 and yes.body["error"]["code"] == no.body["error"]["code"]
    assert somu.get(url, {"sort": "asset_secret"}).status == 400
    assert somu.get(url, {"filter": "asset_name:eq:庁舎"}).body["items"][0]["id"] == \
        looking["ids"]["庁舎"]
    text = _export(somu, looking["base"])
    assert "秘密" not in text and "番号" not in text and "庁舎" in text
    assert "秘密甲改" in _export(world.api, looking["base"])
    # A search does not find it either.
    assert somu.get(url, {"q": "秘密甲改"}).body["items"] == []


def test_record_rules_of_the_linked_ledger_hold(world: World, looking: Any) -> None:
    world.rules([{"subject": {"user": "somu"}, "rights": ["view"],
                  "records": {"field_is_my_org": "dept"}}])
    somu = world.clients["somu"]
    # somu may read 庁舎 (総務課) but not 福祉会館: neither value shows, and no filter tells.
    assert _values(somu, looking, "福祉会館")["asset_name"] is None
    assert _values(somu, looking, "庁舎")["asset_name"] is None
    url = f"{looking['base']}/records"
    assert somu.get(url, {"filter": "asset_name:eq:福祉会館"}).status == 400
    assert "福祉会館" not in _export(somu, looking["base"]).replace("福祉会館の貸出", "")


def test_a_ledger_closed_to_the_user(world: World, looking: Any) -> None:
    world.rules([{"subject": {"user": "fukushi"}, "rights": ["view"]}])
    values = _values(world.clients["somu"], looking, "庁舎")
    assert values["asset_name"] is None and values["asset_secret"] is None
    fukushi = _values(world.clients["fukushi"], looking, "庁舎")
    assert fukushi["asset_name"] == "庁舎" and fukushi["asset_secret"] == "秘密甲改"
