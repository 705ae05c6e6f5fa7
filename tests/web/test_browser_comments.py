"""In the browser: a comment with a mention picked from the `@` type-ahead, listed with the
mention highlighted, and seen by the person mentioned (screenshots at 1366×768 and 1920×1080)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.conftest import Server, shot, unique

FIELDS = [{"name": "件名", "type": "text", "code": "title", "required": True},
          {"name": "メモ", "type": "textarea", "code": "memo"}]


@pytest.mark.parametrize("size", [(1366, 768), (1920, 1080)])
def test_comment_with_a_mention_from_the_type_ahead(open_page: Any, server: Server,
                                                    size: tuple[int, int]) -> None:
    led = server.ledger(unique("貸出物品台帳"), FIELDS, [{"title": "プロジェクター"}])
    lid = led["id"]
    server.call("PUT", f"/api/v1/ledgers/{lid}/permissions", {"rules": [
        {"subject": {"everyone": True}, "rights": ["view"]}]})
    _status, found = server.call("GET", f"/api/v1/ledgers/{lid}/records")
    rid = found["items"][0]["id"]
    page = open_page("admin", language="ja", viewport={"width": size[0], "height": size[1]})
    page.goto(f"{server.base}/ledgers/{lid}/records/{rid}/")
    box = page.locator("#comment-text")
    box.scroll_into_view_if_needed()
    box.click()
    page.keyboard.type("返却日の確認をお願いします。")
    page.keyboard.press("Enter")
    page.keyboard.type("@Bo")
    listbox = page.get_by_role("listbox", name="このレコードを見られる人")
    option = listbox.get_by_role("option").filter(has_text="bob")
    option.wait_for()
    assert box.get_attribute("aria-expanded") == "true"
    shot(page, f"comments-typeahead-{size[0]}x{size[1]}")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    assert box.input_value() == "返却日の確認をお願いします。\n@bob "
    assert listbox.is_hidden()
    page.keyboard.type("さん、よろしくお願いします。")
    page.locator("#comment-submit").click()
    page.wait_for_url(f"**/ledgers/{lid}/records/{rid}/#comment-*")
    comment = page.locator(".comment-list .comment").last
    assert comment.locator("mark.mention").inner_text() == "@bob"
    assert "よろしくお願いします" in comment.inner_text()
    shot(page, f"comments-listed-{size[0]}x{size[1]}")
    # The mention is within the page width: nothing clipped or off screen.
    box_after = comment.bounding_box()
    assert box_after is not None and box_after["x"] + box_after["width"] <= size[0]
    # The history page shows it among the revisions.
    page.goto(f"{server.base}/ledgers/{lid}/records/{rid}/history")
    assert page.locator(".history-comment mark.mention").inner_text() == "@bob"
    assert page.locator(".history-entry").count() == 2
    shot(page, f"comments-history-{size[0]}x{size[1]}")
    # Bob sees it on the record page too.
    bob = open_page("bob", language="ja")
    bob.goto(f"{server.base}/ledgers/{lid}/records/{rid}/")
    assert bob.locator(".comment-list mark.mention").first.inner_text() == "@bob"
    status, listed = server.call("GET", f"/api/v1/ledgers/{lid}/records/{rid}/comments")
    assert status == 200 and listed["items"][-1]["mentions"] == ["bob"]
