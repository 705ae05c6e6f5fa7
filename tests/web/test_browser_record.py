"""In the browser: the record form with every kind of field, two people editing the same record
(merge, conflict view, presence) in the form and in the grid, history with revert, the trash."""

from __future__ import annotations

from typing import Any

from tests.web.conftest import Server, shot, unique, wait_saved

FIELDS = [
    {"name": "番号", "type": "autonumber", "code": "no", "options": {"prefix": "R-", "digits": 3}},
    {"name": "件名", "type": "text", "code": "title", "required": True},
    {"name": "状態", "type": "choice", "code": "state", "options": {"choices": ["受付", "対応中", "完了"]}},
    {"name": "分類", "type": "multichoice", "code": "tags", "options": {"choices": ["道路", "公園", "水道"]}},
    {"name": "受付日", "type": "date", "code": "day", "options": {"wareki": True}},
    {"name": "期限", "type": "datetime", "code": "due"},
    {"name": "金額", "type": "number", "code": "amount", "options": {"unit": "円"}},
    {"name": "緊急", "type": "yesno", "code": "urgent"},
    {"name": "担当者", "type": "user", "code": "owner"},
    {"name": "メモ", "type": "textarea", "code": "memo"},
    {"name": "連絡先", "type": "email", "code": "mail"},
    {"name": "資料", "type": "file", "code": "docs"},
]


def _ledger(server: Server) -> tuple[int, int]:
    led = server.ledger(unique("要望台帳"), FIELDS, [{"title": "街灯の修理", "state": "受付"}])
    _status, page = server.call("GET", f"/api/v1/ledgers/{led['id']}/records")
    # Bob works in the same ledger: everyone may view, add and edit (contract §5).
    server.call("PUT", f"/api/v1/ledgers/{led['id']}/permissions", {"rules": [
        {"subject": {"everyone": True}, "rights": ["view", "add", "edit"]}]})
    return led["id"], page["items"][0]["id"]


def test_record_form_every_type(open_page: Any, server: Server, tmp_path: Any) -> None:
    lid, rid = _ledger(server)
    page = open_page("admin")
    page.goto(f"{server.base}/ledgers/{lid}/records/{rid}/")
    assert page.locator("#field-no .readonly-value").inner_text() == "R-001"
    page.get_by_label("状態").select_option("対応中")
    page.get_by_label("公園").check()
    page.get_by_label("水道").check()
    page.get_by_label("受付日").fill("2019-05-01")
    assert page.locator("#f-day-wareki").inner_text() == "令和元年5月1日"
    page.get_by_label("期限").fill("2024-04-01T09:30")
    page.get_by_label("金額").fill("１，２００")  # full-width digits, as typed in Japanese offices
    page.locator("#f-urgent-yes").check()
    page.get_by_label("担当者").fill("bo")
    page.wait_for_selector(".picker-list [role=option][data-value=bob]")
    page.get_by_label("担当者").fill("bob")
    page.get_by_label("メモ").fill("一行目\n二行目")
    upload = tmp_path / "地図.txt"
    upload.write_text("地図のメモ", encoding="utf-8")
    page.locator("#f-docs-upload").set_input_files(str(upload))
    # One invalid value: the message is next to the field and nothing typed is lost.
    page.get_by_label("連絡先").fill("not-an-email")
    page.click("#save-record")
    page.wait_for_selector("#error-summary")
    assert page.locator("#field-mail .field-error").is_visible()
    assert page.get_by_label("連絡先").get_attribute("aria-invalid") == "true"
    assert page.get_by_label("メモ").input_value() == "一行目\n二行目"
    assert page.get_by_label("金額").input_value() == "１，２００"
    page.get_by_label("連絡先").fill("doboku@city.example.jp")
    page.click("#save-record")
    page.wait_for_selector(".message-success")
    shot(page, "record-form")
    _status, record = server.call("GET", f"/api/v1/ledgers/{lid}/records/{rid}")
    values = record["values"]
    assert values["state"] == "対応中" and values["tags"] == ["公園", "水道"]
    assert values["day"] == "2019-05-01" and values["due"] == "2024-04-01T09:30:00+09:00"
    assert values["amount"] == 1200 and values["urgent"] is True and values["owner"] == "bob"
    assert values["memo"] == "一行目\n二行目" and values["docs"][0]["name"] == "地図.txt"
    # The file downloads from its link.
    with page.expect_download() as info:
        page.locator("#field-docs a[download]").click()
    assert info.value.suggested_filename == "地図.txt"
    # The grid shows the values the way the form does (和暦, unit, person's name).
    page.goto(f"{server.base}/ledgers/{lid}/")
    row = page.locator(f"#grid tr[data-id='{rid}']")
    assert "令和元年5月1日" in row.locator("td[data-code=day]").inner_text()
    assert "1,200" in row.locator("td[data-code=amount]").inner_text()
    assert "Bob 佐藤" in row.locator("td[data-code=owner]").inner_text()


def test_two_people_merge_conflict_presence(open_page: Any, server: Server) -> None:
    lid, rid = _ledger(server)
    url = f"{server.base}/ledgers/{lid}/records/{rid}/"
    bob = open_page("bob")
    admin = open_page("admin")
    bob.goto(url)
    admin.goto(url)
    admin.wait_for_selector("#presence .presence-note")
    assert "Bob 佐藤" in admin.locator("#presence").inner_text()

    # Different fields: the second save merges silently.
    bob.get_by_label("メモ").fill("ボブのメモ")
    bob.click("#save-record")
    bob.wait_for_selector(".message-success")
    admin.get_by_label("状態").select_option("完了")
    admin.click("#save-record")
    admin.wait_for_selector(".message-success")
    assert "kept" in admin.locator(".message-success").inner_text()
    _status, record = server.call("GET", f"/api/v1/ledgers/{lid}/records/{rid}")
    assert record["values"]["memo"] == "ボブのメモ" and record["values"]["state"] == "完了"

    # The same field: the conflict view keeps the typing and shows their value beside it.
    bob.goto(url)
    admin.goto(url)
    bob.get_by_label("件名").fill("街灯の修理（ボブ）")
    bob.click("#save-record")
    bob.wait_for_selector(".message-success")
    admin.get_by_label("件名").fill("街灯の修理（管理者）")
    admin.get_by_label("金額").fill("5000")
    admin.click("#save-record")
    admin.wait_for_selector("#conflict-banner")
    assert admin.get_by_label("件名").input_value() == "街灯の修理（管理者）"
    assert admin.get_by_label("金額").input_value() == "5000"
    assert "街灯の修理（ボブ）" in admin.locator("#field-title .theirs-value").inner_text()
    shot(admin, "record-conflict")
    admin.click("#f-title-keep")
    admin.click("#save-record")
    admin.wait_for_selector(".message-success")
    _status, record = server.call("GET", f"/api/v1/ledgers/{lid}/records/{rid}")
    assert record["values"]["title"] == "街灯の修理（管理者）"
    assert record["values"]["amount"] == 5000 and record["values"]["memo"] == "ボブのメモ"

    # In the grid: Bob saves a cell; the admin's stale grid edits the same cell → dialog.
    grid = f"{server.base}/ledgers/{lid}/"
    bob.goto(grid)
    admin.goto(grid)
    cell = f"#grid tr[data-id='{rid}'] td[data-code=title]"
    bob.click(cell)
    bob.keyboard.press("Enter")
    bob.keyboard.press("Control+A")
    bob.keyboard.insert_text("ボブの件名")
    bob.keyboard.press("Enter")
    wait_saved(bob)
    admin.click(cell)
    admin.keyboard.press("Enter")
    admin.keyboard.press("Control+A")
    admin.keyboard.insert_text("管理者の件名")
    admin.keyboard.press("Enter")
    admin.wait_for_selector("#conflict-dialog[open]")
    assert admin.locator("#conflict-dialog .mine-input").input_value() == "管理者の件名"
    assert "ボブの件名" in admin.locator("#conflict-dialog .theirs-value").inner_text()
    shot(admin, "grid-conflict")
    admin.locator("#conflict-dialog button[value=save]").click()
    admin.wait_for_function("(sel) => document.querySelector(sel).textContent.trim() === '管理者の件名'",
                            arg=cell)
    _status, record = server.call("GET", f"/api/v1/ledgers/{lid}/records/{rid}")
    assert record["values"]["title"] == "管理者の件名"


def test_history_revert_and_trash(open_page: Any, server: Server) -> None:
    lid, rid = _ledger(server)
    server.call("PATCH", f"/api/v1/ledgers/{lid}/records/{rid}",
                {"revision": 1, "values": {"title": "街灯の交換", "amount": 30000}})
    page = open_page("admin")
    page.goto(f"{server.base}/ledgers/{lid}/records/{rid}/history")
    newest = page.locator(".history-entry").first
    assert "街灯の修理" in newest.locator("del").first.inner_text()
    assert "街灯の交換" in newest.locator("ins").first.inner_text()
    assert "30,000" in newest.inner_text()
    shot(page, "history")
    page.click("button.revert[data-revision='1']")
    page.wait_for_selector(".message-success")
    _status, record = server.call("GET", f"/api/v1/ledgers/{lid}/records/{rid}")
    assert record["values"]["title"] == "街灯の修理" and record["values"]["amount"] is None
    assert record["revision"] == 3

    # The related-records panel loads after the page; delete once it has, as a reader would.
    with page.expect_response(lambda r: r.url.endswith(f"/records/{rid}/related")):
        page.goto(f"{server.base}/ledgers/{lid}/records/{rid}/")
    page.click("#delete-record")
    page.wait_for_selector(".message-success")
    assert page.locator(f"#grid tr[data-id='{rid}']").count() == 0
    page.locator(".message-success a").click()
    page.wait_for_selector(f"#trash tr[data-id='{rid}']")
    shot(page, "trash")
    page.locator(f"#trash tr[data-id='{rid}'] button.restore").click()
    page.wait_for_selector(".message-success")
    assert server.call("GET", f"/api/v1/ledgers/{lid}/records/{rid}")[0] == 200
