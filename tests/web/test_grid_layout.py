"""The list page's layout and its continuous scroll through the page's own endpoints: the rows
after a cursor in the page's order and under the reader's record rule, pages beyond the API's
500 rows, the layout (frozen columns, row height) kept by a saved view, hostile input refused
or kept in range without a write."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client

from tests.conftest import ApiClient, make_ledger


@pytest.fixture
def filled(api: ApiClient) -> dict[str, Any]:
    led = make_ledger(api, "備品台帳", [
        {"name": "品名", "type": "text", "code": "item"},
        {"name": "数量", "type": "number", "code": "qty"},
        {"name": "区分", "type": "choice", "code": "kind", "options": {"choices": ["机", "椅子"]}},
    ])
    items = [{"values": {"item": f"品{i:03d}", "qty": None if i % 7 == 0 else i % 5,
                         "kind": "机" if i % 2 else "椅子"}} for i in range(95)]
    assert api.post(f"/api/v1/ledgers/{led['id']}/records/bulk", {"create": items}).status == 200
    return led


def _ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr data-id="(\d+)"', html)]


def _rows_url(html: str) -> str:
    found = re.search(r'data-rows-url="([^"]*)"', html)
    assert found is not None
    return found.group(1).replace("&amp;", "&")


def _api_order(api: ApiClient, lid: int, **params: Any) -> list[int]:
    out: list[int] = []
    cursor = None
    while True:
        body = api.get(f"/api/v1/ledgers/{lid}/records",
                       {**params, "limit": 500, **({"cursor": cursor} if cursor else {})}).body
        out += [r["id"] for r in body["items"]]
        cursor = body.get("next_cursor")
        if not cursor:
            return out


def _scroll_all(web: Client, first_page: str) -> tuple[list[int], int]:
    """The ids the page shows, then those the continuous scroll appends; the number of reads."""
    html = web.get(first_page).content.decode()
    ids, url, reads = _ids(html), _rows_url(html), 0
    while url:
        resp = web.get(url)
        assert resp.status_code == 200, resp.content
        data = resp.json()
        ids += _ids("".join(data["rows"]))
        assert (data["next"] == "") == (data["page"] == "")
        url, reads = data["next"], reads + 1
    return ids, reads


def test_continuous_scroll_reads_the_rest_in_the_page_order(
        web: Client, api: ApiClient, filled: dict[str, Any]) -> None:
    lid = filled["id"]
    ids, reads = _scroll_all(web, f"/ledgers/{lid}/?s=1&limit=25&sort=-qty")
    assert ids == _api_order(api, lid, sort="-qty") and len(ids) == 95 and reads == 3
    ids, _ = _scroll_all(web, f"/ledgers/{lid}/?s=1&limit=25&filter=kind:eq:%E6%9C%BA&q=%E5%93%81")
    assert ids == _api_order(api, lid, filter="kind:eq:机", q="品") and len(ids) == 47
    # The last page has nothing to scroll to.
    html = web.get(f"/ledgers/{lid}/?s=1&limit=100").content.decode()
    assert _rows_url(html) == "" and len(_ids(html)) == 95


def test_continuous_scroll_keeps_the_readers_record_rule(
        api: ApiClient, filled: dict[str, Any], make_client: Any) -> None:
    from django.contrib.auth import get_user_model

    lid = filled["id"]
    make_client("clerk")
    assert api.put(f"/api/v1/ledgers/{lid}/permissions", {"rules": [
        {"subject": {"user": "clerk"}, "rights": ["view"], "records": {"filter": "kind:eq:椅子"}},
    ]}).status == 200
    clerk = Client()
    clerk.force_login(get_user_model().objects.get(username="clerk"))
    ids, _ = _scroll_all(clerk, f"/ledgers/{lid}/?s=1&limit=25")
    assert ids == _api_order(api, lid, filter="kind:eq:椅子") and len(ids) == 48
    # Someone who may not see the ledger gets what a missing one gives.
    make_client("nobody")
    nobody = Client()
    nobody.force_login(get_user_model().objects.get(username="nobody"))
    first = _rows_url(clerk.get(f"/ledgers/{lid}/?s=1&limit=25").content.decode())
    resp = nobody.get(first)
    assert resp.status_code == 404 and resp.json()["error"]["code"] == "not_found"
    assert Client().get(first).status_code == 401


def test_rows_refuses_a_missing_or_broken_cursor(web: Client, filled: dict[str, Any]) -> None:
    lid = filled["id"]
    for query in ("?s=1&limit=25", "?s=1&limit=25&after=%%%", "?s=1&after=eyJ4IjogMX0",
                  "?s=1&after=" + "A" * 5000, "?s=1&after=x&sort=nope"):
        resp = web.get(f"/ledgers/{lid}/rows{query}")
        assert resp.status_code == 400, (query, resp.content)
        error = resp.json()["error"]
        assert error["code"] in ("invalid_cursor", "invalid_sort", "unknown_field"), error
        assert error["message"]


def test_pages_beyond_the_api_limit_are_read_in_steps(
        web: Client, api: ApiClient, filled: dict[str, Any], settings: Any) -> None:
    """A page of 1,000 rows is two reads of the API's selector (at most 500 each): shrink the
    step to see a page of 25 read as 20 + 5, forward, back and continued by the scroll."""
    lid = filled["id"]
    order = _api_order(api, lid, sort="item")
    settings.DAICHO = {**settings.DAICHO, "MAX_PAGE_SIZE": 20}
    html = web.get(f"/ledgers/{lid}/?s=1&limit=25&sort=item").content.decode()
    assert _ids(html) == order[:25]
    ids, reads = _scroll_all(web, f"/ledgers/{lid}/?s=1&limit=25&sort=item")
    assert ids == order and reads == 3
    following = re.search(r'<a href="([^"]+)" rel="next"', html)
    assert following is not None
    second = web.get(following.group(1).replace("&amp;", "&")).content.decode()
    assert _ids(second) == order[25:50]
    back = re.search(r'<a href="([^"]+)" rel="prev"', second)
    assert back is not None
    assert _ids(web.get(back.group(1).replace("&amp;", "&")).content.decode()) == order[:25]
    for size in (500, 1000):
        assert f"<option selected>{size}</option>" in web.get(
            f"/ledgers/{lid}/?s=1&limit={size}").content.decode()


def test_the_layout_is_kept_by_the_view_and_the_address(web: Client, filled: dict[str, Any]) -> None:
    from daicho.web.models import SavedView

    lid = filled["id"]
    html = web.get(f"/ledgers/{lid}/").content.decode()
    assert 'data-frozen="1"' in html and "grid rows-normal" in html  # the title column, by default
    resp = web.post(f"/ledgers/{lid}/views/save", {
        "s": "1", "cols": "kind,item,qty", "frozen": "2", "rh": "tall", "name": "広い",
        "mode": "new", "widths": json.dumps({"item": 240, "kind": 90}),
    })
    assert resp.status_code == 302
    view = SavedView.objects.get(name="広い")
    assert (view.columns, view.frozen, view.row_height) == (["kind", "item", "qty"], 2, "tall")
    html = web.get(f"/ledgers/{lid}/?view={view.id}").content.decode()
    assert 'data-frozen="2"' in html and "grid rows-tall" in html
    assert re.findall(r'<col data-code="(\w+)"', html) == ["kind", "item", "qty"]
    assert 'data-code="item" data-width="240"' in html
    # The address states a layout of its own; the view's forms carry it on.
    html = web.get(f"/ledgers/{lid}/?s=1&view={view.id}&frozen=0&rh=compact").content.decode()
    assert 'data-frozen="0"' in html and "grid rows-compact" in html
    assert '<input type="hidden" name="rh" value="compact">' in html
    # Updating the view keeps what the form sends.
    web.post(f"/ledgers/{lid}/views/save", {"s": "1", "view": str(view.id), "mode": "update",
                                            "frozen": "0", "rh": "compact"})
    view.refresh_from_db()
    assert (view.frozen, view.row_height) == (0, "compact")


@pytest.mark.parametrize("frozen, height, widths", [
    ("-3", "giant", "{}"), ("99", "<script>", '{"item": 1e999}'), ("x", "", '{"item": "wide"}'),
    ("1" * 400, "tall" * 100, '{"item": -5, "nope": 300}'),
])
def test_hostile_layout_is_kept_in_range(web: Client, filled: dict[str, Any], frozen: str,
                                         height: str, widths: str) -> None:
    from daicho.web.models import SavedView

    lid = filled["id"]
    resp = web.get(f"/ledgers/{lid}/", {"s": "1", "frozen": frozen, "rh": height})
    assert resp.status_code == 200
    html = resp.content.decode()
    assert re.search(r'data-frozen="[0-5]"', html) and re.search(r"grid rows-(compact|normal|tall)", html)
    resp = web.post(f"/ledgers/{lid}/views/save", {"s": "1", "frozen": frozen, "rh": height,
                                                   "name": "v", "mode": "new", "widths": widths})
    assert resp.status_code == 302
    view = SavedView.objects.get(name="v")
    assert 0 <= view.frozen <= 5 and view.row_height in ("compact", "normal", "tall")
    assert all(c == "item" and 40 <= w <= 2000 for c, w in view.widths.items())
    assert web.get(f"/ledgers/{lid}/?view={view.id}").status_code == 200
