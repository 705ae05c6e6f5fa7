"""GET …/records/{rid}/related (contract §7): the records of other ledgers whose link fields point
at a record, with totals and paging, as far as the caller may see them."""

from __future__ import annotations

from typing import Any

from tests.conftest import ApiClient, make_ledger


def _setup(api: ApiClient) -> tuple[int, int, int, int]:
    items = make_ledger(api, "貸出物品", [{"name": "品名", "type": "text", "code": "name"}])
    lid = items["id"]
    loans = make_ledger(api, "貸出記録", [
        {"name": "借受人", "type": "text", "code": "who"},
        {"name": "物品", "type": "link", "code": "item", "options": {"ledger": lid}},
        {"name": "予備品", "type": "link", "code": "spare", "options": {"ledger": lid}}])
    thing = api.post(f"/api/v1/ledgers/{lid}/records", {"values": {"name": "プロジェクター"}})
    other = api.post(f"/api/v1/ledgers/{lid}/records", {"values": {"name": "マイク"}})
    rid, oid = thing.body["id"], other.body["id"]
    for n in range(13):
        resp = api.post(f"/api/v1/ledgers/{loans['id']}/records", {
            "values": {"who": f"職員{n}", "item": rid if n < 12 else oid, "spare": oid}})
        assert resp.status == 201, resp.body
    return lid, loans["id"], rid, oid


def test_groups_totals_and_paging(api: ApiClient) -> None:
    lid, loans, rid, oid = _setup(api)
    body = api.get(f"/api/v1/ledgers/{lid}/records/{rid}/related", {"limit": 5}).body
    assert [(g["ledger"]["id"], g["ledger"]["name"], g["field"], g["total"])
            for g in body["items"]] == [(loans, "貸出記録", "item", 12), (loans, "貸出記録", "spare", 0)]
    first = body["items"][0]
    assert len(first["records"]) == 5 and first["next_cursor"]
    assert {"id", "revision", "values", "created_at"} <= set(first["records"][0])
    seen = {r["id"] for r in first["records"]}
    cursor = first["next_cursor"]
    while cursor:
        page = api.get(f"/api/v1/ledgers/{lid}/records/{rid}/related", {
            "ledger": loans, "field": "item", "limit": 5, "cursor": cursor}).body["items"]
        assert len(page) == 1
        seen |= {r["id"] for r in page[0]["records"]}
        cursor = page[0]["next_cursor"]
    assert len(seen) == 12
    other = api.get(f"/api/v1/ledgers/{lid}/records/{oid}/related").body["items"]
    assert [(g["field"], g["total"]) for g in other] == [("item", 1), ("spare", 13)]


def test_a_deleted_record_is_not_listed(api: ApiClient) -> None:
    lid, loans, rid, _oid = _setup(api)
    first = api.get(f"/api/v1/ledgers/{lid}/records/{rid}/related").body["items"][0]["records"][0]
    assert api.delete(f"/api/v1/ledgers/{loans}/records/{first['id']}?revision=1").status == 204
    groups = api.get(f"/api/v1/ledgers/{lid}/records/{rid}/related").body["items"]
    assert groups[0]["total"] == 11


def test_only_what_the_caller_may_see(api: ApiClient, make_client: Any) -> None:
    lid, loans, rid, _oid = _setup(api)
    clerk = make_client("clerk")
    base = f"/api/v1/ledgers/{lid}/records/{rid}/related"
    assert clerk.get(base).status == 404  # may not see the record's ledger
    api.put(f"/api/v1/ledgers/{lid}/permissions", {"rules": [
        {"subject": {"everyone": True}, "rights": ["view"]}]})
    assert clerk.get(base).body == {"items": []}  # may not see the loans ledger
    api.put(f"/api/v1/ledgers/{loans}/permissions", {"rules": [
        {"subject": {"everyone": True}, "rights": ["view"],
         "records": {"filter": "who:eq:職員3"}, "fields": {"spare": "hidden"}}]})
    groups = clerk.get(base).body["items"]
    assert [(g["field"], g["total"]) for g in groups] == [("item", 1)]
    assert [r["values"]["who"] for r in groups[0]["records"]] == ["職員3"]
    assert "spare" not in groups[0]["records"][0]["values"]


def test_bad_requests(api: ApiClient) -> None:
    lid, _loans, rid, _oid = _setup(api)
    assert api.get(f"/api/v1/ledgers/{lid}/records/999999/related").status == 404
    resp = api.get(f"/api/v1/ledgers/{lid}/records/{rid}/related", {"limit": 0})
    assert resp.status == 400 and resp.body["error"]["code"] == "invalid_limit"
    resp = api.get(f"/api/v1/ledgers/{lid}/records/{rid}/related", {"cursor": "garbage"})
    assert resp.status == 400
