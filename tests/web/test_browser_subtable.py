"""In the browser: the record form's editor of detail rows (the subtable type) — typing, Enter
to move down, pasting a block copied from Excel, moving and deleting rows, saving — and the
history page's row changes; screenshots at 1366×768 and 1920×1080."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.conftest import Server, shot, unique

FIELDS = [
    {"name": "件名", "type": "text", "code": "title"},
    {"name": "明細", "type": "subtable", "code": "items", "options": {"fields": [
        {"code": "name", "name": "品名", "type": "text"},
        {"code": "qty", "name": "数量", "type": "number"},
        {"code": "price", "name": "単価", "type": "number", "options": {"unit": "円"}},
        {"code": "kind", "name": "区分", "type": "choice", "options": {"choices": ["物品", "役務"]}},
        {"code": "due", "name": "納期", "type": "date"},
        {"code": "amount", "name": "金額", "type": "formula",
         "options": {"expression": "qty * price"}}]}},
    {"name": "合計数量", "type": "formula", "code": "total",
     "options": {"expression": "SUM(items.qty)"}},
]


@pytest.mark.parametrize("size", [(1366, 768), (1920, 1080)])
def test_edit_detail_rows_like_a_grid(open_page: Any, server: Server,
                                      size: tuple[int, int]) -> None:
    led = server.ledger(unique("見積"), FIELDS, [{"title": "机の購入", "items": [
        {"name": "机", "qty": 2, "price": 12000, "kind": "物品"}]}])
    _s, listing = server.call("GET", f"/api/v1/ledgers/{led['id']}/records")
    rid = listing["items"][0]["id"]
    page = open_page(language="ja", viewport={"width": size[0], "height": size[1]})
    page.goto(f"{server.base}/ledgers/{led['id']}/records/{rid}/")
    box = page.locator("fieldset[data-subtable]")
    cells = box.locator("tbody tr")
    assert cells.count() == 1
    # Enter in the last row's 数量 adds a row and moves down to the same column.
    qty = cells.nth(0).locator("input[data-code=qty]")
    qty.focus()
    page.keyboard.press("Enter")
    assert cells.count() == 2
    assert page.evaluate("document.activeElement.dataset.code") == "qty"
    # A block pasted from Excel (two rows, three columns) from 品名 of row 2.
    name2 = cells.nth(1).locator("input[data-code=name]")
    name2.focus()
    page.evaluate("""() => {
        const data = new DataTransfer();
        data.setData('text/plain', '椅子\\t4\\t3000\\r\\n設置作業\\t1\\t5000\\r\\n');
        document.activeElement.dispatchEvent(new ClipboardEvent('paste', {clipboardData: data,
                                                                          bubbles: true}));
    }""")
    assert cells.count() == 3
    assert cells.nth(2).locator("input[data-code=name]").input_value() == "設置作業"
    cells.nth(2).locator("select[data-code=kind]").select_option("役務")
    # Move 設置作業 up above 椅子, then add and delete an empty row.
    cells.nth(2).get_by_role("button", name="上へ移動").click()
    assert cells.nth(1).locator("input[data-code=name]").input_value() == "設置作業"
    box.get_by_role("button", name="行を追加").click()
    assert cells.count() == 4
    cells.nth(3).get_by_role("button", name="行を削除").click()
    assert cells.count() == 3
    shot(page, f"subtable-form-{size[0]}x{size[1]}")
    page.click("#save-record")
    page.wait_for_selector(".message-success")
    _s, rec = server.call("GET", f"/api/v1/ledgers/{led['id']}/records/{rid}")
    assert rec["values"]["items"] == [
        {"id": 1, "name": "机", "qty": 2, "price": 12000, "kind": "物品", "amount": 24000},
        {"id": 2, "name": "設置作業", "qty": 1, "price": 5000, "kind": "役務", "amount": 5000},
        {"id": 3, "name": "椅子", "qty": 4, "price": 3000, "amount": 12000},
    ]
    assert rec["values"]["total"] == 7
    assert box.locator("tbody tr").nth(2).locator("output[data-code=amount]").inner_text() == \
        "12000"
    # A bad cell is refused with its row and column.
    bad = box.locator("tbody tr").nth(2).locator("input[data-code=qty]")
    bad.fill("たくさん")
    page.click("#save-record")
    page.wait_for_selector("#f-items-error")
    assert "3 行目の「数量」" in page.locator("#f-items-error").inner_text()
    page.goto(f"{server.base}/ledgers/{led['id']}/records/{rid}/history")
    text = page.locator("table.changes").first.inner_text()
    assert "行を追加（行 2）" in text and "行を追加（行 3）" in text
    shot(page, f"subtable-history-{size[0]}x{size[1]}")
    page.goto(f"{server.base}/ledgers/{led['id']}/")
    shot(page, f"subtable-grid-{size[0]}x{size[1]}")
