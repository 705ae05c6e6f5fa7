"""In the browser: the date editor of the grid and the record form (和暦 typed and read back before
saving, a calendar worked by keyboard), and refusals shown at the cell inside the viewport at
1366×768 — for a typed date, another typed value and a pasted block."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.conftest import SCREENSHOTS, Server, unique, wait_saved

SMALL = {"width": 1366, "height": 768}
LARGE = {"width": 1920, "height": 1080}
FIELDS = [
    {"name": "名称", "type": "text", "code": "name"},
    {"name": "取得日", "type": "date", "code": "day"},
    {"name": "和暦日", "type": "date", "code": "jday", "options": {"wareki": True}},
    {"name": "面積", "type": "number", "code": "area"},
    {"name": "確認日時", "type": "datetime", "code": "at"},
]
TYPED = ["R6.4.1", "令和6年4月1日", "2024/4/1"]
READING = "令和6年4月1日（2024-04-01）"


def _ledger(server: Server, rows: int = 3) -> int:
    records = [{"name": f"施設{i:02d}", "day": "2020-01-01", "area": i} for i in range(rows)]
    return int(server.ledger(unique("日付台帳"), FIELDS, records)["id"])


def _grid(open_page: Any, server: Server, lid: int, viewport: dict[str, int] = SMALL) -> Any:
    page = open_page("admin", language="ja", viewport=viewport)
    page.goto(f"{server.base}/ledgers/{lid}/?sort=id")
    page.wait_for_selector("#grid[data-ready='1']")
    return page


def _cell(page: Any, row: int, code: str) -> Any:
    return page.locator("#grid tbody tr").nth(row).locator(f"td[data-code={code}]")


def _values(server: Server, lid: int) -> list[dict[str, Any]]:
    status, body = server.call("GET", f"/api/v1/ledgers/{lid}/records?sort=id&limit=100")
    assert status == 200
    return [r["values"] for r in body["items"]]


def _wait_reading(page: Any, text: str, css: str = "ok") -> None:
    page.wait_for_function("""([text, css]) => [...document.querySelectorAll(
        '.date-pop:not([hidden]) .date-reading.' + css)].some(e => e.textContent.includes(text))""",
                           arg=[text, css])


def _inside(page: Any, box: dict[str, float]) -> None:
    size = page.viewport_size
    assert box["x"] >= 0 and box["y"] >= 0, box
    assert box["x"] + box["width"] <= size["width"], box
    assert box["y"] + box["height"] <= size["height"], box


def _viewport_shot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def test_grid_cell_takes_wareki_and_western_dates(open_page: Any, server: Server) -> None:
    lid = _ledger(server)
    page = _grid(open_page, server, lid)
    for row, typed in enumerate(TYPED):
        cell = _cell(page, row, "jday")
        cell.click()
        page.keyboard.press("Enter")
        page.keyboard.press("Control+a")
        page.keyboard.type(typed)
        _wait_reading(page, READING)
        page.keyboard.press("Enter")
        wait_saved(page)
        page.wait_for_function("(row) => document.querySelectorAll('#grid tbody tr')[row]"
                               ".querySelector('td[data-code=jday]').textContent.includes('令和6年4月1日')",
                               arg=row)
    # Typing straight into a selected cell, as in Excel, starts the same editor.
    _cell(page, 0, "day").click()
    page.keyboard.type("R6.4.1")
    _wait_reading(page, READING)
    page.keyboard.press("Enter")
    wait_saved(page)
    page.wait_for_function("() => document.querySelector('#grid tbody tr td[data-code=day]')"
                           ".textContent.trim() === '2024-04-01'")
    # An IME's text (令和 is typed by conversion) goes straight into a selected cell too.
    _cell(page, 1, "day").click()
    page.keyboard.insert_text("令和6年4月1日")
    _wait_reading(page, READING)
    page.keyboard.press("Enter")
    wait_saved(page)
    values = _values(server, lid)
    assert [v["jday"] for v in values] == ["2024-04-01"] * 3
    assert values[0]["day"] == "2024-04-01" and values[1]["day"] == "2024-04-01"


def test_grid_datetime_cell_takes_wareki(open_page: Any, server: Server) -> None:
    lid = _ledger(server)
    page = _grid(open_page, server, lid)
    _cell(page, 0, "at").click()
    page.keyboard.press("Enter")
    page.keyboard.type("R6.4.1 9:30")
    _wait_reading(page, "令和6年4月1日 9:30（2024-04-01 09:30）")
    page.keyboard.press("Enter")
    wait_saved(page)
    page.wait_for_function("() => document.querySelector('#grid tbody tr td[data-code=at]')"
                           ".textContent.includes('2024-04-01 09:30')")
    assert _values(server, lid)[0]["at"] == "2024-04-01T09:30:00+09:00"


@pytest.mark.parametrize("viewport", [SMALL, LARGE], ids=["1366", "1920"])
def test_calendar_by_keyboard_and_the_reading(open_page: Any, server: Server,
                                              viewport: dict[str, int]) -> None:
    lid = _ledger(server)
    page = _grid(open_page, server, lid, viewport)
    _cell(page, 1, "jday").click()
    page.keyboard.press("Enter")
    page.keyboard.type("R6.4.1")
    _wait_reading(page, READING)
    page.keyboard.press("ArrowDown")  # into the calendar, on the day typed
    editor = page.locator("#grid td.editing input")
    active = editor.get_attribute("aria-activedescendant")
    assert active and active.endswith("2024-04-01")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("PageDown")
    assert editor.get_attribute("aria-activedescendant").endswith("2024-05-02")
    pop = page.locator(".date-pop:not([hidden])")
    assert pop.locator("[role=gridcell].active").inner_text() == "2"
    _inside(page, pop.bounding_box())
    _viewport_shot(page, f"dates-editor-calendar-{viewport['width']}")
    page.keyboard.press("Enter")  # picks the day; the next Enter saves
    assert editor.input_value() == "2024-05-02"
    _wait_reading(page, "令和6年5月2日（2024-05-02）")
    page.keyboard.press("Enter")
    wait_saved(page)
    assert _values(server, lid)[1]["jday"] == "2024-05-02"
    # A click on a day picks it too, and never takes the focus from the cell's editor.
    _cell(page, 2, "day").click()
    page.keyboard.press("Enter")
    page.locator(".date-pop:not([hidden]) [role=gridcell][data-date='2020-01-15']").click()
    assert page.locator("#grid td.editing input").input_value() == "2020-01-15"
    page.keyboard.press("Enter")
    wait_saved(page)
    assert _values(server, lid)[2]["day"] == "2020-01-15"


def test_set_a_date_field_on_ticked_rows_in_wareki(open_page: Any, server: Server) -> None:
    lid = _ledger(server)
    page = _grid(open_page, server, lid)
    page.locator("#grid tbody tr").nth(0).locator(".row-pick").click()
    page.locator("#grid tbody tr").nth(2).locator(".row-pick").click()
    _cell(page, 0, "day").click(button="right")
    page.click("#grid-menu [data-action=set]")
    page.wait_for_selector("#set-field-dialog[open]")
    assert page.locator("#set-field-code").input_value() == "day"
    page.locator("#set-field-input").fill("令和6年4月1日")
    _wait_reading(page, READING)  # the popup is inside the modal dialog, so it shows
    assert page.locator("#set-field-dialog .date-pop").is_visible()
    _inside(page, page.locator("#set-field-dialog .date-pop").bounding_box())
    _viewport_shot(page, "dates-set-field-1366")
    page.click("#set-field-apply")
    wait_saved(page)
    page.wait_for_function("() => document.querySelectorAll('#grid tbody tr')[2]"
                           ".querySelector('td[data-code=day]').textContent.trim() === '2024-04-01'")
    assert [v["day"] for v in _values(server, lid)] == ["2024-04-01", "2020-01-01", "2024-04-01"]


def _last_visible_row(page: Any) -> int:
    return int(page.evaluate("""() => {
        const rows = [...document.querySelectorAll('#grid tbody tr[data-id]')];
        let last = 0;
        rows.forEach((r, i) => { if (r.getBoundingClientRect().bottom <= innerHeight - 2) last = i; });
        return last;
    }"""))


def test_a_bad_date_is_refused_at_the_cell_inside_the_viewport(open_page: Any,
                                                              server: Server) -> None:
    lid = _ledger(server, rows=40)
    page = _grid(open_page, server, lid)
    row = _last_visible_row(page)
    cell = _cell(page, row, "day")
    cell.click()
    page.keyboard.press("Enter")
    page.keyboard.press("Control+a")
    page.keyboard.type("0441-02-02")
    _wait_reading(page, "441", "error")  # said before saving
    page.keyboard.press("Enter")
    page.wait_for_selector(f"#grid tbody tr:nth-child({row + 1}) td[data-code=day][aria-invalid='true']")
    _wait_reading(page, "441", "error")  # and at the cell after the refusal, the text kept
    pop = page.locator(".date-pop:not([hidden])")
    assert page.locator("#grid td.editing input").input_value() == "0441-02-02"
    message = pop.locator(".date-reading")
    assert "1868" in message.inner_text() and "2200" in message.inner_text()
    _inside(page, pop.bounding_box())
    cell_box = cell.bounding_box()
    _inside(page, cell_box)
    box = pop.bounding_box()
    # The message does not cover the cell: above, below or beside it.
    assert (box["y"] + box["height"] <= cell_box["y"] + 2
            or box["y"] >= cell_box["y"] + cell_box["height"] - 2
            or box["x"] >= cell_box["x"] + cell_box["width"] - 2
            or box["x"] + box["width"] <= cell_box["x"] + 2), (box, cell_box)
    _viewport_shot(page, "dates-cell-error-1366")
    page.keyboard.press("Escape")
    assert _values(server, lid)[row]["day"] == "2020-01-01"


def test_other_refusals_and_pasted_blocks_are_shown_at_the_cell(open_page: Any,
                                                               server: Server) -> None:
    lid = _ledger(server, rows=40)
    page = _grid(open_page, server, lid)
    row = _last_visible_row(page)
    cell = _cell(page, row, "area")
    cell.click()
    page.keyboard.type("広い")
    page.keyboard.press("Enter")
    page.wait_for_selector("#grid td[data-code=area][aria-invalid='true']")
    bubble = page.locator("#grid-cell-error")
    assert bubble.is_visible() and bubble.get_attribute("role") == "alert"
    _inside(page, bubble.bounding_box())
    page.keyboard.press("Escape")
    # A pasted block with two bad dates: both cells marked, each says why when focused.
    start = row - 1
    _cell(page, start, "day").click()
    page.evaluate("""(text) => {
        const data = new DataTransfer();
        data.setData('text/plain', text);
        document.activeElement.dispatchEvent(
            new ClipboardEvent('paste', {clipboardData: data, bubbles: true, cancelable: true}));
    }""", "6/4/1\n0441-02-02\n")
    page.wait_for_selector("#grid td[data-code=day][aria-invalid='true']")
    assert page.locator("#grid td[data-code=day][aria-invalid='true']").count() == 2
    first, second = _cell(page, start, "day"), _cell(page, start + 1, "day")
    assert bubble.is_visible() and "R6.4.1" in bubble.inner_text()
    assert first.get_attribute("aria-describedby") == "grid-cell-error"
    _inside(page, bubble.bounding_box())
    page.keyboard.press("ArrowDown")
    page.wait_for_function("() => document.getElementById('grid-cell-error').textContent.includes('441')")
    assert second.get_attribute("aria-describedby") == "grid-cell-error"
    _inside(page, bubble.bounding_box())
    _viewport_shot(page, "dates-paste-error-1366")
    assert [v["day"] for v in _values(server, lid)][start:start + 2] == ["2020-01-01"] * 2


def test_record_form_date_editor(open_page: Any, server: Server) -> None:
    lid = _ledger(server, rows=1)
    rid = server.call("GET", f"/api/v1/ledgers/{lid}/records")[1]["items"][0]["id"]
    page = open_page("admin", language="ja", viewport=SMALL)
    for typed in TYPED:
        server.call("PATCH", f"/api/v1/ledgers/{lid}/records/{rid}",
                    {"revision": server.call("GET", f"/api/v1/ledgers/{lid}/records/{rid}")[1]["revision"],
                     "values": {"jday": None}})
        page.goto(f"{server.base}/ledgers/{lid}/records/{rid}/")
        field = page.get_by_label("和暦日")
        field.fill(typed)
        _wait_reading(page, READING)
        assert page.locator("#f-jday-wareki").inner_text() == "令和6年4月1日"
        page.click("#save-record")
        page.wait_for_selector(".message-success")
        record = server.call("GET", f"/api/v1/ledgers/{lid}/records/{rid}")[1]
        assert record["values"]["jday"] == "2024-04-01", typed
    # The calendar by keyboard, in the form: ↓ into it, → a day, Enter picks (does not submit).
    field = page.get_by_label("取得日")
    field.fill("2024-04-01")
    field.press("ArrowDown")
    field.press("ArrowRight")
    field.press("Enter")
    assert field.input_value() == "2024-04-02"
    _wait_reading(page, "令和6年4月2日（2024-04-02）")
    _viewport_shot(page, "dates-form-editor-1366")
    field.press("Escape")
    assert page.locator(".date-pop:not([hidden])").count() == 0
    # A refused date: the message is at the field, the typed text kept, nothing saved.
    field.fill("0441-02-02")
    page.click("#save-record")
    page.wait_for_selector("#error-summary")
    error = page.locator("#field-day .field-error")
    assert "441" in error.inner_text()
    assert page.get_by_label("取得日").input_value() == "0441-02-02"
    assert page.get_by_label("取得日").get_attribute("aria-invalid") == "true"
    record = server.call("GET", f"/api/v1/ledgers/{lid}/records/{rid}")[1]
    assert record["values"]["day"] == "2020-01-01"
