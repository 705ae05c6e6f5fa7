"""A ledger's folder (issue 14 point 9): set and cleared by a manager through PATCH, shown in
the ledger's JSON and the list; bad values are refused and change nothing."""

from __future__ import annotations

from typing import Any

from tests.conftest import ApiClient, make_ledger


def test_folder_is_set_read_and_cleared(api: ApiClient) -> None:
    led = make_ledger(api, "道路台帳")
    url = f"/api/v1/ledgers/{led['id']}"
    assert api.get(url).body["folder"] == ""
    resp = api.patch(url, {"folder": "  土木課の台帳 "})
    assert resp.status == 200 and resp.body["folder"] == "土木課の台帳", resp.body
    listed = {item["id"]: item for item in api.get("/api/v1/ledgers").body["items"]}
    assert listed[led["id"]]["folder"] == "土木課の台帳"
    # Other settings kept in the same place survive the change.
    assert api.patch(url, {"sensitive": True}).status == 200
    assert api.patch(url, {"folder": None}).body["folder"] == ""
    assert api.get(url).body["sensitive"] is True


def test_bad_folders_are_refused_and_nothing_changes(api: ApiClient) -> None:
    led = make_ledger(api, "公園台帳")
    url = f"/api/v1/ledgers/{led['id']}"
    for bad in (12, ["a"], "x" * 101, "改行\nあり", "nul\x00"):
        resp = api.patch(url, {"name": "別名", "folder": bad})
        assert resp.status == 400, bad
        assert resp.body["error"]["code"] == "invalid_folder", resp.body
    after = api.get(url).body
    assert after["name"] == "公園台帳" and after["folder"] == ""


def test_only_a_manager_files_a_ledger(api: ApiClient, make_client: Any) -> None:
    led = make_ledger(api, "備品台帳")
    api.put(f"/api/v1/ledgers/{led['id']}/permissions", {"rules": [
        {"subject": {"everyone": True}, "rights": ["view", "add", "edit"]}]})
    clerk = make_client("clerk")
    resp = clerk.patch(f"/api/v1/ledgers/{led['id']}", {"folder": "私の台帳"})
    assert resp.status in (403, 404), resp.body
    assert api.get(f"/api/v1/ledgers/{led['id']}").body["folder"] == ""
