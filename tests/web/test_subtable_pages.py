"""Detail rows (subtable) on the pages, in-process: the field designer defines the columns, the
record form posts the rows as JSON (refusals name row and column), the record page shows them
as a table and the history page says which rows were added, removed or changed."""

from __future__ import annotations

import json

from django.test import Client

from tests.conftest import ApiClient, make_ledger


def test_designer_form_and_history(web: Client, api: ApiClient) -> None:
    web.cookies["django_language"] = "ja"
    led = make_ledger(api, "見積", [{"name": "件名", "type": "text", "code": "title"}])
    lid = led["id"]
    resp = web.post(f"/ledgers/{lid}/fields/add", {
        "name": "明細", "type": "subtable",
        "opt:subtable:columns": "name, 品名, text\r\nqty，数量, number, 1, 個\r\n"
                                "kind, 区分, choice, 物品|役務\r\n"
                                "double, 二倍, formula, ROUND(qty * 2, 0)\r\n"})
    assert resp.status_code == 302, resp.content.decode()[:2000]
    field = next(f for f in api.get(f"/api/v1/ledgers/{lid}").body["fields"] if f["name"] == "明細")
    assert field["options"] == {"fields": [
        {"code": "name", "name": "品名", "type": "text"},
        {"code": "qty", "name": "数量", "type": "number",
         "options": {"decimals": 1, "unit": "個", "separator": True}},
        {"code": "kind", "name": "区分", "type": "choice", "options": {"choices": ["物品", "役務"]}},
        {"code": "double", "name": "二倍", "type": "formula",
         "options": {"expression": "ROUND(qty * 2, 0)", "result": "number", "decimals": 0,
                     "rounding": "half_up"}}]}
    code = field["code"]
    designer = web.get(f"/ledgers/{lid}/fields/").content.decode()
    assert "qty, 数量, number, 1, 個\nkind, 区分, choice, 物品|役務\n" \
        "double, 二倍, formula, ROUND(qty * 2, 0)" in designer

    form = web.get(f"/ledgers/{lid}/records/new").content.decode()
    assert "data-subtable" in form and f'id="f-{code}-columns"' in form
    bad = web.post(f"/ledgers/{lid}/records/new", {
        "v_title": "机", f"v_{code}": json.dumps([{"name": "机", "qty": "2"},
                                                 {"name": "椅子", "qty": "たくさん"}])})
    assert bad.status_code == 400
    assert "2 行目の「数量」" in bad.content.decode()
    resp = web.post(f"/ledgers/{lid}/records/new", {
        "v_title": "机", f"v_{code}": json.dumps([{"name": "机", "qty": "2", "kind": "物品"},
                                                 {"name": "椅子", "qty": "4"}])})
    assert resp.status_code == 302
    rec = api.get(f"/api/v1/ledgers/{lid}/records").body["items"][0]
    assert rec["values"][code] == [{"id": 1, "name": "机", "qty": 2, "kind": "物品", "double": 4},
                                   {"id": 2, "name": "椅子", "qty": 4, "double": 8}]
    grid = web.get(f"/ledgers/{lid}/").content.decode()
    assert 'class="subtable-view"' in grid and "<th scope=\"col\">品名</th>" in grid
    # The export menu offers one row per detail line beside one row per record.
    assert 'data-export="xlsx_lines"' in grid and "detail=lines" in grid
    assert "明細 1 行ごとに 1 行" in grid

    api.patch(f"/api/v1/ledgers/{lid}/records/{rec['id']}", {"revision": 1, "values": {code: [
        {"id": 1, "name": "天板", "qty": 2, "kind": "物品"}, {"name": "脚"}]}})
    history = web.get(f"/ledgers/{lid}/records/{rec['id']}/history").content.decode()
    assert "品名: <del>机</del> → <ins>天板</ins>（行 1）" in history
    assert "行を追加（行 2）: 品名 脚" in history
    assert "行を削除（行 2）: 品名 椅子、数量 4" in history


def test_unchanged_rows_are_not_saved_again(web: Client, api: ApiClient) -> None:
    led = make_ledger(api, "貸出", [{"name": "物品", "type": "subtable", "code": "things",
                                     "options": {"fields": [
                                         {"code": "name", "name": "名称", "type": "text"},
                                         {"code": "n", "name": "数", "type": "number"}]}}])
    url = f"/api/v1/ledgers/{led['id']}/records"
    rec = api.post(url, {"values": {"things": [{"name": "机", "n": 1}]}}).body
    page = f"/ledgers/{led['id']}/records/{rec['id']}/"
    html = web.get(page).content.decode()
    import html as htmlmod
    import re

    value = htmlmod.unescape(re.search(r'name="v_things" value="([^"]*)"', html).group(1))
    orig = htmlmod.unescape(re.search(r'name="o_things" value="([^"]*)"', html).group(1))
    assert json.loads(value) == [{"id": 1, "name": "机", "n": 1}] and value == orig
    # What the browser's editor sends for the same rows (numbers as typed text).
    resp = web.post(page, {"rev": "1", "o_things": orig,
                           "v_things": json.dumps([{"id": 1, "name": "机", "n": "1"}])})
    assert resp.status_code == 302
    assert api.get(f"{url}/{rec['id']}").body["revision"] == 1
