"""The home page's ledger list (issue 14 point 9) through Django's test client: a search that
folds width and kana, groups by folder or by the creator's department, the ledgers the user
opened lately (only those the user may still view), and the designer's folder box."""

from __future__ import annotations

import re
from typing import Any

from django.test import Client

from tests.conftest import ApiClient, make_ledger


def _names(html: str) -> list[str]:
    return re.findall(r'class="ledger-link" href="[^"]+">([^<]+)</a>', html)


def _groups(html: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name, body in re.findall(r'<h3 class="ledger-group">([^<]+?) <span[^>]*>\(\d+\)</span></h3>'
                                 r'\s*<ul class="ledger-list">(.*?)</ul>', html, re.S):
        out[name.strip()] = _names(body)
    return out


def test_search_folds_width_and_kana(web: Client, api: ApiClient) -> None:
    make_ledger(api, "トチ台帳")
    make_ledger(api, "ＰＣ管理台帳")
    api.patch(f"/api/v1/ledgers/{make_ledger(api, '会議室')['id']}", {"folder": "総務のとち"})
    html = web.get("/", {"q": "とち"}).content.decode()
    assert sorted(_names(html)) == ["トチ台帳", "会議室"]  # by name and by folder
    assert "2 ledgers match “とち”." in html
    assert _names(web.get("/", {"q": "pc 管理"}).content.decode()) == ["ＰＣ管理台帳"]
    html = web.get("/", {"q": "ない台帳"}).content.decode()
    assert _names(html) == [] and "0 ledgers match" in html
    assert len(_names(web.get("/").content.decode())) == 3


def test_grouping_by_folder_and_by_department(web: Client, api: ApiClient,
                                              make_client: Any) -> None:
    from daicho.models import Org

    Org.objects.create(code="300", name="土木課")
    doboku = make_client("doboku", name="土木 一郎", org="300")
    roads = make_ledger(doboku, "道路台帳")
    doboku.put(f"/api/v1/ledgers/{roads['id']}/permissions", {"rules": []})
    bridges = make_ledger(api, "橋梁台帳")
    make_ledger(api, "備品台帳")
    for led in (roads, bridges):
        assert api.patch(f"/api/v1/ledgers/{led['id']}", {"folder": "道路・橋"}).status == 200
    html = web.get("/", {"group": "folder"}).content.decode()
    assert _groups(html) == {"道路・橋": ["道路台帳", "橋梁台帳"], "No folder": ["備品台帳"]}
    html = web.get("/", {"group": "department"}).content.decode()
    assert _groups(html) == {"土木課": ["道路台帳"], "No department": ["橋梁台帳", "備品台帳"]}
    # An unknown grouping is no grouping; the search works inside groups.
    assert _groups(web.get("/", {"group": "x"}).content.decode()) == {}
    html = web.get("/", {"group": "folder", "q": "梁"}).content.decode()
    assert _groups(html) == {"道路・橋": ["橋梁台帳"]}


def test_recently_opened_ledgers(web: Client, api: ApiClient, admin: Any,
                                 make_client: Any) -> None:
    first, second, third = (make_ledger(api, name) for name in ("一番目", "二番目", "三番目"))
    assert 'id="recent-ledgers"' not in web.get("/").content.decode()
    for led in (first, second, third, first):
        assert web.get(f"/ledgers/{led['id']}/").status_code == 200
    html = web.get("/").content.decode()
    recent = re.search(r'<ul class="recent-ledgers".*?</ul>', html, re.S)
    assert recent is not None
    assert re.findall(r">([^<]+)</a>", recent.group(0)) == ["一番目", "三番目", "二番目"]
    # Kept per user: another user has opened nothing; a ledger no longer visible drops out.
    from django.contrib.auth import get_user_model

    make_client("clerk")
    clerk = Client()
    clerk.force_login(get_user_model().objects.get(username="clerk"))
    assert 'id="recent-ledgers"' not in clerk.get("/").content.decode()
    rules = f"/api/v1/ledgers/{third['id']}/permissions"
    api.put(rules, {"rules": [{"subject": {"everyone": True}, "rights": ["view"]}]})
    assert clerk.get(f"/ledgers/{third['id']}/").status_code == 200
    assert "三番目" in _recent(clerk.get("/").content.decode())
    api.put(rules, {"rules": []})
    assert "三番目" not in _recent(clerk.get("/").content.decode())
    assert "三番目" in _recent(web.get("/").content.decode())


def _recent(html: str) -> str:
    found = re.search(r'<ul class="recent-ledgers".*?</ul>', html, re.S)
    return found.group(0) if found else ""


def test_the_designer_files_a_ledger_in_a_folder(web: Client, api: ApiClient) -> None:
    led = make_ledger(api, "水道台帳")
    resp = web.post(f"/ledgers/{led['id']}/settings", {"name": "水道台帳", "description": "",
                                                       "folder": "上下水道"})
    assert resp.status_code == 302
    assert api.get(f"/api/v1/ledgers/{led['id']}").body["folder"] == "上下水道"
    html = web.get(f"/ledgers/{led['id']}/fields/").content.decode()
    assert 'id="ledger-folder" name="folder" value="上下水道"' in html
    resp = web.post(f"/ledgers/{led['id']}/settings", {"name": "水道台帳", "description": "",
                                                       "folder": "a\x01b"}, follow=True)
    assert "control character" in resp.content.decode()
    assert api.get(f"/api/v1/ledgers/{led['id']}").body["folder"] == "上下水道"
