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
def demo(shared_demo: Any, api: ApiClient, cli: Any) -> dict[str, int]:
    result = shared_demo[0]  # `daicho demo --json`, loaded once: tests/conftest.py
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
    from daicho.dates.wareki import format_fiscal_year
    from daicho.plan import kpi

    html = admin_client.get("/plan/roadmap").content.decode()
    assert 'aria-current="date"' not in html and "current-tag" not in html
    year = kpi.current_fiscal_year()
    assert format_fiscal_year(year) in html  # which year is current, said in words
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


# -- versions of the plan (計画改定) ----------------------------------------------------------------

def _versions(api: ApiClient) -> list[dict[str, Any]]:
    return list(api.get("/api/v1/plan/revisions").body["items"])


def _change_plan(api: ApiClient, demo: dict[str, int]) -> None:
    """B-i's H33 (2021) ★ → ●, the 2022 target of 台帳管理システムへの移行数 150 → 200, and a new
    measure D-i."""
    measures = demo["全体最適化取組"]
    b_i = _record(api, measures, "B-i")
    assert api.patch(f"/api/v1/ledgers/{measures}/records/{b_i['id']}", {
        "revision": b_i["revision"], "values": {"fy2021": "●"}}).status == 200
    kpis = api.get(f"/api/v1/ledgers/{demo['目標指標']}/records", {"limit": 500}).body["items"]
    kpi = next(r for r in kpis if r["values"]["name"] == "台帳管理システムへの移行数")
    assert api.patch(f"/api/v1/ledgers/{demo['目標指標']}/records/{kpi['id']}", {
        "revision": kpi["revision"], "values": {"target_2022": 200}}).status == 200
    assert api.post(f"/api/v1/ledgers/{measures}/records", {"values": {
        "code": "D-i", "title": "生成AIの活用", "fy2022": "□"}}).status == 201


def _table(html: str) -> list[list[str]]:
    """The differences table as text, one list per row (rowspan headers only on their row)."""
    table = html[html.index('id="differences-table"'):html.index("</table>",
                                                                   html.index('id="differences-table"'))]
    rows = re.findall(r"<tr>(.*?)</tr>", table[table.index("</thead>"):], re.S)
    return [[re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>",
                                                                   row, re.S)] for row in rows]


def test_plan_versions_page_lists_compares_and_keeps(demo: dict[str, int], api: ApiClient,
                                                     admin_client: Client) -> None:
    (first,) = _versions(api)
    page = admin_client.get("/plan/revisions", HTTP_ACCEPT_LANGUAGE="ja")
    assert page.status_code == 200
    html = page.content.decode()
    assert html_has_no_inline_code(html) == []
    assert "<h1>計画の改定履歴</h1>" in html and 'href="/plan/revisions"' in html
    row = re.search(rf'<tr id="version-{first["id"]}">(.*?)</tr>', html, re.S)
    assert row and "平成31年4月一部改定" in row.group(1) and "平成31年4月" in row.group(1)
    assert "平成30年3月策定" in row.group(1)  # the reason
    # By default the newest version against the plan now: the demo's plan is that version.
    assert "「平成31年4月一部改定」から「現在の計画」" in html
    assert "取組・スケジュール・目標に違いはありません" in html
    assert 'id="save-form"' in html
    assert 'id="roadmap-revisions"' in admin_client.get("/plan/roadmap").content.decode()

    _change_plan(api, demo)
    html = admin_client.get("/plan/revisions", {"from": first["id"], "to": "current"},
                            HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert _table(html) == [
        ["B-i 自治体クラウドの導入", "スケジュール H33（2021）", "★ 完了", "→", "● 導入・方針等策定"],
        ["D-i 生成AIの活用 追加", "具体的取組", "(なし)", "→", "生成AIの活用"],
        ["スケジュール H34（2022）", "(なし)", "→", "□ 検討"],
        ["台帳管理システムへの移行数", "目標値 H34（2022）", "150", "→", "200"],
    ]
    words = re.search(r'<ul class="difference-words"[^>]*>(.*?)</ul>', html, re.S)
    assert words, html
    assert re.findall(r"<li>(.*?)</li>", words.group(1)) == [
        "取組 B-i 自治体クラウドの導入：スケジュール H33（2021）が「★ 完了」から"
        "「● 導入・方針等策定」に変わりました。",
        "取組 D-i 生成AIの活用が追加されました。",
        "目標指標 台帳管理システムへの移行数：目標値 H34（2022）が「150」から「200」に変わりました。"]
    assert "3件の取組・目標指標に違いがあります" in html

    # Keeping a version: no name is refused, nothing written; the form keeps the typing.
    bad = admin_client.post("/plan/revisions", {"label": " ", "date": "2020-04",
                                                "reason": "見直し"}, HTTP_ACCEPT_LANGUAGE="ja")
    assert bad.status_code == 400
    body = bad.content.decode()
    assert 'aria-invalid="true"' in body and "版の名前を入力してください" in body
    assert ">見直し</textarea>" in body and len(_versions(api)) == 1
    bad = admin_client.post("/plan/revisions", {"label": "x", "date": "2020-13"},
                            HTTP_ACCEPT_LANGUAGE="ja")
    assert bad.status_code == 400 and 'id="version-date-error"' in bad.content.decode()
    assert len(_versions(api)) == 1
    done = admin_client.post("/plan/revisions", {"label": "令和2年4月改定", "date": "2020-04",
                                                 "reason": "B-i のスケジュール見直し"},
                             HTTP_ACCEPT_LANGUAGE="ja", follow=True)
    assert done.status_code == 200
    html = done.content.decode()
    assert "「令和2年4月改定」として保存しました" in html
    first_row, second_row = re.findall(r'<tr id="version-(\d+)">', html)
    second = _versions(api)[-1]
    assert second == {"id": int(first_row), "label": "令和2年4月改定", "date": "2020-04-01",
                      "reason": "B-i のスケジュール見直し"}  # newest first
    assert int(second_row) == first["id"]
    html = admin_client.get("/plan/revisions", {"from": first["id"], "to": second["id"]},
                            HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert len(_table(html)) == 4 and "「平成31年4月一部改定」から「令和2年4月改定」" in html

    # A removed measure is marked as such, with what it held.
    measures = demo["全体最適化取組"]
    d_i = _record(api, measures, "D-i")
    assert api.delete(f"/api/v1/ledgers/{measures}/records/{d_i['id']}"
                      f"?revision={d_i['revision']}").status == 204
    html = admin_client.get("/plan/revisions", {"from": second["id"]},
                            HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert _table(html)[0] == ["D-i 生成AIの活用 削除", "具体的取組", "生成AIの活用", "→",
                               "(なし)"]
    assert "取組 D-i 生成AIの活用が削除されました。" in html

    # Hostile query strings: a clear 400 in the page, or 404 as the API answers.
    bad = admin_client.get("/plan/revisions", {"from": "1 OR 1=1"}, HTTP_ACCEPT_LANGUAGE="ja")
    assert bad.status_code == 400 and 'role="alert"' in bad.content.decode()
    assert admin_client.get("/plan/revisions", {"from": "999999"}).status_code == 404
    assert admin_client.get("/plan/revisions", {"from": first["id"], "to": "-3"}) \
        .status_code == 404


def test_plan_versions_page_follows_the_api_rights(demo: dict[str, int], api: ApiClient) -> None:
    revisions = demo["計画改定"]
    bob = _client("bob")
    assert bob.get("/plan/revisions").status_code == 404
    assert bob.post("/plan/revisions", {"label": "x"}).status_code == 404
    # Viewing 計画改定 alone: the versions and their differences, not the plan now, no form.
    _grant(api, revisions, "bob", ["view"])
    (first,) = _versions(api)
    html = bob.get("/plan/revisions", HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "平成31年4月一部改定" in html and 'id="save-form"' not in html
    assert 'value="current"' not in html and 'id="differences"' not in html
    assert bob.get("/plan/revisions", {"from": first["id"], "to": "current"}).status_code == 404
    assert bob.post("/plan/revisions", {"label": "x"}).status_code == 404
    assert len(_versions(api)) == 1
    home = bob.get("/").content.decode()
    assert 'href="/plan/revisions"' in home and 'href="/plan/roadmap"' not in home
    # With add (and the plan's ledgers to read), the form appears and keeps a version.
    _grant(api, revisions, "bob", ["view", "add"])
    for name in ("全体最適化取組", "目標指標"):
        _grant(api, demo[name], "bob", ["view"])
    html = bob.get("/plan/revisions").content.decode()
    assert 'id="save-form"' in html and 'value="current"' in html
    assert bob.post("/plan/revisions", {"label": "令和2年4月改定"}).status_code == 302
    assert [v["label"] for v in _versions(api)] == ["平成31年4月一部改定", "令和2年4月改定"]


def test_plan_versions_in_the_browser(plan_server: Server,
                                      open_page: Callable[..., Any]) -> None:
    page = open_page("admin", language="ja", viewport={"width": 1366, "height": 768})
    page.goto(plan_server.base + "/plan/roadmap")
    page.click("#roadmap-revisions")
    page.wait_for_url("**/plan/revisions")
    assert page.locator("h1").inner_text() == "計画の改定履歴"
    page.fill("#version-label", "令和2年4月改定")
    page.fill("#version-date", "2020-04")
    page.fill("#version-reason", "B-i のスケジュール見直し")
    page.click("#save-version-button")
    page.wait_for_selector(".messages:has-text('令和2年4月改定')")
    labels = page.locator("#revisions tbody th").all_inner_texts()
    assert labels[:2] == ["令和2年4月改定", "平成31年4月一部改定"]  # newest first

    measures = _measures(plan_server)
    status, records = plan_server.call("GET", f"/api/v1/ledgers/{measures}/records?limit=100")
    b_i = next(r for r in records["items"] if r["values"]["code"] == "B-i")
    status, _saved = plan_server.call("PATCH", f"/api/v1/ledgers/{measures}/records/{b_i['id']}",
                                      {"revision": b_i["revision"], "values": {
                                          "fy2022": "★", "note": "令和4年度に前倒しで完了"}})
    assert status == 200, _saved
    page.select_option("#compare-from", label="令和2年4月改定")
    page.select_option("#compare-to", label="現在の計画")
    page.click("#compare")
    page.wait_for_selector("#differences-table")
    assert "「令和2年4月改定」から「現在の計画」への変更" in page.locator("#differences-title") \
        .inner_text()
    rows = [r.split("\t") for r in page.locator("#differences-table tbody tr").all_inner_texts()]
    assert [[c.strip() for c in r] for r in rows] == [
        ["B-i 自治体クラウドの導入", "スケジュール H34（2022）", "—", "→", "★ 完了"],
        ["備考", "H31 次期基幹システム導入方針の決定 H33 仕様の決定", "→", "令和4年度に前倒しで完了"]]
    words = page.locator("#difference-words").inner_text()
    assert "B-i 自治体クラウドの導入：スケジュール H34（2022）" in words and "★ 完了" in words
    assert "備考が「H31 次期基幹システム導入方針の決定 H33 仕様の決定」から「令和4年度に前倒しで完了」に" \
        "変わりました" in words
    # Nothing clipped at 1366×768: no sideways scrolling, every cell inside the window.
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    right = page.evaluate("Math.max(...[...document.querySelectorAll("
                          "'#differences-table th, #differences-table td, #revisions td, "
                          "#save-form textarea')].map(e => e.getBoundingClientRect().right))")
    assert right <= 1366
    shot(page, "plan-revisions")
