"""Print forms on screen: the designer's section adds and deletes them, and the 帳票 menus of
the list (with its filters) and of the record page link to the print endpoints."""

from __future__ import annotations

import html
import re

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from daicho.models import PrintForm
from tests.api.test_print_forms import _template
from tests.conftest import ApiClient, make_ledger


def test_add_list_menus_and_delete(web: Client, api: ApiClient) -> None:
    lid = make_ledger(api, "貸出物品")["id"]
    rid = api.post(f"/api/v1/ledgers/{lid}/records", {"values": {"name": "マイク"}}).body["id"]
    assert f'hx-get="/ledgers/{lid}/forms/"' in web.get(f"/ledgers/{lid}/fields/").content.decode()
    assert "No print forms yet." in web.get(f"/ledgers/{lid}/forms/").content.decode()
    resp = web.post(f"/ledgers/{lid}/forms/add", {"name": "貸出票", "file": SimpleUploadedFile(
        "f.xlsx", _template({"A1": "{{name}}"}))})
    assert resp.status_code == 302
    form = PrintForm.objects.get(ledger_id=lid)
    bad = web.post(f"/ledgers/{lid}/forms/add", {"file": SimpleUploadedFile("x.xlsx", b"nope")},
                   follow=True)
    assert "Excel workbook" in bad.content.decode() and PrintForm.objects.count() == 1
    section = web.get(f"/ledgers/{lid}/forms/").content.decode()
    assert "貸出票" in section and f"/ledgers/{lid}/forms/{form.id}/delete" in section
    listing = web.get(f"/ledgers/{lid}/", {"s": "1", "filter": "kind:eq:土地"}).content.decode()
    toolbar = listing.split('id="undo"')[1].split("</div>")[0]  # last in the row: moves nothing
    assert f'hx-get="/ledgers/{lid}/forms/menu?s=1&amp;filter=kind' in toolbar
    menu = html.unescape(web.get(f"/ledgers/{lid}/forms/menu", {
        "filter": "kind:eq:土地", "q": "マ", "sort": "-amount"}).content.decode())
    links = re.findall(r'href="([^"]+)"', menu)
    assert f"/api/v1/ledgers/{lid}/print?form={form.id}&format=xlsx&filter=kind%3Aeq%3A%E5%9C%9F" \
        "%E5%9C%B0&q=%E3%83%9E&sort=-amount" in links
    # The record page's menu comes with the page (nothing moves beside it once it is shown).
    one = html.unescape(web.get(f"/ledgers/{lid}/records/{rid}/").content.decode())
    xlsx_link = f"/api/v1/ledgers/{lid}/records/{rid}/print?form={form.id}&format=xlsx"
    assert xlsx_link in one and 'id="print-forms-menu"' in one and "hx-get" not in one.split(
        'id="print-record"')[1].split('id="related"')[0]
    assert web.get(xlsx_link).status_code == 200  # the session signs the download in
    assert web.post(f"/ledgers/{lid}/forms/{form.id}/delete").status_code == 302
    assert not PrintForm.objects.exists()
    assert 'id="print-forms-menu"' not in web.get(f"/ledgers/{lid}/records/{rid}/").content.decode()
    assert web.get(f"/ledgers/{lid}/forms/menu").content.decode().strip() == ""
