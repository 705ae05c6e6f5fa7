"""The record form's layout (sections, columns, widths, help texts) set in the field designer,
and the print views of a record and of a list, through Django's test client."""

from __future__ import annotations

import re
from typing import Any

from django.contrib.auth import get_user_model
from django.test import Client

from daicho.models import Ledger, LedgerEvent
from tests.conftest import ApiClient


def _layout(web: Client, lid: int, code: str, **data: str) -> Any:
    return web.post(f"/ledgers/{lid}/fields/{code}/layout", data)


def _settings(lid: int) -> dict[str, Any]:
    return Ledger.objects.get(id=lid).settings  # type: ignore[no-any-return]


def test_designer_saves_sections_widths_and_help(web: Client, ledger: dict[str, Any]) -> None:
    lid = ledger["id"]
    resp = _layout(web, lid, "name", section="on", section_title="基本情報", section_columns="2",
                   help="正式名称を入力します。\r\n略称は不可。")
    assert resp.status_code == 302 and resp["Location"].endswith("#field-name")
    assert _layout(web, lid, "amount", width="full").status_code == 302
    assert _layout(web, lid, "day", section="on", section_title="管理", section_columns="3",
                   width="third").status_code == 302
    assert _settings(lid)["form"]["fields"] == {
        "name": {"help": "正式名称を入力します。\n略称は不可。",
                 "section": {"title": "基本情報", "columns": 2}},
        "amount": {"width": "full"},
        "day": {"width": "third", "section": {"title": "管理", "columns": 3}},
    }
    assert LedgerEvent.objects.filter(ledger_id=lid, action="form_layout").count() == 3
    html = web.get(f"/ledgers/{lid}/fields/").content.decode()
    assert "Form section “基本情報” (2 columns) starts here" in html
    assert 'value="基本情報"' in html and "正式名称を入力します。" in html

    html = web.get(f"/ledgers/{lid}/records/new").content.decode()
    first, second = re.findall(r'<section class="form-section cols-(\d)"', html)
    assert (first, second) == ("2", "3")
    assert '<h2 class="form-section-title" id="section-1">基本情報</h2>' in html
    assert 'class="form-row span-3' in html and 'id="field-name"' in html
    assert 'class="form-row span-6' in html  # amount: full width
    assert '<p class="field-help" id="f-name-help">正式名称を入力します。<br>略称は不可。</p>' in html
    assert 'aria-describedby="f-name-help"' in html
    assert '<span class="required" aria-hidden="true">＊</span>' in html
    assert "(required)" in html

    # Clearing every setting removes the entry; the section ends there.
    assert _layout(web, lid, "day").status_code == 302
    assert "day" not in _settings(lid)["form"]["fields"]


def test_help_joins_the_error_in_aria_describedby(web: Client, ledger: dict[str, Any]) -> None:
    lid = ledger["id"]
    _layout(web, lid, "amount", help="税込みの金額")
    resp = web.post(f"/ledgers/{lid}/records/new", {"v_name": "庁舎", "v_amount": "abc"})
    assert resp.status_code == 400
    assert 'aria-describedby="f-amount-help f-amount-error"' in resp.content.decode()


def test_hostile_layout_input_is_refused_and_writes_nothing(web: Client,
                                                             ledger: dict[str, Any]) -> None:
    lid = ledger["id"]
    _layout(web, lid, "name", help="元の説明")
    before = _settings(lid)
    for data in ({"width": "huge"},
                 {"section": "on", "section_title": "見出し", "section_columns": "4"},
                 {"section": "on", "section_title": "見出し", "section_columns": "二"},
                 {"section": "on", "section_title": "見出し", "section_columns": "²"},
                 {"section": "on", "section_title": ""},
                 {"section": "on", "section_title": "x" * 101},
                 {"help": "x" * 501},
                 {"help": "制御\x00文字"}):
        resp = _layout(web, lid, "name", **data)
        assert resp.status_code == 400, data
        html = resp.content.decode()
        assert 'id="layout-error-name"' in html and "<details class=\"field-edit\" open>" in html
    assert _settings(lid) == before
    assert _layout(web, lid, "no_such_field", help="x").status_code == 404
    assert web.get(f"/ledgers/{lid}/fields/name/layout").status_code == 405


def test_layout_needs_the_manage_right(ledger: dict[str, Any], api: ApiClient,
                                       make_client: Any) -> None:
    lid = ledger["id"]
    api.put(f"/api/v1/ledgers/{lid}/permissions", {"rules": [
        {"subject": {"everyone": True}, "rights": ["view", "add", "edit"]}]})
    make_client("sato", name="佐藤")
    other = Client()
    other.force_login(get_user_model().objects.get(username="sato"))
    assert _layout(other, lid, "name", help="x").status_code == 404
    assert "form" not in _settings(lid)


def test_print_record_shows_formatted_values_and_no_hidden_field(
        web: Client, api: ApiClient, make_client: Any) -> None:
    led = api.post("/api/v1/ledgers", {"name": "備品台帳", "fields": [
        {"name": "品名", "type": "text", "code": "name"},
        {"name": "金額", "type": "number", "code": "amount", "options": {"unit": "円"}},
        {"name": "取得日", "type": "date", "code": "day", "options": {"wareki": True}},
        {"name": "区分", "type": "choice", "code": "kind", "options": {"choices": ["机", "椅子"]}},
        {"name": "秘密", "type": "text", "code": "secret"},
    ]}).body
    lid = led["id"]
    rec = api.post(f"/api/v1/ledgers/{lid}/records", {"values": {
        "name": "会議机", "amount": 1234567, "day": "2024-04-01", "kind": "机",
        "secret": "見せない値"}}).body
    _layout(web, lid, "amount", section="on", section_title="取得", section_columns="2")
    html = web.get(f"/ledgers/{lid}/records/{rec['id']}/print").content.decode()
    assert "<input" not in html and "<textarea" not in html and "<select" not in html
    assert "備品台帳" in html and '<h1 class="doc-title">会議机</h1>' in html
    assert "1,234,567" in html and "令和6年4月1日" in html and "机" in html
    assert '<section class="doc-section cols-2">' in html and "<h2>取得</h2>" in html
    assert re.search(r'class="printed-at">\d{4}-\d\d-\d\d \d\d:\d\d<', html)
    assert "見せない値" in html  # the admin sees every field

    api.put(f"/api/v1/ledgers/{lid}/permissions", {"rules": [
        {"subject": {"everyone": True}, "rights": ["view"], "fields": {"secret": "hidden"}}]})
    make_client("sato", name="佐藤")
    sato = Client()
    sato.force_login(get_user_model().objects.get(username="sato"))
    html = sato.get(f"/ledgers/{lid}/records/{rec['id']}/print").content.decode()
    assert "会議机" in html and "見せない値" not in html and "秘密" not in html
    listing = sato.get(f"/ledgers/{lid}/print").content.decode()
    assert "会議机" in listing and "見せない値" not in listing and "秘密" not in listing
    assert sato.get(f"/ledgers/{lid}/records/999999/print").status_code == 404


def test_print_list_follows_the_filter_and_sort(web: Client, api: ApiClient,
                                                ledger: dict[str, Any]) -> None:
    lid = ledger["id"]
    api.post(f"/api/v1/ledgers/{lid}/records/bulk", {"create": [
        {"values": {"name": f"物件{i:02d}", "amount": i * 1000, "kind": "土地" if i % 2 else "建物"}}
        for i in range(1, 11)]})
    html = web.get(f"/ledgers/{lid}/print", {"s": "1", "filter": "kind:eq:土地",
                                             "sort": "-amount"}).content.decode()
    names = re.findall(r"<td>(物件\d\d)</td>", html)
    assert names == ["物件09", "物件07", "物件05", "物件03", "物件01"]
    assert "9,000" in html and "5 records" in html and "Filtered by:" in html
    assert "<input" not in html
    resp = web.get(f"/ledgers/{lid}/print", {"s": "1", "filter": "nope:eq:1"})
    assert resp.status_code == 400 and 'class="doc-error"' in resp.content.decode()
    page = web.get(f"/ledgers/{lid}/", {"s": "1", "filter": "kind:eq:土地"}).content.decode()
    assert f'href="/ledgers/{lid}/print?s=1&amp;filter=kind%3Aeq%3A%E5%9C%9F%E5%9C%B0"' in page
