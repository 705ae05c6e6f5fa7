"""Issue 16, the kanban by process status (daicho.web.boards.StatusSource): the statuses are the
columns, a move takes the action leading there that the person may take now (the process
rules decide, not the edit right), a refused move says why, an action that needs a comment
gets it, a partial approval leaves the card where it is. Through the pages' own endpoints."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client

from tests.conftest import ApiClient, make_ledger

PROCESS = {"enabled": True, "statuses": ["未処理", "承認待ち", "承認済", "差戻し"],
           "initial": "未処理", "actions": [
               {"name": "申請", "from": "未処理", "to": "承認待ち", "by": {"creator": True}},
               {"name": "再申請", "from": "差戻し", "to": "承認待ち", "by": {"creator": True}},
               {"name": "承認", "from": "承認待ち", "to": "承認済", "by": {"user": "admin"}},
               {"name": "合議承認", "from": "承認待ち", "to": "承認済",
                "by": {"role": "課長"}, "mode": "n_of_m", "count": 2},
               {"name": "差戻し", "from": "承認待ち", "to": "差戻し", "by": {"user": "admin"},
                "comment_required": True}]}


def _user(login: str, **kwargs: Any) -> Client:
    from daicho.services.accounts import create_user

    client = Client()
    client.force_login(create_user(login=login, **kwargs))
    client.cookies["django_language"] = "en"
    return client


def _move(client: Client, lid: int, rec: dict[str, Any], to: str, **extra: Any) -> Any:
    body = {"kind": "kanban", "field": "status", "record": rec["id"],
            "revision": rec["revision"], "to": to, **extra}
    return client.post(f"/ledgers/{lid}/board/move", json.dumps(body),
                       content_type="application/json")


def _records(api: ApiClient, lid: int) -> dict[str, dict[str, Any]]:
    items = api.get(f"/api/v1/ledgers/{lid}/records", {"sort": "id"}).body["items"]
    return {r["values"]["name"]: r for r in items}


def _column(html: str, key: str) -> str:
    found = re.search(rf'<section class="kanban-col" data-key="{key}"(.*?)</section>', html, re.S)
    assert found, key
    return found.group(1)


@pytest.fixture
def led(api: ApiClient) -> dict[str, Any]:
    led = make_ledger(api, "備品購入申請", [
        {"name": "品名", "type": "text", "code": "name"},
        {"name": "区分", "type": "choice", "code": "kind", "options": {"choices": ["備品", "消耗品"]}}])
    assert api.put(f"/api/v1/ledgers/{led['id']}/process", PROCESS).status == 200
    create = [{"values": {"name": n, "kind": "備品"}} for n in ("机", "椅子", "書庫")]
    assert api.post(f"/api/v1/ledgers/{led['id']}/records/bulk", {"create": create}).status == 200
    chair = _records(api, led["id"])["椅子"]
    assert api.post(f"/api/v1/ledgers/{led['id']}/records/{chair['id']}/actions",
                    {"action": "申請", "revision": chair["revision"]}).status == 200
    return led


def test_the_status_is_the_first_kanban_source(web: Client, led: dict[str, Any]) -> None:
    lid = led["id"]
    html = web.get(f"/ledgers/{lid}/kanban").content.decode()
    sources = re.findall(r'<option value="([^"]*)"[^>]*>[^<]*</option>',
                         html.split('id="board-field"')[1].split("</select>")[0])
    assert sources == ["status", "kind"]
    columns = re.findall(r'<section class="kanban-col" data-key="([^"]*)"', html)
    assert columns == ["未処理", "承認待ち", "承認済", "差戻し"]  # in order, no 「未設定」
    assert re.findall(r'<span class="col-count"[^>]*>(\d+)</span>', html) == ["2", "1", "0", "0"]
    assert "机" in _column(html, "未処理") and "椅子" in _column(html, "承認待ち")
    # The admin created every record (申請) and may 承認 and 差戻し (with a comment).
    assert html.count('draggable="true"') == 3
    waiting = _column(html, "承認待ち")
    assert 'data-comment-to="[&quot;差戻し&quot;]"' in waiting
    assert 'id="board-comment-dialog"' in html
    # The choice field is still a source of its own.
    html = web.get(f"/ledgers/{lid}/kanban?field=kind").content.decode()
    assert re.findall(r'<section class="kanban-col" data-key="([^"]*)"', html) == ["備品", "消耗品", ""]


def test_a_move_takes_the_action_with_history(web: Client, api: ApiClient,
                                              led: dict[str, Any]) -> None:
    lid = led["id"]
    desk = _records(api, lid)["机"]
    resp = _move(web, lid, desk, "承認待ち")
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert body["to"] == "承認待ち" and body["revision"] == desk["revision"] + 1
    assert "申請" in body["message"] and body["movable"] is True
    assert body["comment_to"] == ["差戻し"]
    history = api.get(f"/api/v1/ledgers/{lid}/records/{desk['id']}/history").body["items"]
    assert history[0]["action"] == "status"
    assert history[0]["changes"]["status"]["action"] == "申請"
    # Two actions lead to 承認済 (承認, 合議承認): the first the admin may take, named.
    desk = _records(api, lid)["机"]
    resp = _move(web, lid, desk, "承認済")
    assert resp.status_code == 200 and "「承認」" in resp.json()["message"]
    assert resp.json()["movable"] is False  # nothing leads on from 承認済
    assert _records(api, lid)["机"]["status"] == "承認済"


def test_a_move_without_an_action_is_refused_with_the_reason(web: Client, api: ApiClient,
                                                             led: dict[str, Any]) -> None:
    lid = led["id"]
    desk = _records(api, lid)["机"]
    resp = _move(web, lid, desk, "承認済")  # no action from 未処理 to 承認済
    assert resp.status_code == 403 and resp.json()["error"]["code"] == "action_not_allowed"
    assert "未処理" in resp.json()["error"]["message"] and "承認済" in resp.json()["error"]["message"]
    # A stale card: the status moved since it was drawn.
    assert api.post(f"/api/v1/ledgers/{lid}/records/{desk['id']}/actions",
                    {"action": "申請", "revision": desk["revision"]}).status == 200
    resp = _move(web, lid, desk, "承認待ち")
    assert resp.status_code == 409 and resp.json()["error"]["code"] == "conflict"
    assert resp.json()["error"]["details"]["current"]["status"] == "承認待ち"
    # Someone named by no action from the card's status: refused, nothing written, not draggable.
    viewer = _user("viewer")
    assert api.put(f"/api/v1/ledgers/{lid}/permissions", {"rules": [
        {"subject": {"everyone": True}, "rights": ["view", "edit"]}]}).status == 200
    fresh = _records(api, lid)["机"]
    resp = _move(viewer, lid, fresh, "承認済")
    assert resp.status_code == 403 and resp.json()["error"]["code"] == "action_not_allowed"
    assert _records(api, lid)["机"]["revision"] == fresh["revision"]
    html = viewer.get(f"/ledgers/{lid}/kanban").content.decode()
    assert 'draggable="true"' not in html  # the edit right alone moves no card
    # A card of a ledger one may not see at all.
    outsider = _user("outsider")
    assert api.put(f"/api/v1/ledgers/{lid}/permissions", {"rules": []}).status == 200
    assert _move(outsider, lid, fresh, "承認済").status_code == 404


def test_an_action_that_needs_a_comment(web: Client, api: ApiClient, led: dict[str, Any]) -> None:
    lid = led["id"]
    chair = _records(api, lid)["椅子"]
    resp = _move(web, lid, chair, "差戻し")
    assert resp.status_code == 400 and resp.json()["error"]["code"] == "comment_required"
    resp = _move(web, lid, chair, "差戻し", comment="見積書を添付してください")
    assert resp.status_code == 200 and resp.json()["to"] == "差戻し"
    trail = api.get(f"/api/v1/ledgers/{lid}/records/{chair['id']}/history").body["items"][0]
    assert trail["changes"]["status"]["comment"] == "見積書を添付してください"
    chair = _records(api, lid)["椅子"]
    assert _move(web, lid, chair, "承認待ち", comment=["x"]).json()["error"]["code"] == \
        "invalid_comment"


def test_a_partial_approval_leaves_the_card(api: ApiClient, led: dict[str, Any]) -> None:
    lid = led["id"]
    chief1, chief2 = _user("chief1", roles=["課長"]), _user("chief2", roles=["課長"])
    assert api.put(f"/api/v1/ledgers/{lid}/permissions", {"rules": [
        {"subject": {"role": "課長"}, "rights": ["view"]}]}).status == 200
    chair = _records(api, lid)["椅子"]
    html = chief1.get(f"/ledgers/{lid}/kanban").content.decode()
    assert html.count('draggable="true"') == 1 and "椅子" in _column(html, "承認待ち")
    resp = _move(chief1, lid, chair, "承認済")
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert body["to"] == "承認待ち" and body["revision"] == chair["revision"]
    assert "合議承認 1/2" in body["message"]
    assert body["movable"] is False  # chief1 approved already; waits for the others
    resp = _move(chief2, lid, chair, "承認済")
    assert resp.json()["to"] == "承認済" and resp.json()["revision"] == chair["revision"] + 1


def test_the_status_board_costs_a_query_per_column(web: Client, api: ApiClient,
                                                   led: dict[str, Any],
                                                   django_assert_max_num_queries: Any) -> None:
    lid = led["id"]
    create = [{"values": {"name": f"品{i:02d}"}} for i in range(40)]
    assert api.post(f"/api/v1/ledgers/{lid}/records/bulk", {"create": create}).status == 200
    web.get(f"/ledgers/{lid}/kanban")
    # The aggregate, one page per status, the cards' full rows once: not a query per card.
    with django_assert_max_num_queries(20):
        web.get(f"/ledgers/{lid}/kanban")


def test_a_board_by_status_is_a_saved_view(web: Client, led: dict[str, Any]) -> None:
    from daicho.web.models import SavedView

    lid = led["id"]
    resp = web.post(f"/ledgers/{lid}/views/save", {
        "name": "申請の流れ", "mode": "new", "board_kind": "kanban", "board_field": "status",
        "board_card": ["kind"], "then": "kanban"})
    assert resp.status_code == 302
    view = SavedView.objects.get(name="申請の流れ")
    assert view.board == {"kind": "kanban", "field": "status", "cards": ["kind"]}
    html = web.get(f"/ledgers/{lid}/kanban?view={view.id}").content.decode()
    assert re.findall(r'<section class="kanban-col" data-key="([^"]*)"', html)[0] == "未処理"
