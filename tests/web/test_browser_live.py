"""In the browser (issue 14, point 5b): two people on one ledger's list — what one saves appears
in the other's grid without a reload, each sees the other's presence; group-by with subtotals
that fold with the keyboard and survive a reload."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.web.conftest import Server, shot, unique, wait_saved

POLL_WAIT = 12_000  # ms: the page polls every 5 s (every 0.5 s here: see open_page below)
# The grid polls every data-live-interval ms (live.js; 5000 when the page does not say). Set once
# the page is parsed, before the grid's module script runs: the same polling code and answers,
# without the 5 s waits between them that were most of this module's half a minute.
FAST_POLL = """document.addEventListener("readystatechange", () => {
  const grid = document.getElementById("grid");
  if (document.readyState === "interactive" && grid) grid.dataset.liveInterval = "500";
});"""


@pytest.fixture
def open_page(open_page: Callable[..., Any]) -> Callable[..., Any]:
    """The conftest's open_page, with the grid polling every 0.5 s on every page it opens."""
    def make(*args: Any, **kwargs: Any) -> Any:
        page = open_page(*args, **kwargs)
        page.add_init_script(FAST_POLL)
        return page

    return make


def _ledger(server: Server) -> dict[str, Any]:
    led = server.ledger(unique("備品台帳"), [
        {"name": "品名", "type": "text", "code": "item"},
        {"name": "区分", "type": "choice", "code": "kind", "options": {"choices": ["机", "椅子"]}},
        {"name": "数量", "type": "number", "code": "qty"},
        {"name": "購入日", "type": "date", "code": "bought"},
    ], [{"item": "事務机", "kind": "机", "qty": 4, "bought": "2024-04-01"},
        {"item": "会議机", "kind": "机", "qty": 6, "bought": "2025-03-31"},
        {"item": "回転椅子", "kind": "椅子", "qty": 10, "bought": "2024-06-01"}])
    status, body = server.call("PUT", f"/api/v1/ledgers/{led['id']}/permissions", {"rules": [
        {"subject": {"user": "bob"}, "rights": ["view", "add", "edit"]}]})
    assert status == 200, body
    return led


def test_a_save_appears_in_the_other_grid_with_presence(open_page: Any, server: Server) -> None:
    led = _ledger(server)
    url = f"{server.base}/ledgers/{led['id']}/"
    a, b = open_page("admin"), open_page("bob")
    for page in (a, b):
        page.goto(url)
        page.wait_for_selector("#grid[data-ready='1']")
    # Each sees the other here.
    expect(b.locator("#live-presence")).to_contain_text("also has this ledger open",
                                                        timeout=POLL_WAIT)
    expect(a.locator("#live-presence")).to_contain_text("Bob 佐藤", timeout=POLL_WAIT)
    # A edits a cell: B sees it without reloading, and the row flashes.
    row_id = a.locator("#grid tbody tr").first.get_attribute("data-id")
    b.evaluate("() => { window.__sameDocument = true; }")
    cell = a.locator(f'#grid tr[data-id="{row_id}"] td[data-code="qty"]')
    cell.click()
    a.keyboard.type("99")
    a.keyboard.press("Enter")
    wait_saved(a)
    theirs = b.locator(f'#grid tr[data-id="{row_id}"] td[data-code="qty"]')
    expect(theirs).to_have_text("99", timeout=POLL_WAIT)
    assert b.evaluate("() => window.__sameDocument") is True  # no reload happened
    # A new record from A appears in B's grid; one A moves to the trash goes.
    status, new = server.call("POST", f"/api/v1/ledgers/{led['id']}/records",
                              {"values": {"item": "新しい椅子", "kind": "椅子", "qty": 1}})
    assert status == 201, new
    expect(b.locator(f'#grid tr[data-id="{new["id"]}"]')).to_be_visible(timeout=POLL_WAIT)
    status, _ = server.call("DELETE", f"/api/v1/ledgers/{led['id']}/records/{row_id}")
    assert status == 204
    expect(b.locator(f'#grid tr[data-id="{row_id}"]')).to_have_count(0, timeout=POLL_WAIT)
    # B edits a cell and keeps the editor open: A sees which row B has open.
    other = b.locator("#grid tbody tr[data-id]").first
    other_id = other.get_attribute("data-id")
    other.locator('td[data-code="item"]').click()
    b.keyboard.press("F2")
    expect(a.locator(f'#grid tr[data-id="{other_id}"] .presence-mark')).to_have_attribute(
        "title", "Bob 佐藤 has this record open", timeout=POLL_WAIT)
    # Meanwhile A saves that very record: B's row being edited is not overwritten.
    status, rec = server.call("GET", f"/api/v1/ledgers/{led['id']}/records/{other_id}")
    status, _ = server.call("PATCH", f"/api/v1/ledgers/{led['id']}/records/{other_id}",
                            {"revision": rec["revision"], "values": {"item": "誰かの変更"}})
    assert status == 200
    expect(b.locator(f'#grid tr[data-id="{other_id}"]')).to_have_class(
        "live-conflict", timeout=POLL_WAIT)
    assert b.locator(f'#grid tr[data-id="{other_id}"] td[data-code="item"] input, '
                     f'#grid tr[data-id="{other_id}"] td[data-code="item"] textarea').count() == 1
    b.keyboard.press("Escape")


def test_group_by_with_subtotals_folds_and_survives_a_reload(open_page: Any,
                                                             server: Server) -> None:
    led = _ledger(server)
    page = open_page("admin", language="ja", viewport={"width": 1366, "height": 768})
    page.goto(f"{server.base}/ledgers/{led['id']}/")
    page.wait_for_selector("#grid[data-ready='1']")
    with page.expect_navigation():
        page.select_option("#group-select", "kind")
    page.wait_for_selector("#grid[data-subtotals-ready='1']")
    heads = page.locator("#grid tr.group-row")
    expect(heads).to_have_count(2)
    desks = page.locator('#grid tr.group-row[data-group="机"]')
    expect(desks.locator(".group-count")).to_have_text("2件")
    expect(desks.locator('td[data-code="qty"]')).to_have_text("10")
    chairs = page.locator('#grid tr.group-row[data-group="椅子"]')
    expect(chairs.locator('td[data-code="qty"]')).to_have_text("10")
    # Someone adds a desk: it appears at the end of the desks' group, whose subtotal follows.
    status, new = server.call("POST", f"/api/v1/ledgers/{led['id']}/records",
                              {"values": {"item": "予備机", "kind": "机", "qty": 1}})
    assert status == 201, new
    expect(desks.locator(".group-count")).to_have_text("3件", timeout=POLL_WAIT)
    expect(desks.locator('td[data-code="qty"]')).to_have_text("11")
    order = page.eval_on_selector_all("#grid tbody tr", "rows => rows.map(r => r.dataset.id || "
                                      "'group:' + r.dataset.group)")
    assert order.index(str(new["id"])) == order.index("group:椅子") - 1, order
    # The keyboard: ↓ from the column header reaches the first group's header; Enter folds it.
    page.locator("#grid thead th").first.click()
    page.keyboard.press("ArrowDown")
    expect(desks.locator("th")).to_be_focused()
    page.keyboard.press("Enter")
    expect(desks).to_have_attribute("aria-expanded", "false")
    expect(page.locator("#grid tbody tr[data-id]:visible")).to_have_count(1)
    # ↓ skips the folded rows to the next group's header, Space unfolds that one and back.
    page.keyboard.press("ArrowDown")
    expect(chairs.locator("th")).to_be_focused()
    page.keyboard.press("Space")
    expect(chairs).to_have_attribute("aria-expanded", "false")
    page.keyboard.press("Space")
    expect(chairs).to_have_attribute("aria-expanded", "true")
    # A reload keeps the grouping and the folded group.
    page.reload()
    page.wait_for_selector("#grid[data-subtotals-ready='1']")
    expect(page.locator('#grid tr.group-row[data-group="机"]')).to_have_attribute(
        "aria-expanded", "false")
    page.locator('#grid tr.group-row[data-group="机"] th').click()
    expect(page.locator('#grid tr.group-row[data-group="机"]')).to_have_attribute(
        "aria-expanded", "true")
    # By fiscal year: 2024-04-01 and 2024-06-01 are 2024年度, 2025-03-31 too.
    with page.expect_navigation():
        page.select_option("#group-select", "bought:fy")
    page.wait_for_selector("#grid[data-subtotals-ready='1']")
    fy = page.locator('#grid tr.group-row[data-group="2024"]')
    expect(fy.locator(".group-label")).to_have_text("2024年度")
    expect(fy.locator(".group-count")).to_have_text("3件")
    expect(fy.locator('td[data-code="qty"]')).to_have_text("20")
    wait_saved(page)


def test_screenshot_groups_and_presence(open_page: Any, server: Server) -> None:
    led = _ledger(server)
    url = f"{server.base}/ledgers/{led['id']}/?s=1&group=kind"
    bob = open_page("bob")
    bob.goto(url)
    bob.wait_for_selector("#grid[data-ready='1']")
    bob.locator("#grid tbody tr[data-id]").first.locator('td[data-code="item"]').click()
    bob.keyboard.press("F2")
    for width, height in ((1366, 768), (1920, 1080)):
        page = open_page("admin", language="ja", viewport={"width": width, "height": height})
        page.goto(url)
        page.wait_for_selector("#grid[data-subtotals-ready='1']")
        expect(page.locator("#live-presence")).to_be_visible(timeout=POLL_WAIT)
        expect(page.locator("#grid .presence-mark")).to_have_count(1, timeout=POLL_WAIT)
        shot(page, f"grid-groups-presence-{width}")
    bob.keyboard.press("Escape")
