"""The formula field in the web UI: the designer's options and live preview (errors pointed at
their position), the record page showing the computed value read-only — in-process through
Django's test client, and in the browser with screenshots at 1366×768 and 1920×1080."""

from __future__ import annotations

from typing import Any

from django.test import Client

from tests.conftest import ApiClient, make_ledger
from tests.web.conftest import Server, shot, unique

FIELDS = [
    {"name": "品名", "type": "text", "code": "name"},
    {"name": "数量", "type": "number", "code": "qty"},
    {"name": "単価", "type": "number", "code": "price"},
    {"name": "取得日", "type": "date", "code": "day"},
    {"name": "金額", "type": "formula", "code": "amount",
     "options": {"expression": "qty * price", "result": "number"}},
]


def _ledger(api: ApiClient) -> int:
    lid = int(make_ledger(api, "備品", FIELDS)["id"])
    for name, qty, price in (("机", 2, 15000), ("椅子", 4, 8000)):
        assert api.post(f"/api/v1/ledgers/{lid}/records",
                        {"values": {"name": name, "qty": qty, "price": price,
                                    "day": "2019-04-30"}}).status == 201
    return lid


def test_preview_gives_values_of_the_latest_records(web: Client, api: ApiClient) -> None:
    lid = _ledger(api)
    url = f"/ledgers/{lid}/fields/formula-preview"
    resp = web.get(url, {"expression": "ROUND(qty * price * 1.1)", "result": "number"})
    assert resp.status_code == 200, resp.content
    assert [item["value"] for item in resp.json()["items"]] == [35200, 33000]
    resp = web.get(url, {"expression": "WAREKI(day)", "result": "text"})
    assert {item["value"] for item in resp.json()["items"]} == {"平成31年4月30日"}


def test_preview_points_at_the_error(web: Client, api: ApiClient) -> None:
    lid = _ledger(api)
    url = f"/ledgers/{lid}/fields/formula-preview"
    resp = web.get(url, {"expression": "qty * name", "result": "number"})
    assert resp.status_code == 400
    error = resp.json()["error"]
    assert error["code"] == "invalid_expression" and error["details"]["position"] == 6
    resp = web.get(url, {"expression": "amount + 1", "result": "number", "code": "amount"})
    assert resp.json()["error"]["code"] == "formula_cycle"
    # Nothing was saved by asking.
    codes = [f["code"] for f in api.get(f"/api/v1/ledgers/{lid}").body["fields"]]
    assert codes == ["name", "qty", "price", "day", "amount"]


def test_preview_needs_the_manage_right(make_client: Any, api: ApiClient) -> None:
    lid = _ledger(api)
    from django.contrib.auth import get_user_model

    get_user_model().objects.create_user("bob", password="x")
    bob = Client()
    bob.force_login(get_user_model().objects.get(username="bob"))
    resp = bob.get(f"/ledgers/{lid}/fields/formula-preview", {"expression": "qty"})
    assert resp.status_code in (403, 404)


def test_designer_adds_a_formula_and_the_record_shows_it(web: Client, api: ApiClient) -> None:
    lid = _ledger(api)
    html = web.get(f"/ledgers/{lid}/fields/").content.decode()
    assert "data-formula" in html and "web/js/formula.js" in html
    assert "qty * price" in html  # the existing formula's expression, in its edit form
    resp = web.post(f"/ledgers/{lid}/fields/add", {
        "name": "年度", "type": "formula", "opt:formula:expression": "FISCAL_YEAR(day)",
        "opt:formula:result": "number", "opt:formula:decimals": "0",
        "opt:formula:rounding": "half_up"})
    assert resp.status_code == 302, resp.content.decode()[:2000]
    resp = web.post(f"/ledgers/{lid}/fields/add", {
        "name": "誤り", "type": "formula", "opt:formula:expression": "qty *",
        "opt:formula:result": "number"})
    assert resp.status_code == 400
    assert "The formula of" in resp.content.decode()
    html = web.get(f"/ledgers/{lid}/fields/").content.decode()
    assert "Calculating the records: 0%" in html  # until the job has run
    from daicho import jobs

    jobs.run_pending()
    assert "Calculating the records" not in web.get(f"/ledgers/{lid}/fields/").content.decode()
    rid = api.get(f"/api/v1/ledgers/{lid}/records", {"sort": "id"}).body["items"][0]["id"]
    html = web.get(f"/ledgers/{lid}/records/{rid}/").content.decode()
    assert "30,000" in html and "2019" in html


def test_designer_preview_in_the_browser(open_page: Any, server: Server) -> None:
    led = server.ledger(unique("計算"), FIELDS, [
        {"name": "机", "qty": 2, "price": 15000, "day": "2019-04-30"},
        {"name": "椅子", "qty": 4, "price": 8000, "day": "2019-05-01"}])
    for width, height in ((1366, 768), (1920, 1080)):
        page = open_page("admin", language="ja", viewport={"width": width, "height": height})
        page.goto(f"{server.base}/ledgers/{led['id']}/fields/")
        page.select_option("#add-type", "formula")
        page.fill("#add-name", "和暦")
        page.fill("#add-formula-expression", "WAREKI(day)")
        page.select_option("#add-formula-result", "text")
        rows = page.locator("#add-field [data-formula-rows] tr")
        rows.first.wait_for()
        assert sorted(rows.all_inner_texts()) == sorted([
            f"#{i}\t{v}" for i, v in zip(
                [r for r in _ids(server, led["id"])], ["平成31年4月30日", "令和元年5月1日"],
                strict=True)])
        page.fill("#add-formula-expression", "qty * name")
        error = page.locator("#add-field [data-formula-error]")
        error.wait_for()
        page.wait_for_function(
            "() => document.querySelector('#add-field [data-formula-error]').textContent")
        assert "文字列" in error.inner_text()
        assert page.locator("#add-field [data-formula-pointer] mark").inner_text() == "n"
        assert page.get_attribute("#add-formula-expression", "aria-invalid") == "true"
        page.locator("#add-field").scroll_into_view_if_needed()
        shot(page, f"designer-formula-{width}x{height}")
        page.fill("#add-formula-expression", "WAREKI(day)")
        page.locator("#add-field [data-formula-problem]").wait_for(state="hidden")
        page.locator("#add-field [data-formula-table]").wait_for()
        shot(page, f"designer-formula-preview-{width}x{height}")
        page.close()


def _ids(server: Server, lid: int) -> list[int]:
    _status, body = server.call("GET", f"/api/v1/ledgers/{lid}/records?sort=id")
    return [r["id"] for r in body["items"]]


def test_list_page_filters_and_totals_treat_a_formula_as_its_result(web: Client,
                                                                      api: ApiClient) -> None:
    lid = _ledger(api)
    html = web.get(f"/ledgers/{lid}/").content.decode()
    assert "30,000" in html and "32,000" in html
    popup = web.get(f"/ledgers/{lid}/fields/amount/filter", {"s": "1"})
    assert popup.status_code == 200
    assert 'data-code="amount" data-text="32000" class="num">32,000' in html  # a number column
    totals = web.get(f"/ledgers/{lid}/totals").content.decode()
    assert "62,000" in totals  # the column's total, as for a number field
