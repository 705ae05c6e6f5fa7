"""Lookup fields in the web UI: the designer's link → field choice and copy option, the record
page showing the value read-only with 「マスタが変更されています」 and 再取得 for a copy, the
list showing the column — through Django's test client, and in the browser with screenshots at
1366×768 and 1920×1080."""

from __future__ import annotations

from typing import Any

from django.test import Client

from tests.conftest import ApiClient, make_ledger
from tests.web.conftest import Server, shot, unique

MASTER = [{"name": "課名", "type": "text", "code": "dept"},
          {"name": "電話", "type": "text", "code": "phone"},
          {"name": "開設日", "type": "date", "code": "opened", "options": {"wareki": True}}]


def _looking(name: str, master: int) -> list[dict[str, Any]]:
    return [
        {"name": "品名", "type": "text", "code": "item"},
        {"name": "貸出先", "type": "link", "code": "dept_ref", "options": {"ledger": master}},
        {"name": "貸出先の課名", "type": "lookup", "code": "dept_name",
         "options": {"link": "dept_ref", "field": "dept"}},
        {"name": "貸出先の開設日", "type": "lookup", "code": "opened",
         "options": {"link": "dept_ref", "field": "opened"}},
        {"name": "電話（貸出時）", "type": "lookup", "code": "phone_then",
         "options": {"link": "dept_ref", "field": "phone", "copy": True}},
    ]


def test_designer_adds_a_lookup_and_pages_show_it(web: Client, api: ApiClient) -> None:
    master = int(make_ledger(api, "課", MASTER)["id"])
    mid = api.post(f"/api/v1/ledgers/{master}/records", {"values": {
        "dept": "総務課", "phone": "054-100", "opened": "2019-05-01"}}).body["id"]
    lid = int(make_ledger(api, "貸出", _looking("貸出", master)[:2])["id"])
    rid = api.post(f"/api/v1/ledgers/{lid}/records",
                   {"values": {"item": "机", "dept_ref": mid}}).body["id"]
    html = web.get(f"/ledgers/{lid}/fields/").content.decode()
    assert 'value="dept_ref:phone"' in html and "貸出先 → 電話" in html
    resp = web.post(f"/ledgers/{lid}/fields/add", {
        "name": "電話（貸出時）", "type": "lookup", "opt:lookup:pair": "dept_ref:phone",
        "opt:lookup:copy": "1"})
    assert resp.status_code == 302, resp.content.decode()[:2000]
    resp = web.post(f"/ledgers/{lid}/fields/add", {
        "name": "開設日", "type": "lookup", "opt:lookup:pair": "dept_ref:opened"})
    assert resp.status_code == 302, resp.content.decode()[:2000]
    fields = {f["name"]: f for f in api.get(f"/api/v1/ledgers/{lid}").body["fields"]}
    assert fields["電話（貸出時）"]["options"]["copy"] is True
    record = web.get(f"/ledgers/{lid}/records/{rid}/").content.decode()
    assert "054-100" in record and "令和元年5月1日" in record  # as the date field shows it
    assert 'id="lookup-stale"' not in record  # the notice comes with the page, when due
    listing = web.get(f"/ledgers/{lid}/").content.decode()
    assert "054-100" in listing
    # The master changes: the copy says so, and 再取得 fetches the value again.
    assert api.patch(f"/api/v1/ledgers/{master}/records/{mid}",
                     {"revision": 1, "values": {"phone": "054-999"}}).status == 200
    notice = web.get(f"/ledgers/{lid}/records/{rid}/").content.decode()
    assert 'id="lookup-stale"' in notice and "The master changed since" in notice
    assert "「電話（貸出時）」" in notice.split('id="lookup-stale"')[1].split("</div>")[0]
    resp = web.post(f"/ledgers/{lid}/records/{rid}/lookups/refresh")
    assert resp.status_code == 302
    record = web.get(f"/ledgers/{lid}/records/{rid}/").content.decode()
    assert "054-999" in record and 'id="lookup-stale"' not in record


def test_lookup_pages_in_the_browser(open_page: Any, server: Server) -> None:
    status, master = server.call("POST", "/api/v1/ledgers", {"name": unique("課"),
                                                             "fields": MASTER})
    assert status == 201, master
    status, dept = server.call("POST", f"/api/v1/ledgers/{master['id']}/records", {"values": {
        "dept": "総務課", "phone": "054-100-1000", "opened": "2019-05-01"}})
    assert status == 201, dept
    led = server.ledger(unique("貸出"), _looking("貸出", master["id"]),
                        [{"item": "机", "dept_ref": dept["id"]},
                         {"item": "椅子", "dept_ref": dept["id"]}])
    status, done = server.call("PATCH", f"/api/v1/ledgers/{master['id']}/records/{dept['id']}",
                               {"revision": 1, "values": {"phone": "054-999-9999"}})
    assert status == 200, done
    rid = max(r["id"] for r in server.call("GET", f"/api/v1/ledgers/{led['id']}/records")[1]
              ["items"])
    for width, height in ((1366, 768), (1920, 1080)):
        page = open_page("admin", language="ja", viewport={"width": width, "height": height})
        page.goto(f"{server.base}/ledgers/{led['id']}/records/{rid}/")
        notice = page.locator("#lookup-stale")
        notice.wait_for()
        assert "マスタが変更されています" in notice.inner_text()
        assert "054-100-1000" in page.locator("#field-phone_then").inner_text()
        assert "054" not in page.locator("#field-dept_name").inner_text()
        assert "総務課" in page.locator("#field-dept_name").inner_text()
        assert page.locator("#field-dept_name input").count() == 0  # read-only
        shot(page, f"record-lookup-stale-{width}x{height}")
        page.goto(f"{server.base}/ledgers/{led['id']}/")
        page.locator("#grid").wait_for()
        assert "令和元年5月1日" in page.locator("#grid").inner_text()
        shot(page, f"list-lookup-{width}x{height}")
        page.goto(f"{server.base}/ledgers/{led['id']}/fields/")
        page.select_option("#add-type", "lookup")
        page.locator("#add-lookup-pair").wait_for()
        page.locator("#add-field").scroll_into_view_if_needed()
        shot(page, f"designer-lookup-{width}x{height}")
        page.close()
    page = open_page("admin", language="ja", viewport={"width": 1366, "height": 768})
    page.goto(f"{server.base}/ledgers/{led['id']}/records/{rid}/")
    page.click("#lookup-refresh")
    page.wait_for_load_state()
    assert "054-999-9999" in page.locator("#field-phone_then").inner_text()
    assert page.locator("#lookup-stale").count() == 0
    page.close()
