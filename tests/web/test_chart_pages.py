"""Issue 14 point 7 on the chart page: dates grouped by 年度 (April–March) and month, the
cross-tab with its totals on screen, its Excel file (read back with python-calamine), kept in a
saved view, and through the gate (a record rule, the export right)."""

from __future__ import annotations

import html
import io
import re
from typing import Any

from django.test import Client

from tests.conftest import ApiClient, make_ledger

FIELDS = [
    {"name": "名称", "type": "text", "code": "name", "required": True},
    {"name": "金額", "type": "number", "code": "amount"},
    {"name": "取得日", "type": "date", "code": "day"},
    {"name": "区分", "type": "choice", "code": "kind",
     "options": {"choices": ["土地", "建物", "=1+1"]}},
    {"name": "所管課", "type": "org", "code": "dept"},
]
ROWS = [  # name, day, kind, amount, dept
    ("a", "2024-03-31", "土地", 100, "110"),
    ("b", "2024-04-01", "土地", 250, "110"),
    ("c", "2024-04-30", "建物", 1000, "210"),
    ("d", "2025-03-31", "=1+1", 5, "210"),
]


def _ledger(api: ApiClient) -> int:
    from daicho.models import Org

    Org.objects.create(code="110", name="総務課")
    Org.objects.create(code="210", name="福祉課")
    ledger = make_ledger(api, "財産", FIELDS)
    resp = api.post(f"/api/v1/ledgers/{ledger['id']}/records/bulk", {"create": [
        {"values": {"name": n, "day": d, "kind": k, "amount": a, "dept": o}}
        for n, d, k, a, o in ROWS]})
    assert resp.status == 200, resp.body
    return int(ledger["id"])


def _points(page: str) -> list[tuple[str, str]]:
    return [(html.unescape(a), b) for a, b in re.findall(
        r'<tr><th scope="row">([^<]*)</th><td class="num">([^<]*)</td></tr>', page)]


def _crosstab(page: str) -> list[list[str]]:
    """The cross-tab's cells as text, heading row first."""
    table = re.search(r'<table class="plain crosstab" id="crosstab">(.*?)</table>', page, re.S)
    assert table, "no cross-tab on the page"
    return [[html.unescape(re.sub(r"<[^>]+>", "", c)).strip()
             for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", table.group(1), re.S)]


def _xlsx(data: bytes) -> list[list[Any]]:
    from python_calamine import CalamineWorkbook

    sheet = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0)
    return [list(row) for row in sheet.to_python()]


def test_line_chart_by_fiscal_year_and_month(web: Client, api: ApiClient) -> None:
    lid = _ledger(api)
    page = web.get(f"/ledgers/{lid}/chart", {"kind": "line", "group_by": "day", "period": "fy"})
    assert page.status_code == 200
    text = page.content.decode()
    assert _points(text) == [("FY2023", "1"), ("FY2024", "3")]
    assert "Number of records by 取得日 (Fiscal year)" in text
    page = web.get(f"/ledgers/{lid}/chart", {"group_by": "day", "period": "month",
                                             "metric": "sum:amount"})
    assert _points(page.content.decode()) == [
        ("2024/3", "100"), ("2024/4", "1,250"), ("2025/3", "5")]
    # A period beside a field that is not a date is not applied (the form offers it anyway).
    page = web.get(f"/ledgers/{lid}/chart", {"group_by": "kind", "period": "fy"})
    assert dict(_points(page.content.decode())) == {"土地": "2", "建物": "1", "=1+1": "1"}


def test_line_chart_by_fiscal_year_in_japanese(web: Client, api: ApiClient) -> None:
    lid = _ledger(api)
    web.cookies["django_language"] = "ja"
    page = web.get(f"/ledgers/{lid}/chart", {"kind": "line", "group_by": "day", "period": "fy"})
    assert _points(page.content.decode()) == [("2023年度", "1"), ("2024年度", "3")]


def test_crosstab_on_screen_with_totals(web: Client, api: ApiClient) -> None:
    lid = _ledger(api)
    page = web.get(f"/ledgers/{lid}/chart", {"kind": "crosstab", "group_by": "kind",
                                             "columns": "day", "column_period": "fy",
                                             "metric": "sum:amount"})
    assert page.status_code == 200
    assert _crosstab(page.content.decode()) == [
        ["区分 ＼ 取得日 (Fiscal year)", "FY2023", "FY2024", "Total"],
        ["=1+1", "", "5", "5"],
        ["土地", "100", "250", "350"],
        ["建物", "", "1,000", "1,000"],
        ["Total", "100", "1,255", "1,355"],
    ]


def test_crosstab_excel_has_the_cells(web: Client, api: ApiClient) -> None:
    lid = _ledger(api)
    params = {"kind": "crosstab", "group_by": "dept", "columns": "day", "column_period": "fy"}
    page = web.get(f"/ledgers/{lid}/chart", params).content.decode()
    link = re.search(r'id="crosstab-xlsx" href="([^"]+)"', page)
    assert link, "no Excel link"
    resp = web.get(html.unescape(link.group(1)))
    assert resp.status_code == 200
    assert resp["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = _xlsx(resp.content)
    assert rows[0][0] == "財産　Number of records by 所管課 and 取得日 (Fiscal year)"
    assert rows[2:] == [
        ["所管課 ＼ 取得日 (Fiscal year)", "FY2023", "FY2024", "Total"],
        ["総務課", 1.0, 1.0, 2.0],
        ["福祉課", 0.0, 2.0, 2.0],
        ["Total", 1.0, 3.0, 4.0],
    ]
    # Sums: a combination without records is an empty cell; a group named =1+1 stays text.
    resp = web.get(f"/ledgers/{lid}/chart/crosstab.xlsx", {
        **params, "group_by": "kind", "metric": "sum:amount"})
    rows = _xlsx(resp.content)
    assert rows[3:] == [["=1+1", "", 5.0, 5.0], ["土地", 100.0, 250.0, 350.0],
                        ["建物", "", 1000.0, 1000.0], ["Total", 100.0, 1255.0, 1355.0]]
    from daicho.models import AuditEvent

    assert AuditEvent.objects.filter(action="export", target=f"ledger:{lid}").count() == 2


def test_crosstab_in_japanese_excel(web: Client, api: ApiClient) -> None:
    lid = _ledger(api)
    web.cookies["django_language"] = "ja"
    resp = web.get(f"/ledgers/{lid}/chart/crosstab.xlsx", {
        "kind": "crosstab", "group_by": "kind", "columns": "day", "column_period": "fy"})
    rows = _xlsx(resp.content)
    assert rows[2][1:] == ["2023年度", "2024年度", "合計"]
    assert rows[-1][0] == "合計"


def test_bad_crosstab_input_is_a_message_not_a_500(web: Client, api: ApiClient) -> None:
    lid = _ledger(api)
    page = web.get(f"/ledgers/{lid}/chart", {"kind": "crosstab", "group_by": "kind",
                                             "columns": "nope", "metric": "avg:amount"})
    assert page.status_code == 200
    assert 'role="alert"' in page.content.decode()
    resp = web.get(f"/ledgers/{lid}/chart/crosstab.xlsx", {"kind": "crosstab",
                                                            "group_by": "kind", "columns": "nope"})
    assert resp.status_code == 302


def test_crosstab_is_kept_in_the_view(web: Client, api: ApiClient) -> None:
    lid = _ledger(api)
    resp = web.post(f"/ledgers/{lid}/views/save", {
        "mode": "new", "name": "年度別", "then": "chart", "chart_kind": "crosstab",
        "chart_group_by": "kind", "chart_period": "", "chart_columns": "day",
        "chart_column_period": "month", "chart_metric": "sum:amount"})
    assert resp.status_code == 302
    from daicho.web.models import SavedView

    view = SavedView.objects.get(name="年度別")
    assert view.chart == {"kind": "crosstab", "group_by": "kind", "period": "",
                          "columns": "day", "column_period": "month", "metric": "sum:amount"}
    page = web.get(f"/ledgers/{lid}/chart", {"view": view.id}).content.decode()
    assert _crosstab(page)[0][1:] == ["2024/3", "2024/4", "2025/3", "Total"]


def test_crosstab_under_a_record_rule(api: ApiClient, make_client: Any) -> None:
    from django.contrib.auth import get_user_model

    lid = _ledger(api)
    make_client("somu", org="110")
    rules = [{"subject": {"org": "110", "include_children": True},
              "rights": ["view", "export"], "records": {"field_is_my_org": "dept"}}]
    assert api.put(f"/api/v1/ledgers/{lid}/permissions", {"rules": rules}).status == 200
    somu = Client()
    somu.force_login(get_user_model().objects.get(username="somu"))
    somu.cookies["django_language"] = "en"
    params = {"kind": "crosstab", "group_by": "kind", "columns": "day", "column_period": "fy",
              "metric": "sum:amount"}
    page = somu.get(f"/ledgers/{lid}/chart", params).content.decode()
    assert _crosstab(page)[1:] == [["土地", "100", "250", "350"],
                                   ["Total", "100", "250", "350"]]
    rows = _xlsx(somu.get(f"/ledgers/{lid}/chart/crosstab.xlsx", params).content)
    assert rows[3:] == [["土地", 100.0, 250.0, 350.0], ["Total", 100.0, 250.0, 350.0]]
    # Without the export right: no link, and the file answers 404 like a missing page.
    rules[0]["rights"] = ["view"]
    assert api.put(f"/api/v1/ledgers/{lid}/permissions", {"rules": rules}).status == 200
    page = somu.get(f"/ledgers/{lid}/chart", params).content.decode()
    assert 'id="crosstab-xlsx"' not in page
    assert somu.get(f"/ledgers/{lid}/chart/crosstab.xlsx", params).status_code == 404
