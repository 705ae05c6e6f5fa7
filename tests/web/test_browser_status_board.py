"""Issue 16, the kanban by process status in the browser: a drag takes the action leading to
the column (checked through the API), a move no action allows snaps back with the reason, and
the keyboard's "移動" menu takes an action that asks for its comment in a dialog. Screenshots:
board-status-*, at 1366×768 and 1920×1080."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.conftest import Server, shot, unique

VIEWPORTS = [{"width": 1366, "height": 768}, {"width": 1920, "height": 1080}]
PROCESS = {"enabled": True, "statuses": ["未処理", "承認待ち", "承認済", "差戻し"],
           "initial": "未処理", "actions": [
               {"name": "申請", "from": "未処理", "to": "承認待ち", "by": {"creator": True}},
               {"name": "承認", "from": "承認待ち", "to": "承認済", "by": {"user": "admin"}},
               {"name": "差戻し", "from": "承認待ち", "to": "差戻し", "by": {"user": "admin"},
                "comment_required": True},
               {"name": "再申請", "from": "差戻し", "to": "承認待ち", "by": {"creator": True}}]}
SAID = "() => document.getElementById('board-status').textContent.includes({!r})"


def _records(server: Server, lid: int) -> dict[str, dict[str, Any]]:
    status, body = server.call("GET", f"/api/v1/ledgers/{lid}/records?limit=100")
    assert status == 200
    return {r["values"]["title"]: r for r in body["items"]}


def _card(page: Any, title: str) -> Any:
    return page.locator(".board-card", has=page.locator(".card-title", has_text=title))


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=lambda v: f"{v['width']}")
def test_kanban_by_status_drag_refusal_and_keyboard(open_page: Any, server: Server,
                                                    viewport: dict[str, int]) -> None:
    names = ["ノートPC（総務課）", "プロジェクター", "書庫", "公用車タイヤ", "防災用毛布"]
    led = server.ledger(unique("物品購入申請"), [
        {"name": "件名", "type": "text", "code": "title"},
        {"name": "金額", "type": "number", "code": "amount", "options": {"unit": "円"}}],
        [{"title": n, "amount": 10000 * (i + 1)} for i, n in enumerate(names)])
    lid = int(led["id"])
    status, body = server.call("PUT", f"/api/v1/ledgers/{lid}/process", PROCESS)
    assert status == 200, body
    recs = _records(server, lid)
    for title in ("書庫", "公用車タイヤ"):
        status, body = server.call("POST", f"/api/v1/ledgers/{lid}/records/{recs[title]['id']}/actions",
                                   {"action": "申請", "revision": recs[title]["revision"]})
        assert status == 200, body

    page = open_page("admin", language="ja", viewport=viewport)
    page.goto(f"{server.base}/ledgers/{lid}/kanban")
    assert page.locator("#board-field").input_value() == "status"
    assert page.locator(".kanban-col h2").all_inner_texts()[0].startswith("未処理")
    assert page.locator(".col-count").all_inner_texts() == ["3", "2", "0", "0"]

    # A drag onto 承認待ち takes 申請, the one action from 未処理 that leads there.
    _card(page, "プロジェクター").drag_to(page.locator('.kanban-col[data-key="承認待ち"] h2'))
    page.wait_for_function(SAID.format("「申請」を行いました"))
    assert "「申請」を行いました" in page.locator("#board-toast.info").inner_text()  # shown
    assert _records(server, lid)["プロジェクター"]["status"] == "承認待ち"
    shot(page, f"board-status-moved-{viewport['width']}")
    page.locator("#board-toast").evaluate("el => el.hidden = true")
    assert page.locator(".col-count").all_inner_texts() == ["2", "3", "0", "0"]

    # No action leads from 未処理 to 承認済: the card snaps back, with the reason.
    _card(page, "防災用毛布").drag_to(page.locator('.kanban-col[data-key="承認済"] h2'))
    page.wait_for_selector("#board-toast:not([hidden])")
    assert "今行えるものはありません" in page.locator("#board-toast").inner_text()
    page.wait_for_function("() => !document.querySelector('.board-card.moving')")
    assert page.locator('.kanban-col[data-key="未処理"]').locator(
        ".card-title", has_text="防災用毛布").count() == 1
    assert page.locator(".col-count").all_inner_texts() == ["2", "3", "0", "0"]
    assert _records(server, lid)["防災用毛布"]["status"] == "未処理"
    shot(page, f"board-status-refused-{viewport['width']}")

    # The keyboard: 移動 → 差戻し asks for the comment the action needs, in a dialog.
    page.locator("#board-toast").evaluate("el => el.hidden = true")
    shelf = _card(page, "書庫")
    shelf.locator(".move-menu summary").focus()
    page.keyboard.press("Enter")
    shelf.locator('[data-move-to="差戻し"]').focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("#board-comment-dialog[open]")
    assert page.evaluate("() => document.activeElement.id") == "board-comment"
    assert "「差戻し」へ進めるためのコメント" in page.locator("#board-comment-label").inner_text()
    page.keyboard.type("見積書を添付してください")
    shot(page, f"board-status-comment-{viewport['width']}")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_function(SAID.format("「差戻し」を行いました"))
    assert _card(page, "書庫").get_attribute("data-key") == "差戻し"
    rid = recs["書庫"]["id"]
    status, history = server.call("GET", f"/api/v1/ledgers/{lid}/records/{rid}/history")
    assert history["items"][0]["changes"]["status"]["comment"] == "見積書を添付してください"

    # Escape in the dialog moves nothing.
    tyre = _card(page, "公用車タイヤ")
    tyre.locator(".move-menu summary").focus()
    page.keyboard.press("Enter")
    tyre.locator('[data-move-to="差戻し"]').focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("#board-comment-dialog[open]")
    page.keyboard.press("Escape")
    page.wait_for_selector("#board-comment-dialog:not([open])", state="attached")
    assert _card(page, "公用車タイヤ").get_attribute("data-key") == "承認待ち"
    assert _records(server, lid)["公用車タイヤ"]["status"] == "承認待ち"
    assert page.locator(".col-count").all_inner_texts() == ["2", "2", "0", "1"]
    shot(page, f"board-status-{viewport['width']}")


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=lambda v: f"{v['width']}")
def test_the_status_column_in_the_grid_is_read_only(open_page: Any, server: Server,
                                                    viewport: dict[str, int]) -> None:
    led = server.ledger(unique("物品購入申請"), [{"name": "件名", "type": "text", "code": "title"}],
                        [{"title": "書庫"}, {"title": "長机"}])
    lid = int(led["id"])
    status, body = server.call("PUT", f"/api/v1/ledgers/{lid}/process", PROCESS)
    assert status == 200, body
    page = open_page("admin", language="ja", viewport=viewport)
    page.goto(f"{server.base}/ledgers/{lid}/")
    header = page.locator('#grid th[data-code="status"]')
    assert header.get_attribute("data-name") == "ステータス"
    assert "絞り込" in header.locator("[role=button]").inner_text()
    cell = page.locator('#grid tbody tr').first.locator('td[data-code="status"]')
    assert cell.inner_text() == "未処理"
    cell.click()
    page.keyboard.type("承認済")  # typing into it changes nothing: only actions move it
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.getElementById('grid-status').textContent"
                           ".includes('ステータス')")
    assert cell.inner_text() == "未処理"
    assert _records(server, lid)["書庫"]["status"] == "未処理"
    # Its filter popup lists the statuses.
    header.locator("[role=button]").click()
    page.wait_for_selector(".filter-value-list")
    assert page.locator(".filter-value-list [data-filter-value]").count() == 1  # all 未処理
    shot(page, f"grid-status-column-{viewport['width']}")
