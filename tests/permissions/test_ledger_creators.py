"""The right to create ledgers (docs/permissions.md, "Creating ledgers"): every path that makes a
ledger — the API (a new ledger, an import into a new ledger), the CLI import, the web page's
form and the import wizard — refuses a user without the right with 403
`ledger_create_not_allowed` and writes nothing, and accepts the same user once a listed subject
(user, role, department) matches them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.conftest import ApiClient

CSV = "名称,金額\n土地A,100\n土地B,200\n".encode()


def _ledger_count() -> int:
    from daicho.models import Ledger

    return Ledger.objects.count()


def _browser(login: str) -> Any:
    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client()
    client.force_login(get_user_model().objects.get(username=login))
    return client


def _api_new(client: ApiClient, name: str) -> tuple[int, Any]:
    resp = client.post("/api/v1/ledgers", {"name": name, "fields": [
        {"name": "名称", "type": "text", "code": "name"}]})
    return resp.status, resp.body


def _api_import(client: ApiClient, name: str) -> tuple[int, Any]:
    resp = client.upload("/api/v1/imports", {"file": SimpleUploadedFile("list.csv", CSV),
                                             "name": name})
    return resp.status, resp.body


def _cli_import(login: str, name: str, cli: Any, tmp_path: Path) -> tuple[int, Any]:
    path = tmp_path / f"{name}.csv"
    path.write_bytes(CSV)
    result = cli("import", str(path), "--name", name, "--as", login, "--json")
    return (0 if result.code == 0 else 403), result.json


def _web_new(login: str, name: str) -> tuple[int, Any]:
    resp = _browser(login).post("/ledgers/new", {"name": name})
    return (201 if resp.status_code == 302 else resp.status_code), resp.content.decode()


def _web_wizard(login: str, name: str) -> tuple[int, Any]:
    """The wizard's first step, the upload of a file for a new ledger."""
    client = _browser(login)
    page = client.get("/import/")
    if page.status_code != 200:
        return page.status_code, page.content.decode()
    resp = client.post("/import/", {"file": SimpleUploadedFile("list.csv", CSV)})
    return (201 if resp.status_code == 302 else resp.status_code), resp.content.decode()


PATHS = ["api_new", "api_import", "cli_import", "web_new", "web_wizard"]


@pytest.fixture
def attempt(make_client: Any, cli: Any, tmp_path: Path) -> Callable[[str, str], tuple[int, Any]]:
    clients: dict[str, ApiClient] = {}

    def run(path: str, login: str) -> tuple[int, Any]:
        name = f"{path}-{login}-{_ledger_count()}"
        client = clients.setdefault(login, ApiClient(_token(login)))
        if path == "api_new":
            return _api_new(client, name)
        if path == "api_import":
            return _api_import(client, name)
        if path == "cli_import":
            return _cli_import(login, name, cli, tmp_path)
        if path == "web_new":
            return _web_new(login, name)
        return _web_wizard(login, name)

    return run


def _token(login: str) -> str:
    from django.contrib.auth import get_user_model

    from daicho.services.accounts import create_token

    return create_token(user=get_user_model().objects.get(username=login))


@pytest.fixture
def people(api: ApiClient, make_client: Any) -> ApiClient:
    assert api.post("/api/v1/orgs", {"code": "100", "name": "総務部"}).status == 201
    assert api.post("/api/v1/orgs", {"code": "110", "name": "総務課",
                                     "parent_code": "100"}).status == 201
    make_client("clerk", org="110")
    make_client("keeper", roles=["台帳管理者"])
    # What a city that narrows the right sets: ledger managers only (the installation's default
    # is everyone, test_everyone_may_create_ledgers_until_the_list_is_narrowed).
    assert api.put("/api/v1/ledger-creators",
                   {"subjects": [{"role": "台帳管理者"}]}).status == 200
    return api


def test_everyone_may_create_ledgers_until_the_list_is_narrowed(api: ApiClient,
                                                                make_client: Any) -> None:
    """A new installation keeps the behaviour before the right existed: any signed-in user
    creates a ledger and gets the default rules of contract §5."""
    assert api.get("/api/v1/ledger-creators").body == {"subjects": [{"everyone": True}]}
    clerk = make_client("clerk")
    resp = clerk.post("/api/v1/ledgers", {"name": "係の台帳", "fields": [
        {"name": "名称", "type": "text", "code": "name"}]})
    assert resp.status == 201, resp.body


def _refused(status: int, body: Any, path: str) -> None:
    if path in ("web_new", "web_wizard"):
        assert status == 403, path
        assert "台帳を作成する権限がありません" in body, path
    elif path == "cli_import":
        assert status != 0 and body["ok"] is False, body
        assert body["error"]["code"] == "ledger_create_not_allowed", body
    else:
        assert status == 403, (path, body)
        assert body["error"]["code"] == "ledger_create_not_allowed", body
        assert "台帳を作成する権限がありません" in body["error"]["message"]


@pytest.mark.parametrize("path", PATHS)
def test_every_creating_path_follows_the_right(people: ApiClient, attempt: Any,
                                               path: str) -> None:
    before = _ledger_count()
    status, body = attempt(path, "clerk")
    _refused(status, body, path)
    assert _ledger_count() == before, "a refused attempt wrote a ledger"

    # The list the fixture set: holders of 台帳管理者 may; so may admins.
    status, body = attempt(path, "keeper")
    assert status in (0, 200, 201), (path, body)
    status, body = attempt(path, "admin")
    assert status in (0, 200, 201), (path, body)

    for subject in ({"user": "clerk"}, {"org": "100", "include_children": True},
                    {"role": "係長"}, {"everyone": True}):
        if "role" in subject:
            assert people.patch("/api/v1/users/clerk", {"roles": ["係長"]}).status == 200
        resp = people.put("/api/v1/ledger-creators", {"subjects": [subject]})
        assert resp.status == 200, resp.body
        count = _ledger_count()
        status, body = attempt(path, "clerk")
        assert status in (0, 200, 201), (path, subject, body)
        assert _ledger_count() == count + (0 if path == "web_wizard" else 1)

    # Taken away again: refused again (and the default role no longer listed either).
    assert people.put("/api/v1/ledger-creators", {"subjects": []}).status == 200
    status, body = attempt(path, "keeper")
    _refused(status, body, path)


def test_department_without_children_does_not_cover_those_below(people: ApiClient,
                                                                attempt: Any) -> None:
    assert people.put("/api/v1/ledger-creators", {"subjects": [
        {"org": "100", "include_children": False}]}).status == 200
    status, body = attempt("api_new", "clerk")
    _refused(status, body, "api_new")


def test_only_directory_administrators_change_the_list(people: ApiClient,
                                                       make_client: Any) -> None:
    clerk = ApiClient(_token("clerk"))
    assert people.get("/api/v1/ledger-creators").body == {"subjects": [{"role": "台帳管理者"}]}
    assert clerk.get("/api/v1/ledger-creators").status == 403
    resp = clerk.put("/api/v1/ledger-creators", {"subjects": [{"everyone": True}]})
    assert resp.status == 403
    assert people.get("/api/v1/ledger-creators").body == {"subjects": [{"role": "台帳管理者"}]}
    # Hostile input: the one error shape, nothing stored.
    for bad, at in (({"subjects": "everyone"}, "subjects"),
                    ({"subjects": [{"org": "999"}]}, "subjects[0].org"),
                    ({"subjects": [{"user": "nobody"}]}, "subjects[0].user"),
                    ({"subjects": [{"everyone": "yes"}]}, "subjects[0]")):
        resp = people.put("/api/v1/ledger-creators", bad)
        assert resp.status == 400, resp.body
        assert resp.body["error"]["code"] == "invalid_rules"
        assert resp.body["error"]["details"]["at"] == at
    assert people.get("/api/v1/ledger-creators").body == {"subjects": [{"role": "台帳管理者"}]}


def test_the_page_shows_new_ledger_only_to_creators(people: ApiClient) -> None:
    home = _browser("clerk").get("/").content.decode()
    assert 'id="import-new-ledger"' not in home and "/ledgers/new" not in home
    home = _browser("keeper").get("/").content.decode()
    assert 'id="import-new-ledger"' in home and "/ledgers/new" in home


def test_the_admin_screen_sets_the_list(people: ApiClient) -> None:
    client = _browser("admin")
    page = client.get("/manage/ledger-creators")
    assert page.status_code == 200
    resp = client.post("/manage/ledger-creators", {
        "count": "2", "c0-kind": "role", "c0-role": "台帳管理者",
        "c1-new": "1", "c1-kind": "org", "c1-org": "110"})
    assert resp.status_code == 302
    assert people.get("/api/v1/ledger-creators").body == {"subjects": [
        {"role": "台帳管理者"}, {"org": "110", "include_children": False}]}
    resp = client.post("/manage/ledger-creators", {
        "count": "2", "c0-kind": "role", "c0-role": "台帳管理者",
        "c1-new": "1", "c1-kind": "user", "c1-user": "nobody"})
    assert resp.status_code == 400
    assert "nobody" in resp.content.decode()
    assert _browser("clerk").get("/manage/ledger-creators").status_code == 404
