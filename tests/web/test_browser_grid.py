"""In the browser: create a ledger with the field designer, type into the grid with the keyboard,
paste a block from Excel, undo, filter, search, save a view, draw a chart, export links."""

from __future__ import annotations

from typing import Any

from tests.web.conftest import Server, shot, unique, wait_saved

# Columns 名称, 区分, 面積 as Excel copies them: a quoted cell for the one holding quotes.
TSV = "東庁舎\t建物\t1,200\n西庁舎\t土地\t800\n\"北\"\"倉庫\"\"\"\t建物\t50\n"


def _add_field(page: Any, name: str, type_key: str, choices: str = "") -> None:
    page.fill("#add-name", name)
    page.select_option("#add-type", type_key)
    if choices:
        page.fill(f"#add-{type_key}-choices", choices)
    page.click("#add-field-button")
    page.wait_for_selector(f".field-item .field-name:text-is('{name}')")


def test_designer_grid_keyboard_paste_undo(open_page: Any, server: Server) -> None:
    page = open_page("admin")
    name = unique("庁舎台帳")
    page.fill("#new-name", name)
    page.click("#create-ledger")
    page.wait_for_selector("#add-field-form")
    _add_field(page, "名称", "text")
    _add_field(page, "面積", "number")
    _add_field(page, "区分", "choice", "土地\n建物")
    # Reorder with the keyboard-reachable buttons: 区分 moves above 面積.
    with page.expect_navigation():
        page.locator(".field-item").nth(2).locator("button[value=up]").click()
    names = page.locator(".field-item .field-name").all_inner_texts()
    assert names == ["名称", "区分", "面積"]
    # …and by dragging a field by its handle: 面積 to the top, then back to the end.
    page.goto(page.url.split("#")[0])  # the ↑ button scrolled to the moved field
    with page.expect_navigation():
        page.locator(".field-item").nth(2).locator(".drag-handle").drag_to(
            page.locator(".field-item").nth(0), target_position={"x": 20, "y": 5})
    assert page.locator(".field-item .field-name").all_inner_texts() == ["面積", "名称", "区分"]
    with page.expect_navigation():
        page.locator(".field-item").nth(0).locator(".drag-handle").drag_to(
            page.locator(".field-item").nth(2), target_position={"x": 20, "y": 60})
    assert page.locator(".field-item .field-name").all_inner_texts() == ["名称", "区分", "面積"]
    shot(page, "fields-designer")
    ledger_id = page.url.split("/ledgers/")[1].split("/")[0]

    # One record through the form, so the grid has a row to type into.
    page.goto(f"{server.base}/ledgers/{ledger_id}/records/new")
    page.get_by_label("名称").fill("本庁舎")
    page.click("#save-record")
    page.wait_for_selector(".message-success")
    page.goto(f"{server.base}/ledgers/{ledger_id}/")

    # Keyboard: focus the first cell, type a new value, Enter saves and moves down.
    first = page.locator("#grid tbody tr").first.locator("td").first
    first.click()
    page.keyboard.type("Annex")  # typing replaces the cell, as in Excel
    page.keyboard.press("Enter")
    wait_saved(page)
    assert first.inner_text() == "Annex"
    first.click()
    page.keyboard.press("Enter")  # Enter edits; Japanese text arrives as IME input
    page.keyboard.press("Control+A")
    page.keyboard.insert_text("新本庁舎")
    page.keyboard.press("Enter")
    wait_saved(page)
    assert first.inner_text() == "新本庁舎"
    # Esc cancels an edit; the cell keeps its value.
    first.click()
    page.keyboard.press("F2")
    page.keyboard.type("取り消す")
    page.keyboard.press("Escape")
    assert first.inner_text() == "新本庁舎"
    # Tab saves and moves right: the choice column gets a select editor.
    first.click()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")
    page.locator("#grid td.editing select").select_option("建物")
    page.keyboard.press("Tab")
    wait_saved(page)
    row = page.locator("#grid tbody tr").first
    assert row.locator("td").nth(1).inner_text() == "建物"
    # Invalid input stays in the cell with the message next to it.
    row.locator("td").nth(2).click()
    page.keyboard.type("abc")
    page.keyboard.press("Enter")
    page.wait_for_selector("#grid-toast:not([hidden])")
    assert page.locator("#grid td.editing input").input_value() == "abc"
    page.keyboard.press("Escape")

    # Paste a block copied from Excel on the first cell: row 1 is updated, two rows are added,
    # all in one bulk request.
    first.click()
    page.evaluate("""(text) => {
        const data = new DataTransfer();
        data.setData('text/plain', text);
        document.activeElement.dispatchEvent(
            new ClipboardEvent('paste', {clipboardData: data, bubbles: true}));
    }""", TSV)
    page.wait_for_function("() => document.querySelectorAll('#grid tbody tr[data-id]').length === 3")
    wait_saved(page)
    texts = [r.locator("td").first.inner_text() for r in page.locator("#grid tbody tr").all()]
    assert texts == ["東庁舎", "西庁舎", '北"倉庫"']
    shot(page, "ledger-grid")
    rid = page.locator("#grid tbody tr").first.get_attribute("data-id")
    status, hist = server.call("GET", f"/api/v1/ledgers/{ledger_id}/records/{rid}/history")
    assert status == 200
    # One history entry for the pasted row, holding both changed cells (区分 was 建物 already).
    assert [h["action"] for h in hist["items"]] == ["update"] * 4 + ["create"]
    assert {c["new"] for c in hist["items"][0]["changes"].values()} == {"東庁舎", 1200}

    # Undo the paste: row 1 gets its values back, the two new records go to the trash.
    page.locator("#undo").click()
    page.wait_for_function("() => document.querySelectorAll('#grid tbody tr[data-id]').length === 1")
    wait_saved(page)
    page.wait_for_function(
        "() => document.querySelector('#grid tbody tr td').textContent.trim() === '新本庁舎'")
    status, body = server.call("GET", f"/api/v1/ledgers/{ledger_id}/records")
    assert len(body["items"]) == 1
    assert "新本庁舎" in body["items"][0]["values"].values()


def test_filter_search_view_chart_export(open_page: Any, server: Server) -> None:
    led = server.ledger(unique("備品台帳"), [
        {"name": "品名", "type": "text", "code": "item"},
        {"name": "数量", "type": "number", "code": "qty", "options": {"unit": "個"}},
        {"name": "区分", "type": "choice", "code": "kind", "options": {"choices": ["机", "椅子", "棚"]}},
    ], [{"item": f"品{i:02d}", "qty": i, "kind": ["机", "椅子", "棚"][i % 3]} for i in range(30)])
    page = open_page("admin")
    page.goto(f"{server.base}/ledgers/{led['id']}/")
    # Filter 区分 through its column's filter popup: untick 机 and 棚, leaving 椅子.
    page.locator("#grid thead th[data-code=kind] .filter-button").click()
    popup = page.locator("#filter-popup #filter-form")
    popup.wait_for()
    popup.locator("label", has_text="机").click()
    popup.locator("label", has_text="棚").click()
    popup.locator("button", has_text="Apply").click()
    page.wait_for_selector(".filter-chip")
    assert page.locator("#grid tbody tr[data-id]").count() == 10
    # Range on a number: 数量 ≥ 10.
    page.locator("#grid thead th[data-code=qty] .filter-button").click()
    popup.wait_for()
    popup.locator("input[name='fx:qty:ge']").fill("10")
    popup.locator("button", has_text="Apply").click()
    page.wait_for_selector(".filter-chip >> nth=1")
    assert page.locator("#grid tbody tr[data-id]").count() == 7
    # Sort by clicking the header: descending on the second click.
    page.locator("#grid thead th[data-code=qty] a.sort").click()
    page.locator("#grid thead th[data-code=qty] a.sort").click()
    assert page.locator("#grid thead th[data-code=qty]").get_attribute("aria-sort") == "descending"
    assert page.locator("#grid tbody tr").first.locator("td").nth(1).inner_text().startswith("28")
    # Totals row (lazy): 7 records, sum of 数量.
    page.wait_for_selector("#totals .totals")
    assert "133" in page.locator("#totals td[data-code=qty]").inner_text()
    # Search box = the API's q.
    page.fill("#grid-q", "品1")
    page.click("form.search button")
    page.wait_for_url("**q=*")
    assert page.locator("#grid tbody tr[data-id]").count() == 4  # 品10, 品13, 品16, 品19
    # Export links carry the filters and the search.
    href = page.locator("a[data-export=xlsx]").get_attribute("href")
    assert "format=xlsx" in href and "filter=kind%3Aeq%3A" in href and "q=" in href
    page.locator("#export-menu summary").click()
    with page.expect_download() as xlsx:
        page.locator("a[data-export=xlsx]").click()
    assert xlsx.value.suggested_filename.endswith(".xlsx")
    with page.expect_download() as csv:  # the menu is still open
        page.locator("a[data-export=csv]").click()
    lines = open(csv.value.path(), encoding="utf-8-sig").read().strip().splitlines()
    assert len(lines) == 1 + 4  # the header and the four records the page shows
    # Widen the 品名 column by dragging its edge; the width is saved with the view.
    handle = page.locator("#grid thead th[data-code=item] .resize-handle").bounding_box()
    page.mouse.move(handle["x"] + 3, handle["y"] + 10)
    page.mouse.down()
    page.mouse.move(handle["x"] + 123, handle["y"] + 10, steps=5)
    page.mouse.up()
    # Save the view, reopen it from the view picker.
    page.locator("#save-view-menu summary").click()
    page.fill("#view-name", "椅子10個以上")
    page.click("#save-view")
    page.wait_for_selector(".message-success")
    page.goto(f"{server.base}/ledgers/{led['id']}/")
    assert page.locator("#grid tbody tr[data-id]").count() == 30
    page.select_option("#view-select", label="椅子10個以上")
    page.wait_for_url("**view=*")
    assert page.locator("#grid tbody tr[data-id]").count() == 4
    assert int(page.locator("col[data-code=item]").get_attribute("data-width")) >= 150
    shot(page, "ledger-filtered-view")
    # The chart of that view.
    page.click(".tabs a[href*='/chart']")
    page.select_option("#chart-kind", "pie")
    page.click("#draw-chart")
    page.wait_for_selector("#chart svg path, #chart svg circle")
    assert page.locator("#chart-table tbody tr").count() == 1  # the view: only 椅子
    shot(page, "chart")


def test_ime_composes_from_the_first_key(open_page: Any, server: Server) -> None:
    """Japanese typed straight into a selected cell goes through the IME from its first key.

    A Japanese IME converts only inside an editable element, so a selected text cell keeps the
    focus in its (hidden) editor; a composition there opens the editor in place. The composition
    is driven through the DevTools protocol's Input.imeSetComposition / insertText, the events
    an IME makes; with the focus on a plain table cell they would go nowhere."""
    led = server.ledger(unique("IME台帳"), [
        {"name": "名称", "type": "text", "code": "name"},
        {"name": "区分", "type": "choice", "code": "kind", "options": {"choices": ["土地", "建物"]}},
    ], [{"name": "本庁舎", "kind": "土地"}])
    page = open_page("admin")
    page.goto(f"{server.base}/ledgers/{led['id']}/")
    cell = page.locator("#grid tbody tr").first.locator("td").first
    cell.click()
    assert page.evaluate("document.activeElement.closest('td') !== null")
    cdp = page.context.new_cdp_session(page)
    cdp.send("Input.imeSetComposition", {"text": "かんり", "selectionStart": 3, "selectionEnd": 3})
    page.wait_for_selector("#grid td.editing input")
    assert page.locator("#grid td.editing input").input_value() == "かんり"
    cdp.send("Input.insertText", {"text": "管理棟"})  # the conversion is committed
    page.keyboard.press("Enter")
    wait_saved(page)
    assert cell.inner_text() == "管理棟"
    status, records = server.call("GET", f"/api/v1/ledgers/{led['id']}/records")
    assert status == 200 and records["items"][0]["values"]["name"] == "管理棟"

    # Keys still move between cells, and a choice cell still opens its own editor.
    cell.click()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")
    page.locator("#grid td.editing select").select_option("建物")
    page.keyboard.press("Enter")
    wait_saved(page)
    assert page.locator("#grid tbody tr").first.locator("td").nth(1).inner_text() == "建物"
    # Plain typing replaces a text cell, as in Excel; Escape gives the old value back.
    cell.click()
    page.keyboard.type("North")
    assert page.locator("#grid td.editing input").input_value() == "North"
    page.keyboard.press("Escape")
    assert cell.inner_text() == "管理棟"
    # Tab saves and moves right; the saved row is drawn again and the focus stays on its cell.
    page.keyboard.type("West")
    page.keyboard.press("Tab")
    wait_saved(page)
    assert cell.inner_text() == "West"
    assert page.evaluate("document.activeElement.closest('td')?.dataset.code") == "kind"
    page.keyboard.press("ArrowLeft")
    assert page.evaluate("document.activeElement.closest('td')?.dataset.code") == "name"
