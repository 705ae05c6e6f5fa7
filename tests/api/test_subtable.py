"""The subtable (明細) field type through the API: rows with typed columns, row ids, limits,
refusals that name row and column, search and filters, history per row, revert, formulas."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import ApiClient, make_ledger

COLUMNS = [
    {"code": "name", "name": "品名", "type": "text"},
    {"code": "qty", "name": "数量", "type": "number"},
    {"code": "price", "name": "単価", "type": "number", "options": {"unit": "円"}},
    {"code": "day", "name": "納期", "type": "date"},
]


@pytest.fixture
def estimate(api: ApiClient) -> dict[str, Any]:
    led = make_ledger(api, "見積", [
        {"name": "件名", "type": "text", "code": "title"},
        {"name": "明細", "type": "subtable", "code": "items", "options": {"fields": COLUMNS}},
        {"name": "合計数量", "type": "formula", "code": "total_qty",
         "options": {"expression": "SUM(items.qty)"}},
        {"name": "行数", "type": "formula", "code": "lines",
         "options": {"expression": "COUNT(items.name)"}},
        {"name": "最高単価", "type": "formula", "code": "top",
         "options": {"expression": "MAX(items.price)"}},
    ])
    return {"ledger": led, "url": f"/api/v1/ledgers/{led['id']}/records"}


def _create(api: ApiClient, estimate: dict[str, Any], rows: Any) -> Any:
    return api.post(estimate["url"], {"values": {"title": "机の購入", "items": rows}})


def test_rows_get_ids_and_cells_are_cleaned_by_their_column(api: ApiClient,
                                                            estimate: dict[str, Any]) -> None:
    ledger = api.get(f"/api/v1/ledgers/{estimate['ledger']['id']}").body
    items = next(f for f in ledger["fields"] if f["code"] == "items")
    assert items["type"] == "subtable"
    assert [c["code"] for c in items["options"]["fields"]] == ["name", "qty", "price", "day"]
    resp = _create(api, estimate, [{"name": "机", "qty": "２", "price": "1,200", "day": "R6.4.1"},
                                   {"name": "椅子", "qty": 4, "price": 800}])
    assert resp.status == 201, resp.body
    values = resp.body["values"]
    assert values["items"] == [
        {"id": 1, "name": "机", "qty": 2, "price": 1200, "day": "2024-04-01"},
        {"id": 2, "name": "椅子", "qty": 4, "price": 800},
    ]
    assert values["total_qty"] == 6 and values["lines"] == 2 and values["top"] == 1200


def test_patch_replaces_the_list_keeping_known_ids(api: ApiClient,
                                                   estimate: dict[str, Any]) -> None:
    rec = _create(api, estimate, [{"name": "机", "qty": 2}, {"name": "椅子", "qty": 4},
                                  {"name": "棚", "qty": 1}]).body
    url = f"{estimate['url']}/{rec['id']}"
    resp = api.patch(url, {"revision": 1, "values": {"items": [
        {"id": 3, "name": "棚", "qty": 5}, {"id": 1, "name": "机", "qty": 2}, {"name": "ロッカー"}]}})
    assert resp.status == 200, resp.body
    assert resp.body["values"]["items"] == [{"id": 3, "name": "棚", "qty": 5},
                                            {"id": 1, "name": "机", "qty": 2},
                                            {"id": 4, "name": "ロッカー"}]
    assert resp.body["values"]["total_qty"] == 7  # recomputed in the same write
    # Row 2 was removed: a new row never gets its id again.
    again = api.patch(url, {"revision": 2, "values": {"items": [{"name": "時計"}]}})
    assert again.body["values"]["items"] == [{"id": 5, "name": "時計"}]
    assert again.body["values"]["total_qty"] == 0 and again.body["values"]["lines"] == 1
    cleared = api.patch(url, {"revision": 3, "values": {"items": []}})
    assert cleared.body["values"]["items"] is None and cleared.body["values"]["top"] is None


@pytest.mark.parametrize("rows, row, column", [
    ([{"name": "机"}, {"id": 99, "name": "椅子"}], 2, "id"),
    ([{}, {"name": ""}, {"id": 99, "name": "椅子"}], 3, "id"),
    ([{"id": 1, "name": "机"}, {"id": 1, "name": "椅子"}], 2, "id"),
    ([{"id": "1", "name": "机"}], 1, "id"),
    ([{"name": "机", "qty": "たくさん"}], 1, "qty"),
    ([{"name": "机"}, {"name": "椅子", "day": "2024-02-30"}], 2, "day"),
    ([{"name": "机", "colour": "黒"}], 1, "colour"),
    ([{"name": "机\x00"}], 1, "name"),
    ([{"name": ["机"]}], 1, "name"),
    ([{"name": "x" * 100_001}], 1, "name"),
])
def test_bad_rows_are_refused_naming_row_and_column(api: ApiClient, estimate: dict[str, Any],
                                                    rows: Any, row: int, column: str) -> None:
    rec = _create(api, estimate, [{"name": "元の行", "qty": 1}]).body
    url = f"{estimate['url']}/{rec['id']}"
    resp = api.patch(url, {"revision": 1, "values": {"items": rows}})
    assert resp.status == 400, resp.body
    error = resp.body["error"]
    assert error["code"] == "invalid_values"
    assert error["details"]["fields"]["items"]
    assert {"row": row, "column": column} == {
        k: error["details"]["rows"]["items"][0][k] for k in ("row", "column")}
    assert error["details"]["rows"]["items"][0]["message"]
    after = api.get(url).body
    assert after["revision"] == 1 and after["values"]["items"] == [{"id": 1, "name": "元の行",
                                                                    "qty": 1}]


@pytest.mark.parametrize("value", ["机", {"name": "机"}, [1, 2], [["机"]], "{not json", 5, True])
def test_wrong_shapes_are_refused(api: ApiClient, estimate: dict[str, Any], value: Any) -> None:
    resp = _create(api, estimate, value)
    assert resp.status == 400, resp.body
    assert resp.body["error"]["code"] == "invalid_values"
    assert api.get(estimate["url"]).body["items"] == []


def test_five_hundred_rows_and_the_documented_maximum(api: ApiClient,
                                                      estimate: dict[str, Any]) -> None:
    rows = [{"name": f"部品{n}", "qty": n, "price": 10} for n in range(1, 501)]
    resp = _create(api, estimate, rows)
    assert resp.status == 201, resp.body
    got = resp.body["values"]
    assert len(got["items"]) == 500 and got["items"][-1]["id"] == 500
    assert got["total_qty"] == 500 * 501 // 2 and got["lines"] == 500
    url = f"{estimate['url']}/{resp.body['id']}"
    # Change one row of 500: kept ids, one changed row in history.
    rows = [dict(r) for r in got["items"]]
    rows[249]["qty"] = 0
    patched = api.patch(url, {"revision": 1, "values": {"items": rows}})
    assert patched.status == 200 and patched.body["values"]["total_qty"] == 500 * 501 // 2 - 250
    change = api.get(f"{url}/history").body["items"][0]["changes"]["items"]
    assert change["rows"] == [{"action": "changed", "row": 250, "id": 250,
                               "changes": {"qty": {"old": 250, "new": 0}}}]
    too_many = _create(api, estimate, [{"name": "x"}] * 2001)
    assert too_many.status == 413, too_many.body
    assert too_many.body["error"]["code"] == "too_many_rows"
    assert too_many.body["error"]["details"] == {"field": "items", "max_rows": 2000, "rows": 2001}
    assert api.get(estimate["url"]).body["total"] in (1, None)
    assert len(api.get(estimate["url"]).body["items"]) == 1


def test_search_and_filters_look_into_the_cells(api: ApiClient, estimate: dict[str, Any]) -> None:
    desk = _create(api, estimate, [{"name": "ｽﾁｰﾙ机", "qty": 2}]).body["id"]
    empty = _create(api, estimate, None).body["id"]
    other = _create(api, estimate, [{"name": "椅子", "qty": 13}]).body["id"]

    def ids(params: dict[str, str]) -> list[int]:
        resp = api.get(estimate["url"], params)
        assert resp.status == 200, resp.body
        return sorted(r["id"] for r in resp.body["items"])

    assert ids({"q": "スチール"}) == [desk]
    assert ids({"filter": "items:contains:机"}) == [desk]
    assert ids({"filter": "items:contains:13"}) == [other]
    assert ids({"filter": "items:contains:name"}) == []  # codes and ids are not cells
    assert ids({"filter": "items:contains:1"}) == [other]
    assert ids({"filter": "items:empty:"}) == [empty]
    assert ids({"filter": "items:notempty:"}) == [desk, other]
    assert api.get(estimate["url"], {"sort": "items"}).status == 400


def test_history_shows_rows_and_revert_brings_them_back(api: ApiClient,
                                                        estimate: dict[str, Any]) -> None:
    rec = _create(api, estimate, [{"name": "A", "qty": 1}, {"name": "B", "qty": 2},
                                  {"name": "C", "qty": 3}]).body
    url = f"{estimate['url']}/{rec['id']}"
    api.patch(url, {"revision": 1, "values": {"items": [
        {"id": 1, "name": "A", "qty": 1}, {"id": 3, "name": "D", "qty": 3}, {"name": "E"}]}})
    items = api.get(f"{url}/history").body["items"]
    change = items[0]["changes"]["items"]
    assert change["rows"] == [
        {"action": "changed", "row": 2, "id": 3, "changes": {"name": {"old": "C", "new": "D"}}},
        {"action": "added", "row": 3, "id": 4},
        {"action": "removed", "row": 2, "id": 2},
    ]
    assert items[0]["changes"]["total_qty"] == {"old": 6, "new": 4}
    assert [r["action"] for r in items[1]["changes"]["items"]["rows"]] == ["added"] * 3
    back = api.post(f"{url}/revert", {"to_revision": 1})
    assert back.status == 200, back.body
    assert back.body["values"]["items"] == rec["values"]["items"]
    assert back.body["values"]["total_qty"] == 6
    # Trash and restore keep the rows.
    assert api.delete(f"{url}?revision=3").status == 204
    restored = api.post(f"{url}/restore")
    assert restored.body["values"]["items"] == rec["values"]["items"]


@pytest.mark.parametrize("options", [
    {},
    {"fields": []},
    {"fields": [{"code": "id", "name": "番号", "type": "text"}]},
    {"fields": [{"code": "a", "name": "A", "type": "text"}, {"code": "a", "name": "B",
                                                            "type": "text"}]},
    {"fields": [{"code": "a", "name": "A", "type": "subtable", "options": {"fields": []}}]},
    {"fields": [{"code": "a", "name": "A", "type": "link"}]},
    {"fields": [{"code": "a", "name": "A", "type": "choice", "options": {"choices": "x"}}]},
    {"fields": [{"code": "A B", "name": "A", "type": "text"}]},
    {"fields": [{"code": "a", "name": "", "type": "text"}]},
    {"fields": [{"code": "a", "name": "A", "type": "text", "colour": 1}]},
    {"fields": "a,b"},
])
def test_bad_column_definitions_are_refused(api: ApiClient, options: Any) -> None:
    resp = api.post("/api/v1/ledgers", {"name": "明細だめ", "fields": [
        {"name": "明細", "type": "subtable", "code": "items", "options": options}]})
    assert resp.status == 400, resp.body
    assert api.get("/api/v1/ledgers").body["items"] == []


def test_a_formula_may_not_use_the_subtable_itself(api: ApiClient,
                                                   estimate: dict[str, Any]) -> None:
    led = estimate["ledger"]["id"]
    resp = api.post(f"/api/v1/ledgers/{led}/fields", {
        "name": "だめ", "type": "formula", "options": {"expression": "items * 2"}})
    assert resp.status == 400 and resp.body["error"]["code"] == "invalid_expression"
    resp = api.post(f"/api/v1/ledgers/{led}/fields", {
        "name": "だめ2", "type": "formula", "options": {"expression": "items.colour"}})
    assert resp.status == 400 and resp.body["error"]["code"] == "invalid_expression"
    ok = api.post(f"/api/v1/ledgers/{led}/fields", {
        "name": "平均", "type": "formula", "code": "avg",
        "options": {"expression": "AVERAGE(items.qty)", "decimals": 1}})
    assert ok.status in (200, 201), ok.body


def test_a_formula_column_computes_each_row(api: ApiClient) -> None:
    led = make_ledger(api, "見積（計算）", [
        {"name": "明細", "type": "subtable", "code": "items", "options": {"fields": [
            {"code": "name", "name": "品名", "type": "text"},
            {"code": "qty", "name": "数量", "type": "number"},
            {"code": "price", "name": "単価", "type": "number", "options": {"decimals": 1}},
            {"code": "amount", "name": "金額", "type": "formula",
             "options": {"expression": "ROUND(qty * price * 1.1)"}},
            {"code": "label", "name": "表示", "type": "formula",
             "options": {"expression": "name & \"：\" & amount", "result": "text"}}]}},
        {"name": "合計", "type": "formula", "code": "total",
         "options": {"expression": "SUM(items.amount)"}},
    ])
    url = f"/api/v1/ledgers/{led['id']}/records"
    resp = api.post(url, {"values": {"items": [{"name": "机", "qty": 2, "price": "1000.5"},
                                               {"name": "椅子", "qty": 3, "price": 0.1,
                                                "amount": 999999}]}})
    assert resp.status == 201, resp.body
    items = resp.body["values"]["items"]
    assert [(r["amount"], r["label"]) for r in items] == [(2201, "机：2201"), (0, "椅子：0")]
    assert resp.body["values"]["total"] == 2201
    patched = api.patch(f"{url}/{resp.body['id']}", {"revision": 1, "values": {"items": [
        {**items[0], "qty": 10}, items[1]]}})
    assert patched.body["values"]["items"][0]["amount"] == 11006
    assert patched.body["values"]["total"] == 11006
    change = api.get(f"{url}/{resp.body['id']}/history").body["items"][0]["changes"]["items"]
    assert change["rows"][0]["changes"]["amount"] == {"old": 2201, "new": 11006}


@pytest.mark.parametrize("expression", ["qty *", "colour * 2", "later * 2", "\"a\" * 2"])
def test_a_bad_formula_column_is_refused(api: ApiClient, expression: str) -> None:
    resp = api.post("/api/v1/ledgers", {"name": "だめな式", "fields": [
        {"name": "明細", "type": "subtable", "code": "items", "options": {"fields": [
            {"code": "qty", "name": "数量", "type": "number"},
            {"code": "amount", "name": "金額", "type": "formula",
             "options": {"expression": expression}},
            {"code": "later", "name": "後", "type": "formula", "options": {"expression": "1"}}]}}]})
    assert resp.status == 400, resp.body
    error = resp.body["error"]
    assert error["code"] == "invalid_expression" and error["details"]["column"] == "amount"
    assert isinstance(error["details"]["position"], int)


def test_a_hidden_subtable_hides_the_formulas_that_sum_it(api: ApiClient, make_client: Any,
                                                          estimate: dict[str, Any]) -> None:
    lid = estimate["ledger"]["id"]
    rec = _create(api, estimate, [{"name": "天板", "qty": 2, "price": 100}]).body
    assert api.get(estimate["url"], {"q": "天板"}).body["items"][0]["id"] == rec["id"]
    assert api.put(f"/api/v1/ledgers/{lid}/permissions", {"rules": [
        {"subject": {"everyone": True}, "rights": ["view"], "fields": {"items": "hidden"}},
    ]}).status == 200
    viewer = make_client("viewer", name="閲覧者")
    got = viewer.get(f"{estimate['url']}/{rec['id']}")
    assert got.status == 200
    assert {"items", "total_qty", "lines", "top"}.isdisjoint(got.body["values"])
    assert viewer.get(estimate["url"], {"q": "天板"}).body["items"] == []
    assert viewer.get(estimate["url"], {"filter": "items:contains:天板"}).status == 400
