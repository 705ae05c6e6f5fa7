"""In the browser: hostile names stay text, nothing breaks the CSP, the language switch, the skip
link, 200 % zoom, printing (A4 landscape list, A4 portrait record), the admin pages."""

from __future__ import annotations

import re
from typing import Any

from tests.web.conftest import SCREENSHOTS, Server, shot, unique

XSS_LEDGER = "<script>alert(1)</script>"
XSS_FIELD = '"><img src=x onerror=alert(1)>'


def _xss_ledger(server: Server) -> tuple[int, int]:
    led = server.ledger(XSS_LEDGER + unique(""), [
        {"name": XSS_FIELD, "type": "text", "code": "evil"},
        {"name": "数", "type": "number", "code": "n"},
        {"name": "区分", "type": "choice", "code": "kind", "options": {"choices": ["<b>a</b>", "b"]}},
    ], [{"evil": "<img src=x onerror=alert(2)>", "n": 1, "kind": "<b>a</b>"}])
    _status, body = server.call("GET", f"/api/v1/ledgers/{led['id']}/records")
    return led["id"], body["items"][0]["id"]


def test_hostile_names_stay_text(open_page: Any, server: Server) -> None:
    lid, rid = _xss_ledger(server)
    page = open_page("admin")  # open_page fails the test on any alert() or CSP refusal
    for path in (f"/ledgers/{lid}/", f"/ledgers/{lid}/records/{rid}/",
                 f"/ledgers/{lid}/records/{rid}/history", f"/ledgers/{lid}/fields/",
                 f"/ledgers/{lid}/chart?group_by=kind", "/"):
        page.goto(server.base + path)
        page.wait_for_load_state("networkidle")
        assert page.locator("img[src=x]").count() == 0, path
    page.goto(f"{server.base}/ledgers/{lid}/")
    assert XSS_LEDGER in page.locator("h1").inner_text()
    assert page.locator("#grid thead th[data-code=evil] a.sort").inner_text() == XSS_FIELD
    assert page.locator("#grid tbody td[data-code=evil]").inner_text() == "<img src=x onerror=alert(2)>"
    # The column's filter popup lists the value as text, under the name as text.
    page.locator("#grid thead th[data-code=evil] .filter-button").click()
    page.locator("#filter-popup #filter-form").wait_for()
    assert XSS_FIELD in page.locator("#filter-title").inner_text()
    assert "<img src=x onerror=alert(2)>" in page.locator("#filter-values").inner_text()
    assert page.locator("img[src=x]").count() == 0
    page.keyboard.press("Escape")
    shot(page, "escaping")


def test_language_skip_link_zoom_and_print(open_page: Any, server: Server) -> None:
    led = server.ledger(unique("印刷台帳"), [
        {"name": "名称", "type": "text", "code": "name"},
        {"name": "金額", "type": "number", "code": "amount", "options": {"unit": "円"}},
        {"name": "取得日", "type": "date", "code": "day", "options": {"wareki": True}},
    ], [{"name": f"財産{i}", "amount": i * 1000, "day": "2020-04-01"} for i in range(40)])
    page = open_page("admin", language="ja")
    assert page.locator("html").get_attribute("lang") == "ja"
    page.locator(".lang-switch button[value=en]").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    page.locator(".lang-switch button[value=ja]").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "ja"
    shot(page, "home")
    # The first Tab reaches the skip link; following it puts the focus on the main content.
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.className") == "skip-link"
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"

    # 200 % zoom: a 1280-pixel screen shows a 640-pixel layout; nothing but the grid's own box
    # may need horizontal scrolling.
    zoomed = open_page("admin", viewport={"width": 640, "height": 450}, scale=2)
    for path in ("/", f"/ledgers/{led['id']}/", f"/ledgers/{led['id']}/records/new",
                 f"/ledgers/{led['id']}/fields/", "/manage/tokens"):
        zoomed.goto(server.base + path)
        overflow = zoomed.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, (path, overflow)
    zoomed.goto(f"{server.base}/ledgers/{led['id']}/")
    shot(zoomed, "zoom-200-list")

    # Printing: the list on A4 landscape, a record on A4 portrait (points: 842 × 595).
    page.goto(f"{server.base}/ledgers/{led['id']}/")
    page.wait_for_selector("#totals .totals")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    pdf = page.pdf(path=str(SCREENSHOTS / "print-list.pdf"), prefer_css_page_size=True)
    assert _page_size(pdf) == (842, 595)
    rid = page.locator("#grid tbody tr").first.get_attribute("data-id")
    page.goto(f"{server.base}/ledgers/{led['id']}/records/{rid}/")
    pdf = page.pdf(path=str(SCREENSHOTS / "print-record.pdf"), prefer_css_page_size=True)
    assert _page_size(pdf) == (595, 842)


def _page_size(pdf: bytes) -> tuple[int, int]:
    box = re.search(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    assert box is not None
    return round(float(box.group(1))), round(float(box.group(2)))


def test_admin_pages(open_page: Any, server: Server) -> None:
    page = open_page("admin")
    page.locator(".user-menu summary").click()
    page.locator(".user-menu a[href='/manage/users']").click()
    login = unique("suzuki").replace("-", "")
    page.fill("#u-login", login)
    page.fill("#u-name", "鈴木")
    page.fill("#u-password", "Shizuoka-2024!")
    page.fill("#u-password2", "Shizuoka-2024!")
    page.locator("#new-user-form button[type=submit]").click()
    page.wait_for_selector(f"#users th:text-is('{login}')")
    shot(page, "users")
    page.goto(server.base + "/manage/tokens")
    page.select_option("#t-login", login)
    page.fill("#t-label", "集計")
    page.click("#create-token")
    token = page.locator("#new-token").inner_text()
    assert token.startswith("dc_")
    shot(page, "tokens")
    page.goto(server.base + "/manage/tokens")
    assert token not in page.content()
    page.locator("#tokens tr", has_text="集計").locator("button.danger").click()
    page.wait_for_selector(".message-success")
