"""Print forms (帳票, contract §7): an xlsx template with placeholders filled with one record or
a list, as xlsx and as PDF made by LibreOffice on the server; hidden fields never filled."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest
import xlsxwriter
from django.core.files.uploadedfile import SimpleUploadedFile
from python_calamine import CalamineWorkbook

from tests.conftest import ApiClient, make_ledger

FIELDS = [
    {"name": "品名", "type": "text", "code": "name"},
    {"name": "単価", "type": "number", "code": "price", "options": {"decimals": 0}},
    {"name": "貸出日", "type": "date", "code": "day", "options": {"wareki": True}},
    {"name": "管理番号", "type": "text", "code": "secret"},
    {"name": "税込", "type": "formula", "code": "taxed",
     "options": {"expression": "price * 1.1", "result": "number", "decimals": 0}},
    {"name": "返却期限", "type": "formula", "code": "due",
     "options": {"expression": "DATE_ADD(day, 14, \"day\")", "result": "date"}},
]


def _template(cells: dict[str, str], *, font: str = "ＭＳ 明朝", date_format: str = "yyyy/m/d",
              formulas: dict[str, str] | None = None) -> bytes:
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf)
    ws = wb.add_worksheet("帳票")
    text = wb.add_format({"font_name": font})
    date = wb.add_format({"font_name": font, "num_format": date_format})
    money = wb.add_format({"font_name": font, "num_format": '#,##0"円"'})
    ws.set_column("A:E", 22)
    for ref, value in cells.items():
        fmt = date if "day" in value or "貸出日" in value else money if "price" in value else text
        ws.write(ref, value, fmt)
    for ref, formula in (formulas or {}).items():
        ws.write_formula(ref, formula, money)
    wb.close()
    return buf.getvalue()


def _upload(api: ApiClient, lid: int, data: bytes, name: str = "貸出票") -> Any:
    return api.upload(f"/api/v1/ledgers/{lid}/forms", {
        "file": SimpleUploadedFile("form.xlsx", data), "name": name})


def _sheet(content: bytes) -> list[list[Any]]:
    return CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0).to_python()


@pytest.fixture
def lending(api: ApiClient) -> tuple[int, list[int]]:
    lid = make_ledger(api, "貸出物品", FIELDS)["id"]
    ids = []
    for n, (name, price, day) in enumerate([("プロジェクター", 1200, "2019-04-30"),
                                            ("マイク", 300, "2019-05-01"),
                                            ("延長コード", 150, None)]):
        body = api.post(f"/api/v1/ledgers/{lid}/records", {"values": {
            "name": name, "price": price, "day": day, "secret": f"S-{n}"}}).body
        ids.append(body["id"])
    return lid, ids


def test_one_record_as_xlsx(api: ApiClient, make_client: Any, lending: Any) -> None:
    lid, ids = lending
    resp = _upload(api, lid, _template({"A1": "物品貸出票（{{台帳名}}）", "A3": "{{品名}}",
                                        "B3": "{{price}}", "C3": "{{day}}",
                                        "D3": "貸出日：{{貸出日}}", "E3": "{{secret}}",
                                        "A5": "{{taxed}}", "B5": "{{返却期限}}"}))
    assert resp.status == 201, resp.body
    assert set(resp.body["placeholders"]) == {"台帳名", "品名", "price", "day", "貸出日", "secret",
                                              "taxed", "返却期限"}
    fid = resp.body["id"]
    assert api.get(f"/api/v1/ledgers/{lid}/forms").body["items"][0]["name"] == "貸出票"
    got = api.client.get(f"/api/v1/ledgers/{lid}/records/{ids[0]}/print",
                         {"form": fid, "format": "xlsx"})
    assert got.status_code == 200 and "filename*=UTF-8''" in got["Content-Disposition"]
    rows = _sheet(got.content)
    assert rows[0][0] == "物品貸出票（貸出物品）"
    # alone in its cell: a number and a date, shown in the cell's own format; in text: as on
    # screen (the field's 和暦)
    assert rows[2][:5] == ["プロジェクター", 1200.0, dt.date(2019, 4, 30), "貸出日：平成31年4月30日",
                           "S-0"]
    assert rows[4][:2] == [1320.0, "2019-05-14"]  # formulas: a number; a date as on screen
    # A reader for whom 管理番号 is hidden gets it empty.
    clerk = make_client("clerk")
    api.put(f"/api/v1/ledgers/{lid}/permissions", {"rules": [
        {"subject": {"user": "clerk"}, "rights": ["view"], "fields": {"secret": "hidden"}}]})
    got = clerk.client.get(f"/api/v1/ledgers/{lid}/records/{ids[0]}/print", {"form": fid})
    assert got.status_code == 200
    assert [*_sheet(got.content)[2], "", ""][:5] == ["プロジェクター", 1200.0,
                                                     dt.date(2019, 4, 30),
                                                     "貸出日：平成31年4月30日", ""]
    assert clerk.client.get(f"/api/v1/ledgers/{lid}/records/999/print",
                            {"form": fid}).status_code == 404


def test_a_list_repeats_its_row_and_keeps_formulas(api: ApiClient, lending: Any) -> None:
    lid, _ids = lending
    data = _template({"A1": "貸出一覧 {{件数}}件", "A3": "品名", "A4": "{{name}}", "B4": "{{price}}",
                      "C4": "{{day}}", "A7": "以上"}, formulas={"B6": "=SUM(B4:B4)"})
    fid = _upload(api, lid, data).body["id"]
    got = api.client.get(f"/api/v1/ledgers/{lid}/print", {
        "form": fid, "format": "xlsx", "filter": "price:ge:200", "sort": "price"})
    assert got.status_code == 200
    with zipfile.ZipFile(io.BytesIO(got.content)) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>SUM(B4:B5)</f>" in sheet and 'r="A8"' in sheet  # the total and 以上 moved down
    rows = _sheet(got.content)
    assert rows[0][0] == "貸出一覧 2件"
    assert [r[:3] for r in rows[3:5]] == [["マイク", 300.0, dt.date(2019, 5, 1)],
                                         ["プロジェクター", 1200.0, dt.date(2019, 4, 30)]]
    assert rows[7][0] == "以上"
    empty = api.client.get(f"/api/v1/ledgers/{lid}/print", {"form": fid,
                                                             "filter": "price:ge:99999"})
    assert _sheet(empty.content)[3][0] == ""  # no record: the row goes, 以上 moves up


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is installed by make test")
def test_pdf_with_embedded_japanese_font(api: ApiClient, lending: Any, tmp_path: Path) -> None:
    lid, ids = lending
    fid = _upload(api, lid, _template({"A1": "物品貸出票", "A3": "{{品名}}", "B3": "{{price}}",
                                        "C3": "{{day}}"}, date_format='[$-411]ggge"年"m"月"d"日"')
                  ).body["id"]
    got = api.client.get(f"/api/v1/ledgers/{lid}/records/{ids[0]}/print",
                         {"form": fid, "format": "pdf"})
    assert got.status_code == 200 and got["Content-Type"] == "application/pdf"
    path = tmp_path / "form.pdf"
    path.write_bytes(got.content)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert "物品貸出票" in text and "プロジェクター" in text and "1,200円" in text
    assert "平成31年4月30日" in text
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True,
                           check=True).stdout.splitlines()[2:]
    assert fonts and all(" yes " in line for line in fonts)  # every font embedded
    assert any("IPAexMincho" in line for line in fonts)  # ＭＳ 明朝 set in IPAex明朝, as documented


def test_pdf_refusals(api: ApiClient, lending: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    lid, ids = lending
    odd = _upload(api, lid, _template({"A1": "{{品名}}"}, font="存在しない書体"))
    assert odd.status == 201 and odd.body["missing_fonts"] == ["存在しない書体"]
    url = f"/api/v1/ledgers/{lid}/records/{ids[0]}/print"
    if shutil.which("soffice"):
        resp = api.get(url, {"form": odd.body["id"], "format": "pdf"})
        assert resp.status == 400 and resp.body["error"]["code"] == "missing_fonts"
        assert "存在しない書体" in resp.body["error"]["message"]
    monkeypatch.setenv("DAICHO_SOFFICE", "/nonexistent/soffice")
    plain = _upload(api, lid, _template({"A1": "{{品名}}"})).body
    assert plain["pdf"] is False
    resp = api.get(url, {"form": plain["id"], "format": "pdf"})
    assert resp.status == 503 and resp.body["error"]["code"] == "pdf_unavailable"
    assert "xlsx" in resp.body["error"]["message"]
    assert api.client.get(url, {"form": plain["id"], "format": "xlsx"}).status_code == 200


def _zip(parts: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, content in parts.items():
            z.writestr(name, content)
    return buf.getvalue()


def test_bad_templates_are_refused(api: ApiClient, make_client: Any, lending: Any) -> None:
    lid, ids = lending
    good = _template({"A1": "{{品名}}"})
    parts = {n: zipfile.ZipFile(io.BytesIO(good)).read(n)
             for n in zipfile.ZipFile(io.BytesIO(good)).namelist()}
    entity = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><sst>&a;</sst>'
    cases = {
        "not a zip": b"PK\x03\x04 not really",
        "csv": "品名\nA\n".encode(),
        "unknown field": _template({"A1": "{{品目}}"}),
        "no placeholder": _template({"A1": "物品貸出票"}),
        "entities": _zip({**parts, "xl/sharedStrings.xml": entity}),
        "bomb": _zip({**parts, "xl/media/big.bin": b"\0" * 70_000_000}),
    }
    for what, data in cases.items():
        resp = _upload(api, lid, data)
        assert resp.status in (400, 413), (what, resp.body)
        assert resp.body["error"]["code"] in ("invalid_form", "too_large"), what
    resp = _upload(api, lid, _template({"A1": "{{品目}}"}))
    assert "{{品目}}" in resp.body["error"]["message"]
    assert api.get(f"/api/v1/ledgers/{lid}/forms").body["items"] == []
    viewer = make_client("viewer")
    api.put(f"/api/v1/ledgers/{lid}/permissions", {"rules": [
        {"subject": {"user": "viewer"}, "rights": ["view"]}]})
    assert _upload(viewer, lid, good).status == 404  # managers only
    fid = _upload(api, lid, good).body["id"]
    url = f"/api/v1/ledgers/{lid}/records/{ids[0]}/print"
    assert api.get(url, {"form": fid, "format": "docx"}).status == 400
    assert api.get(url, {"form": "abc"}).status == 400
    assert api.get(url, {"form": 99999}).status == 404
    assert viewer.delete(f"/api/v1/ledgers/{lid}/forms/{fid}").status == 404
    assert api.delete(f"/api/v1/ledgers/{lid}/forms/{fid}").status == 204
    assert api.get(url, {"form": fid}).status == 404
