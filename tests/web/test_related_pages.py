"""The record page's related records (contract §7 `related`) and "add a related record" with the
link filled in, through Django's test client."""

from __future__ import annotations

import re

from django.test import Client

from tests.conftest import ApiClient, make_ledger


def _ledgers(api: ApiClient) -> tuple[int, int, int]:
    lid = make_ledger(api, "貸出物品", [{"name": "品名", "type": "text", "code": "name"}])["id"]
    loans = make_ledger(api, "貸出記録", [
        {"name": "借受人", "type": "text", "code": "who"},
        {"name": "物品", "type": "link", "code": "item", "options": {"ledger": lid}}])["id"]
    rid = api.post(f"/api/v1/ledgers/{lid}/records", {"values": {"name": "プロジェクター"}}).body["id"]
    for n in range(7):
        api.post(f"/api/v1/ledgers/{loans}/records", {"values": {"who": f"職員{n}", "item": rid}})
    return lid, loans, rid


def test_the_section_lists_counts_and_links(web: Client, api: ApiClient) -> None:
    lid, loans, rid = _ledgers(api)
    page = web.get(f"/ledgers/{lid}/records/{rid}/").content.decode()
    assert f'hx-get="/ledgers/{lid}/records/{rid}/related"' in page
    web.cookies["django_language"] = "ja"
    html = web.get(f"/ledgers/{lid}/records/{rid}/related").content.decode()
    assert "関連する記録" in html and "貸出記録" in html and "7 件" in html
    assert len(re.findall(rf'href="/ledgers/{loans}/records/\d+/"', html)) == 5
    assert f"/ledgers/{loans}/?filter=item%3Aeq%3A{rid}" in html
    add = f"/ledgers/{loans}/records/new?link=item%3A{rid}"
    assert add in html
    form = web.get(add.replace("%3A", ":")).content.decode()
    assert 'name="v_item"' in form and "プロジェクター" in form


def test_nothing_for_a_record_without_related(web: Client, api: ApiClient) -> None:
    lid, loans, _rid = _ledgers(api)
    other = api.post(f"/api/v1/ledgers/{lid}/records", {"values": {"name": "マイク"}}).body["id"]
    html = web.get(f"/ledgers/{lid}/records/{other}/related").content.decode()
    assert "0 records" in html and "related-list" not in html and "Show all" not in html
    assert f"/ledgers/{loans}/records/new?link=item%3A{other}" in html


def test_a_prefilled_link_is_only_a_suggestion(web: Client, api: ApiClient) -> None:
    _lid, loans, rid = _ledgers(api)
    for spec in ("nope:1", f"who:{rid}", "item:abc", "", "item:999999"):
        page = web.get(f"/ledgers/{loans}/records/new?link={spec}")
        assert page.status_code == 200 and "プロジェクター" not in page.content.decode()
