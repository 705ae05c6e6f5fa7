"""Links to other ledgers go through the gate: a user may link only to records they may see, and
a record they may not see is refused exactly like one that does not exist (no probing)."""

from __future__ import annotations

from typing import Any

from tests.permissions.conftest import World


def _linking_ledger(world: World) -> int:
    resp = world.api.post("/api/v1/ledgers", {"name": "貸出記録", "fields": [
        {"name": "件名", "type": "text", "code": "title"},
        {"name": "財産", "type": "link", "code": "asset",
         "options": {"ledger": world.ledger_id}},
    ]})
    assert resp.status == 201, resp.body
    lid = resp.body["id"]
    rules = [{"subject": {"everyone": True}, "rights": ["view", "add", "edit"]}]
    assert world.api.put(f"/api/v1/ledgers/{lid}/permissions", {"rules": rules}).status == 200
    return int(lid)


def _link(world: World, login: str, lid: int, target: int) -> Any:
    return world.clients[login].post(f"/api/v1/ledgers/{lid}/records",
                                     {"values": {"title": "貸出", "asset": target}})


def test_links_only_to_records_the_writer_may_see(world: World) -> None:
    lid = _linking_ledger(world)
    missing = _link(world, "somu", lid, 999_999)
    assert missing.status == 400
    # The target ledger is closed to somu: its records look missing.
    world.rules([{"subject": {"user": "fukushi"}, "rights": ["view"]}])
    hidden = _link(world, "somu", lid, world.ids["庁舎"])
    assert hidden.status == 400
    assert hidden.body["error"]["code"] == missing.body["error"]["code"]
    assert str(world.ids["庁舎"]) in str(hidden.body) and "999999" in str(missing.body)
    assert str(hidden.body).replace(str(world.ids["庁舎"]), "N") == \
        str(missing.body).replace("999999", "N")
    # Record rules apply too: somu sees only the records of their department or below.
    world.rules([{"subject": {"user": "somu"}, "rights": ["view"],
                  "records": {"field_is_my_org": "dept"}}])
    assert _link(world, "somu", lid, world.ids["庁舎"]).status == 201      # 総務課 (mine)
    assert _link(world, "somu", lid, world.ids["係の机"]).status == 201    # 庶務係 (below)
    assert _link(world, "somu", lid, world.ids["福祉会館"]).status == 400  # 生活福祉課
    # Administrators (and the system itself) may link to any live record.
    assert world.api.post(f"/api/v1/ledgers/{lid}/records", {"values": {
        "title": "管理", "asset": world.ids["福祉会館"]}}).status == 201


def test_new_records_must_lie_within_the_rule_that_lets_one_add(world: World) -> None:
    world.rules([{"subject": {"user": "somu"}, "rights": ["view", "add"],
                  "records": {"field_is_my_org": "dept"}},
                 {"subject": {"user": "shomu"}, "rights": ["view", "add"],
                  "records": {"creator": True}}])
    url = f"{world.base}/records"
    somu = world.clients["somu"]
    before = world.api.get(url, {"limit": 500}).body["items"]
    assert somu.post(url, {"values": {"name": "総務の机", "dept": "110"}}).status == 201
    assert somu.post(url, {"values": {"name": "係の椅子", "dept": "111"}}).status == 201
    outside = somu.post(url, {"values": {"name": "福祉の机", "dept": "210"}})
    assert outside.status == 403 and outside.body["error"]["code"] == "outside_record_rules"
    assert somu.post(url, {"values": {"name": "無所属の机"}}).status == 403
    bulk = somu.post(f"{url}/bulk", {"create": [{"values": {"name": "一", "dept": "110"}},
                                                {"values": {"name": "二", "dept": "210"}}]})
    assert bulk.status == 403
    names = {r["values"]["name"] for r in world.api.get(url, {"limit": 500}).body["items"]}
    assert names == {r["values"]["name"] for r in before} | {"総務の机", "係の椅子"}
    # "Records I created" is met by every record one creates.
    assert world.clients["shomu"].post(url, {"values": {"name": "自作", "dept": "210"}}).status \
        == 201


def test_an_import_outside_the_rule_writes_nothing(world: World) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    world.rules([{"subject": {"user": "somu"}, "rights": ["view", "add", "import"],
                  "records": {"field_is_my_org": "dept"}}])
    somu = world.clients["somu"]
    url = f"{world.base}/records"
    before = len(world.api.get(url, {"limit": 500}).body["items"])

    def send(rows: str) -> Any:
        data = ("名称,所管課\r\n" + rows).encode()
        return somu.upload("/api/v1/imports", {"file": SimpleUploadedFile("追加.csv", data),
                                               "ledger": str(world.ledger_id),
                                               "mode": "append"})

    outside = send("総務の棚,110\r\n福祉の棚,210\r\n")
    assert outside.status == 403, outside.body
    assert outside.body["error"]["code"] == "outside_record_rules"
    assert len(world.api.get(url, {"limit": 500}).body["items"]) == before
    inside = send("総務の棚,110\r\n係の棚,111\r\n")
    assert inside.status == 200 and inside.body["created"] == 2, inside.body
