"""`daicho export` and GET /ledgers/{id}/export (contract §3.2, §4.3)."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from python_calamine import CalamineWorkbook

from tests.conftest import ApiClient, make_ledger


@pytest.fixture
def filled(api: ApiClient) -> dict[str, Any]:
    led = make_ledger(api, "輸出", [
        {"name": "名称", "type": "text", "code": "name"},
        {"name": "金額", "type": "number", "code": "amount", "options": {"unit": "円"}},
        {"name": "取得日", "type": "date", "code": "day"},
        {"name": "有効", "type": "yesno", "code": "ok"},
        {"name": "用途", "type": "multichoice", "code": "use",
         "options": {"choices": ["会議", "防災"]}},
    ])
    url = f"/api/v1/ledgers/{led['id']}/records"
    for values in [
        {"name": "本庁舎", "amount": 1200, "day": "2024-04-01", "ok": True, "use": ["会議"]},
        {"name": "=HYPERLINK(\"x\")", "amount": -5, "day": None, "ok": False,
         "use": ["会議", "防災"]},
        {"name": "𠮷野家", "amount": None},
    ]:
        assert api.post(url, {"values": values}).status == 201
    return led


def test_csv_export_default_is_utf8_with_bom_and_crlf(cli: Any, filled: dict[str, Any],
                                                      tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    result = cli("export", "輸出", "--format", "csv", "-o", str(out), "--json")
    assert result.code == 0, result.err
    assert result.json["rows"] == 3
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == ["名称", "金額", "取得日", "有効", "用途"]
    assert rows[1] == ["本庁舎", "1200", "2024-04-01", "はい", "会議"]
    assert rows[2][0] == "'=HYPERLINK(\"x\")"  # formula-like text neutralised
    assert rows[2][1] == "-5"  # a negative number stays a number
    assert rows[2][4] == "会議\n防災"


def test_cp932_refuses_unencodable_characters(cli: Any, filled: dict[str, Any],
                                              tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    result = cli("export", str(filled["id"]), "--format", "csv", "--encoding", "cp932",
                 "-o", str(out), "--json")
    assert result.code == 1
    err = result.json["error"]
    assert err["code"] == "unencodable"
    assert err["details"]["positions"][0]["row"] == 4 and err["details"]["positions"][0]["char"] == "𠮷"
    assert not out.exists()  # nothing half-written
    replaced = cli("export", str(filled["id"]), "--format", "csv", "--encoding", "cp932",
                   "--replace", "-o", str(out), "--json")
    assert replaced.code == 0 and replaced.json["replaced_count"] == 1
    text = out.read_bytes().decode("cp932")
    assert "〓野家" in text and "?" not in text


def test_xlsx_export_has_real_cells(cli: Any, filled: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "out.xlsx"
    assert cli("export", "輸出", "--format", "xlsx", "-o", str(out)).code == 0
    sheet = CalamineWorkbook.from_path(str(out)).get_sheet_by_index(0).to_python()
    assert sheet[0] == ["名称", "金額", "取得日", "有効", "用途"]
    assert sheet[1][1] == 1200 and str(sheet[1][2]).startswith("2024-04-01")
    assert sheet[2][0] == "=HYPERLINK(\"x\")" and sheet[2][1] == -5


def test_export_unknown_ledger(cli: Any, admin: Any, tmp_path: Path) -> None:
    result = cli("export", "ない台帳", "--format", "csv", "-o", str(tmp_path / "x.csv"))
    assert result.code == 1 and "ない台帳" in result.err


def test_api_export_honours_filter_and_search(api: ApiClient, filled: dict[str, Any]) -> None:
    resp = api.client.get(f"/api/v1/ledgers/{filled['id']}/export",
                          {"format": "csv", "filter": "amount:gt:0"})
    assert resp.status_code == 200
    assert resp["Content-Disposition"].startswith("attachment")
    body = b"".join(resp.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert [r[0] for r in rows[1:]] == ["本庁舎"]
    found = api.client.get(f"/api/v1/ledgers/{filled['id']}/export", {"format": "csv",
                                                                       "q": "野家"})
    found_rows = list(csv.reader(io.StringIO(b"".join(found.streaming_content).decode("utf-8-sig"))))
    assert [r[0] for r in found_rows[1:]] == ["𠮷野家"]
    bad = api.get(f"/api/v1/ledgers/{filled['id']}/export", {"format": "pdf"})
    assert bad.status == 400
