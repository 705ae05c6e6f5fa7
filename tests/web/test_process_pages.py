"""The process screens in process (Django's test client): the designer saves through the API's
writer and shows its errors next to the row, the record page's status panel and its buttons,
"waiting for me" on the home page, and the delegation form."""

from __future__ import annotations

from typing import Any

from tests.conftest import ApiClient, make_ledger
from tests.web.conftest import html_has_no_inline_code

PROCESS = {"enabled": True, "statuses": ["未処理", "承認待ち", "承認済"], "initial": "未処理",
           "actions": [{"name": "申請", "from": "未処理", "to": "承認待ち", "by": {"creator": True}},
                       {"name": "承認", "from": "承認待ち", "to": "承認済",
                        "by": {"user": "admin"}, "comment_required": True}]}


def _form(**rows: Any) -> dict[str, Any]:
    data = {"enabled": "on", "statuses": "未処理\n承認待ち\n承認済", "initial": "未処理",
            "rows": "2", "a0-name": "申請", "a0-from": "未処理", "a0-to": "承認待ち",
            "a0-by": "creator", "a1-name": "承認", "a1-from": "承認待ち", "a1-to": "承認済",
            "a1-by": "user", "a1-value": "admin", "a1-mode": "any", "a1-comment": "on"}
    data.update(rows)
    return data


def test_the_designer_saves_and_draws(web: Any, api: ApiClient) -> None:
    lid = make_ledger(api, "申請台帳")["id"]
    page = web.get(f"/ledgers/{lid}/process")
    assert page.status_code == 200 and b"process-form" in page.content
    saved = web.post(f"/ledgers/{lid}/process", _form())
    assert saved.status_code == 302
    process = api.get(f"/api/v1/ledgers/{lid}/process").body
    assert process["enabled"] and process["actions"] == PROCESS["actions"]
    page = web.get(f"/ledgers/{lid}/process")
    html = page.content.decode()
    assert "<svg" in html and "申請" in html and 'class="status initial"' in html
    assert html_has_no_inline_code(html) == []


def test_the_designer_shows_the_reason_of_a_refusal(web: Any, api: ApiClient) -> None:
    lid = make_ledger(api, "申請台帳")["id"]
    refused = web.post(f"/ledgers/{lid}/process", _form(**{"a1-to": "完了"}))
    assert refused.status_code == 400
    html = refused.content.decode()
    assert 'id="error-summary"' in html and "完了" in html and 'class="has-error"' in html
    assert api.get(f"/api/v1/ledgers/{lid}/process").body["version"] == 0


def test_only_managers_open_the_designer(api: ApiClient, make_client: Any) -> None:
    from django.contrib.auth import get_user_model
    from django.test import Client

    lid = make_ledger(api, "申請台帳")["id"]
    make_client("clerk")
    api.put(f"/api/v1/ledgers/{lid}/permissions", {"rules": [
        {"subject": {"everyone": True}, "rights": ["view"]}]})
    client = Client()
    client.force_login(get_user_model().objects.get(username="clerk"))
    assert client.get(f"/ledgers/{lid}/process").status_code == 403
    assert client.post(f"/ledgers/{lid}/process", _form()).status_code == 403


def test_record_panel_buttons_and_trail(web: Any, api: ApiClient) -> None:
    lid = make_ledger(api, "申請台帳")["id"]
    api.put(f"/api/v1/ledgers/{lid}/process", PROCESS)
    rid = api.post(f"/api/v1/ledgers/{lid}/records", {"values": {"name": "備品"}}).body["id"]
    page = web.get(f"/ledgers/{lid}/records/{rid}/").content.decode()
    assert 'id="record-status">未処理<' in page and 'data-action="申請"' in page
    moved = web.post(f"/ledgers/{lid}/records/{rid}/action",
                     {"action": "申請", "rev": "1", "comment": "よろしく"}, follow=True)
    html = moved.content.decode()
    assert 'id="record-status">承認待ち<' in html and "よろしく" in html
    assert 'id="process-trail"' in html and 'required' in html  # 承認 needs a comment
    history = web.get(f"/ledgers/{lid}/records/{rid}/history").content.decode()
    assert "Status changed" in history and "承認待ち" in history
    # Without its comment the action is refused, with the reason, and nothing moves.
    refused = web.post(f"/ledgers/{lid}/records/{rid}/action",
                       {"action": "承認", "rev": "2"}, follow=True).content.decode()
    assert "comment" in refused.lower() and 'id="record-status">承認待ち<' in refused
    stale = web.post(f"/ledgers/{lid}/records/{rid}/action",
                     {"action": "申請", "rev": "1"}, follow=True).content.decode()
    assert 'id="record-status">承認待ち<' in stale and "error" in stale


def _waiting(web: Any) -> str:
    home = web.get("/").content.decode()
    return home.split('id="waiting-for-me"', 1)[1].split("</section>", 1)[0]


def test_waiting_for_me_on_the_home_page(web: Any, api: ApiClient) -> None:
    lid = make_ledger(api, "申請台帳")["id"]
    api.put(f"/api/v1/ledgers/{lid}/process", PROCESS)
    rid = api.post(f"/api/v1/ledgers/{lid}/records", {"values": {"name": "机の購入"}}).body["id"]
    assert "机の購入" in _waiting(web)  # the creator: 申請
    api.post(f"/api/v1/ledgers/{lid}/records/{rid}/actions", {"action": "申請", "revision": 1})
    assert "机の購入" in _waiting(web)  # admin approves: 承認
    api.post(f"/api/v1/ledgers/{lid}/records/{rid}/actions",
             {"action": "承認", "revision": 2, "comment": "可"})
    assert "机の購入" not in _waiting(web)


def test_delegation_page(web: Any, make_client: Any, api: ApiClient) -> None:
    make_client("deputy")
    assert web.get("/process/delegation").status_code == 200
    saved = web.post("/process/delegation", {"delegate": "deputy", "from": "2030-01-01",
                                             "until": "2030-01-10"})
    assert saved.status_code == 302
    assert api.get("/api/v1/me/delegation").body == {"delegate": "deputy", "from": "2030-01-01",
                                                     "until": "2030-01-10"}
    refused = web.post("/process/delegation", {"delegate": "deputy", "from": "2030-01-10",
                                               "until": "2030-01-01"})
    assert refused.status_code == 400 and b"error-summary" in refused.content
    web.post("/process/delegation", {"remove": "1"})
    assert api.get("/api/v1/me/delegation").body["delegate"] is None


def test_waiting_for_me_costs_the_same_for_more_records(web: Any, api: ApiClient) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    lid = make_ledger(api, "申請台帳")["id"]
    api.put(f"/api/v1/ledgers/{lid}/process", PROCESS)
    base = f"/api/v1/ledgers/{lid}/records"

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert web.get("/").status_code == 200
        return len(queries.captured_queries)

    # 20 records fill the home page's recent changes (15 rows, read one by one) already.
    api.post(f"{base}/bulk", {"create": [{"values": {"name": f"申請{i}"}} for i in range(20)]})
    few = count()
    api.post(f"{base}/bulk", {"create": [{"values": {"name": f"申請{i}"}} for i in range(30)]})
    assert count() == few


def test_a_long_waiting_list_shows_eight_and_folds_the_rest(web: Any, api: ApiClient) -> None:
    lid = make_ledger(api, "申請台帳")["id"]
    api.put(f"/api/v1/ledgers/{lid}/process", PROCESS)
    api.post(f"/api/v1/ledgers/{lid}/records/bulk", {"create": [
        {"values": {"name": f"申請{i}"}} for i in range(11)]})
    panel = _waiting(web)
    shown, folded = panel.split('<details class="waiting-more">', 1)
    assert shown.count("<li>") == 8 and folded.count("<li>") == 3
    assert "3 more" in folded  # the page is in English in these tests
