"""Comments follow the record (contract §5, §9; docs/permissions.md, "Comments"): whoever may
view a record reads and writes its comments, nobody else learns they exist — not through the
list, the history, the search or a mention; users who may not view the record are never
mentioned."""

from __future__ import annotations

from typing import Any

from tests.permissions.conftest import World

SOMU_ONLY = [{"subject": {"org": "100", "include_children": True}, "rights": ["view", "edit"],
              "records": {"field_is_my_org": "dept"}},
             {"subject": {"org": "200", "include_children": True}, "rights": ["view"],
              "records": {"filter": "kind:eq:建物"}}]


def _comments(world: World, name: str) -> str:
    return f"{world.base}/records/{world.ids[name]}/comments"


def test_who_may_view_the_record_reads_and_writes_its_comments(world: World) -> None:
    world.rules(SOMU_ONLY)
    somu, shomu, fukushi = (world.clients[n] for n in ("somu", "shomu", "fukushi"))
    url = _comments(world, "倉庫")  # dept 111 (庶務係), 土地
    resp = somu.post(url, {"text": "総務課から"})  # 110 sees 111 (field_is_my_org and below)
    assert resp.status == 201, resp.body
    assert shomu.post(url, {"text": "庶務係から"}).status == 201
    # 福祉 sees only 建物 records; 倉庫 is 土地: 404 for reading and writing, nothing written.
    for call in (fukushi.get(url), fukushi.post(url, {"text": "見えないはず"}),
                 fukushi.get(f"{url}/{resp.body['id']}/history"),
                 fukushi.patch(f"{url}/{resp.body['id']}", {"text": "x"}),
                 fukushi.delete(f"{url}/{resp.body['id']}"),
                 world.clients["nobody"].get(url)):
        assert call.status == 404, call.body
    assert [c["text"] for c in somu.get(url).body["items"]] == ["総務課から", "庶務係から"]
    # A viewer without edit may comment too: 福祉 on 福祉会館? not theirs by dept, but 建物.
    assert fukushi.post(_comments(world, "福祉会館"), {"text": "確認しました"}).status == 201


def test_search_never_returns_comments_of_records_the_caller_may_not_see(world: World) -> None:
    for name in ("庁舎", "倉庫", "福祉会館"):
        assert world.api.post(_comments(world, name), {"text": f"点検予定 {name}"}).status == 201
    world.rules(SOMU_ONLY)
    found = world.clients["fukushi"].get("/api/v1/comments", {"q": "点検"}).body["items"]
    # 福祉 sees the 建物 records: 庁舎 and 福祉会館, not 倉庫 (土地).
    assert sorted(c["text"] for c in found) == ["点検予定 庁舎", "点検予定 福祉会館"]
    assert world.clients["nobody"].get("/api/v1/comments", {"q": "点検"}).body["items"] == []
    resp = world.clients["nobody"].get("/api/v1/comments", {"q": "点検",
                                                             "ledger": str(world.ledger_id)})
    assert resp.status == 404
    # A rule change takes effect at once.
    world.rules([])
    assert world.clients["fukushi"].get("/api/v1/comments", {"q": "点検"}).body["items"] == []


def test_only_users_who_may_view_the_record_are_mentioned(world: World) -> None:
    world.rules(SOMU_ONLY)
    resp = world.clients["somu"].post(_comments(world, "倉庫"),
                                      {"text": "@shomu さん、@fukushi さん、@nobody さん"})
    assert resp.status == 201, resp.body
    assert resp.body["mentions"] == ["shomu"]
    assert resp.body["skipped"] == [{"text": "@fukushi", "reason": "cannot_view"},
                                    {"text": "@nobody", "reason": "cannot_view"}]
    listed = world.clients["shomu"].get(_comments(world, "倉庫")).body["items"]
    assert listed[0]["mentions"] == ["shomu"]


def test_sensitive_ledger_logs_reads_of_comments(world: World) -> None:
    assert world.api.patch(world.base, {"sensitive": True}).status == 200
    url = _comments(world, "庁舎")
    assert world.api.post(url, {"text": "個人情報に注意"}).status == 201

    def entries() -> list[Any]:
        return [e for e in world.api.get("/api/v1/audit-log").body["items"]
                if e["action"] in ("view_record", "view_list")]

    before = len(entries())
    assert world.api.get(url).status == 200
    assert world.api.get("/api/v1/comments", {"q": "注意"}).status == 200
    new = entries()[before:]
    assert [e["action"] for e in new] == ["view_record", "view_list"]


def test_sensitive_record_page_logs_once_and_the_type_ahead_not_at_all(world: World) -> None:
    from django.contrib.auth import get_user_model
    from django.test import Client

    assert world.api.patch(world.base, {"sensitive": True}).status == 200
    assert world.api.post(_comments(world, "庁舎"), {"text": "確認"}).status == 201
    web = Client()
    web.force_login(get_user_model().objects.get(username="admin"))
    page = f"/ledgers/{world.ledger_id}/records/{world.ids['庁舎']}/"

    def count() -> int:
        return sum(1 for e in world.api.get("/api/v1/audit-log").body["items"]
                   if e["action"] in ("view_record", "view_list"))

    before = count()
    assert "確認" in web.get(page).content.decode()
    assert count() == before + 1
    assert web.get(page + "comments/mentions?q=").status_code == 200
    assert count() == before + 1
