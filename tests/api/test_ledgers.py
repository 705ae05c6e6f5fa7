"""Ledgers and fields (部品) through the API: add, rename, reorder, retype, delete, restore."""

from __future__ import annotations

from typing import Any

from django.db import connection

from tests.conftest import ApiClient, make_ledger


def _records(api: ApiClient, ledger: dict[str, Any]) -> list[dict[str, Any]]:
    return api.get(f"/api/v1/ledgers/{ledger['id']}/records").body["items"]  # type: ignore[no-any-return]


def test_list_and_get_ledger(api: ApiClient, ledger: dict[str, Any]) -> None:
    listing = api.get("/api/v1/ledgers").body["items"]
    assert listing == [{"id": ledger["id"], "name": "テスト台帳", "description": "",
                        "record_count": 0, "folder": ""}]  # folder: added (issue 14)
    got = api.get(f"/api/v1/ledgers/{ledger['id']}").body
    assert [f["code"] for f in got["fields"]] == ["name", "amount", "day", "kind"]
    assert got["fields"][0] == {"code": "name", "name": "名称", "type": "text", "required": True,
                                "unique": False, "options": {}, "position": 0}
    assert api.get("/api/v1/ledgers/999999").status == 404


def test_generated_codes_are_ascii_and_unique(api: ApiClient) -> None:
    led = make_ledger(api, "自動コード", [{"name": "名称", "type": "text"},
                                          {"name": "Amount Due", "type": "number"},
                                          {"name": "備考", "type": "textarea"}])
    codes = [f["code"] for f in led["fields"]]
    assert codes == ["field_1", "amount_due", "field_2"]


def test_duplicate_names_and_bad_codes_refused(api: ApiClient) -> None:
    resp = api.post("/api/v1/ledgers", {"name": "x", "fields": [
        {"name": "a", "type": "text"}, {"name": "a", "type": "text"}]})
    assert resp.status == 400 and resp.body["error"]["code"] == "duplicate_field_name"
    for code in ["Name", "1abc", "a-b", "id", "x" * 70, "名前", "a b"]:
        resp = api.post("/api/v1/ledgers", {"name": "y", "fields": [
            {"name": "a", "type": "text", "code": code}]})
        assert resp.status == 400, code
    assert api.post("/api/v1/ledgers", {"name": "z", "fields": [
        {"name": "a", "type": "spreadsheet"}]}).body["error"]["code"] == "unknown_field_type"
    make_ledger(api, "同名")
    assert api.post("/api/v1/ledgers", {"name": "同名"}).status == 409
    assert api.get("/api/v1/ledgers").body["items"][0]["name"] == "同名"


def test_add_rename_reorder_delete_restore(api: ApiClient, ledger: dict[str, Any]) -> None:
    lid = ledger["id"]
    api.post(f"/api/v1/ledgers/{lid}/records", {"values": {"name": "庁舎", "amount": 5}})
    added = api.post(f"/api/v1/ledgers/{lid}/fields", {"name": "メモ", "type": "textarea",
                                                       "code": "memo"})
    assert added.status == 201 and added.body["code"] == "memo"
    renamed = api.patch(f"/api/v1/ledgers/{lid}/fields/amount", {"name": "取得価格"})
    assert renamed.status == 200 and renamed.body["name"] == "取得価格"
    assert _records(api, ledger)[0]["values"]["amount"] == 5  # rename touches metadata only
    order = ["memo", "kind", "day", "amount", "name"]
    resp = api.put(f"/api/v1/ledgers/{lid}/fields/order", {"codes": order})
    assert [f["code"] for f in resp.body["fields"]] == order
    moved = api.patch(f"/api/v1/ledgers/{lid}/fields/name", {"position": 0})
    assert moved.status == 200
    got = api.get(f"/api/v1/ledgers/{lid}").body
    assert [f["code"] for f in got["fields"]] == ["name", "memo", "kind", "day", "amount"]
    assert api.delete(f"/api/v1/ledgers/{lid}/fields/amount").status == 204
    assert "amount" not in _records(api, ledger)[0]["values"]
    assert api.get(f"/api/v1/ledgers/{lid}/records", {"q": "庁舎"}).body["items"]
    restored = api.post(f"/api/v1/ledgers/{lid}/fields/amount/restore")
    assert restored.status == 200
    assert _records(api, ledger)[0]["values"]["amount"] == 5  # the data stayed recoverable


def test_type_change_lists_unconvertible_values(api: ApiClient) -> None:
    led = make_ledger(api, "型変更", [{"name": "金額", "type": "text", "code": "v"}])
    url = f"/api/v1/ledgers/{led['id']}/records"
    ids = [api.post(url, {"values": {"v": v}}).body["id"] for v in ["1,000", "２５", "不明", None]]
    preview = api.patch(f"/api/v1/ledgers/{led['id']}/fields/v", {"type": "number"})
    assert preview.status == 409
    details = preview.body["error"]["details"]
    assert preview.body["error"]["code"] == "values_not_convertible"
    assert details["count"] == 1
    assert details["unconvertible"] == [{"record_id": ids[2], "value": "不明",
                                         "message": details["unconvertible"][0]["message"]}]
    # refused: nothing changed
    assert api.get(f"/api/v1/ledgers/{led['id']}").body["fields"][0]["type"] == "text"
    done = api.patch(f"/api/v1/ledgers/{led['id']}/fields/v", {"type": "number", "confirm": True})
    assert done.status == 200 and done.body["type"] == "number"
    values = {r["id"]: r["values"]["v"] for r in api.get(url).body["items"]}
    assert values == {ids[0]: 1000, ids[1]: 25, ids[2]: None, ids[3]: None}
    # the old text column is kept, so 「不明」 is still recoverable
    from daicho.models import Field

    f = Field.objects.get(ledger_id=led["id"], code="v")
    old_column = f.retired_columns[0]["column"]
    with connection.cursor() as cur:
        cur.execute(f'SELECT "{old_column}" FROM ledger_{led["id"]} WHERE id = %s', [ids[2]])
        assert cur.fetchone()[0] == "不明"
    # numbers now filter and sort as numbers
    found = api.get(url, {"filter": "v:gt:100"}).body["items"]
    assert [r["id"] for r in found] == [ids[0]]
    back = api.patch(f"/api/v1/ledgers/{led['id']}/fields/v", {"type": "text"})
    assert back.status == 200
    assert {r["values"]["v"] for r in api.get(url).body["items"]} == {"1000", "25", None}


def test_option_changes_that_would_break_values_are_refused(api: ApiClient,
                                                            ledger: dict[str, Any]) -> None:
    lid = ledger["id"]
    api.post(f"/api/v1/ledgers/{lid}/records", {"values": {"name": "a", "kind": "工作物"}})
    resp = api.patch(f"/api/v1/ledgers/{lid}/fields/kind",
                     {"options": {"choices": ["土地", "建物"]}})
    assert resp.status == 409
    ok = api.patch(f"/api/v1/ledgers/{lid}/fields/kind",
                   {"options": {"choices": ["土地", "建物", "工作物", "立木竹"]}})
    assert ok.status == 200 and ok.body["options"]["choices"][-1] == "立木竹"


def test_required_and_unique_switches_check_data(api: ApiClient, ledger: dict[str, Any]) -> None:
    lid = ledger["id"]
    for name in ["a", "a"]:
        api.post(f"/api/v1/ledgers/{lid}/records", {"values": {"name": name}})
    assert api.patch(f"/api/v1/ledgers/{lid}/fields/amount", {"required": True}).status == 409
    resp = api.patch(f"/api/v1/ledgers/{lid}/fields/name", {"unique": True})
    assert resp.status == 409
    assert resp.body["error"]["details"]["duplicates"] == [{"value": "a", "count": 2}]


def test_ledger_rename(api: ApiClient, ledger: dict[str, Any]) -> None:
    resp = api.patch(f"/api/v1/ledgers/{ledger['id']}", {"name": "新しい名前",
                                                         "description": "説明"})
    assert resp.status == 200 and resp.body["name"] == "新しい名前"
    assert resp.body["description"] == "説明"


def test_physical_names_never_change(api: ApiClient, ledger: dict[str, Any]) -> None:
    from daicho.models import Field, Ledger

    before = {f.code: f.column for f in Field.objects.filter(ledger_id=ledger["id"])}
    api.patch(f"/api/v1/ledgers/{ledger['id']}/fields/name", {"name": "改名"})
    api.patch(f"/api/v1/ledgers/{ledger['id']}", {"name": "改名台帳"})
    after = {f.code: f.column for f in Field.objects.filter(ledger_id=ledger["id"])}
    assert before == after
    assert Ledger.objects.get(id=ledger["id"]).table_name == f"ledger_{ledger['id']}"
