"""Issue 15, print forms: detail rows (明細) of one record from related records
(`{{貸出明細.品名}}`), and continuation pages (続紙) when the lines pass the rows the template's
page reserves — in xlsx and in the PDF LibreOffice makes of it."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest
import xlsxwriter

from tests.api.test_print_forms import _sheet, _upload
from tests.conftest import ApiClient, make_ledger


def _sheet_xml(content: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(content)) as z:
        return z.read("xl/worksheets/sheet1.xml").decode()


def _workbook_xml(content: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(content)) as z:
        return z.read("xl/workbook.xml").decode()


@pytest.fixture
def slips(api: ApiClient) -> dict[str, Any]:
    """貸出 (the slip) and 貸出明細 (its lines, linked to the slip by `slip`)."""
    main = make_ledger(api, "貸出", [{"name": "申請者", "type": "text", "code": "applicant"},
                                   {"name": "課", "type": "text", "code": "dept"}])["id"]
    lines = make_ledger(api, "貸出明細", [
        {"name": "伝票", "type": "link", "code": "slip", "options": {"ledger": main}},
        {"name": "品名", "type": "text", "code": "item"},
        {"name": "数量", "type": "number", "code": "qty", "options": {"decimals": 0}},
        {"name": "備考", "type": "text", "code": "memo"},
    ])["id"]
    return {"main": main, "lines": lines}


def _slip(api: ApiClient, ledgers: dict[str, Any], applicant: str,
          items: list[tuple[str, int, str]]) -> int:
    rid: int = api.post(f"/api/v1/ledgers/{ledgers['main']}/records",
                        {"values": {"applicant": applicant, "dept": "総務課"}}).body["id"]
    for item, qty, memo in items:
        made = api.post(f"/api/v1/ledgers/{ledgers['lines']}/records", {"values": {
            "slip": rid, "item": item, "qty": qty, "memo": memo}})
        assert made.status == 201, made.body
    return rid


def _form(cells: dict[str, str], *, formulas: dict[str, str] | None = None,
          reserve: int | None = None, print_area: str | None = None,
          fit_width: bool = False) -> bytes:
    """A slip form; with `reserve`, rows 5.. of the table are left blank with their borders
    (the template's reserved rows) and the page ends at `print_area`."""
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf)
    ws = wb.add_worksheet("貸出票")
    text = wb.add_format({"font_name": "ＭＳ 明朝", "border": 1})
    money = wb.add_format({"font_name": "ＭＳ 明朝", "num_format": "#,##0", "border": 1})
    ws.set_column("A:D", 24)
    for ref, value in cells.items():
        ws.write(ref, value, money if "数量" in value or "qty" in value else text)
    for ref, formula in (formulas or {}).items():
        ws.write_formula(ref, formula, money)
    for row in range(5, 5 + (reserve or 1) - 1):
        for col in "ABC":
            ws.write_blank(f"{col}{row}", None, text)
    if print_area:
        ws.print_area(print_area)
        ws.merge_range("C1:D1", cells.get("C1", ""), text)
    if fit_width:
        ws.fit_to_pages(1, 1)
    ws.repeat_rows(2)  # print titles: the header is copied onto each page instead
    wb.close()
    return buf.getvalue()


def test_detail_rows_from_related_records(api: ApiClient, make_client: Any,
                                          slips: dict[str, Any]) -> None:
    rid = _slip(api, slips, "山田", [("プロジェクター", 1, "予備電池あり"), ("マイク", 2, "S-2"),
                                     ("{{applicant}}", 3, "")])
    _slip(api, slips, "佐藤", [("机", 9, "")])  # another slip's line is never printed
    form = _form({"A1": "物品貸出票 {{申請者}}", "A3": "品名", "B3": "数量",
                  "A4": "{{貸出明細.品名}}", "B4": "{{貸出明細.qty}}", "C4": "{{貸出明細.備考}}",
                  "D4": "{{dept}}", "A7": "以上"}, formulas={"B6": "=SUM(B4:B4)"})
    made = _upload(api, slips["main"], form)
    assert made.status == 201, made.body
    assert "貸出明細.品名" in made.body["placeholders"]
    got = api.client.get(f"/api/v1/ledgers/{slips['main']}/records/{rid}/print",
                         {"form": made.body["id"], "format": "xlsx"})
    assert got.status_code == 200
    rows = _sheet(got.content)
    assert rows[0][0] == "物品貸出票 山田"
    # one row per line, oldest first; the record's own fields fill the row too; a value that
    # looks like a placeholder is printed as it is
    assert [r[:4] for r in rows[3:6]] == [["プロジェクター", 1.0, "予備電池あり", "総務課"],
                                         ["マイク", 2.0, "S-2", "総務課"],
                                         ["{{applicant}}", 3.0, "", "総務課"]]
    assert "<f>SUM(B4:B6)</f>" in _sheet_xml(got.content)
    assert rows[8][0] == "以上"

    # The clerk sees the slip and, of the lines, only those under their record rule, without
    # 備考 (hidden); a reader who may not see the lines ledger gets no detail row.
    clerk, other = make_client("clerk"), make_client("other")
    for ledger in ("main", "lines"):
        api.put(f"/api/v1/ledgers/{slips[ledger]}/permissions", {"rules": [
            {"subject": {"user": "clerk"}, "rights": ["view"],
             **({"fields": {"memo": "hidden"}, "records": {"filter": "qty:le:2"}}
                if ledger == "lines" else {})},
            *([{"subject": {"user": "other"}, "rights": ["view"]}] if ledger == "main" else [])]})
    got = clerk.client.get(f"/api/v1/ledgers/{slips['main']}/records/{rid}/print",
                           {"form": made.body["id"]})
    assert got.status_code == 200
    rows = _sheet(got.content)
    assert [[*r, "", ""][:4] for r in rows[3:5]] == [["プロジェクター", 1.0, "", "総務課"],
                                                     ["マイク", 2.0, "", "総務課"]]
    assert rows[7][0] == "以上"
    got = other.client.get(f"/api/v1/ledgers/{slips['main']}/records/{rid}/print",
                           {"form": made.body["id"]})
    assert got.status_code == 200
    assert "予備電池" not in str(_sheet(got.content)) and "プロジェクター" not in str(
        _sheet(got.content))


def test_detail_placeholders_are_checked(api: ApiClient, slips: dict[str, Any]) -> None:
    for key in ("貸出明細.色", "貸出明細外.品名", "貸出明細.", ".品名"):
        refused = _upload(api, slips["main"], _form({"A4": "{{" + key + "}}"}))
        assert refused.status == 400, key
        assert refused.body["error"]["code"] == "invalid_form"
        assert key in refused.body["error"]["message"]
    # the lines ledger does not link to itself: no source there
    refused = _upload(api, slips["lines"], _form({"A4": "{{貸出明細.品名}}"}))
    assert refused.status == 400


def _pdf_text(content: bytes, tmp_path: Path) -> tuple[str, int]:
    path = tmp_path / "form.pdf"
    path.write_bytes(content)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True,
                          check=True).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))  # type: ignore[union-attr]
    return text, pages


CONTINUED = {"A1": "物品貸出票", "C1": "{{page}}/{{pages}}頁", "A2": "申請者：{{申請者}}",
             "A3": "品名", "B3": "数量", "A4": "{{貸出明細.品名}}", "B4": "{{貸出明細.数量}}",
             "A14": "合計", "A15": "以上"}


def test_continuation_pages(api: ApiClient, slips: dict[str, Any], tmp_path: Path) -> None:
    """120 lines on a form whose page (print area A1:D15) reserves 10 rows (4–13) above its
    footer (合計 at 14, 以上 at 15): 12 pages of 15 rows, each with the header again and its
    page number, every line once, the total once on the last page."""
    items = [(f"品目{n:03d}", n, "") for n in range(1, 121)]
    rid = _slip(api, slips, "山田", items)
    form = _form(CONTINUED, formulas={"B14": "=SUM(B4:B13)"}, reserve=10,
                 print_area="A1:D15", fit_width=True)
    fid = _upload(api, slips["main"], form).body["id"]
    url = f"/api/v1/ledgers/{slips['main']}/records/{rid}/print"
    got = api.client.get(url, {"form": fid, "format": "xlsx"})
    assert got.status_code == 200
    rows = _sheet(got.content)
    assert len(rows) == 12 * 15
    for p in range(12):
        page = rows[p * 15:(p + 1) * 15]
        assert page[0][0] == "物品貸出票" and page[0][2] == f"{p + 1}/12頁"
        assert page[1][0] == "申請者：山田" and page[2][:2] == ["品名", "数量"]
        assert [r[0] for r in page[3:13]] == [f"品目{n:03d}" for n in range(p * 10 + 1,
                                                                           p * 10 + 11)]
        assert [r[1] for r in page[3:13]] == [float(n) for n in range(p * 10 + 1, p * 10 + 11)]
        footer = [page[13][0], page[14][0]]
        assert footer == (["合計", "以上"] if p == 11 else ["", ""])
    sheet, workbook = _sheet_xml(got.content), _workbook_xml(got.content)
    total = ",".join(f"B{4 + 15 * p}:B{13 + 15 * p}" for p in range(12))
    assert f"<f>SUM({total})</f>" in sheet  # the total takes every page's lines
    assert re.findall(r'<brk id="(\d+)"', sheet) == [str(15 * p) for p in range(1, 13)]
    assert sheet.count("<mergeCell ") == 12  # the title's merged cells on every page
    assert "貸出票'!$A$1:$D$180<" in workbook or "貸出票!$A$1:$D$180<" in workbook
    assert "Print_Titles" not in workbook  # the header is copied instead
    assert 'fitToHeight="0"' in sheet  # fit to the width, never all pages on one

    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice is installed by make test")
    got = api.client.get(url, {"form": fid, "format": "pdf"})
    assert got.status_code == 200, got.content[:300]
    text, pages = _pdf_text(got.content, tmp_path)
    assert pages == 12
    for name, _qty, _memo in items:
        assert text.count(name) == 1, name
    assert text.count("物品貸出票") == 12 and text.count("申請者：山田") == 12
    assert [len(re.findall(rf"(?<!\d){p}/12頁", text)) for p in range(1, 13)] == [1] * 12
    assert text.count("合計") == 1 and text.count("以上") == 1
    assert "7,260" in text  # 1 + 2 + … + 120, computed by LibreOffice over all pages
    last = text.split("\f")[11]
    assert "12/12頁" in last and "合計" in last and "品目120" in last


def test_a_list_continues_too(api: ApiClient, slips: dict[str, Any]) -> None:
    """List rows of a list print continue the same way; a page that is not full keeps its
    reserved rows blank; few enough lines give one page."""
    for n in range(1, 26):
        api.post(f"/api/v1/ledgers/{slips['main']}/records",
                 {"values": {"applicant": f"申請者{n:02d}"}})
    cells = {"A1": "貸出一覧", "C1": "{{ページ}}/{{総ページ}}", "A3": "申請者", "A4": "{{申請者}}",
             "A14": "計 {{件数}}件"}
    fid = _upload(api, slips["main"], _form(cells, reserve=10, print_area="A1:D14")).body["id"]
    got = api.client.get(f"/api/v1/ledgers/{slips['main']}/print",
                         {"form": fid, "sort": "applicant"})
    rows = _sheet(got.content)
    assert len(rows) == 3 * 14
    assert [rows[p * 14][2] for p in range(3)] == ["1/3", "2/3", "3/3"]
    listed = [r[0] for p in range(3) for r in rows[p * 14 + 3:p * 14 + 13] if r[0]]
    assert listed == [f"申請者{n:02d}" for n in range(1, 26)]
    assert [rows[p * 14 + 13][0] for p in range(3)] == ["", "", "計 25件"]
    few = api.client.get(f"/api/v1/ledgers/{slips['main']}/print",
                         {"form": fid, "filter": "applicant:eq:申請者03"})
    rows = _sheet(few.content)
    assert len(rows) == 14 and rows[0][2] == "1/1" and rows[3][0] == "申請者03"
    assert rows[13][0] == "計 1件"


def test_hostile_pages_are_refused(api: ApiClient, slips: dict[str, Any]) -> None:
    """A page of a million rows reserving one: two lines would pass Excel's last row."""
    rid = _slip(api, slips, "山田", [("机", 1, ""), ("椅子", 2, "")])
    cells = {"A1": "{{申請者}}", "A4": "{{貸出明細.品名}}", "A5": "以上"}
    fid = _upload(api, slips["main"], _form(cells, print_area="A1:D1000000")).body["id"]
    resp = api.get(f"/api/v1/ledgers/{slips['main']}/records/{rid}/print", {"form": fid})
    assert resp.status == 400 and resp.body["error"]["code"] == "form_too_large"
    assert "大きくなりすぎる" in resp.body["error"]["message"]


def _excel_style(data: bytes) -> bytes:
    """The form as Excel saves a formula filled down: one shared formula (text in D4, only
    `si` in D5:D13), and the sheet named like a cell."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    sheet = sheet.replace("<f>B4*10</f>", '<f t="shared" ref="D4:D13" si="0">B4*10</f>')
    sheet = re.sub(r"<f>B(\d+)\*10</f>", '<f t="shared" si="0"/>', sheet)
    parts["xl/worksheets/sheet1.xml"] = sheet.encode()
    parts["xl/workbook.xml"] = parts["xl/workbook.xml"].replace("貸出票".encode(), b"AB12")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, content in parts.items():
            z.writestr(name, content)
    return buf.getvalue()


def test_shared_formulas_follow_their_rows(api: ApiClient, slips: dict[str, Any]) -> None:
    rid = _slip(api, slips, "山田", [(f"品目{n:02d}", n, "") for n in range(1, 13)])
    form = _excel_style(_form(CONTINUED, reserve=10, print_area="A1:D15",
                              formulas={f"D{r}": f"=B{r}*10" for r in range(4, 14)}))
    assert 'si="0"/>' in _sheet_xml(form) and "AB12!$A$1:$D$15" in _workbook_xml(form)
    fid = _upload(api, slips["main"], form).body["id"]
    got = api.client.get(f"/api/v1/ledgers/{slips['main']}/records/{rid}/print", {"form": fid})
    assert got.status_code == 200
    sheet = _sheet_xml(got.content)
    assert 't="shared"' not in sheet
    for row in [*range(4, 14), 19, 20]:  # every line's own formula, on both pages
        assert f"<f>B{row}*10</f>" in sheet, row
    assert "AB12!$A$1:$D$30<" in _workbook_xml(got.content)
