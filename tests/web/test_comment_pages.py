"""The record page's comments through Django's test client: posting, mentions highlighted, a
refused comment keeps its text, edit and delete by the author, the history page with the
comments among the revisions, the `@` type-ahead offering only people who may see the record."""

from __future__ import annotations

import re
from typing import Any

from django.test import Client

from tests.conftest import ApiClient, make_ledger


def _setup(api: ApiClient, make_client: Any) -> tuple[int, int, str]:
    lid = make_ledger(api, "備品台帳")["id"]
    rid = api.post(f"/api/v1/ledgers/{lid}/records", {"values": {"name": "公用車"}}).body["id"]
    make_client("yamada", name="山田花子")
    make_client("outsider", name="部外者")
    # yamada may view every record, outsider only their own (none).
    api.put(f"/api/v1/ledgers/{lid}/permissions", {"rules": [
        {"subject": {"user": "yamada"}, "rights": ["view"]},
        {"subject": {"user": "outsider"}, "rights": ["view"], "records": {"creator": True}}]})
    return lid, rid, f"/ledgers/{lid}/records/{rid}/"


def test_post_a_comment_and_see_it_with_its_mention(web: Client, api: ApiClient,
                                                     make_client: Any) -> None:
    _lid, _rid, url = _setup(api, make_client)
    html = web.get(url).content.decode()
    assert 'id="comments"' in html and 'id="no-comments"' in html
    resp = web.post(url + "comments/", {"text": "@山田花子 さん <b>確認</b>\nお願いします @outsider"})
    assert resp.status_code == 302
    assert re.search(r"#comment-\d+$", resp["Location"])
    html = web.get(url).content.decode()
    assert '<mark class="mention" title="山田花子 (yamada)">@山田花子</mark>' in html
    assert "&lt;b&gt;確認&lt;/b&gt;<br>お願いします @outsider" in html  # escaped, not a mention
    assert "was not notified: this user cannot see this record" in html


def test_a_refused_comment_keeps_what_was_typed(web: Client, api: ApiClient,
                                                make_client: Any) -> None:
    lid, rid, url = _setup(api, make_client)
    long = "長" * 4001
    resp = web.post(url + "comments/", {"text": long})
    assert resp.status_code == 302 and resp["Location"].endswith("#comment-text")
    html = web.get(url).content.decode()
    assert "at most 4000 characters" in html and long in html
    assert api.get(f"/api/v1/ledgers/{lid}/records/{rid}/comments").body["items"] == []
    assert long not in web.get(url).content.decode()  # the draft is given back once


def test_edit_and_delete_own_comment_and_the_history_page(web: Client, api: ApiClient,
                                                          make_client: Any) -> None:
    lid, rid, url = _setup(api, make_client)
    api.patch(f"/api/v1/ledgers/{lid}/records/{rid}", {"revision": 1, "values": {"amount": 5}})
    web.post(url + "comments/", {"text": "最初の文"})
    cid = api.get(f"/api/v1/ledgers/{lid}/records/{rid}/comments").body["items"][0]["id"]
    assert f'action="/ledgers/{lid}/records/{rid}/comments/{cid}/edit"' in web.get(url).content.decode()
    assert web.post(url + f"comments/{cid}/edit", {"text": "直した文"}).status_code == 302
    assert "(edited)" in web.get(url).content.decode()
    assert web.post(url + f"comments/{cid}/delete").status_code == 302
    html = web.get(url).content.decode()
    assert "This comment was deleted" in html and "直した文" not in html
    history = web.get(url + "history").content.decode()
    # Newest first, comments among the revisions; the deleted text is still readable.
    order = [history.index(s) for s in ("Comment deleted", "Comment changed", "最初の文",
                                        "Revision 2", "Revision 1")]
    assert order == sorted(order)
    assert "直した文" in history


def test_others_see_no_edit_and_cannot_change(web: Client, api: ApiClient,
                                              make_client: Any) -> None:
    lid, rid, url = _setup(api, make_client)
    from django.contrib.auth import get_user_model

    other = Client()
    other.force_login(get_user_model().objects.get(username="yamada"))
    other.cookies["django_language"] = "en"
    web.post(url + "comments/", {"text": "管理者の文"})
    cid = api.get(f"/api/v1/ledgers/{lid}/records/{rid}/comments").body["items"][0]["id"]
    assert "/edit" not in other.get(url).content.decode().split('id="comments"')[1]
    other.post(url + f"comments/{cid}/edit", {"text": "乗っ取り"})
    assert "Only the person who wrote a comment" in other.get(url).content.decode()
    assert api.get(f"/api/v1/ledgers/{lid}/records/{rid}/comments").body["items"][0]["text"] \
        == "管理者の文"
    # Whoever may not see the record gets 404 everywhere.
    outsider = Client()
    outsider.force_login(get_user_model().objects.get(username="outsider"))
    assert outsider.post(url + "comments/", {"text": "x"}).status_code == 404
    assert outsider.get(url + "comments/mentions?q=").status_code == 404


def test_the_type_ahead_offers_only_people_who_may_see_the_record(
        web: Client, api: ApiClient, make_client: Any) -> None:
    _lid, _rid, url = _setup(api, make_client)
    found = web.get(url + "comments/mentions?q=").json()["items"]
    assert [i["value"] for i in found] == ["admin", "yamada"]
    assert web.get(url + "comments/mentions?q=山田").json()["items"] == [
        {"value": "yamada", "label": "山田花子", "detail": "yamada"}]
    assert web.get(url + "comments/mentions?q=部外").json()["items"] == []


def test_the_type_ahead_finds_a_department_among_many_users(web: Client, api: ApiClient) -> None:
    """A ledger one department may view, in a city of hundreds of users: the people of that
    department are offered, whatever their place in the alphabet, in a bounded number of
    queries (the users' departments and roles are read for 200 users at a time)."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from daicho.models import Org, Profile
    from daicho.services.accounts import create_user

    Org.objects.create(code="210", name="生活福祉課")
    users = get_user_model().objects.bulk_create(
        [get_user_model()(username=f"user{n:03d}") for n in range(450)])
    Profile.objects.bulk_create([Profile(user=u, name=f"職員{u.username[4:]}") for u in users])
    create_user(login="zz-fukushi", name="福祉 次郎", org="210")
    lid = make_ledger(api, "生活保護台帳")["id"]
    rid = api.post(f"/api/v1/ledgers/{lid}/records", {"values": {"name": "案件"}}).body["id"]
    api.put(f"/api/v1/ledgers/{lid}/permissions", {"rules": [
        {"subject": {"org": "210"}, "rights": ["view"]}]})
    url = f"/ledgers/{lid}/records/{rid}/comments/mentions?q="
    with CaptureQueriesContext(connection) as queries:
        found = web.get(url).json()["items"]
    assert [i["value"] for i in found] == ["admin", "zz-fukushi"]
    assert len(queries) < 30, [q["sql"][:80] for q in queries.captured_queries]
    assert [i["value"] for i in web.get(url + "福祉").json()["items"]] == ["zz-fukushi"]
