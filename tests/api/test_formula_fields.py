"""The formula field type through the API (contract §7): computed in the same transaction as
every write it depends on, stored so filter, sort, search, aggregate and export see it,
read-only, refused with invalid_expression / formula_cycle, recomputed by a job when it changes."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.conftest import ApiClient, make_ledger

FIELDS = [
    {"name": "品名", "type": "text", "code": "name"},
    {"name": "数量", "type": "number", "code": "qty"},
    {"name": "単価", "type": "number", "code": "price", "options": {"decimals": 2}},
    {"name": "金額", "type": "formula", "code": "amount",
     "options": {"expression": "ROUND(qty * price * 1.1)", "result": "number"}},
    {"name": "取得日", "type": "date", "code": "day"},
    {"name": "年度", "type": "formula", "code": "fy",
     "options": {"expression": "FISCAL_YEAR(day)", "result": "number"}},
    {"name": "和暦", "type": "formula", "code": "wareki",
     "options": {"expression": "WAREKI(day)", "result": "text"}},
    {"name": "期限", "type": "formula", "code": "due",
     "options": {"expression": "DATE_ADD(day, 1, \"month\")", "result": "date"}},
    {"name": "高額", "type": "formula", "code": "big",
     "options": {"expression": "amount >= 10000", "result": "yesno"}},
]


@pytest.fixture
def lid(api: ApiClient) -> int:
    return int(make_ledger(api, "備品", FIELDS)["id"])


def _values(api: ApiClient, lid: int, rid: int) -> dict[str, Any]:
    resp = api.get(f"/api/v1/ledgers/{lid}/records/{rid}")
    assert resp.status == 200, resp.body
    return resp.body["values"]  # type: ignore[no-any-return]


def test_computed_on_create_and_update_with_history(api: ApiClient, lid: int) -> None:
    base = f"/api/v1/ledgers/{lid}/records"
    resp = api.post(base, {"values": {"name": "机", "qty": 3, "price": "19.8",
                                      "day": "2025-03-31"}})
    assert resp.status == 201, resp.body
    values = resp.body["values"]
    assert values["amount"] == 65  # 3 × 19.8 × 1.1 = 65.34, exactly
    assert values["fy"] == 2024
    assert values["wareki"] == "令和7年3月31日"
    assert values["due"] == "2025-04-30"
    assert values["big"] is False
    rid = resp.body["id"]
    resp = api.patch(f"{base}/{rid}", {"revision": 1, "values": {"qty": 1000, "day": "2019-05-01"}})
    assert resp.status == 200, resp.body
    values = resp.body["values"]
    assert values["amount"] == 21780 and values["big"] is True
    assert values["wareki"] == "令和元年5月1日" and values["fy"] == 2019
    changes = api.get(f"{base}/{rid}/history").body["items"][0]["changes"]
    assert changes["amount"] == {"old": 65, "new": 21780}
    assert changes["big"] == {"old": False, "new": True}


def test_writing_a_formula_is_read_only_field(api: ApiClient, lid: int) -> None:
    base = f"/api/v1/ledgers/{lid}/records"
    resp = api.post(base, {"values": {"name": "机", "amount": 5}})
    assert resp.status == 400 and resp.body["error"]["code"] == "read_only_field"
    assert resp.body["error"]["details"]["field"] == "amount"
    assert api.get(base).body["items"].__len__() == 0
    rid = api.post(base, {"values": {"name": "机"}}).body["id"]
    resp = api.patch(f"{base}/{rid}", {"revision": 1, "values": {"amount": 5}})
    assert resp.status == 400 and resp.body["error"]["code"] == "read_only_field"
    resp = api.post(f"{base}/bulk", {"update": [{"id": rid, "revision": 1,
                                                 "values": {"fy": 1}}]})
    assert resp.status == 400 and resp.body["error"]["code"] == "read_only_field"
    assert _values(api, lid, rid)["amount"] == 0  # empty × empty, as Excel: 0


def test_filter_sort_search_aggregate_export(api: ApiClient, lid: int) -> None:
    base = f"/api/v1/ledgers/{lid}/records"
    for name, qty, price in (("机", 1, "100"), ("椅子", 2, "5000"), ("棚", 3, "20000")):
        assert api.post(base, {"values": {"name": name, "qty": qty, "price": price,
                                          "day": "2024-04-01"}}).status == 201
    resp = api.get(base, {"filter": "amount:gt:1000", "sort": "-amount"})
    assert [r["values"]["name"] for r in resp.body["items"]] == ["棚", "椅子"]
    big = api.get(base, {"filter": "big:eq:true", "sort": "amount"}).body["items"]
    assert [r["values"]["name"] for r in big] == ["椅子", "棚"]
    assert api.get(base, {"q": "66000"}).body["items"].__len__() == 1  # search sees the computed value
    assert api.get(base, {"q": "令和6年4月1日"}).body["items"].__len__() == 3
    agg = api.get(f"/api/v1/ledgers/{lid}/aggregate", {"group_by": "fy", "metric": "sum:amount"})
    assert agg.status == 200, agg.body
    assert agg.body["groups"] == [{"key": 2024, "value": 110 + 11000 + 66000}]
    export = api.client.get(f"/api/v1/ledgers/{lid}/export", {"format": "csv",
                                                              "encoding": "utf-8"})
    assert export.status_code == 200
    text = b"".join(export.streaming_content).decode("utf-8-sig")
    assert "金額" in text and "66000" in text and "令和6年4月1日" in text


def test_bad_expressions_are_refused_with_position(api: ApiClient, lid: int) -> None:
    path = f"/api/v1/ledgers/{lid}/fields"
    for expression, position in (("qty * ", 6), ("name * 2", 0), ("qty + nosuch", 6),
                                 ("ROUND(qty", 9), ("\"a\" * 2", 0)):
        resp = api.post(path, {"name": f"式{position}", "type": "formula", "code": "bad",
                               "options": {"expression": expression, "result": "number"}})
        assert resp.status == 400, (expression, resp.body)
        assert resp.body["error"]["code"] == "invalid_expression", resp.body
        assert resp.body["error"]["details"]["position"] == position, (expression, resp.body)
        assert resp.body["error"]["details"]["field"] == "bad"
    resp = api.post(path, {"name": "日付式", "type": "formula", "code": "bad",
                           "options": {"expression": "name & qty", "result": "date"}})
    assert resp.body["error"]["code"] == "invalid_expression"
    codes = [f["code"] for f in api.get(f"/api/v1/ledgers/{lid}").body["fields"]]
    assert "bad" not in codes
    resp = api.patch(f"{path}/amount", {"options": {"expression": "qty *", "result": "number"}})
    assert resp.status == 400 and resp.body["error"]["code"] == "invalid_expression"
    resp = api.delete(f"{path}/price")  # 金額 uses it
    assert resp.status == 400 and resp.body["error"]["code"] == "invalid_expression"
    assert resp.body["error"]["details"]["field"] == "amount"


def test_cycles_are_refused(api: ApiClient, lid: int) -> None:
    path = f"/api/v1/ledgers/{lid}/fields"
    resp = api.patch(f"{path}/amount", {"options": {"expression": "big * 2", "result": "number"}})
    assert resp.status == 400 and resp.body["error"]["code"] == "formula_cycle"
    assert set(resp.body["error"]["details"]["fields"]) == {"amount", "big"}
    resp = api.post(path, {"name": "自己", "type": "formula", "code": "me",
                           "options": {"expression": "me + 1"}})
    assert resp.status == 400 and resp.body["error"]["code"] == "formula_cycle"
    resp = api.post("/api/v1/ledgers", {"name": "循環", "fields": [
        {"name": "A", "type": "formula", "code": "a", "options": {"expression": "b"}},
        {"name": "B", "type": "formula", "code": "b", "options": {"expression": "a"}}]})
    assert resp.status == 400 and resp.body["error"]["code"] == "formula_cycle"


def test_division_by_zero_is_empty_and_rounding_option(api: ApiClient) -> None:
    lid = make_ledger(api, "割り算", [
        {"name": "分子", "type": "number", "code": "a"},
        {"name": "分母", "type": "number", "code": "b"},
        {"name": "商", "type": "formula", "code": "q",
         "options": {"expression": "a / b", "result": "number", "decimals": 2}},
        {"name": "切捨て", "type": "formula", "code": "down",
         "options": {"expression": "a / b", "result": "number", "rounding": "down"}},
        {"name": "切上げ", "type": "formula", "code": "up",
         "options": {"expression": "a / b", "result": "number", "rounding": "up"}},
        {"name": "和", "type": "formula", "code": "s",
         "options": {"expression": "a * 0.1 + b * 0.2", "result": "number", "decimals": 1}},
    ])["id"]
    base = f"/api/v1/ledgers/{lid}/records"
    values = api.post(base, {"values": {"a": 1, "b": 0}}).body["values"]
    assert values["q"] is None and values["down"] is None
    values = api.post(base, {"values": {"a": 2, "b": 3}}).body["values"]
    assert (values["q"], values["down"], values["up"]) == (0.67, 0, 1)
    values = api.post(base, {"values": {"a": 1, "b": 1}}).body["values"]
    assert values["s"] == 0.3


def test_bulk_import_revert_restore_recompute(api: ApiClient, lid: int) -> None:
    base = f"/api/v1/ledgers/{lid}/records"
    resp = api.post(f"{base}/bulk", {"create": [{"values": {"name": "A", "qty": 2, "price": 10}},
                                                {"values": {"name": "B", "qty": 3, "price": 10}}]})
    assert resp.status == 200, resp.body
    first, second = resp.body["created"]
    assert (first["values"]["amount"], second["values"]["amount"]) == (22, 33)
    resp = api.post(f"{base}/bulk", {"update": [{"id": first["id"], "revision": 1,
                                                 "values": {"qty": 10}}]})
    assert resp.body["updated"][0]["values"]["amount"] == 110
    resp = api.post(f"{base}/{first['id']}/revert", {"to_revision": 1})
    assert resp.status == 200, resp.body
    assert resp.body["values"]["amount"] == 22
    assert api.delete(f"{base}/{second['id']}?revision=1").status == 204
    assert api.post(f"{base}/{second['id']}/restore").body["values"]["amount"] == 33
    csv = "品名,数量,単価,金額\r\nC,4,25,999\r\n".encode()  # 金額 in the file is not written
    resp = api.upload("/api/v1/imports", {"file": SimpleUploadedFile("備品.csv", csv),
                                          "ledger": str(lid), "mode": "append"})
    assert resp.status == 200, (resp.body["errors"], resp.body["warnings"])
    found = api.get(base, {"filter": "name:eq:C"}).body["items"]
    assert found[0]["values"]["amount"] == 110
    resp = api.upload("/api/v1/imports", {"file": SimpleUploadedFile(
        "備品.csv", "品名,数量\r\nC,5\r\n".encode()), "ledger": str(lid), "mode": "upsert",
        "key": "name"})
    assert resp.status == 200, resp.body
    assert api.get(base, {"filter": "name:eq:C"}).body["items"][0]["values"]["amount"] == 138


def test_a_new_or_changed_formula_is_recomputed_by_a_job(api: ApiClient, lid: int) -> None:
    from daicho import jobs

    base = f"/api/v1/ledgers/{lid}/records"
    ids = [api.post(base, {"values": {"name": f"品{n}", "qty": n, "price": 100}}).body["id"]
           for n in range(1, 4)]
    path = f"/api/v1/ledgers/{lid}/fields"
    resp = api.post(path, {"name": "税込", "type": "formula", "code": "tax",
                           "options": {"expression": "qty * price * 1.08", "result": "number"}})
    assert resp.status == 201, resp.body
    ledger = api.get(f"/api/v1/ledgers/{lid}").body
    tax = next(f for f in ledger["fields"] if f["code"] == "tax")
    assert tax["computing"] is not None and tax["computing"]["progress"] == 0
    job = api.get(f"/api/v1/jobs/{tax['computing']['job']}").body
    assert (job["kind"], job["status"]) == ("formula_recompute", "queued")
    assert _values(api, lid, ids[0])["tax"] is None  # until the job has run
    assert jobs.run_pending() >= 1
    assert [_values(api, lid, i)["tax"] for i in ids] == [108, 216, 324]
    assert api.get(base, {"filter": "tax:ge:200"}).body["items"].__len__() == 2
    ledger = api.get(f"/api/v1/ledgers/{lid}").body
    assert next(f for f in ledger["fields"] if f["code"] == "tax")["computing"] is None
    job = api.get(f"/api/v1/jobs/{tax['computing']['job']}").body
    assert (job["status"], job["progress"], job["result"]["rewritten"]) == ("done", 100, 3)
    revision = api.get(f"{base}/{ids[0]}").body["revision"]
    # A changed expression, then a changed result kind (a column of the new kind).
    resp = api.patch(f"{path}/tax", {"options": {"expression": "qty * price * 1.1",
                                                 "result": "number"}})
    assert resp.status == 200, resp.body
    jobs.run_pending()
    assert [_values(api, lid, i)["tax"] for i in ids] == [110, 220, 330]
    resp = api.patch(f"{path}/tax", {"options": {"expression": "TEXT(qty * price, \"#,##0円\")",
                                                 "result": "text"}})
    assert resp.status == 200, resp.body
    jobs.run_pending()
    assert _values(api, lid, ids[2])["tax"] == "300円"
    assert api.get(base, {"q": "300円"}).body["items"].__len__() == 1
    # The recomputation is not a change of the record: no new revision.
    assert api.get(f"{base}/{ids[0]}").body["revision"] == revision


def test_a_field_retyped_to_formula(api: ApiClient, lid: int) -> None:
    from daicho import jobs

    base = f"/api/v1/ledgers/{lid}/records"
    rid = api.post(base, {"values": {"name": "机", "qty": 2, "price": 3}}).body["id"]
    resp = api.patch(f"/api/v1/ledgers/{lid}/fields/name", {
        "type": "formula", "options": {"expression": "\"品\" & qty", "result": "text"}})
    assert resp.status == 200, resp.body
    jobs.run_pending()
    assert _values(api, lid, rid)["name"] == "品2"


def test_a_formula_over_a_hidden_field_is_hidden_too(api: ApiClient, lid: int,
                                                     make_client: Any) -> None:
    bob = make_client("bob")
    resp = api.put(f"/api/v1/ledgers/{lid}/permissions", {"rules": [
        {"subject": {"everyone": True}, "rights": ["view", "add", "edit"],
         "fields": {"price": "hidden"}}]})
    assert resp.status == 200, resp.body
    base = f"/api/v1/ledgers/{lid}/records"
    rid = api.post(base, {"values": {"name": "机", "qty": 2, "price": 15000}}).body["id"]
    values = bob.get(f"{base}/{rid}").body["values"]
    # 金額 uses 単価; 高額 uses 金額: neither may show what 単価 is.
    assert "price" not in values and "amount" not in values and "big" not in values
    assert values["qty"] == 2 and "fy" in values
    assert bob.get(base, {"filter": "amount:gt:1"}).status == 400
    assert bob.get(base, {"q": "33000"}).body["items"] == []
    # Bob's own change of 数量 still recomputes 金額 for those who may see it.
    assert bob.patch(f"{base}/{rid}", {"revision": 1, "values": {"qty": 3}}).status == 200
    assert _values(api, lid, rid)["amount"] == 49500


def test_a_big_recompute_rebuilds_the_search_index(api: ApiClient, lid: int,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from daicho import jobs
    from daicho.services import formulas

    monkeypatch.setattr(formulas, "REBUILD_INDEX_OVER", 1)
    monkeypatch.setattr(formulas, "CHUNK", 2)
    base = f"/api/v1/ledgers/{lid}/records"
    for n in range(5):
        api.post(base, {"values": {"name": f"品{n}", "qty": n, "price": 7}})
    resp = api.post(f"/api/v1/ledgers/{lid}/fields", {
        "name": "表示", "type": "formula", "code": "label",
        "options": {"expression": "\"備品番号\" & (qty + 1000)", "result": "text"}})
    assert resp.status == 201, resp.body
    assert jobs.run_pending() >= 1
    found = api.get(base, {"q": "備品番号1003"}).body["items"]
    assert [r["values"]["name"] for r in found] == ["品3"]
    assert len(api.get(base, {"q": "備品番号"}).body["items"]) == 5


def test_a_restored_formula_field_is_checked_and_recomputed(api: ApiClient, lid: int) -> None:
    from daicho import jobs

    base = f"/api/v1/ledgers/{lid}/records"
    path = f"/api/v1/ledgers/{lid}/fields"
    rid = api.post(base, {"values": {"name": "机", "qty": 2, "price": 10}}).body["id"]
    assert api.delete(f"{path}/big").status == 204
    assert api.delete(f"{path}/amount").status == 204
    assert api.patch(f"{base}/{rid}", {"revision": 1, "values": {"qty": 5}}).status == 200
    resp = api.post(f"{path}/amount/restore")
    assert resp.status == 200, resp.body
    jobs.run_pending()
    assert _values(api, lid, rid)["amount"] == 55  # computed again, not the value of before
    assert api.delete(f"{path}/amount").status == 204
    assert api.delete(f"{path}/price").status == 204
    resp = api.post(f"{path}/amount/restore")  # 単価 is gone: the formula cannot work
    assert resp.status == 400 and resp.body["error"]["code"] == "invalid_expression"
