"""Detail rows (subtable) in exports and imports: one row per record (the rows as one text
cell) or one row per detail line (`detail=lines`), and the latter read back by the importer."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from tests.conftest import ApiClient, make_ledger

FIELDS = [
    {"name": "件名", "type": "text", "code": "title"},
    {"name": "日付", "type": "date", "code": "day"},
    {"name": "明細", "type": "subtable", "code": "items", "options": {"fields": [
        {"code": "name", "name": "品名", "type": "text"},
        {"code": "qty", "name": "数量", "type": "number"},
        {"code": "price", "name": "単価", "type": "number", "options": {"decimals": 1}},
        {"code": "due", "name": "納期", "type": "date"},
        {"code": "kind", "name": "区分", "type": "choice", "options": {"choices": ["物品", "役務"]}},
    ]}},
    {"name": "合計", "type": "formula", "code": "total",
     "options": {"expression": "SUM(items.qty)"}},
]
RECORDS = [
    {"title": "机の購入", "day": "2024-04-01", "items": [
        {"name": "机", "qty": 2, "price": 1200.5, "due": "2024-04-10", "kind": "物品"},
        {"name": "設置", "qty": 1, "kind": "役務"}]},
    {"title": "明細なし", "day": "2024-05-01"},
    {"title": "机の購入", "day": "2024-04-01", "items": [{"name": "椅子", "qty": 4}]},
    {"title": "=危険", "items": [{"name": "+1", "qty": 3}, {"name": "棚"}, {"name": "時計"}]},
]


@pytest.fixture
def filled(api: ApiClient) -> dict[str, Any]:
    led = make_ledger(api, "見積", FIELDS)
    url = f"/api/v1/ledgers/{led['id']}/records"
    for values in RECORDS:
        assert api.post(url, {"values": values}).status == 201
    return {"ledger": led, "url": url}


def _export(api: ApiClient, lid: int, **params: str) -> bytes:
    resp = api.client.get(f"/api/v1/ledgers/{lid}/export", params)
    assert resp.status_code == 200, resp.content
    return b"".join(resp.streaming_content)


def _csv(api: ApiClient, lid: int, **params: str) -> list[list[str]]:
    data = _export(api, lid, format="csv", **params)
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_one_row_per_record_joins_the_rows_in_one_cell(api: ApiClient,
                                                      filled: dict[str, Any]) -> None:
    rows = _csv(api, filled["ledger"]["id"])
    assert rows[0] == ["件名", "日付", "明細", "合計"]
    assert rows[1] == ["机の購入", "2024-04-01",
                       "品名: 机 / 数量: 2 / 単価: 1200.5 / 納期: 2024-04-10 / 区分: 物品\n"
                       "品名: 設置 / 数量: 1 / 区分: 役務", "3"]
    assert rows[2] == ["明細なし", "2024-05-01", "", "0"]
    assert len(rows) == 5


def test_one_row_per_detail_line_repeats_the_record(api: ApiClient,
                                                   filled: dict[str, Any]) -> None:
    rows = _csv(api, filled["ledger"]["id"], detail="lines")
    assert rows[0] == ["件名", "日付", "明細.品名", "明細.数量", "明細.単価", "明細.納期", "明細.区分",
                       "合計"]
    assert rows[1:] == [
        ["机の購入", "2024-04-01", "机", "2", "1200.5", "2024-04-10", "物品", "3"],
        ["机の購入", "2024-04-01", "設置", "1", "", "", "役務", "3"],
        ["明細なし", "2024-05-01", "", "", "", "", "", "0"],
        ["机の購入", "2024-04-01", "椅子", "4", "", "", "", "4"],
        ["'=危険", "", "'+1", "3", "", "", "", "3"],
        ["'=危険", "", "棚", "", "", "", "", "3"],
        ["'=危険", "", "時計", "", "", "", "", "3"],
    ]
    bad = api.get(f"/api/v1/ledgers/{filled['ledger']['id']}/export",
                  {"format": "csv", "detail": "rows"})
    assert bad.status == 400 and bad.body["error"]["code"] == "invalid_detail"


def _records(api: ApiClient, url: str) -> list[dict[str, Any]]:
    items = api.get(url, {"limit": 500}).body["items"]
    return [r["values"] for r in sorted(items, key=lambda r: r["id"])]


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_detail_lines_round_trip_through_the_importer(api: ApiClient, filled: dict[str, Any],
                                                      fmt: str) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = _export(api, filled["ledger"]["id"], format=fmt, detail="lines")
    copy = make_ledger(api, "見積の写し", FIELDS)
    resp = api.upload("/api/v1/imports", {"file": SimpleUploadedFile(f"見積.{fmt}", data),
                                          "ledger": str(copy["id"]), "mode": "append"})
    assert resp.status == 200, resp.body
    assert resp.body["ok"] and resp.body["created"] == 4, resp.body
    assert _records(api, f"/api/v1/ledgers/{copy['id']}/records") == \
        _records(api, filled["url"])


def test_detail_lines_grouped_by_a_key_and_bad_cells_name_the_file_row(api: ApiClient) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    led = make_ledger(api, "貸出", [
        {"name": "番号", "type": "text", "code": "no"},
        {"name": "物品", "type": "subtable", "code": "things", "options": {"fields": [
            {"code": "name", "name": "名称", "type": "text"},
            {"code": "count", "name": "数", "type": "number"}]}},
    ])
    url = f"/api/v1/ledgers/{led['id']}/records"
    text = "番号,物品.名称,物品.数\r\nA1,プロジェクター,1\r\nA2,延長コード,2\r\nA1,スクリーン,1\r\n"
    resp = api.upload("/api/v1/imports", {"file": SimpleUploadedFile("貸出.csv", text.encode()),
                                          "ledger": str(led["id"]), "mode": "upsert",
                                          "key": "no"})
    assert resp.status == 200 and resp.body["created"] == 2, resp.body
    got = {v["no"]: [r["name"] for r in v["things"]] for v in _records(api, url)}
    assert got == {"A1": ["プロジェクター", "スクリーン"], "A2": ["延長コード"]}
    bad = "番号,物品.名称,物品.数\r\nB1,机,1\r\nB1,椅子,たくさん\r\n"
    resp = api.upload("/api/v1/imports", {"file": SimpleUploadedFile("貸出.csv", bad.encode()),
                                          "ledger": str(led["id"]), "mode": "append"})
    assert resp.body["ok"] is False
    [error] = resp.body["errors"]
    assert error["row"] == 2 and error["field"] == "物品" and "2" in error["message"]
    assert len(_records(api, url)) == 2
