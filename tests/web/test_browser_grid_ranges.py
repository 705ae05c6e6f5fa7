"""In the browser: ranges, Excel clipboard both ways, fill down, inserted rows, ticked rows with
bulk edit and the trash, multi-step undo/redo that survives a reload, the context menu, and the
grid's keyboard and ARIA contract (§11)."""

from __future__ import annotations

from typing import Any

from tests.web.conftest import SCREENSHOTS, Server, shot, unique, wait_saved

FIELDS = [
    {"name": "名称", "type": "text", "code": "name"},
    {"name": "備考", "type": "textarea", "code": "note"},
    {"name": "面積", "type": "number", "code": "area"},
    {"name": "区分", "type": "choice", "code": "kind", "options": {"choices": ["土地", "建物"]}},
]
RECORDS = [
    {"name": "東庁舎", "note": "1行目\n2行目", "area": 100, "kind": "建物"},
    {"name": '北"倉庫"', "note": "A\tB", "area": 200, "kind": "土地"},
    {"name": "西庁舎", "note": "", "area": 300, "kind": "建物"},
]


def _open(open_page: Any, server: Server, login: str = "admin", **kw: Any) -> tuple[Any, int]:
    led = server.ledger(unique("範囲台帳"), FIELDS, RECORDS)
    page = open_page(login, **kw)
    page.goto(f"{server.base}/ledgers/{led['id']}/?s=1&sort=id")
    page.wait_for_selector("#grid[data-ready='1']")
    return page, led["id"]


def _cell(page: Any, row: int, col: int) -> Any:
    return page.locator("#grid tbody tr").nth(row).locator("td").nth(col)


def _values(server: Server, ledger_id: int) -> list[dict[str, Any]]:
    status, body = server.call("GET", f"/api/v1/ledgers/{ledger_id}/records?sort=id")
    assert status == 200
    return [r["values"] for r in body["items"]]


def _wait_text(page: Any, row: int, cell: int, text: str) -> None:
    """Wait until the row's cell (0: the row number) shows `text`."""
    page.wait_for_function("""([row, cell, text]) => {
        const tr = document.querySelectorAll('#grid tbody tr')[row];
        return !!tr && tr.cells[cell].textContent.trim() === text;
    }""", arg=[row, cell, text])


def _copy(page: Any) -> str:
    """The text the grid puts on the clipboard for Ctrl+C (the copy event, intercepted)."""
    return page.evaluate("""() => {
        const data = new DataTransfer();
        document.activeElement.dispatchEvent(
            new ClipboardEvent('copy', {clipboardData: data, bubbles: true, cancelable: true}));
        return data.getData('text/plain');
    }""")


def _paste(page: Any, text: str) -> None:
    page.evaluate("""(text) => {
        const data = new DataTransfer();
        data.setData('text/plain', text);
        document.activeElement.dispatchEvent(
            new ClipboardEvent('paste', {clipboardData: data, bubbles: true, cancelable: true}));
    }""", text)


def test_range_copy_gives_excel_tsv(open_page: Any, server: Server) -> None:
    page, _lid = _open(open_page, server)
    _cell(page, 0, 0).click()
    _cell(page, 1, 1).click(modifiers=["Shift"])
    assert page.locator("#grid td[aria-selected='true']").count() == 4
    # Excel's clipboard text: CR LF between rows, quoted cells for line breaks, tabs and quotes.
    assert _copy(page) == '東庁舎\t"1行目\n2行目"\r\n"北""倉庫"""\t"A\tB"\r\n'
    # Shift+arrows grow the range from the active cell; a plain arrow collapses it.
    _cell(page, 0, 0).click()
    page.keyboard.press("Shift+ArrowDown")
    page.keyboard.press("Shift+ArrowDown")
    page.keyboard.press("Shift+ArrowRight")
    assert page.locator("#grid td[aria-selected='true']").count() == 6
    assert _copy(page).count("\r\n") == 3
    page.keyboard.press("ArrowDown")
    assert page.locator("#grid td[aria-selected='true']").count() == 1
    # Dragging over the cells selects them too.
    _cell(page, 0, 0).hover()
    page.mouse.down()
    _cell(page, 2, 0).hover()
    page.mouse.up()
    assert page.locator("#grid td[aria-selected='true']").count() == 3
    assert _copy(page) == '東庁舎\r\n"北""倉庫"""\r\n西庁舎\r\n'
    # The real keys and the system clipboard (a context allowed to read it), from a choice
    # cell (no editor holds the focus there) over two columns.
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.base)
    _cell(page, 0, 2).click()
    _cell(page, 1, 3).click(modifiers=["Shift"])
    page.keyboard.press("Control+c")
    assert page.evaluate("navigator.clipboard.readText()") == "100\t建物\r\n200\t土地\r\n"


def test_paste_block_in_one_request_and_errors_at_cells(open_page: Any, server: Server) -> None:
    page, lid = _open(open_page, server)
    saves: list[str] = []
    page.on("request", lambda r: saves.append(r.url) if r.url.endswith("/save") else None)
    # A 3×2 block from Excel with a quoted multi-line cell and a quoted quote.
    _cell(page, 0, 0).click()
    _paste(page, '本館\t"2階\n会議室"\n別館\t倉庫\n車庫\t"""屋外"""\n')
    wait_saved(page)
    page.wait_for_function("() => document.querySelector('#grid tbody tr td').textContent.trim() === '本館'")
    assert len(saves) == 1
    values = _values(server, lid)
    assert [(v["name"], v["note"]) for v in values] == [
        ("本館", "2階\n会議室"), ("別館", "倉庫"), ("車庫", '"屋外"')]
    # The pasted block is the new selection.
    assert page.locator("#grid td[aria-selected='true']").count() == 6
    # A block with one bad cell saves nothing; the bad cell is marked, its message shown at it.
    _cell(page, 0, 2).click()
    _paste(page, "10\n広い\n30\n")
    page.wait_for_selector("#grid td[aria-invalid='true']")
    bad = _cell(page, 1, 2)
    assert bad.get_attribute("aria-invalid") == "true"
    bubble = page.locator("#grid-cell-error")
    assert bubble.is_visible()
    assert bubble.inner_text().startswith("「広い」")  # what was refused, beside its cell
    box, cell_box = bubble.bounding_box(), bad.bounding_box()
    assert abs(box["y"] - (cell_box["y"] + cell_box["height"])) < 8  # right below the cell
    assert 0 <= box["y"] < page.viewport_size["height"]
    shot(page, "grid-paste-error")
    assert [v["area"] for v in _values(server, lid)] == [100, 200, 300]
    assert len(saves) == 2


def test_fill_down_insert_row_and_undo_redo_across_reload(open_page: Any, server: Server) -> None:
    page, lid = _open(open_page, server)
    # Ctrl+D copies the top row of the selection down (names and kinds of rows 2 and 3).
    _cell(page, 0, 0).click()
    page.keyboard.press("Shift+ArrowDown")
    page.keyboard.press("Shift+ArrowDown")
    page.keyboard.press("Control+d")
    wait_saved(page)
    _wait_text(page, 2, 1, '東庁舎')
    assert [v["name"] for v in _values(server, lid)] == ["東庁舎", "東庁舎", "東庁舎"]
    # The fill handle does the same with the mouse: 区分 of row 1 dragged down to row 3.
    _cell(page, 0, 3).click()
    page.locator("#grid .fill-handle").hover()
    page.mouse.down()
    _cell(page, 2, 3).hover()
    page.mouse.up()
    wait_saved(page)
    _wait_text(page, 1, 4, '建物')
    assert [v["kind"] for v in _values(server, lid)] == ["建物", "建物", "建物"]
    # One more edit by typing: three steps in all.
    _cell(page, 2, 0).click()
    page.keyboard.type("南庁舎")
    page.keyboard.press("Enter")
    wait_saved(page)
    page.wait_for_function("() => !document.querySelector('#undo').disabled")
    # Undo two steps, redo one.
    _cell(page, 0, 0).click()
    page.keyboard.press("Control+z")
    _wait_text(page, 2, 1, '東庁舎')
    page.keyboard.press("Control+z")
    _wait_text(page, 1, 4, '土地')
    assert [v["kind"] for v in _values(server, lid)] == ["建物", "土地", "建物"]
    page.keyboard.press("Control+y")
    _wait_text(page, 1, 4, '建物')
    # After a reload the steps are still there: undo the fill handle again, then the fill down.
    page.reload()
    page.wait_for_selector("#grid[data-ready='1']")
    assert not page.locator("#undo").is_disabled()
    page.locator("#undo").click()
    _wait_text(page, 1, 4, '土地')
    _cell(page, 0, 0).click()
    page.keyboard.press("Control+z")
    _wait_text(page, 1, 1, '北"倉庫"')
    assert _values(server, lid) == [dict(r, note=r["note"] or None) for r in RECORDS]
    page.keyboard.press("Control+Shift+z")  # redo the fill down
    _wait_text(page, 2, 1, '東庁舎')

    # Insert a row (Alt+Insert), type into it: a new record; undo puts it in the trash.
    _cell(page, 0, 0).click()
    page.keyboard.press("Alt+Insert")
    page.wait_for_selector("#grid tr.draft-row")
    page.keyboard.type("新館")
    page.keyboard.press("Enter")
    page.wait_for_function("() => !document.querySelector('#grid tr.draft-row')")
    wait_saved(page)
    assert [v["name"] for v in _values(server, lid)][-1] == "新館"
    page.keyboard.press("Control+z")
    page.wait_for_function("() => document.querySelectorAll('#grid tbody tr[data-id]').length === 3")
    assert len(_values(server, lid)) == 3


def test_undo_never_overwrites_a_later_change(open_page: Any, server: Server) -> None:
    page, lid = _open(open_page, server)
    _cell(page, 0, 0).click()
    page.keyboard.type("私の変更")
    page.keyboard.press("Enter")
    wait_saved(page)
    page.wait_for_function("() => !document.querySelector('#undo').disabled")
    rid = page.locator("#grid tbody tr").first.get_attribute("data-id")
    status, rec = server.call("GET", f"/api/v1/ledgers/{lid}/records/{rid}")
    status, _ = server.call("PATCH", f"/api/v1/ledgers/{lid}/records/{rid}",
                            {"revision": rec["revision"], "values": {"name": "他の人の変更"}})
    assert status == 200
    _cell(page, 1, 0).click()
    page.keyboard.press("Control+z")
    page.wait_for_selector("#grid-toast:not([hidden])")
    assert "Could not undo" in page.locator("#grid-toast").inner_text()
    assert _values(server, lid)[0]["name"] == "他の人の変更"
    _wait_text(page, 0, 1, "他の人の変更")


def test_bulk_edit_and_trash_of_ticked_rows(open_page: Any, server: Server) -> None:
    page, lid = _open(open_page, server)
    ids = [page.locator("#grid tbody tr").nth(i).get_attribute("data-id") for i in range(3)]
    # Tick rows 1 and 3 (checkbox column), then set 区分 on them from the menu (Shift+F10).
    page.locator("#grid tbody tr").nth(0).locator(".row-pick").click()
    page.locator("#grid tbody tr").nth(2).locator(".row-pick").click()
    assert page.locator("#grid tbody tr[aria-selected='true']").count() == 2
    _cell(page, 0, 3).click()
    page.keyboard.press("Shift+F10")
    page.wait_for_selector("#grid-menu:not([hidden])")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")  # 1 copy 2 paste 3 fill 4 insert 5 set
    assert page.evaluate("document.activeElement.dataset.action") == "set"
    page.keyboard.press("Enter")
    page.wait_for_selector("#set-field-dialog[open]")
    assert page.locator("#set-field-code").input_value() == "kind"
    assert page.locator("[data-count-selected]").inner_text() == "2"
    page.select_option("#set-field-input", "土地")
    page.click("#set-field-apply")
    wait_saved(page)
    _wait_text(page, 2, 4, '土地')
    assert [v["kind"] for v in _values(server, lid)] == ["土地", "土地", "土地"]
    for rid in (ids[0], ids[2]):
        _s, hist = server.call("GET", f"/api/v1/ledgers/{lid}/records/{rid}/history")
        assert hist["items"][0]["changes"] == {"kind": {"old": "建物", "new": "土地"}}
    # All filtered records: the page's filter (面積 ≥ 200) picks rows 2 and 3.
    page.goto(f"{server.base}/ledgers/{lid}/?s=1&sort=id&filter=area:ge:200")
    page.wait_for_selector("#grid[data-ready='1']")
    _cell(page, 0, 0).click(button="right")
    page.wait_for_selector("#grid-menu:not([hidden])")
    page.click("#grid-menu [data-action=set]")
    page.select_option("#set-field-code", "note")
    page.fill("#set-field-input", "一括")
    page.check("#set-field-filtered")
    page.click("#set-field-apply")
    _wait_text(page, 1, 2, '一括')
    assert [v["note"] for v in _values(server, lid)] == ["1行目\n2行目", "一括", "一括"]
    _s, hist = server.call("GET", f"/api/v1/ledgers/{lid}/records/{ids[1]}/history")
    assert hist["items"][0]["changes"] == {"note": {"old": "A\tB", "new": "一括"}}
    page.keyboard.press("Control+z")  # one step for the whole bulk edit
    _wait_text(page, 1, 2, '')
    assert [v["note"] for v in _values(server, lid)] == ["1行目\n2行目", "A\tB", None]
    # Move ticked rows to the trash from the menu; undo brings them back.
    page.goto(f"{server.base}/ledgers/{lid}/?s=1&sort=id")
    page.wait_for_selector("#grid[data-ready='1']")
    page.locator("#grid tbody tr").nth(0).locator(".row-pick").click()
    page.locator("#grid tbody tr").nth(1).locator(".row-pick").click(modifiers=["Shift"])
    _cell(page, 0, 0).click(button="right")
    page.click("#grid-menu [data-action=trash]")
    page.wait_for_function("() => document.querySelectorAll('#grid tbody tr[data-id]').length === 1")
    assert len(_values(server, lid)) == 1
    _cell(page, 0, 0).click()
    page.keyboard.press("Control+z")
    page.wait_for_function("() => document.querySelectorAll('#grid tbody tr[data-id]').length === 3")
    assert len(_values(server, lid)) == 3


def test_viewer_is_told_and_nothing_changes(open_page: Any, server: Server) -> None:
    led = server.ledger(unique("閲覧台帳"), FIELDS, RECORDS)
    lid = led["id"]
    server.call("PUT", f"/api/v1/ledgers/{lid}/permissions", {"rules": [
        {"subject": {"user": "bob"}, "rights": ["view"]}]})
    page = open_page("bob")
    page.goto(f"{server.base}/ledgers/{lid}/?s=1&sort=id")
    page.wait_for_selector("#grid[data-ready='1']")
    _cell(page, 0, 0).click()
    _paste(page, "変更\n")
    page.wait_for_selector("#grid-toast:not([hidden])")
    assert "may view this ledger but not change it" in page.locator("#grid-toast").inner_text()
    page.keyboard.press("Control+d")
    # The menu offers a viewer only what they may do; the keys of the rest say why not.
    page.keyboard.press("Shift+F10")
    offered = page.locator("#grid-menu [role=menuitem]")
    assert [offered.nth(i).get_attribute("data-action") for i in range(offered.count())] == [
        "copy", "undo", "redo"]
    page.keyboard.press("Escape")
    page.keyboard.press("Control+-")
    page.wait_for_function(
        "document.querySelector('#grid-toast').innerText.includes('may not move records')")
    # A hand-made request gets what the API answers (forbidden looks like missing), and
    # nothing is written.
    rid = int(page.locator("#grid tbody tr").first.get_attribute("data-id"))
    answer = page.request.post(
        f"{server.base}/ledgers/{lid}/save",
        headers={"X-CSRFToken": page.evaluate("document.body.dataset.csrf"),
                 "Content-Type": "application/json"},
        data={"update": [{"id": rid, "revision": 1, "values": {"name": "x"}}]})
    assert answer.status == 404
    assert answer.json()["error"]["code"] == "not_found"
    assert [v["name"] for v in _values(server, lid)] == [r["name"] for r in RECORDS]


def test_grid_aria_and_one_tab_stop(open_page: Any, server: Server) -> None:
    page, _lid = _open(open_page, server, language="ja", viewport={"width": 1366, "height": 768})
    grid = page.locator("#grid")
    assert grid.get_attribute("role") == "grid"
    assert page.locator("#grid thead th[role=columnheader]").count() == len(FIELDS) + 1
    assert page.locator("#grid tbody tr[role=row]").count() == 3
    assert page.locator("#grid tbody td[role=gridcell]").count() == 3 * len(FIELDS)
    # From the last control before the grid, the first cell is ≤ 3 Tab presses away.
    page.evaluate("document.querySelector('#redo').disabled = false")  # as after an undo
    page.focus("#redo")
    presses = 0
    while presses < 10:
        page.keyboard.press("Tab")
        presses += 1
        if page.evaluate("!!document.activeElement.closest('#grid td')"):
            break
    assert presses <= 3, presses
    # One tab stop: Tab again leaves the grid; Shift+Tab comes back to the same cell.
    page.keyboard.press("Tab")
    assert not page.evaluate("!!document.activeElement.closest('#grid')")
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("document.activeElement.closest('td') === document.querySelector('#grid tbody td')")
    # Arrows reach the header row; Enter there sorts.
    page.keyboard.press("ArrowUp")
    assert page.evaluate("document.activeElement.getAttribute('role')") == "columnheader"
    # A range and the open context menu, at 1366×768.
    _cell(page, 0, 0).click()
    _cell(page, 2, 2).click(modifiers=["Shift"])
    box = _cell(page, 1, 1).bounding_box()
    page.mouse.click(box["x"] + 10, box["y"] + 5, button="right")
    page.wait_for_selector("#grid-menu:not([hidden])")
    assert page.locator("#grid td[aria-selected='true']").count() == 9
    page.screenshot(path=str(SCREENSHOTS / "grid-range-menu.png"))
    page.keyboard.press("Escape")
    assert page.locator("#grid-menu").is_hidden()


def test_paste_over_a_later_change_asks_and_never_overwrites(open_page: Any, server: Server) -> None:
    page, lid = _open(open_page, server)
    rid = page.locator("#grid tbody tr").nth(1).get_attribute("data-id")
    _s, rec = server.call("GET", f"/api/v1/ledgers/{lid}/records/{rid}")
    status, _ = server.call("PATCH", f"/api/v1/ledgers/{lid}/records/{rid}",
                            {"revision": rec["revision"], "values": {"name": "他の人"}})
    assert status == 200
    # A 2×1 block over 名称 of rows 1 and 2: row 2 changed after the page was loaded.
    _cell(page, 0, 0).click()
    _paste(page, "一\n二\n")
    page.wait_for_selector("#conflict-dialog[open]")
    assert "他の人" in page.locator("#conflict-dialog .theirs-value").inner_text()
    assert [v["name"] for v in _values(server, lid)] == ["東庁舎", "他の人", "西庁舎"]  # nothing yet
    page.check("#conflict-dialog input[value=theirs]")
    page.click("#conflict-dialog button[value=save]")
    _wait_text(page, 0, 1, "一")
    wait_saved(page)
    assert [v["name"] for v in _values(server, lid)] == ["一", "他の人", "西庁舎"]
