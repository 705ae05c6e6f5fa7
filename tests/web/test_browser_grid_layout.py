"""In the browser: the grid's layout (issue 14, point 5a) — frozen first columns while scrolling
sideways, column order, width and row height kept by a saved view, and the continuous scroll over
the rows after the page, with the keyboard going on into them."""

from __future__ import annotations

from typing import Any

from tests.web.conftest import Server, shot, unique

WIDE = [{"code": "title", "name": "名称", "type": "text"}] + [
    {"code": f"c{i:02d}", "name": f"項目{i:02d}", "type": "text"} for i in range(1, 19)]


def _wide_ledger(server: Server, rows: int = 12) -> dict[str, Any]:
    records = [{"title": f"市民会館{n:03d}", **{f"c{i:02d}": f"値{n}-{i} 長めの説明文がここに入ります"
                                             for i in range(1, 19)}} for n in range(rows)]
    return server.ledger(unique("横に広い台帳"), WIDE, records)


def _numbered_ledger(server: Server, n: int) -> dict[str, Any]:
    fields = [{"code": "title", "name": "名称", "type": "text"},
              {"code": "no", "name": "番号", "type": "number"}]
    return server.ledger(unique("長い台帳"), fields,
                         [{"title": f"施設{i:03d}", "no": i} for i in range(1, n + 1)])


def _open(page: Any, server: Server, ledger_id: int, query: str = "") -> None:
    page.goto(f"{server.base}/ledgers/{ledger_id}/{query}")
    page.wait_for_selector("#grid[data-ready='1']")


def _box(page: Any, selector: str) -> dict[str, float]:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, selector
    return box  # type: ignore[no-any-return]


def _topmost_is_inside(page: Any, selector: str) -> bool:
    """Whether the element at the centre of `selector` is it or inside it (not covered)."""
    return bool(page.evaluate("""(sel) => {
        const el = document.querySelector(sel);
        const r = el.getBoundingClientRect();
        const top = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
        return !!top && (top === el || el.contains(top));
    }""", selector))


def test_frozen_title_column_stays_at_the_left(open_page: Any, server: Server) -> None:
    led = _wide_ledger(server)
    for width, height in ((1366, 768), (1920, 1080)):
        page = open_page("admin", language="ja", viewport={"width": width, "height": height})
        _open(page, server, led["id"])
        title_cell = "#grid tbody tr:first-child td[data-code='title']"
        title_head = "#grid thead th[data-code='title']"
        far_cell = "#grid tbody tr:first-child td[data-code='c03']"
        before, head_before, far_before = (_box(page, title_cell), _box(page, title_head),
                                           _box(page, far_cell))
        page.evaluate("document.querySelector('.grid-wrap').scrollLeft = 5000")
        page.wait_for_function("() => document.querySelector('.grid-wrap').scrollLeft > 500")
        after, head_after, far_after = (_box(page, title_cell), _box(page, title_head),
                                        _box(page, far_cell))
        # The title column did not move; the columns after it went left, under it.
        assert abs(after["x"] - before["x"]) < 1 and abs(head_after["x"] - head_before["x"]) < 1
        assert far_after["x"] < far_before["x"] - 500
        # The frozen header's filter button and the last column's are visible and on top.
        assert _topmost_is_inside(page, f"{title_head} .filter-button")
        assert _topmost_is_inside(page, "#grid thead th[data-code='c18'] .filter-button")
        assert _topmost_is_inside(page, title_cell)
        # Scrolling down keeps the header row at the top of the grid's box.
        page.evaluate("document.querySelector('.grid-wrap').scrollTop = 200")
        wrap_top = _box(page, ".grid-wrap")["y"]
        assert abs(_box(page, title_head)["y"] - wrap_top) < 3
        page.evaluate("document.querySelector('.grid-wrap').scrollTop = 0")
        page.locator(f"{title_head} .filter-button").click()
        page.wait_for_selector("#filter-popup:not([hidden]), .filter-popup:not([hidden])")
        page.keyboard.press("Escape")
        shot(page, f"grid-frozen-scrolled-{width}x{height}")


def test_freeze_more_columns_from_the_column_menu(open_page: Any, server: Server) -> None:
    led = _wide_ledger(server, rows=3)
    page = open_page("admin", language="ja", viewport={"width": 1366, "height": 768})
    _open(page, server, led["id"])
    page.locator("#grid thead th[data-code='c02']").click(button="right")
    page.wait_for_selector("#column-menu:not([hidden])")
    shot(page, "grid-column-menu-1366x768")
    page.locator("#column-menu [data-action='freeze']").click()
    second = "#grid tbody tr:first-child td[data-code='c02']"
    before = _box(page, second)
    page.evaluate("document.querySelector('.grid-wrap').scrollLeft = 5000")
    page.wait_for_function("() => document.querySelector('.grid-wrap').scrollLeft > 500")
    assert abs(_box(page, second)["x"] - before["x"]) < 1
    assert page.locator("#layout-frozen").input_value() == "3"
    page.locator("#layout-menu summary").click()
    page.select_option("#layout-height", "tall")
    shot(page, "grid-layout-menu-tall-1366x768")


def test_order_width_and_row_height_survive_a_reload_through_the_view(
        open_page: Any, server: Server) -> None:
    led = _wide_ledger(server, rows=3)
    page = open_page("admin", viewport={"width": 1366, "height": 768})
    _open(page, server, led["id"])
    # Move 項目01 right with the keyboard: its header's menu (Shift+F10), "Move column right".
    page.locator("#grid thead th[data-code='c01'] .filter-button").focus()
    page.keyboard.press("Shift+F10")
    page.wait_for_selector("#column-menu:not([hidden])")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    # The focus stays on the moved column's header; ← → follow the new order.
    focused = "() => document.activeElement.closest('th').dataset.code"
    assert page.evaluate(focused) == "c01"
    page.keyboard.press("ArrowRight")
    assert page.evaluate(focused) == "c03"
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    assert page.evaluate(focused) == "c02"
    # …and 項目05 to the front of the data columns by dragging its header.
    head = page.locator("#grid thead th[data-code='c05']")
    box, target = head.bounding_box(), _box(page, "#grid thead th[data-code='title']")
    assert box is not None
    page.mouse.move(box["x"] + 10, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] - 100, box["y"] + 10, steps=5)
    page.mouse.move(target["x"] + 5, target["y"] + 10, steps=5)
    page.mouse.up()
    order = ["c05", "title", "c02", "c01", "c03"]
    codes = page.eval_on_selector_all("#grid thead th[data-code]", "ths => ths.map(t => t.dataset.code)")
    assert codes[:5] == order
    cells = page.eval_on_selector_all("#grid tbody tr:first-child td", "tds => tds.map(t => t.dataset.code)")
    assert cells[:5] == order
    # Widen 名称 by dragging its header's right edge.
    handle = _box(page, "#grid thead th[data-code='title'] [data-resize]")
    page.mouse.move(handle["x"] + 3, handle["y"] + 5)
    page.mouse.down()
    page.mouse.move(handle["x"] + 153, handle["y"] + 5, steps=5)
    page.mouse.up()
    width = _box(page, "#grid thead th[data-code='title']")["width"]
    # Tall rows wrap long text.
    normal = _box(page, "#grid tbody tr:first-child td[data-code='c02']")["height"]
    page.locator("#layout-menu summary").click()
    page.select_option("#layout-height", "tall")
    assert "rows-tall" in (page.get_attribute("#grid", "class") or "")
    assert _box(page, "#grid tbody tr:first-child td[data-code='c02']")["height"] > normal * 1.5
    page.locator("#layout-menu summary").click()

    page.locator("#save-view-menu summary").click()
    page.fill("#view-name", "並べ替えた一覧")
    with page.expect_navigation():
        page.click("#save-view")
    view_url = page.url
    assert "view=" in view_url
    page.goto(f"{server.base}/ledgers/{led['id']}/")  # the plain list, then the view afresh
    page.goto(view_url)
    page.wait_for_selector("#grid[data-ready='1']")
    codes = page.eval_on_selector_all("#grid thead th[data-code]", "ths => ths.map(t => t.dataset.code)")
    assert codes[:5] == order
    assert abs(_box(page, "#grid thead th[data-code='title']")["width"] - width) <= 2
    assert "rows-tall" in (page.get_attribute("#grid", "class") or "")
    assert _box(page, "#grid tbody tr:first-child td[data-code='c02']")["height"] > normal * 1.5
    # A plain reload keeps a layout change that was not saved yet (it is in the address).
    page.locator("#layout-menu summary").click()
    page.select_option("#layout-height", "compact")
    page.reload()
    page.wait_for_selector("#grid[data-ready='1']")
    assert "rows-compact" in (page.get_attribute("#grid", "class") or "")


def test_scrolling_to_the_bottom_loads_the_next_rows(open_page: Any, server: Server) -> None:
    led = _numbered_ledger(server, 130)
    page = open_page("admin", viewport={"width": 1366, "height": 768})
    _open(page, server, led["id"], "?s=1&limit=50&sort=no")
    rows = "#grid tbody tr[data-id]"
    assert page.locator(rows).count() == 50
    page.evaluate("const w = document.querySelector('.grid-wrap'); w.scrollTop = w.scrollHeight")
    page.wait_for_function(f"() => document.querySelectorAll('{rows}').length === 100")
    page.evaluate("const w = document.querySelector('.grid-wrap'); w.scrollTop = w.scrollHeight")
    page.wait_for_function(f"() => document.querySelectorAll('{rows}').length === 130")
    numbers = page.eval_on_selector_all(
        "#grid tbody td[data-code='no']", "tds => tds.map(t => t.dataset.text)")
    assert numbers == [str(i) for i in range(1, 131)]
    assert page.locator("#next-page").count() == 0
    assert page.get_attribute("#grid", "data-last-page") == "1"


def test_arrow_keys_move_across_the_chunk_boundary(open_page: Any, server: Server) -> None:
    led = _numbered_ledger(server, 60)
    page = open_page("admin", viewport={"width": 1366, "height": 768})
    _open(page, server, led["id"], "?s=1&limit=25&sort=no&rh=tall")
    assert page.locator("#grid tbody tr[data-id]").count() == 25
    page.locator("#grid tbody tr:first-child td[data-code='no']").click()
    for _ in range(24):
        page.keyboard.press("ArrowDown")
    active = "document.querySelector('#grid td.selected')"
    page.wait_for_function(f"() => {active} && {active}.dataset.text === '25'")
    page.keyboard.press("ArrowDown")
    page.wait_for_function(f"() => {active} && {active}.dataset.text === '26'")
    assert page.evaluate("document.activeElement.closest('td').dataset.text") == "26"
    page.keyboard.press("PageDown")
    page.keyboard.press("PageDown")
    page.keyboard.press("PageDown")
    page.wait_for_function(f"() => {active} && {active}.dataset.text === '56'")
    page.keyboard.press("ArrowUp")
    page.wait_for_function(f"() => {active} && {active}.dataset.text === '55'")
