"""Issue 16, calendar and kanban views (daicho.web.boards): only the shown period is read, the
view's filters apply, a kanban pages per column, a move is the normal writer with the card's
revision (history, conflicts, record rules), only records the person may see and no drag
without the edit right, and both are saved views. Through the pages' own endpoints."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client

from tests.conftest import ApiClient, make_ledger
from tests.web.conftest import html_has_no_inline_code

FIELDS = [
    {"name": "件名", "type": "text", "code": "title"},
    {"name": "返却予定日", "type": "date", "code": "due", "options": {"wareki": True}},
    {"name": "開始", "type": "datetime", "code": "start"},
    {"name": "状態", "type": "choice", "code": "state", "options": {"choices": ["申請", "貸出中", "返却済"]}},
    {"name": "担当課", "type": "org", "code": "dept"},
]


@pytest.fixture
def led(api: ApiClient) -> dict[str, Any]:
    from daicho.models import Org

    Org.objects.create(code="110", name="総務課")
    Org.objects.create(code="210", name="福祉課")
    led = make_ledger(api, "貸出物品台帳", FIELDS)
    rows = [
        ("プロジェクター", "2024-03-31", "2024-04-01T09:30:00+09:00", "申請", "110"),
        ("テント", "2024-04-10", "2024-04-10T23:30:00+09:00", "貸出中", "210"),
        ("長机", "2024-04-10", None, "貸出中", "110"),
        ("マイク", "2024-05-20", None, "返却済", "210"),
        ("<b>椅子</b>", None, None, None, "110"),
    ]
    create = [{"values": {"title": t, "due": d, "start": s, "state": k, "dept": o}}
              for t, d, s, k, o in rows]
    assert api.post(f"/api/v1/ledgers/{led['id']}/records/bulk", {"create": create}).status == 200
    return led


def _ids(api: ApiClient, lid: int) -> dict[str, dict[str, Any]]:
    items = api.get(f"/api/v1/ledgers/{lid}/records", {"sort": "id"}).body["items"]
    return {r["values"]["title"]: r for r in items}


def _cards(html: str) -> list[str]:
    return re.findall(r'<a class="card-title" href="[^"]*" draggable="false">'
                      r'(?:<span class="card-time">[^<]*</span> )?([^<]*)<', html)


def _day(html: str, day: str) -> str:
    found = re.search(rf'data-day="{day}">(.*?)</td>', html, re.S)
    assert found, day
    return found.group(1)


def _move(client: Client, lid: int, body: dict[str, Any]) -> Any:
    return client.post(f"/ledgers/{lid}/board/move", json.dumps(body),
                       content_type="application/json")


def _user(login: str, **kwargs: Any) -> Client:
    from daicho.services.accounts import create_user

    client = Client()
    client.force_login(create_user(login=login, **kwargs))
    client.cookies["django_language"] = "en"
    return client


def test_the_calendar_shows_the_month_around_the_day(web: Client, led: dict[str, Any]) -> None:
    lid = led["id"]
    html = web.get(f"/ledgers/{lid}/calendar?field=due&at=2024-04-15").content.decode()
    assert 'id="calendar-tab"' in html and 'id="kanban-tab"' in html
    # April 2024 in whole weeks from Sunday: 3/31 … 5/4; 5/20 is not read.
    assert 'data-day="2024-03-31"' in html and 'data-day="2024-05-04"' in html
    assert 'data-day="2024-03-30"' not in html and 'data-day="2024-05-05"' not in html
    assert _cards(_day(html, "2024-03-31")) == ["プロジェクター"]
    assert sorted(_cards(_day(html, "2024-04-10"))) == ["テント", "長机"]
    assert "マイク" not in html
    assert "&lt;b&gt;椅子&lt;/b&gt;" not in html  # no date: not on the calendar
    assert "2024/4（令和6年4月）" in html  # the field shows 和暦, so the heading does
    assert "at=2024-03-01" in html and "at=2024-05-01" in html  # previous and next month
    assert html_has_no_inline_code(html) == []
    assert html_has_no_inline_code(web.get(f"/ledgers/{lid}/kanban").content.decode()) == []


def test_a_week_and_a_date_time_field(web: Client, led: dict[str, Any]) -> None:
    lid = led["id"]
    html = web.get(f"/ledgers/{lid}/calendar?field=start&mode=week&at=2024-04-10").content.decode()
    assert 'data-day="2024-04-07"' in html and 'data-day="2024-04-13"' in html
    assert 'data-day="2024-04-14"' not in html
    # 23:30 Tokyo time is on the 10th, though it is the 10th 14:30 in UTC.
    assert re.search(r'<span class="card-time">23:30</span> テント', _day(html, "2024-04-10"))
    assert "プロジェクター" not in html  # 4/1 is the week before


def test_the_views_filters_apply_and_only_the_period_is_read(web: Client, led: dict[str, Any],
                                                             django_assert_max_num_queries: Any
                                                             ) -> None:
    lid = led["id"]
    html = web.get(f"/ledgers/{lid}/calendar?s=1&filter=state:eq:貸出中&field=due&at=2024-04-01"
                   ).content.decode()
    assert sorted(_cards(html)) == ["テント", "長机"]
    assert "貸出中" in html  # the filter's chip
    # Pinned: the calendar reads the shown days in one query (and SQLite's count probe);
    # the kanban one aggregate and one page per column; names and rights once per page.
    web.get(f"/ledgers/{lid}/kanban")
    with django_assert_max_num_queries(14):
        web.get(f"/ledgers/{lid}/calendar?field=due&at=2024-04-01")
    with django_assert_max_num_queries(16):
        web.get(f"/ledgers/{lid}/kanban")


def test_no_date_field_no_calendar(web: Client, api: ApiClient) -> None:
    led = make_ledger(api, "名簿", [{"name": "氏名", "type": "text", "code": "name"}])
    html = web.get(f"/ledgers/{led['id']}/").content.decode()
    assert 'id="calendar-tab"' not in html and 'id="kanban-tab"' not in html
    html = web.get(f"/ledgers/{led['id']}/calendar").content.decode()
    assert 'id="no-board"' in html and 'id="calendar"' not in html


def test_kanban_columns_counts_and_unset(web: Client, led: dict[str, Any]) -> None:
    html = web.get(f"/ledgers/{led['id']}/kanban").content.decode()
    columns = re.findall(r'<section class="kanban-col" data-key="([^"]*)"', html)
    assert columns == ["申請", "貸出中", "返却済", ""]
    counts = re.findall(r'<span class="col-count"[^>]*>(\d+)</span>', html)
    assert counts == ["1", "2", "1", "1"]
    assert "Not set" in html
    assert "&lt;b&gt;椅子&lt;/b&gt;" in html and "<b>椅子</b>" not in html
    # The first fields besides the title and the column's own show on the card: 返却予定日 in 和暦.
    assert "令和6年4月10日" in html


def test_a_kanban_column_pages_by_fifty(web: Client, api: ApiClient, led: dict[str, Any]) -> None:
    lid = led["id"]
    create = [{"values": {"title": f"品{i:03d}", "state": "申請"}} for i in range(60)]
    assert api.post(f"/api/v1/ledgers/{lid}/records/bulk", {"create": create}).status == 200
    html = web.get(f"/ledgers/{lid}/kanban").content.decode()
    column = re.search(r'data-key="申請"(.*?)</section>', html, re.S).group(1)  # type: ignore[union-attr]
    assert len(_cards(column)) == 50 and ">61<" in column
    more = re.search(r'data-more-url="([^"]*)"', column).group(1).replace("&amp;", "&")  # type: ignore[union-attr]
    body = web.get(more).json()
    assert len(_cards(body["html"])) == 11 and body["more"] == ""
    assert web.get(f"/ledgers/{lid}/kanban/column?col=申請").status_code == 400


def test_a_move_is_an_edit_with_history(web: Client, api: ApiClient, led: dict[str, Any]) -> None:
    lid = led["id"]
    rec = _ids(api, lid)["テント"]
    resp = _move(web, lid, {"kind": "kanban", "field": "state", "record": rec["id"],
                            "revision": rec["revision"], "to": "返却済"})
    assert resp.status_code == 200, resp.content
    assert resp.json() == {"id": rec["id"], "revision": rec["revision"] + 1, "to": "返却済"}
    history = api.get(f"/api/v1/ledgers/{lid}/records/{rec['id']}/history").body["items"]
    assert history[0]["action"] == "update"
    assert history[0]["changes"] == {"state": {"old": "貸出中", "new": "返却済"}}
    # To 「未設定」, and a date-time to another day keeps its time of day.
    resp = _move(web, lid, {"kind": "kanban", "field": "state", "record": rec["id"],
                            "revision": rec["revision"] + 1, "to": ""})
    assert resp.json()["to"] == ""
    resp = _move(web, lid, {"kind": "calendar", "field": "start", "record": rec["id"],
                            "revision": rec["revision"] + 2, "to": "R6.4.12"})
    assert resp.status_code == 200, resp.content
    assert resp.json()["to"] == "2024-04-12"
    after = api.get(f"/api/v1/ledgers/{lid}/records/{rec['id']}").body["values"]
    assert after["start"] == "2024-04-12T23:30:00+09:00" and after["state"] is None


def test_a_stale_card_is_a_conflict_and_bad_moves_write_nothing(web: Client, api: ApiClient,
                                                                 led: dict[str, Any]) -> None:
    lid = led["id"]
    rec = _ids(api, lid)["長机"]
    assert api.patch(f"/api/v1/ledgers/{lid}/records/{rec['id']}",
                     {"revision": rec["revision"], "values": {"due": "2024-04-11"}}).status == 200
    resp = _move(web, lid, {"kind": "calendar", "field": "due", "record": rec["id"],
                            "revision": rec["revision"], "to": "2024-04-20"})
    assert resp.status_code == 409 and resp.json()["error"]["code"] == "conflict"
    # Another field changed since the card was drawn: merged, as the writer merges.
    resp = _move(web, lid, {"kind": "kanban", "field": "state", "record": rec["id"],
                            "revision": rec["revision"], "to": "申請"})
    assert resp.status_code == 200
    bad = [
        ({"kind": "calendar", "field": "due", "record": rec["id"], "revision": 3, "to": "H32.13.1"},
         400, "invalid_move"),
        ({"kind": "kanban", "field": "state", "record": rec["id"], "revision": 3, "to": "なし"},
         400, "invalid_values"),
        ({"kind": "kanban", "field": "title", "record": rec["id"], "revision": 3, "to": "x"},
         400, "invalid_board"),
        ({"kind": "board", "field": "state", "record": rec["id"], "revision": 3, "to": "申請"},
         400, "invalid_move"),
        ({"kind": "kanban", "field": "state", "record": rec["id"], "to": "返却済"}, 400,
         "revision_required"),
        ({"kind": "kanban", "field": "state", "record": 999999, "revision": 1, "to": "申請"},
         404, "not_found"),
        ({"kind": "kanban", "field": "state", "record": rec["id"], "revision": 3, "to": "申請",
          "extra": 1}, 400, None),
        ({"kind": "kanban", "field": "state", "record": "abc", "revision": 3, "to": "申請"},
         404, "not_found"),
        ({"kind": "kanban", "field": "state", "record": [rec["id"]], "revision": 3, "to": "申請"},
         404, "not_found"),
        ({"kind": "kanban", "field": None, "record": rec["id"], "revision": 3, "to": "申請"},
         400, "invalid_board"),
        ({"kind": "calendar", "field": "due", "record": rec["id"], "revision": 3, "to": 20240401},
         400, "invalid_move"),
        ({"kind": "calendar", "field": "due", "record": rec["id"], "revision": "3",
          "to": "2024-04-01"}, 400, "revision_required"),
    ]
    for body, status, code in bad:
        resp = _move(web, lid, body)
        assert resp.status_code == status, (body, resp.content)
        if code:
            assert resp.json()["error"]["code"] == code, (body, resp.content)
    assert api.get(f"/api/v1/ledgers/{lid}/records/{rec['id']}").body["revision"] == 3
    assert web.post(f"/ledgers/{lid}/board/move", "{", content_type="application/json"
                    ).status_code == 400
    assert web.get(f"/ledgers/{lid}/board/move").status_code == 405
    assert web.get(f"/ledgers/{lid}/kanban/column?field=state&col=申請&after=xyz").status_code == 400
    assert web.get(f"/ledgers/{lid}/calendar?at=9999-99-99&mode=year&field=zzz").status_code == 200


def test_only_visible_records_and_no_drag_without_the_edit_right(
        api: ApiClient, led: dict[str, Any]) -> None:
    lid = led["id"]
    viewer, clerk = _user("viewer", org="110"), _user("clerk", org="110")
    rules = [{"subject": {"user": "viewer"}, "rights": ["view"]},
             {"subject": {"user": "clerk"}, "rights": ["view", "edit"],
              "records": {"field_is_my_org": "dept"}}]
    assert api.put(f"/api/v1/ledgers/{lid}/permissions", {"rules": rules}).status == 200
    html = viewer.get(f"/ledgers/{lid}/kanban").content.decode()
    board = re.sub(r"<[^>]+>", "", html.split('id="kanban"')[1])
    assert 'draggable="true"' not in html and "Move" not in board
    assert "may view these records but not move them" in html
    rec = _ids(api, lid)["長机"]
    resp = _move(viewer, lid, {"kind": "kanban", "field": "state", "record": rec["id"],
                               "revision": rec["revision"], "to": "返却済"})
    assert resp.status_code == 403 and resp.json()["error"]["code"] == "move_not_allowed"
    # The clerk sees and moves only the records of their department (総務課).
    html = clerk.get(f"/ledgers/{lid}/calendar?field=due&at=2024-04-01").content.decode()
    assert sorted(_cards(html)) == ["プロジェクター", "長机"]
    assert html.count('draggable="true"') == 2
    tent = _ids(api, lid)["テント"]
    resp = _move(clerk, lid, {"kind": "calendar", "field": "due", "record": tent["id"],
                              "revision": tent["revision"], "to": "2024-04-01"})
    assert resp.status_code == 404
    # A record of their own department moves.
    resp = _move(clerk, lid, {"kind": "kanban", "field": "state", "record": rec["id"],
                              "revision": rec["revision"], "to": "返却済"})
    assert resp.status_code == 200


def test_a_record_rule_that_forbids_the_move(api: ApiClient, led: dict[str, Any]) -> None:
    lid = led["id"]
    clerk = _user("clerk")
    rules = [{"subject": {"user": "clerk"}, "rights": ["view"]},
             {"subject": {"user": "clerk"}, "rights": ["edit"],
              "records": {"filter": "state:ne:返却済"}}]
    assert api.put(f"/api/v1/ledgers/{lid}/permissions", {"rules": rules}).status == 200
    rec = _ids(api, lid)["テント"]
    resp = _move(clerk, lid, {"kind": "kanban", "field": "state", "record": rec["id"],
                              "revision": rec["revision"], "to": "返却済"})
    assert resp.status_code == 403 and resp.json()["error"]["code"] == "outside_record_rules"
    assert _ids(api, lid)["テント"]["revision"] == rec["revision"]
    html = clerk.get(f"/ledgers/{lid}/kanban").content.decode()
    returned = re.search(r'data-key="返却済"(.*?)</section>', html, re.S).group(1)  # type: ignore[union-attr]
    assert "マイク" in returned and 'draggable="true"' not in returned


def test_boards_are_saved_views(web: Client, api: ApiClient, led: dict[str, Any]) -> None:
    from daicho.web.models import SavedView

    lid = led["id"]
    resp = web.post(f"/ledgers/{lid}/views/save", {
        "name": "貸出カレンダー", "mode": "new", "s": "1", "filter": "state:eq:貸出中",
        "board_kind": "calendar", "board_field": "start", "board_mode": "week", "then": "calendar"})
    view = SavedView.objects.get(name="貸出カレンダー")
    assert resp["Location"] == f"/ledgers/{lid}/calendar?view={view.id}"
    assert view.board == {"kind": "calendar", "field": "start", "mode": "week"}
    # Chosen in the list's view menu, it opens as a calendar; the tabs still reach the list.
    resp = web.get(f"/ledgers/{lid}/?view={view.id}")
    assert resp.status_code == 302 and resp["Location"] == f"/ledgers/{lid}/calendar?view={view.id}"
    assert web.get(f"/ledgers/{lid}/?view={view.id}&s=1").status_code == 200
    html = web.get(f"/ledgers/{lid}/calendar?view={view.id}&at=2024-04-10").content.decode()
    assert 'class="calendar mode-week"' in html and _cards(html) == ["テント"]
    resp = web.post(f"/ledgers/{lid}/views/save", {
        "name": "状態ボード", "mode": "new", "board_kind": "kanban", "board_field": "state",
        "board_card": ["dept", "nope"], "then": "kanban"})
    board = SavedView.objects.get(name="状態ボード").board
    assert board == {"kind": "kanban", "field": "state", "cards": ["dept"]}
    html = web.get(resp["Location"]).content.decode()
    assert "総務課" in html and "令和6年4月10日" not in html
    resp = web.post(f"/ledgers/{lid}/views/save", {
        "name": "だめ", "mode": "new", "board_kind": "kanban", "board_field": "title"})
    assert not SavedView.objects.filter(name="だめ").exists()


def test_board_reads_of_a_sensitive_ledger_are_logged(web: Client, api: ApiClient,
                                                      led: dict[str, Any]) -> None:
    from tests.permissions.test_sensitive_reads import _last_seq, _reads

    lid = led["id"]
    assert api.patch(f"/api/v1/ledgers/{lid}", {"sensitive": True}).status == 200
    create = [{"values": {"title": f"品{i:03d}", "state": "申請"}} for i in range(55)]
    assert api.post(f"/api/v1/ledgers/{lid}/records/bulk", {"create": create}).status == 200
    for path in (f"/ledgers/{lid}/calendar?field=due&at=2024-04-01", f"/ledgers/{lid}/kanban"):
        before = _last_seq()
        html = web.get(path).content.decode()
        assert [a for _u, a, _d in _reads(lid, before)] == ["view_list"], path
    more = re.search(r'data-more-url="([^"]*)"', html).group(1).replace("&amp;", "&")  # type: ignore[union-attr]
    before = _last_seq()
    assert web.get(more).status_code == 200
    assert [a for _u, a, _d in _reads(lid, before)] == ["view_list"]
    # A view saved as a board, chosen in the list's menu, is only a redirect: nothing shown.
    from daicho.web.models import SavedView

    view = SavedView.objects.create(ledger_id=lid, name="k", board={"kind": "kanban", "field": "state"})
    before = _last_seq()
    assert web.get(f"/ledgers/{lid}/?view={view.id}").status_code == 302
    assert _reads(lid, before) == []


def test_a_board_whose_field_was_deleted_still_saves_as_a_list(web: Client, api: ApiClient,
                                                               led: dict[str, Any]) -> None:
    from daicho.web.models import SavedView

    lid = led["id"]
    view = SavedView.objects.create(ledger_id=lid, name="状態ボード",
                                    board={"kind": "kanban", "field": "state", "cards": []})
    assert api.delete(f"/api/v1/ledgers/{lid}/fields/state").status == 204
    html = web.get(f"/ledgers/{lid}/kanban?view={view.id}").content.decode()
    assert 'id="no-board"' in html
    resp = web.post(f"/ledgers/{lid}/views/save", {"mode": "update", "view": view.id, "s": "1",
                                                   "sort": "-due"})
    assert resp.status_code == 302 and resp["Location"] == f"/ledgers/{lid}/?view={view.id}"
    view.refresh_from_db()
    assert view.board == {} and view.sort == "-due"


def test_a_filter_that_does_not_fit_is_said_on_the_page(web: Client, led: dict[str, Any]) -> None:
    lid = led["id"]
    for board in ("calendar", "kanban"):
        resp = web.get(f"/ledgers/{lid}/{board}?s=1&filter=nope:eq:1&filter=due:gt:x")
        assert resp.status_code == 200, board
        html = resp.content.decode()
        assert 'class="error-text" role="alert"' in html and "board-card" not in html, board
