"""Issue 16: the process status in the grid — a read-only 「ステータス」 column after the fields
of a ledger with a process: sortable, filterable through its column's filter popup (the
statuses as values, in the process's order), offered in the column chooser and kept by saved
views; none without a process."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from django.test import Client

from tests.conftest import ApiClient, make_ledger

PROCESS = {"enabled": True, "statuses": ["未処理", "承認待ち", "承認済"], "initial": "未処理",
           "actions": [{"name": "申請", "from": "未処理", "to": "承認待ち", "by": {"creator": True}},
                       {"name": "承認", "from": "承認待ち", "to": "承認済",
                        "by": {"user": "admin"}}]}


@pytest.fixture
def led(api: ApiClient) -> dict[str, Any]:
    led = make_ledger(api, "購入申請", [{"name": "品名", "type": "text", "code": "name"}])
    lid = led["id"]
    assert api.put(f"/api/v1/ledgers/{lid}/process", PROCESS).status == 200
    create = [{"values": {"name": n}} for n in ("机", "椅子", "書庫")]
    assert api.post(f"/api/v1/ledgers/{lid}/records/bulk", {"create": create}).status == 200
    items = api.get(f"/api/v1/ledgers/{lid}/records", {"sort": "id"}).body["items"]
    for rec, actions in zip(items, (["申請", "承認"], ["申請"], []), strict=True):
        revision = rec["revision"]
        for action in actions:
            body = api.post(f"/api/v1/ledgers/{lid}/records/{rec['id']}/actions",
                            {"action": action, "revision": revision}).body
            revision = body["revision"]
    return led


def _column_texts(html: str, code: str) -> list[str]:
    return re.findall(rf'<td data-code="{code}" data-text="([^"]*)"', html)


def test_the_status_column_shows_and_sorts(web: Client, led: dict[str, Any]) -> None:
    lid = led["id"]
    html = web.get(f"/ledgers/{lid}/").content.decode()
    headers = re.findall(r'<th scope="col" aria-sort="[^"]*" data-code="([^"]*)"', html)
    assert headers == ["name", "status"]
    head = re.search(r'<th scope="col"[^>]*data-code="status"[^>]*>', html).group(0)  # type: ignore[union-attr]
    assert "&quot;kind&quot;: &quot;none&quot;" in head  # read-only: no inline editor
    assert 'data-name="Status"' in head
    assert _column_texts(html, "status") == ["承認済", "承認待ち", "未処理"]
    assert f'href="/ledgers/{lid}/?s=1&amp;sort=status"' in html  # the header sorts
    html = web.get(f"/ledgers/{lid}/", {"s": "1", "sort": "-status"}).content.decode()
    assert _column_texts(html, "status") == sorted(["承認済", "承認待ち", "未処理"], reverse=True)
    # The column chooser offers it; chosen away, it is not drawn.
    assert 'name="col" value="status"' in html
    html = web.get(f"/ledgers/{lid}/", {"s": "1", "cols": "name"}).content.decode()
    assert _column_texts(html, "status") == []


def test_the_status_filter_popup(web: Client, led: dict[str, Any]) -> None:
    lid = led["id"]
    html = web.get(f"/ledgers/{lid}/fields/status/filter", {"s": "1"}).content.decode()
    values = re.findall(r'data-filter-value="([^"]*)"', html)
    assert values == ["未処理", "承認待ち", "承認済"]  # the process's order
    resp = web.get(f"/ledgers/{lid}/", {"s": "1", "fx": "status", "fx:status:pick": "in",
                                        "fx:status:v": ["未処理", "承認待ち"]})
    assert resp.status_code == 302
    filters = parse_qs(urlparse(resp["Location"]).query)["filter"]
    assert filters == ["status:in:未処理,承認待ち"]
    html = web.get(resp["Location"]).content.decode()
    assert sorted(_column_texts(html, "status")) == sorted(["未処理", "承認待ち"])
    assert "Status" in re.search(r'class="chip filter-chip">([^<]*)<', html).group(1)  # type: ignore[union-attr]


def test_a_saved_view_keeps_the_status_column(web: Client, led: dict[str, Any]) -> None:
    from daicho.web.models import SavedView

    lid = led["id"]
    resp = web.post(f"/ledgers/{lid}/views/save", {"name": "状態つき", "mode": "new", "s": "1",
                                                   "cols": "status,name", "sort": "status"})
    assert resp.status_code == 302
    view = SavedView.objects.get(name="状態つき")
    assert view.columns == ["status", "name"] and view.sort == "status"
    html = web.get(f"/ledgers/{lid}/?view={view.id}").content.decode()
    headers = re.findall(r'<th scope="col" aria-sort="[^"]*" data-code="([^"]*)"', html)
    assert headers == ["status", "name"]


def test_no_status_column_without_a_process(web: Client, api: ApiClient) -> None:
    lid = make_ledger(api, "名簿", [{"name": "氏名", "type": "text", "code": "name"}])["id"]
    html = web.get(f"/ledgers/{lid}/", {"s": "1", "cols": "name,status"}).content.decode()
    assert 'data-code="status"' not in html and 'value="status"' not in html
    assert web.get(f"/ledgers/{lid}/fields/status/filter").status_code == 404
