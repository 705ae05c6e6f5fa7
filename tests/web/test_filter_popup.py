"""The column filter popup's server side: its values and counts read through the gate (record
rules and field rules apply), the capped list and its search, date periods by fiscal year, and
how an applied popup becomes filters in the page's address."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from tests.conftest import ApiClient, make_ledger


@pytest.fixture
def assets(api: ApiClient) -> dict[str, Any]:
    led = make_ledger(api, "財産台帳", [
        {"name": "名称", "type": "text", "code": "name"},
        {"name": "区分", "type": "choice", "code": "kind", "options": {"choices": ["土地", "建物"]}},
        {"name": "金額", "type": "number", "code": "amount"},
        {"name": "取得日", "type": "date", "code": "day"},
        {"name": "秘密", "type": "text", "code": "secret"},
    ])
    rows = [
        {"name": "本庁舎", "kind": "建物", "amount": 500, "day": "2024-03-31", "secret": "S-建物1"},
        {"name": "東庁舎", "kind": "建物", "amount": 300, "day": "2024-04-01", "secret": "S-建物2"},
        {"name": "中央公園", "kind": "土地", "amount": 300, "day": "2024-12-01", "secret": "S-土地1"},
        {"name": "北公園", "kind": "土地", "amount": 100, "day": "2025-03-31", "secret": "S-土地2"},
        {"name": "南公園", "kind": "土地", "amount": None, "day": None, "secret": "S-土地3"},
        {"name": "本庁舎", "kind": None, "amount": 100, "day": "2025-04-01", "secret": "S-空"},
    ]
    resp = api.post(f"/api/v1/ledgers/{led['id']}/records/bulk",
                    {"create": [{"values": v} for v in rows]})
    assert resp.status == 200, resp.body
    return led


def _values(html: str) -> dict[str, int]:
    """The popup's list: value text → count (blank as "")."""
    out = {}
    for m in re.finditer(r'data-filter-value="([^"]*)"[^>]*>.*?<span class="count">([\d,]+)</span>',
                         html, re.S):
        out[m.group(1)] = int(m.group(2).replace(",", ""))
    return out


def _ticked(html: str) -> set[str]:
    return set(re.findall(r'data-filter-value="([^"]*)" checked', html))


def test_values_with_counts_follow_the_other_columns(web: Client, assets: dict[str, Any]) -> None:
    lid = assets["id"]
    html = web.get(f"/ledgers/{lid}/fields/name/filter?s=1").content.decode()
    assert _values(html) == {"本庁舎": 2, "中央公園": 1, "北公園": 1, "南公園": 1, "東庁舎": 1}
    assert 'id="filter-search"' in html and "Select all" in html and "Select none" in html
    # Another column's filter narrows the list; this column's own filter only sets the ticks.
    html = web.get(f"/ledgers/{lid}/fields/name/filter",
                   {"s": "1", "filter": ["kind:eq:土地", "name:in:北公園,南公園"]}).content.decode()
    assert _values(html) == {"中央公園": 1, "北公園": 1, "南公園": 1}
    assert _ticked(html) == {"北公園", "南公園"}
    # Blanks are counted apart and can be ticked on their own.
    html = web.get(f"/ledgers/{lid}/fields/kind/filter?s=1&filter=kind:empty:").content.decode()
    assert _values(html) == {"": 1, "土地": 3, "建物": 2}
    assert _ticked(html) == {""}
    # Numbers: the values, a range, and blank / not blank.
    html = web.get(f"/ledgers/{lid}/fields/amount/filter?s=1&filter=amount:ge:200").content.decode()
    assert _values(html) == {"": 1, "100": 2, "300": 2, "500": 1}
    assert 'name="fx:amount:ge" value="200"' in html
    assert 'value="notempty"' in html and 'value="empty"' in html
    # Sorting from the popup, as Excel's autofilter offers.
    assert "sort=amount" in html and "sort=-amount" in html


def test_record_rules_and_hidden_fields(api: ApiClient, assets: dict[str, Any],
                                        make_client: Any) -> None:
    """Values of records the user may not see are neither listed nor counted; a hidden field's
    popup answers as a field that does not exist, and its values appear nowhere."""
    from django.contrib.auth import get_user_model

    lid = assets["id"]
    make_client("clerk")
    resp = api.put(f"/api/v1/ledgers/{lid}/permissions", {"rules": [
        {"subject": {"user": "clerk"}, "rights": ["view"], "records": {"filter": "kind:eq:土地"},
         "fields": {"secret": "hidden"}}]})
    assert resp.status == 200, resp.body
    clerk = Client()
    clerk.force_login(get_user_model().objects.get(username="clerk"))
    html = clerk.get(f"/ledgers/{lid}/fields/name/filter?s=1").content.decode()
    assert _values(html) == {"中央公園": 1, "北公園": 1, "南公園": 1}
    assert "本庁舎" not in html and "東庁舎" not in html
    html = clerk.get(f"/ledgers/{lid}/fields/amount/filter?s=1").content.decode()
    assert _values(html) == {"": 1, "100": 1, "300": 1}
    # Searching the values: the gram index (which holds the hidden text) only narrows; the
    # column itself must hold the text.
    part = clerk.get(f"/ledgers/{lid}/fields/name/filter",
                     {"s": "1", "part": "values", "text": "S-土地"}).content.decode()
    assert _values(part) == {} and "一致する値はありません。" in part
    part = clerk.get(f"/ledgers/{lid}/fields/name/filter",
                     {"s": "1", "part": "values", "text": "公園"}).content.decode()
    assert _values(part) == {"中央公園": 1, "北公園": 1, "南公園": 1}
    assert clerk.get(f"/ledgers/{lid}/fields/secret/filter?s=1").status_code == 404
    assert clerk.get(f"/ledgers/{lid}/fields/nothing/filter?s=1").status_code == 404
    # A filter on the hidden field, typed into the address, reveals nothing either.
    html = clerk.get(f"/ledgers/{lid}/fields/name/filter?s=1&filter=secret:eq:S-建物1"
                     ).content.decode()
    assert 'role="alert"' in html and "本庁舎" not in html and _values(html) == {}
    # Someone who may not view the ledger at all gets the same answer as for a missing one.
    make_client("stranger")
    stranger = Client()
    stranger.force_login(get_user_model().objects.get(username="stranger"))
    assert stranger.get(f"/ledgers/{lid}/fields/name/filter?s=1").status_code == 404
    anonymous = Client().get(f"/ledgers/{lid}/fields/name/filter?s=1")
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]


def test_a_record_rule_gets_the_pair_index_of_its_filter(
        api: ApiClient, assets: dict[str, Any], make_client: Any, settings: Any) -> None:
    """Under a rule `kind = 土地` the popup of 金額 reads `kind = x` in 金額's order, as a page
    filtered on kind would: a big ledger gets the (kind, amount) index for it in the
    background, and the values are the same before and after."""
    from django.contrib.auth import get_user_model

    from daicho import jobs
    from daicho.db import schema as ddl
    from daicho.models import Field, Job, Ledger

    lid = assets["id"]
    make_client("clerk")
    assert api.put(f"/api/v1/ledgers/{lid}/permissions", {"rules": [
        {"subject": {"user": "clerk"}, "rights": ["view"],
         "records": {"filter": "kind:eq:土地"}}]}).status == 200
    clerk = Client()
    clerk.force_login(get_user_model().objects.get(username="clerk"))
    settings.DAICHO = {**settings.DAICHO, "PAIR_INDEX_MIN_RECORDS": 1}
    before = _values(clerk.get(f"/ledgers/{lid}/fields/amount/filter?s=1").content.decode())
    assert before == {"": 1, "100": 1, "300": 1}
    cols = {f.code: f.column for f in Field.objects.filter(ledger_id=lid)}
    assert [(j.params["first"], j.params["second"])
            for j in Job.objects.filter(kind="pair_index", status="queued")] == [
        (cols["kind"], cols["amount"])]
    assert jobs.run_pending() == 1
    assert ddl.index_exists(ddl.pair_index_name(Ledger.objects.get(id=lid), cols["kind"],
                                                cols["amount"], "s"))
    assert _values(clerk.get(f"/ledgers/{lid}/fields/amount/filter?s=1").content.decode()) \
        == before


def test_dates_by_fiscal_year_year_and_month(web: Client, assets: dict[str, Any]) -> None:
    lid = assets["id"]
    html = web.get(f"/ledgers/{lid}/fields/day/filter?s=1").content.decode()
    fiscal = dict(re.findall(r'id="fp-fy-(\d+)" data-start="[^"]+" data-end="[^"]+">'
                             r'<label[^>]*>FY \d+ <span class="count">(\d+)</span>', html))
    # 2024-03-31 is FY2023; 2024-04-01, 2024-12-01 and 2025-03-31 are FY2024; 2025-04-01 FY2025.
    assert fiscal == {"2023": "1", "2024": "3", "2025": "1"}
    assert re.search(r'id="fp-fy-2024" data-start="2024-04-01" data-end="2025-03-31"', html)
    assert re.search(r'id="fp-year-2024" data-start="2024-01-01" data-end="2024-12-31"', html)
    assert re.search(r'id="fp-month-2025-03" data-start="2025-03-01" data-end="2025-03-31"', html)
    assert 'id="filter-only-blank"' in html  # blank dates: the popup's blank choices
    # The popup's periods set the range; the chip names the fiscal year.
    resp = web.get(f"/ledgers/{lid}/", {"s": "1", "fx": "day", "fx:day:ge": "2024-04-01",
                                        "fx:day:le": "2025-03-31"})
    assert resp.status_code == 302
    page = web.get(resp["Location"]).content.decode()
    assert "取得日: fiscal year 2024" in page and len(re.findall(r'<tr data-id=', page)) == 3
    html = web.get(f"/ledgers/{lid}/fields/day/filter?{urlsplit(resp['Location']).query}"
                   ).content.decode()
    assert re.search(r'id="fp-fy-2024" [^>]* checked', html)
    # A calendar year and a month are named too; any other range is two chips.
    for low, high, chip in (("2024-01-01", "2024-12-31", "取得日: year 2024"),
                            ("2024-12-01", "2024-12-31", "取得日: 2024/12"),
                            ("2024-12-02", "2024-12-31", "取得日 ≥ 2024-12-02")):
        page = web.get(f"/ledgers/{lid}/", {"s": "1", "filter": [f"day:ge:{low}", f"day:le:{high}"]}
                       ).content.decode()
        assert chip in page, chip


@pytest.mark.parametrize(("params", "expected"), [
    ({"fx:name:pick": "in", "fx:name:v": ["北公園", "南公園"]}, ["name:in:北公園,南公園"]),
    ({"fx:name:pick": "in", "fx:name:v": ["北公園"]}, ["name:eq:北公園"]),
    ({"fx:name:pick": "out", "fx:name:u": ["北公園"]}, ["name:ne:北公園"]),
    ({"fx:kind:pick": "out", "fx:kind:u": ["建物"], "fx:kind:hasblank": "1"},
     ["kind:notempty:", "kind:ne:建物"]),
    ({"fx:kind:pick": "out", "fx:kind:u": ["建物"], "fx:kind:hasblank": "1",
      "fx:kind:blank": "on"}, ["kind:ne:建物"]),
    ({"fx:kind:pick": "in", "fx:kind:hasblank": "1", "fx:kind:blank": "on"}, ["kind:empty:"]),
    ({"fx:kind:pick": "out", "fx:kind:hasblank": "1"}, ["kind:notempty:"]),
    ({"fx:amount:presence": "notempty", "fx:amount:ge": "150"},
     ["amount:notempty:", "amount:ge:150"]),
    ({"fx:amount:presence": "empty", "fx:amount:ge": "150"}, ["amount:empty:"]),
])
def test_applied_popup_becomes_filters_in_the_address(web: Client, assets: dict[str, Any],
                                                      params: dict[str, Any],
                                                      expected: list[str]) -> None:
    lid = assets["id"]
    code = next(iter(params)).split(":")[1]
    resp = web.get(f"/ledgers/{lid}/", {"s": "1", "filter": [f"{code}:contains:x", "name:ne:無"],
                                        "fx": code, **params})
    assert resp.status_code == 302
    query = parse_qs(urlsplit(resp["Location"]).query)
    kept = ["name:ne:無"] if code != "name" else []
    assert query["filter"] == kept + expected
    assert not any(k.startswith("fx") for k in query)
    assert web.get(resp["Location"]).status_code == 200


def test_a_long_list_is_capped_and_searched(web: Client, api: ApiClient) -> None:
    led = make_ledger(api, "名簿", [{"name": "氏名", "type": "text", "code": "who"}])
    for start in (0, 1000):
        resp = api.post(f"/api/v1/ledgers/{led['id']}/records/bulk", {"create": [
            {"values": {"who": f"職員{i:04d}"}} for i in range(start, start + 1000)]})
        assert resp.status == 200
    html = web.get(f"/ledgers/{led['id']}/fields/who/filter?s=1").content.decode()
    values = _values(html)
    assert len(values) == 1000 and "職員0000" in values and "職員1999" not in values
    assert "Only the first 1,000 values are listed" in html and 'data-more="1"' in html
    # The search box asks for the rest: only the values holding the text, not capped.
    part = web.get(f"/ledgers/{led['id']}/fields/who/filter",
                   {"s": "1", "part": "values", "text": "199"}).content.decode()
    assert set(_values(part)) == {f"職員{i:04d}" for i in (199, 1199, *range(1990, 2000))}
    assert "<form" not in part and 'data-more=""' in part
