"""The plan module's pages: roadmap (edited in place, printed, exported), KPI dashboard,
integration candidates and the committee report.

In-process tests (Django's test client) pin rights, conflicts and the current-year highlight;
the browser tests drive a real `daicho serve` loaded with the demo through Chromium."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from tests.conftest import ApiClient, run_daicho
from tests.web.conftest import Server, html_has_no_inline_code, shot

PAGES = ["/plan/roadmap", "/plan/dashboard", "/plan/candidates", "/plan/report"]
SEED_B_I = ["□", "●", "⇒", "★", "—"]  # 自治体クラウドの導入, 平成30年度 … 令和4年度


# -- in process ----------------------------------------------------------------------------------

@pytest.fixture
def demo(api: ApiClient, cli: Any) -> dict[str, int]:
    result = cli("demo", "--json")
    assert result.code == 0, result.err
    return {i["name"]: i["id"] for i in api.get("/api/v1/ledgers").body["items"]}


@pytest.fixture
def admin_client(admin: Any) -> Client:
    client = Client()
    client.force_login(admin)
    return client


def _client(login: str) -> Client:
    from daicho.services.accounts import create_user

    client = Client()
    client.force_login(create_user(login=login))
    return client


def _grant(api: ApiClient, ledger_id: int, login: str, rights: list[str]) -> None:
    rules = api.get(f"/api/v1/ledgers/{ledger_id}/permissions").body["rules"]
    rules = [r for r in rules if r["subject"] != {"user": login}]
    rules.append({"subject": {"user": login}, "rights": rights})
    assert api.put(f"/api/v1/ledgers/{ledger_id}/permissions", {"rules": rules}).status == 200


def _record(api: ApiClient, ledger_id: int, code: str) -> dict[str, Any]:
    items = api.get(f"/api/v1/ledgers/{ledger_id}/records", {"limit": 500}).body["items"]
    return dict(next(r for r in items if r["values"]["code"] == code))


def test_plan_pages_render(demo: dict[str, int], admin_client: Client) -> None:
    for path in PAGES:
        resp = admin_client.get(path)
        assert resp.status_code == 200, path
        html = resp.content.decode()
        assert html_has_no_inline_code(html) == [], path
        assert 'class="menu plan-menu"' in html and 'href="/plan/candidates"' in html
    assert admin_client.get("/plan/").status_code == 302
    roadmap = admin_client.get("/plan/roadmap").content.decode()
    head = roadmap[roadmap.index("<thead>"):roadmap.index("</thead>")]
    # The seed's H-labels, western year beside them; no era mixed in (平成31年度 / 令和元年度).
    assert "H30（2018）" in head and "H31（2019）" in head and "H34（2022）" in head
    assert "平成" not in head and "令和" not in head
    assert roadmap.count('class="cell-button"') == 11 * 5
    assert 'href="/plan/roadmap.xlsx"' in roadmap


def test_plan_pages_need_the_plan_ledgers(demo: dict[str, int], api: ApiClient,
                                          client: Client) -> None:
    for path in PAGES:
        assert client.get(path).status_code == 302  # not signed in: to the sign-in page
    bob = _client("bob")
    for path in [*PAGES, "/plan/", "/plan/roadmap.xlsx", "/plan/report?fy=2022&format=xlsx"]:
        assert bob.get(path).status_code == 404, path
    assert "plan-menu" not in bob.get("/").content.decode()
    # Viewing the inventory opens the candidates page, and only that one.
    _grant(api, demo["情報システム台帳"], "bob", ["view"])
    assert bob.get("/plan/candidates").status_code == 200
    assert bob.get("/plan/roadmap").status_code == 404
    home = bob.get("/").content.decode()
    assert 'href="/plan/candidates"' in home and 'href="/plan/roadmap"' not in home


def test_a_viewer_gets_no_edit_controls_and_the_server_refuses(demo: dict[str, int],
                                                               api: ApiClient) -> None:
    measures = demo["全体最適化取組"]
    bob = _client("bob")
    _grant(api, measures, "bob", ["view"])
    html = bob.get("/plan/roadmap").content.decode()
    assert "cell-button" not in html and "roadmap.xlsx" not in html
    b_i = _record(api, measures, "B-i")
    cell = f"/plan/roadmap/{b_i['id']}/2022"
    assert bob.get(cell + "/edit").status_code == 404
    assert bob.post(cell, {"symbol": "★", "revision": b_i["revision"]}).status_code == 404
    assert _record(api, measures, "B-i")["revision"] == b_i["revision"]
    _grant(api, measures, "bob", ["view", "edit"])
    assert bob.post(cell, {"symbol": "★", "revision": b_i["revision"]}).status_code == 200
    assert _record(api, measures, "B-i")["values"]["fy2022"] == "★"


def test_user_strings_are_escaped(demo: dict[str, int], api: ApiClient,
                                  admin_client: Client) -> None:
    evil = '<img src=x onerror=alert(1)>'
    api.post(f"/api/v1/ledgers/{demo['情報システム台帳']}/records/bulk", {"create": [
        {"values": {"name": evil + "A", "department": "110", "vendor": evil}},
        {"values": {"name": evil + "B", "department": "120", "vendor": evil}}]})
    b_i = _record(api, demo["全体最適化取組"], "B-i")
    api.patch(f"/api/v1/ledgers/{demo['全体最適化取組']}/records/{b_i['id']}",
              {"revision": b_i["revision"], "values": {"title": evil, "note": evil}})
    for path in ("/plan/candidates", "/plan/roadmap"):
        html = admin_client.get(path).content.decode()
        assert "&lt;img src=x onerror=alert(1)&gt;" in html, path
        assert "<img" not in html, path


def test_current_fiscal_year_is_highlighted_only_in_the_plan(
        demo: dict[str, int], admin_client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    from daicho.plan import kpi

    html = admin_client.get("/plan/roadmap").content.decode()
    assert 'aria-current="date"' not in html and "current-tag" not in html
    year = kpi.current_fiscal_year()
    assert kpi.wareki_year(year) in html  # which year is current, said in words
    monkeypatch.setattr(kpi, "current_fiscal_year", lambda: 2020)
    html = admin_client.get("/plan/roadmap").content.decode()
    assert re.search(r'<th scope="col" class="year current" aria-current="date">H32（2020）', html)
    assert html.count('class="symbol-cell current"') == 11


def test_cell_edit_conflict_and_merge(demo: dict[str, int], api: ApiClient,
                                      admin_client: Client) -> None:
    measures = demo["全体最適化取組"]
    b_ii = _record(api, measures, "B-ii")
    cell = f"/plan/roadmap/{b_ii['id']}/2019"
    form = admin_client.get(cell + "/edit").content.decode()
    assert f'name="revision" value="{b_ii["revision"]}"' in form
    # Someone else changes another field meanwhile: merged, nothing lost.
    api.patch(f"/api/v1/ledgers/{measures}/records/{b_ii['id']}",
              {"revision": b_ii["revision"], "values": {"agenda": "検討中"}})
    resp = admin_client.post(cell, {"symbol": "●", "revision": b_ii["revision"]})
    assert resp.status_code == 200 and "●" in resp.content.decode()
    now = _record(api, measures, "B-ii")
    assert now["values"]["fy2019"] == "●" and now["values"]["agenda"] == "検討中"
    # … and the same cell: refused with the current value, the form kept for another try.
    api.patch(f"/api/v1/ledgers/{measures}/records/{b_ii['id']}",
              {"revision": now["revision"], "values": {"fy2019": "☆"}})
    resp = admin_client.post(cell, {"symbol": "★", "revision": now["revision"]},
                             HTTP_ACCEPT_LANGUAGE="ja")
    assert resp.status_code == 409
    body = resp.content.decode()
    assert 'class="cell-form"' in body and "「☆」" in body and 'role="alert"' in body
    assert _record(api, measures, "B-ii")["values"]["fy2019"] == "☆"
    resp = admin_client.post(cell, {"symbol": "X", "revision": now["revision"] + 1})
    assert resp.status_code == 400 and 'aria-invalid="true"' in resp.content.decode()
    resp = admin_client.post(cell, {"symbol": "★"}, HTTP_ACCEPT_LANGUAGE="en")
    assert resp.status_code == 400 and "revision is required" in resp.content.decode()
    history = api.get(f"/api/v1/ledgers/{measures}/records/{b_ii['id']}/history").body["items"]
    assert {"old": "□", "new": "●"} in [h["changes"].get("fy2019") for h in history]


def test_committee_report_downloads(demo: dict[str, int], admin_client: Client) -> None:
    from python_calamine import CalamineWorkbook

    resp = admin_client.get("/plan/report", {"fy": "2022", "format": "xlsx"})
    assert resp.status_code == 200
    assert "attachment" in resp["Content-Disposition"]
    rows = CalamineWorkbook.from_filelike(io.BytesIO(resp.content)).get_sheet_by_index(0) \
        .to_python()
    assert "令和4年度" in str(rows[0][0]) and rows[2][:2] == ["番号", "具体的取組"]
    bad = admin_client.get("/plan/report", {"fy": "2022", "format": "docx"})
    assert bad.status_code == 400 and 'role="alert"' in bad.content.decode()


def test_dashboard_years_and_progress(demo: dict[str, int], admin_client: Client) -> None:
    html = admin_client.get("/plan/dashboard", {"fy": "2019"}).content.decode()
    row = re.search(r"情報セキュリティ監査の実施数</a></th>(.*?)</tr>", html, re.S)
    assert row, html
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)
    assert cells[1] == "15" and cells[3] == "所属"
    assert cells[2].startswith('15 <span class="demo-tag"')  # counted from demo audits
    assert "✓" in cells[4] and 'value="100"' in cells[5] and "100%" in cells[5]
    assert 'id="kpi-chart"' in html and "<svg" in html


# -- in the browser ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def plan_server(server: Server) -> Server:
    loaded = run_daicho(server.env, "demo")
    assert loaded.code == 0, loaded.err
    return server


def _measures(server: Server) -> int:
    status, body = server.call("GET", "/api/v1/ledgers")
    assert status == 200
    return next(int(i["id"]) for i in body["items"] if i["name"] == "全体最適化取組")


def _row_symbols(page: Any, code: str) -> list[str]:
    row = page.locator("#roadmap tbody tr", has=page.locator(f"td.col-code:text-is('{code}')"))
    return [t.strip() for t in row.locator("td.symbol-cell .symbol").all_inner_texts()]


def test_roadmap_in_the_browser(plan_server: Server, open_page: Callable[..., Any]) -> None:
    page = open_page("admin", language="ja")
    page.click("summary:text('計画')")
    page.click(".plan-menu a:text('ロードマップ')")
    page.wait_for_url("**/plan/roadmap")
    headers = page.locator("#roadmap thead tr").nth(1).locator("th").all_inner_texts()
    assert [h.strip() for h in headers] == ["H30（2018）", "H31（2019）", "H32（2020）",
                                            "H33（2021）", "H34（2022）"]
    assert _row_symbols(page, "B-i") == SEED_B_I
    legend = page.locator(".legend-list").inner_text()
    for symbol, meaning in [("⇒", "実施"), ("□", "検討"), ("●", "導入・方針等策定"),
                            ("☆", "一部実施"), ("★", "完了")]:
        assert symbol in legend and meaning in legend
    assert "計画期間" in page.locator("#current-fy").inner_text()
    shot(page, "plan-roadmap")

    # Change 平成30年度 of B-ii (□ in the seed) to ●, from the keyboard.
    cell = page.locator("#roadmap tbody tr", has=page.locator("td.col-code:text-is('B-ii')")) \
        .locator("td.symbol-cell").first
    cell.locator(".cell-button").focus()
    page.keyboard.press("Enter")
    select = cell.locator("select")
    select.wait_for()
    assert page.evaluate("document.activeElement.tagName") == "SELECT"
    select.select_option("●")
    shot(page, "plan-roadmap-edit")
    cell.locator("button[type=submit]").click()
    page.wait_for_selector("#roadmap-status:has-text('●')")
    # (htmx adds and then removes its own transient classes, such as htmx-added)
    assert page.evaluate("document.activeElement.classList.contains('cell-button')")
    page.reload()
    assert _row_symbols(page, "B-ii")[0] == "●"
    measures = _measures(plan_server)
    status, records = plan_server.call("GET", f"/api/v1/ledgers/{measures}/records?limit=100")
    assert status == 200, records
    b_ii = next(r for r in records["items"] if r["values"]["code"] == "B-ii")
    status, history = plan_server.call(
        "GET", f"/api/v1/ledgers/{measures}/records/{b_ii['id']}/history")
    assert status == 200, history
    assert history["items"][0]["by"] == "admin"
    assert history["items"][0]["changes"] == {"fy2018": {"old": "□", "new": "●"}}

    # Escape leaves a cell unchanged.
    cell.locator(".cell-button").click()
    select = cell.locator("select")
    select.select_option("★")
    select.press("Escape")  # (focuses the select first, as a user's keystroke would land there)
    cell.locator(".cell-button").wait_for()
    assert _row_symbols(page, "B-ii")[0] == "●"

    with page.expect_download() as download:
        page.click("#roadmap-xlsx")
    from python_calamine import CalamineWorkbook

    rows = CalamineWorkbook.from_path(download.value.path()).get_sheet_by_index(0).to_python()
    b_i = next(r for r in rows if r[1] == "B-i")
    assert b_i[2] == "自治体クラウドの導入" and b_i[4:9] == SEED_B_I

    page.emulate_media(media="print")
    assert not page.locator("#roadmap-xlsx").is_visible()
    assert page.locator("#roadmap .cell-button").first.is_visible()  # the symbols print
    shot(page, "plan-roadmap-print")
    pdf = page.pdf(prefer_css_page_size=True)
    box = re.search(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    assert box, pdf[:400]
    assert [round(float(v)) for v in box.groups()] == [842, 595]  # A4 landscape, in points


def test_dashboard_in_the_browser(plan_server: Server, open_page: Callable[..., Any]) -> None:
    page = open_page("admin", language="ja")
    page.goto(plan_server.base + "/plan/dashboard")
    page.select_option("#fy", "2019")
    page.click("#show-year")
    page.wait_for_url("**fy=2019**")
    rows = page.locator("#kpi-table tbody tr")
    assert rows.count() >= 8
    audits = rows.filter(has_text="情報セキュリティ監査の実施数")
    assert "達成" in audits.inner_text() and "100%" in audits.inner_text()
    assert audits.locator("progress").get_attribute("value") == "100"
    assert "目標未設定" in rows.filter(has_text="ペーパーレス会議の実施数").inner_text()
    page.select_option("#chart-kpi", "ペーパーレス会議の実施数")
    page.click("#draw-kpi")
    page.wait_for_selector("#kpi-chart svg")
    chart = page.locator("#kpi-chart svg")
    assert "ペーパーレス会議の実施数" in (chart.get_attribute("aria-label") or "")
    drawn = chart.text_content() or ""
    assert "令和4年度" in drawn and "175" in drawn
    series = page.locator("#kpi-series tbody tr").all_inner_texts()
    assert len(series) == 5 and "175回" in series[-1]
    shot(page, "plan-dashboard")


def test_candidates_in_the_browser(plan_server: Server, open_page: Callable[..., Any]) -> None:
    page = open_page("admin", language="ja")
    page.goto(plan_server.base + "/plan/candidates")
    rows = page.locator("#my-number tbody tr")
    assert rows.count() == 4
    welfare = rows.filter(has_text="生活保護システム")
    assert "生活福祉課" in welfare.inner_text()
    assert "マイナンバーを利用" in welfare.locator(".reason").inner_text()
    assert "基幹システム" in welfare.inner_text()
    shot(page, "plan-candidates")
    welfare.locator("a:text('生活保護システム')").click()
    page.wait_for_url(re.compile(r"/ledgers/\d+/records/\d+/"))
    assert page.get_by_label("情報システム名").input_value() == "生活保護システム"


def test_committee_report_in_the_browser(plan_server: Server,
                                         open_page: Callable[..., Any]) -> None:
    from daicho.plan.report import FONT_PATHS

    page = open_page("admin", language="ja")
    page.goto(plan_server.base + "/plan/dashboard?fy=2022")
    with page.expect_download() as download:
        page.click("#report-download")
    assert download.value.suggested_filename.endswith(".xlsx")
    from python_calamine import CalamineWorkbook

    rows = CalamineWorkbook.from_path(download.value.path()).get_sheet_by_index(0).to_python()
    assert "令和4年度" in str(rows[0][0])
    if not any(__import__("pathlib").Path(p).is_file() for p in FONT_PATHS):
        pytest.skip("fonts-ipaexfont-gothic is not installed")
    page.goto(plan_server.base + "/plan/report")
    page.select_option("#report-fy", "2020")
    page.check("#report-format-pdf")
    with page.expect_download() as download:
        page.click("#report-download")
    assert download.value.suggested_filename.endswith(".pdf")
    with open(download.value.path(), "rb") as f:
        assert f.read(5) == b"%PDF-"
