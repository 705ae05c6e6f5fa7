"""Issue 16, calendar and kanban views in the browser: drag a chip to another day and a card to
another column (the change is checked through the API), a refused move snaps back with the
reason (a stale revision, a record rule), and the keyboard's "Move" menu. Screenshots:
board-calendar-*, board-kanban-* at 1366×768 and 1920×1080."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.conftest import Server, shot, unique

VIEWPORTS = [{"width": 1366, "height": 768}, {"width": 1920, "height": 1080}]
STATES = ["申請", "貸出中", "返却済"]
MOVED = "() => document.getElementById('board-status').textContent.includes('移動しました')"


def _ledger(server: Server) -> tuple[int, dict[str, dict[str, Any]]]:
    rows = [("プロジェクター（会議室A）", "2024-04-01", "申請"), ("テント", "2024-04-10", "貸出中"),
            ("長机", "2024-04-10", "貸出中"), ("マイク", "2024-04-22", "返却済"),
            ("防災用発電機", "2024-04-30", "貸出中"), ("ホワイトボード", None, None)]
    rows += [(f"パイプ椅子{n}", f"2024-04-{n + 1:02d}", STATES[n % 3]) for n in range(14)]
    led = server.ledger(unique("貸出物品台帳"), [
        {"name": "品名", "type": "text", "code": "title"},
        {"name": "返却予定日", "type": "date", "code": "due", "options": {"wareki": True}},
        {"name": "状態", "type": "choice", "code": "state", "options": {"choices": STATES}},
        {"name": "備考", "type": "text", "code": "note"},
    ], [{"title": t, "due": d, "state": s, "note": "貸出簿より"} for t, d, s in rows])
    lid = int(led["id"])
    return lid, _records(server, lid)


def _records(server: Server, lid: int) -> dict[str, dict[str, Any]]:
    status, body = server.call("GET", f"/api/v1/ledgers/{lid}/records?limit=100")
    assert status == 200
    return {r["values"]["title"]: r for r in body["items"]}


def _chip(page: Any, title: str) -> Any:
    return page.locator(".board-card", has=page.locator(".card-title", has_text=title))


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=lambda v: f"{v['width']}")
def test_calendar_drag_conflict_and_keyboard(open_page: Any, server: Server,
                                             viewport: dict[str, int]) -> None:
    lid, recs = _ledger(server)
    page = open_page("admin", language="ja", viewport=viewport)
    page.goto(f"{server.base}/ledgers/{lid}/")
    page.click("#calendar-tab")
    page.goto(f"{server.base}/ledgers/{lid}/calendar?field=due&at=2024-04-15")
    assert page.locator("#cal-heading").inner_text() == "2024年4月（令和6年4月）"
    assert page.locator('[data-day="2024-04-10"] .board-card').count() == 3  # with パイプ椅子9

    _chip(page, "テント").drag_to(page.locator('[data-day="2024-04-17"]'))
    page.wait_for_function(MOVED)
    assert _chip(page, "テント").get_attribute("data-key") == "2024-04-17"
    assert page.locator('[data-day="2024-04-17"] .day-count').inner_text() == "1 件"
    assert page.locator('[data-day="2024-04-10"] .day-count').inner_text() == "2 件"
    tent = _records(server, lid)["テント"]
    assert tent["values"]["due"] == "2024-04-17" and tent["revision"] == recs["テント"]["revision"] + 1

    # Someone else changes 長机's date after the page was drawn: the drag is refused and the
    # chip goes back to its day, with the reason.
    desk = recs["長机"]
    status, _body = server.call("PATCH", f"/api/v1/ledgers/{lid}/records/{desk['id']}",
                                {"revision": desk["revision"], "values": {"due": "2024-04-11"}})
    assert status == 200
    _chip(page, "長机").drag_to(page.locator('[data-day="2024-04-18"]'))
    page.wait_for_selector("#board-toast:not([hidden])")
    assert "移動できませんでした" in page.locator("#board-toast").inner_text()
    assert "再読み込み" in page.locator("#board-toast").inner_text()
    page.wait_for_function("() => !document.querySelector('.board-card.moving')")
    assert page.locator('[data-day="2024-04-10"]').locator(".card-title", has_text="長机").count() == 1
    assert page.locator('[data-day="2024-04-18"] .board-card').count() == 0
    assert _records(server, lid)["長机"]["values"]["due"] == "2024-04-11"
    shot(page, f"board-calendar-refused-{viewport['width']}")

    # The keyboard: the chip's Move button, a date typed in 和暦, Enter.
    mic = _chip(page, "マイク")
    mic.locator(".move-menu summary").focus()
    page.keyboard.press("Enter")
    mic.locator("input[name=to]").fill("R6.4.25")
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.querySelector('[data-day=\"2024-04-25\"]')"
                           ".textContent.includes('マイク')")
    assert _records(server, lid)["マイク"]["values"]["due"] == "2024-04-25"
    page.locator("#board-toast").evaluate("el => el.hidden = true")
    shot(page, f"board-calendar-{viewport['width']}")

    page.click("#cal-week")
    page.wait_for_selector(".calendar.mode-week")
    assert page.locator(".cal-day").count() == 7
    shot(page, f"board-calendar-week-{viewport['width']}")


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=lambda v: f"{v['width']}")
def test_kanban_drag_refused_by_a_rule_and_keyboard(open_page: Any, server: Server,
                                                    viewport: dict[str, int]) -> None:
    lid, _recs = _ledger(server)
    status, body = server.call("PUT", f"/api/v1/ledgers/{lid}/permissions", {"rules": [
        {"subject": {"user": "bob"}, "rights": ["view"]},
        {"subject": {"user": "bob"}, "rights": ["edit"], "records": {"filter": "state:ne:返却済"}},
    ]})
    assert status == 200, body
    page = open_page("bob", language="ja", viewport=viewport)
    page.goto(f"{server.base}/ledgers/{lid}/kanban")
    counts = page.locator(".col-count").all_inner_texts()
    assert counts == ["6", "8", "5", "1"]
    done = page.locator('.kanban-col[data-key="返却済"]')
    assert done.locator(".board-card[draggable]").count() == 0  # outside bob's edit rule

    # Dropped on the column's heading, which needs no scrolling while the mouse is down.
    _chip(page, "テント").drag_to(page.locator('.kanban-col[data-key="申請"] h2'))
    page.wait_for_function(MOVED)
    assert _records(server, lid)["テント"]["values"]["state"] == "申請"
    assert page.locator(".col-count").all_inner_texts() == ["7", "7", "5", "1"]

    # The rule lets bob edit only records that are not 返却済: moving one there is refused,
    # and the card snaps back to its column.
    _chip(page, "長机").drag_to(done.locator("h2"))
    page.wait_for_selector("#board-toast:not([hidden])")
    assert "権限" in page.locator("#board-toast").inner_text()
    page.wait_for_function("() => !document.querySelector('.board-card.moving')")
    assert page.locator('.kanban-col[data-key="貸出中"]').locator(".card-title", has_text="長机").count() == 1
    assert page.locator(".col-count").all_inner_texts() == ["7", "7", "5", "1"]
    assert _records(server, lid)["長机"]["values"]["state"] == "貸出中"
    shot(page, f"board-kanban-refused-{viewport['width']}")

    # The keyboard: Move → 未設定.
    gen = _chip(page, "防災用発電機")
    gen.locator(".move-menu summary").focus()
    page.keyboard.press("Enter")
    gen.locator('[data-move-to=""]').focus()
    page.keyboard.press("Enter")
    # Saved: the card carries its new place once the server answered (it is shown there at once).
    page.wait_for_function("() => [...document.querySelectorAll('.kanban-col[data-key=\"\"] .board-card')]"
                           ".some(c => c.textContent.includes('防災用発電機') && c.dataset.key === '')")
    assert _records(server, lid)["防災用発電機"]["values"]["state"] is None
    page.locator("#board-toast").evaluate("el => el.hidden = true")
    shot(page, f"board-kanban-{viewport['width']}")
