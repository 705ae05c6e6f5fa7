"""Names instead of ids (issue 14, point 2) through the page endpoints: link titles, people and
department names in the grid; typed names saved as what they name; the display field option;
and the permission gate — a title is never shown, suggested or matched for a record, ledger or
field the user may not see. One query per kind per page, however many rows."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.conftest import ApiClient, make_ledger


@pytest.fixture
def world(api: ApiClient) -> dict[str, Any]:
    from daicho.models import Org

    Org.objects.create(code="310", name="公園緑地課")
    Org.objects.create(code="320", name="道路課")
    target = make_ledger(api, "施設", [{"name": "施設名", "type": "text", "code": "name"},
                                       {"name": "地区", "type": "text", "code": "area"}])
    made = api.post(f"/api/v1/ledgers/{target['id']}/records/bulk", {"create": [
        {"values": {"name": "中央公民館", "area": "中央"}},
        {"values": {"name": "北公民館", "area": "北"}},
        {"values": {"name": "北公園", "area": "北"}}]}).body["created"]
    ids = {r["values"]["name"]: r["id"] for r in made}
    source = make_ledger(api, "点検", [
        {"name": "件名", "type": "text", "code": "title"},
        {"name": "施設", "type": "link", "code": "site", "options": {"ledger": target["id"]}},
        {"name": "担当", "type": "user", "code": "owner"},
        {"name": "課", "type": "org", "code": "section"}])
    rec = api.post(f"/api/v1/ledgers/{source['id']}/records", {"values": {
        "title": "春", "site": ids["中央公民館"], "owner": "admin", "section": "320"}}).body
    return {"target": target["id"], "source": source["id"], "ids": ids, "rid": rec["id"]}


def _post(client: Client, path: str, body: Any) -> Any:
    return client.post(path, json.dumps(body), content_type="application/json")


def _client(login: str, name: str = "") -> Client:
    from daicho.services.accounts import create_user

    client = Client()
    client.force_login(create_user(login=login, name=name or login))
    client.cookies["django_language"] = "en"
    return client


def _cell(html: str, code: str) -> str:
    found = re.search(rf'<td data-code="{code}"[^>]*>(.*?)</td>', html)
    assert found, html[:2000]
    return re.sub(r"<[^>]+>", "", found.group(1))


def _save(client: Client, api: ApiClient, w: dict[str, Any], values: dict[str, Any]) -> Any:
    rev = api.get(f"/api/v1/ledgers/{w['source']}/records/{w['rid']}").body["revision"]
    return _post(client, f"/ledgers/{w['source']}/save",
                 {"update": [{"id": w["rid"], "revision": rev, "values": values}]})


def _site(api: ApiClient, w: dict[str, Any]) -> Any:
    return api.get(f"/api/v1/ledgers/{w['source']}/records/{w['rid']}").body["values"]["site"]


def test_grid_cells_show_titles_and_names(web: Client, world: dict[str, Any]) -> None:
    html = web.get(f"/ledgers/{world['source']}/").content.decode()
    assert _cell(html, "site") == "中央公民館"
    assert _cell(html, "owner") == "管理者"
    assert _cell(html, "section") == "道路課"
    assert f'data-text="{world["ids"]["中央公民館"]}" data-label="中央公民館"' in html


def test_typed_names_are_saved_as_what_they_name(web: Client, api: ApiClient,
                                                 world: dict[str, Any]) -> None:
    w = world
    assert _save(web, api, w, {"site": "北公園"}).status_code == 200  # an exact title
    assert _site(api, w) == w["ids"]["北公園"]
    assert _save(web, api, w, {"site": "ﾁｭｳｵｳ"}).status_code == 400  # no such title
    assert _save(web, api, w, {"site": "中央公"}).status_code == 200  # one title contains it
    assert _site(api, w) == w["ids"]["中央公民館"]
    assert _save(web, api, w, {"site": f"#{w['ids']['北公民館']}"}).status_code == 200
    assert _site(api, w) == w["ids"]["北公民館"]
    resp = _save(web, api, w, {"site": "北", "section": "公園緑地"})  # two titles hold 北
    assert resp.status_code == 400
    problem = resp.json()["error"]["details"]["items"][0]
    assert problem["op"] == "update" and set(problem["fields"]) == {"site"}
    assert "More than one record" in problem["fields"]["site"]
    assert _site(api, w) == w["ids"]["北公民館"]  # nothing saved, not even the department
    assert _save(web, api, w, {"section": "ｺｳｴﾝ"}).status_code == 400  # kana: not a name here
    assert _save(web, api, w, {"section": "公園緑地課", "owner": "かんりしゃ"}).status_code == 400
    assert _save(web, api, w, {"section": "公園緑地課", "owner": "管理者"}).status_code == 200
    record = api.get(f"/api/v1/ledgers/{w['source']}/records/{w['rid']}").body["values"]
    assert record["section"] == "310" and record["owner"] == "admin"
    # The API keeps its contract: ids, logins and codes only.
    resp = api.patch(f"/api/v1/ledgers/{w['source']}/records/{w['rid']}",
                     {"revision": 99, "values": {"site": "北公園"}})
    assert resp.status == 400


def test_the_form_takes_a_typed_name(web: Client, api: ApiClient, world: dict[str, Any]) -> None:
    w = world
    url = f"/ledgers/{w['source']}/records/{w['rid']}/"
    html = web.get(url).content.decode()
    assert 'value="中央公民館"' in html and f'name="v_site__picked" value="{w["ids"]["中央公民館"]}"' in html
    rev = api.get(f"/api/v1/ledgers/{w['source']}/records/{w['rid']}").body["revision"]
    form = {"rev": rev, "v_title": "春", "o_title": "春", "o_site": str(w["ids"]["中央公民館"]),
            "v_site__picked": str(w["ids"]["中央公民館"]), "v_site__label": "中央公民館",
            "o_owner": "admin", "v_owner": "管理者", "v_owner__picked": "admin",
            "v_owner__label": "管理者", "o_section": "320", "v_section": "道路課",
            "v_section__picked": "320", "v_section__label": "道路課"}
    # Untouched: nothing changes (the picked values stand for the names shown).
    assert web.post(url, {**form, "v_site": "中央公民館"}).status_code == 302
    assert api.get(f"/api/v1/ledgers/{w['source']}/records/{w['rid']}").body["revision"] == rev
    resp = web.post(url, {**form, "v_site": "北"})
    assert resp.status_code == 400 and 'id="f-site-error"' in resp.content.decode()
    assert _site(api, w) == w["ids"]["中央公民館"]
    assert web.post(url, {**form, "v_site": "北公民館"}).status_code == 302
    assert _site(api, w) == w["ids"]["北公民館"]


def test_display_field_option(web: Client, api: ApiClient, world: dict[str, Any]) -> None:
    w = world
    base = f"/api/v1/ledgers/{w['source']}/fields/site"
    bad = api.patch(base, {"options": {"ledger": w["target"], "display_field": "nope"}})
    assert bad.status == 400 and "display_field" in bad.body["error"]["message"]
    ok = api.patch(base, {"options": {"ledger": w["target"], "display_field": "area"}})
    assert ok.status == 200, ok.body
    assert _cell(web.get(f"/ledgers/{w['source']}/").content.decode(), "site") == "中央"
    items = web.get(f"/ledgers/{w['source']}/fields/site/pick", {"q": "北"}).json()["items"]
    assert {i["label"] for i in items} == {"北"}
    # The designer offers the linked ledger's fields.
    html = web.get(f"/ledgers/{w['source']}/fields/").content.decode()
    assert 'name="opt:link:display_field"' in html and '<option value="area" selected>' in html


def test_the_gate_hides_titles_and_suggestions(api: ApiClient, world: dict[str, Any]) -> None:
    w = world
    api.put(f"/api/v1/ledgers/{w['source']}/permissions", {"rules": [
        {"subject": {"everyone": True}, "rights": ["view", "add", "edit"]}]})
    api.put(f"/api/v1/ledgers/{w['target']}/permissions", {"rules": [
        {"subject": {"everyone": True}, "rights": ["view"], "records": {"filter": "area:eq:北"}}]})
    bob = _client("bob", "ボブ")
    hidden_id = w["ids"]["中央公民館"]
    html = bob.get(f"/ledgers/{w['source']}/").content.decode()
    assert "中央公民館" not in html and _cell(html, "site") == f"#{hidden_id}"
    items = bob.get(f"/ledgers/{w['source']}/fields/site/pick", {"q": "公民館"}).json()["items"]
    assert [i["label"] for i in items] == ["北公民館"]
    assert bob.get(f"/ledgers/{w['source']}/fields/site/pick", {"q": str(hidden_id)}) \
        .json()["items"] == []
    # A title of a record hidden from bob matches nothing; he may pick the ones he sees.
    assert _save(bob, api, w, {"site": "中央公民館"}).status_code == 400
    assert _save(bob, api, w, {"site": "北公園"}).status_code == 200
    # The history page names only what he may see.
    text = bob.get(f"/ledgers/{w['source']}/records/{w['rid']}/history").content.decode()
    assert "北公園" in text and "中央公民館" not in text and f"#{hidden_id}" in text

    # The display field hidden from him: ids only, in cells and suggestions alike.
    api.put(f"/api/v1/ledgers/{w['target']}/permissions", {"rules": [
        {"subject": {"everyone": True}, "rights": ["view"], "fields": {"name": "hidden"}}]})
    html = bob.get(f"/ledgers/{w['source']}/").content.decode()
    assert "北公園" not in html and _cell(html, "site") == f"#{w['ids']['北公園']}"
    items = bob.get(f"/ledgers/{w['source']}/fields/site/pick", {"q": "北"}).json()["items"]
    assert items and all(i["label"].startswith("#") for i in items)
    # The linked ledger not visible at all: no titles, no suggestions (404).
    api.put(f"/api/v1/ledgers/{w['target']}/permissions", {"rules": []})
    assert "北公園" not in bob.get(f"/ledgers/{w['source']}/").content.decode()
    assert bob.get(f"/ledgers/{w['source']}/fields/site/pick", {"q": "北"}).status_code == 404


def test_people_and_department_pickers(web: Client, api: ApiClient) -> None:
    from daicho.models import Org

    Org.objects.create(code="410", name="ｿｳﾑ課")
    _client("yamada", "山田　太郎")
    assert [i["value"] for i in web.get("/pick/users", {"q": "山田太郎"}).json()["items"]] == \
        ["yamada"]
    assert [i["value"] for i in web.get("/pick/orgs", {"q": "そうむ"}).json()["items"]] == ["410"]
    assert Client().get("/pick/users", {"q": "山田"}).status_code in (302, 401)


def test_one_query_per_kind_whatever_the_rows(web: Client, api: ApiClient,
                                              world: dict[str, Any]) -> None:
    w = world

    def queries() -> int:
        with CaptureQueriesContext(connection) as done:
            assert web.get(f"/ledgers/{w['source']}/").status_code == 200
        return len(done)

    queries()  # the first visit also files the ledger among the user's recent ones
    few = queries()
    api.post(f"/api/v1/ledgers/{w['source']}/records/bulk", {"create": [
        {"values": {"title": f"点検{i}", "site": list(w["ids"].values())[i % 3],
                    "owner": "admin", "section": "310" if i % 2 else "320"}} for i in range(30)]})
    assert queries() == few


def test_filter_chips_and_popup_name_the_values(web: Client, world: dict[str, Any]) -> None:
    w = world
    site = w["ids"]["中央公民館"]
    html = web.get(f"/ledgers/{w['source']}/", {"s": "1", "filter": [
        f"site:eq:{site}", "owner:eq:admin", "section:in:310,320"]}).content.decode()
    chips = " ".join(re.findall(r'class="chip[^"]*"[^>]*>(.*?)</', html, re.S))
    assert "中央公民館" in chips and "管理者" in chips and "公園緑地課、道路課" in chips, chips
    popup = web.get(f"/ledgers/{w['source']}/fields/site/filter").content.decode()
    assert "中央公民館" in popup
