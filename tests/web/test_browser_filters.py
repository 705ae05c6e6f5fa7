"""In the browser: the column filter (Excel's autofilter) at 1366×768 and 1920×1080 — the popup
is seen (its centre is the topmost element there), ticking values, a number range and a fiscal
year filter the rows, chips remove filters, and the whole path works from the keyboard."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.web.conftest import Server, shot, unique

VIEWPORTS = [{"width": 1366, "height": 768}, {"width": 1920, "height": 1080}]
FILTER_NAME = re.compile("絞り込")


def _ledger(server: Server) -> dict[str, Any]:
    kinds = ["土地", "建物", "工作物"]
    days = ["2024-03-31", "2024-04-01", "2024-12-01", "2025-03-31", "2025-04-01", None]
    records = [{"name": f"{'本' if i % 4 == 0 else '東'}施設{i:02d}", "kind": kinds[i % 3],
                "amount": None if i % 10 == 9 else (i % 5) * 100, "day": days[i % 6],
                "note": "備考" * 10 if i % 2 else None}
               for i in range(30)]
    fields = [
        {"name": "名称", "type": "text", "code": "name"},
        {"name": "区分", "type": "choice", "code": "kind", "options": {"choices": kinds}},
        {"name": "金額", "type": "number", "code": "amount", "options": {"unit": "円"}},
        {"name": "取得日", "type": "date", "code": "day"},
    ]
    # Enough columns that the last ones sit at the right edge of a 1366 px screen.
    fields += [{"name": f"備考{n}", "type": "text", "code": f"note{n}"} for n in range(1, 9)]
    for r in records:
        for n in range(1, 9):
            r[f"note{n}"] = r["note"]
        del r["note"]
    return server.ledger(unique("公有財産台帳"), fields, records)


def _rows(page: Any) -> int:
    return int(page.locator("#grid tbody tr[data-id]").count())


def _button(page: Any, code: str) -> Any:
    return page.locator(f"#grid thead th[data-code={code}]").get_by_role("button", name=FILTER_NAME)


def _open(page: Any, code: str) -> Any:
    _button(page, code).click()
    popup = page.locator("#filter-popup #filter-form")
    popup.wait_for()
    return popup


def _apply(page: Any) -> None:
    with page.expect_navigation():
        page.locator("#filter-apply").click()


def _topmost(page: Any, selector: str) -> bool:
    """Whether the element's centre shows that element (or something inside it) on screen."""
    return bool(page.evaluate("""(sel) => {
        const el = document.querySelector(sel);
        const r = el.getBoundingClientRect();
        const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
        return r.width > 0 && r.height > 0 && r.left >= 0 && r.top >= 0
            && r.right <= window.innerWidth && r.bottom <= window.innerHeight
            && (hit === el || el.contains(hit));
    }""", selector))


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=lambda v: f"{v['width']}x{v['height']}")
def test_popup_is_seen_and_filters(open_page: Any, server: Server, viewport: dict[str, int]) -> None:
    led = _ledger(server)
    page = open_page("admin", language="ja", viewport=viewport)
    page.goto(f"{server.base}/ledgers/{led['id']}/")
    assert _rows(page) == 30
    size = f"{viewport['width']}x{viewport['height']}"
    # Every column's popup is seen whole: its centre, its list and its button are on top.
    for code in ("name", "kind", "day", "note8"):
        _open(page, code)
        assert _topmost(page, "#filter-popup"), code
        assert _topmost(page, "#filter-apply"), code
        if code != "day":
            assert _topmost(page, "#filter-values input[type=checkbox]"), code
        if code == "kind":
            shot(page, f"filter-popup-values-{size}")
        page.keyboard.press("Escape")
        assert page.locator("#filter-popup").is_hidden()

    # Values: none, then 建物 only.
    popup = _open(page, "kind")
    labels = popup.locator("#filter-values label").all_inner_texts()
    assert [re.sub(r"\s+", " ", t).strip() for t in labels] == ["土地 10", "建物 10", "工作物 10"]
    page.locator("[data-filter-none]").click()
    popup.locator("#filter-values label", has_text="建物").click()
    _apply(page)
    assert "filter=kind%3Aeq%3A%E5%BB%BA%E7%89%A9" in page.url
    assert _rows(page) == 10
    assert page.locator(".filter-chip").count() == 1

    # A number range: 金額 ≥ 200 (blanks and 0/100 go), applied with Enter.
    _open(page, "amount")
    page.locator("input[name='fx:amount:ge']").fill("200")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile("amount%3Age%3A200"))
    expected = sum(1 for i in range(30) if i % 3 == 1 and i % 10 != 9 and (i % 5) * 100 >= 200)
    assert _rows(page) == expected

    # 年度: FY2024 (2024-04-01 … 2025-03-31) among the 建物 ≥ 200.
    popup = _open(page, "day")
    # Only the periods of the records the other filters keep (2024-04-01 and 2025-04-01).
    fiscal = popup.locator("[data-period-kind=fy] label").all_inner_texts()
    assert [t.split()[0] for t in fiscal] == ["2024年度", "2025年度"]
    popup.locator("[data-period-kind=fy] label", has_text="2024年度").click()
    shot(page, f"filter-popup-dates-{size}")
    _apply(page)
    chips = page.locator(".filter-chip").all_inner_texts()
    assert any("取得日: 2024年度" in c for c in chips), chips
    fy2024 = {1, 2, 3}  # indexes into the dates cycle that fall in FY2024
    assert _rows(page) == sum(1 for i in range(30) if i % 3 == 1 and i % 10 != 9
                              and (i % 5) * 100 >= 200 and i % 6 in fy2024)
    shot(page, f"filter-chips-{size}")

    # Chips remove their filter: the fiscal year goes, then everything.
    page.locator(".filter-chip", has_text="2024年度").locator(".chip-remove").click()
    page.wait_for_load_state()
    assert _rows(page) == expected
    page.locator("#clear-filters").click()
    page.wait_for_load_state()
    assert _rows(page) == 30 and page.locator(".filter-chip").count() == 0
    # Every value but the blanks: "not blank".
    _open(page, "amount")
    page.locator("#fv-blank").uncheck()
    _apply(page)
    assert "amount%3Anotempty" in page.url and _rows(page) == 27


def test_keyboard_path(open_page: Any, server: Server) -> None:
    led = _ledger(server)
    page = open_page("admin", language="ja", viewport=VIEWPORTS[0])
    page.goto(f"{server.base}/ledgers/{led['id']}/")
    # One tab stop for the header row: the first button; the others and the sort links are not.
    header = page.locator("#grid thead")
    assert header.locator(".filter-button[tabindex='0']").count() == 1
    assert header.locator("a.sort:not([tabindex='-1'])").count() == 0
    page.focus("#grid-q")
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('filter-button')"):
            break
    active = "document.activeElement.closest('th') && document.activeElement.closest('th').dataset.code"
    assert page.evaluate(active) == "name"
    # → moves along the header row; Enter opens; the search narrows; Enter applies the matches.
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowLeft")
    assert page.evaluate(active) == "name"
    page.keyboard.press("Enter")
    page.locator("#filter-popup #filter-search").wait_for()
    assert page.evaluate("document.activeElement.id") == "filter-search"
    page.keyboard.type("本")
    page.wait_for_function(
        "() => [...document.querySelectorAll('#filter-values .check')].some(c => c.hidden)")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert _rows(page) == 8  # 本施設00, 04, … 28
    # Escape closes the popup and gives the focus back to its header button.
    _button(page, "kind").focus()
    page.keyboard.press("Enter")
    page.locator("#filter-popup #filter-form").wait_for()
    page.keyboard.press("Escape")
    assert page.locator("#filter-popup").is_hidden()
    assert page.evaluate(active) == "kind"
    assert _button(page, "kind").get_attribute("aria-expanded") == "false"
    # ↓ goes to the column's first cell; Alt+↓ there opens the column's filter.
    page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.closest('td') !== null")
    page.keyboard.press("Alt+ArrowDown")
    page.locator("#filter-popup #filter-form[data-code=kind]").wait_for()
    page.keyboard.press("Escape")
    assert page.evaluate(active) == "kind"
