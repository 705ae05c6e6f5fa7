"""Rules the API and the web pages both need live once, below them (issue 12, root cause): the web
and the API answer alike because they ask the same function."""

from __future__ import annotations

import html
import io
import json
from typing import Any

from tests.permissions.conftest import World


def _browser(login: str) -> Any:
    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client()
    client.force_login(get_user_model().objects.get(username=login))
    return client


def test_json_bodies_are_read_alike(world: World) -> None:
    deep = "[" * 200 + "]" * 200
    body = '{"create": ' + deep + "}"
    api = world.api.post(f"{world.base}/records/bulk", raw=body)
    web = _browser("admin").post(f"/ledgers/{world.ledger_id}/save", body,
                                 content_type="application/json")
    assert api.status == web.status_code == 400
    assert web.json() == api.body and api.body["error"]["code"] == "invalid_json"


def test_the_upload_limit_is_the_same_for_the_api_and_the_wizard(world: World,
                                                                  settings: Any) -> None:
    settings.DAICHO = {**settings.DAICHO, "IMPORT_LIMITS": {"max_file_bytes": 1024 * 1024}}
    data = ("名称\n" + "あ" * (1024 * 1024) + "\n").encode()

    def file() -> io.BytesIO:
        stream = io.BytesIO(data)
        stream.name = "大きい.csv"
        return stream

    api = world.api.upload("/api/v1/imports", {"file": file(), "ledger": str(world.ledger_id),
                                               "mode": "append"})
    assert api.status == 413 and api.body["error"]["code"] == "too_large", api.body
    page = _browser("admin").post("/import/", {"file": file()})
    assert page.status_code == 413
    assert api.body["error"]["message"] in html.unescape(page.content.decode())


def test_bulk_needs_the_same_rights_on_the_api_and_the_grid(world: World) -> None:
    rid = world.ids["庁舎"]
    body = {"create": [{"values": {"name": "新しい机"}}],
            "update": [{"id": rid, "revision": 2, "values": {"name": "本庁舎"}}]}
    for rights, allowed in ((["view", "add"], False), (["view", "edit"], False),
                            (["view", "add", "edit"], True)):
        world.rules([{"subject": {"user": "somu"}, "rights": rights}])
        api = world.clients["somu"].post(f"{world.base}/records/bulk",
                                         {k: v for k, v in body.items()})
        assert (api.status == 200) == allowed, rights
        if allowed:
            body["update"][0]["revision"] = 3
            world.api.patch(f"{world.base}/records/{rid}", {"revision": 3, "values": {
                "name": "庁舎"}})
            body["update"][0]["revision"] = 4
        web = _browser("somu").post(f"/ledgers/{world.ledger_id}/save", json.dumps(body),
                                    content_type="application/json")
        assert (web.status_code == 200) == allowed, rights
        if not allowed:
            assert api.status == web.status_code == 404 and web.json() == api.body
