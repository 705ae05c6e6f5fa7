"""The lookup field type through the API (contract §7): the linked record's current value of a
field, stored so filter and sort work on it, read-only, checked when fields change, and
following the linked record in the same transaction as its change."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.conftest import ApiClient, make_ledger

MASTER = [
    {"name": "課名", "type": "text", "code": "dept"},
    {"name": "電話", "type": "text", "code": "phone"},
    {"name": "定員", "type": "number", "code": "seats"},
    {"name": "開設日", "type": "date", "code": "opened"},
]


@pytest.fixture
def setup(api: ApiClient) -> dict[str, Any]:
    master = int(make_ledger(api, "課", MASTER)["id"])
    looking = int(make_ledger(api, "貸出", [
        {"name": "品名", "type": "text", "code": "item"},
        {"name": "課", "type": "link", "code": "dept_ref", "options": {"ledger": master}},
        {"name": "課名", "type": "lookup", "code": "dept_name",
         "options": {"link": "dept_ref", "field": "dept"}},
        {"name": "定員", "type": "lookup", "code": "dept_seats",
         "options": {"link": "dept_ref", "field": "seats"}},
        {"name": "定員2倍", "type": "formula", "code": "double",
         "options": {"expression": "dept_seats * 2", "result": "number"}},
    ])["id"])
    mbase = f"/api/v1/ledgers/{master}/records"
    a = api.post(mbase, {"values": {"dept": "総務課", "phone": "100", "seats": 10,
                                    "opened": "2024-04-01"}}).body["id"]
    b = api.post(mbase, {"values": {"dept": "財政課", "phone": "200", "seats": 3}}).body["id"]
    return {"master": master, "looking": looking, "a": a, "b": b}


def _values(api: ApiClient, lid: int, rid: int) -> dict[str, Any]:
    resp = api.get(f"/api/v1/ledgers/{lid}/records/{rid}")
    assert resp.status == 200, resp.body
    return resp.body["values"]  # type: ignore[no-any-return]


def test_filled_on_write_and_typed_as_the_looked_up_field(api: ApiClient, setup: Any) -> None:
    base = f"/api/v1/ledgers/{setup['looking']}/records"
    resp = api.post(base, {"values": {"item": "机", "dept_ref": setup["a"]}})
    assert resp.status == 201, resp.body
    values = resp.body["values"]
    assert values["dept_name"] == "総務課" and values["dept_seats"] == 10
    assert values["double"] == 20
    rid = resp.body["id"]
    resp = api.patch(f"{base}/{rid}", {"revision": 1, "values": {"dept_ref": setup["b"]}})
    assert resp.status == 200, resp.body
    assert resp.body["values"]["dept_name"] == "財政課" and resp.body["values"]["double"] == 6
    resp = api.patch(f"{base}/{rid}", {"revision": 2, "values": {"dept_ref": None}})
    assert resp.body["values"]["dept_name"] is None and resp.body["values"]["dept_seats"] is None
    fields = {f["code"]: f for f in api.get(f"/api/v1/ledgers/{setup['looking']}").body["fields"]}
    assert fields["dept_seats"]["options"]["source"]["type"] == "number"


def test_writing_a_lookup_is_read_only_field(api: ApiClient, setup: Any) -> None:
    base = f"/api/v1/ledgers/{setup['looking']}/records"
    resp = api.post(base, {"values": {"item": "机", "dept_name": "x"}})
    assert resp.status == 400 and resp.body["error"]["code"] == "read_only_field"
    assert resp.body["error"]["details"]["field"] == "dept_name"
    assert api.get(base).body["items"] == []
    rid = api.post(base, {"values": {"item": "机"}}).body["id"]
    resp = api.post(f"{base}/bulk", {"update": [{"id": rid, "revision": 1,
                                                 "values": {"dept_seats": 1}}]})
    assert resp.status == 400 and resp.body["error"]["code"] == "read_only_field"


def test_follows_the_linked_record(api: ApiClient, setup: Any) -> None:
    base = f"/api/v1/ledgers/{setup['looking']}/records"
    mbase = f"/api/v1/ledgers/{setup['master']}/records"
    ids = [api.post(base, {"values": {"item": f"机{n}", "dept_ref": setup["a"]}}).body["id"]
           for n in range(3)]
    other = api.post(base, {"values": {"item": "椅子", "dept_ref": setup["b"]}}).body["id"]
    resp = api.patch(f"{mbase}/{setup['a']}", {"revision": 1,
                                               "values": {"dept": "総務部総務課", "seats": 12}})
    assert resp.status == 200, resp.body
    for rid in ids:
        values = _values(api, setup["looking"], rid)
        assert values["dept_name"] == "総務部総務課" and values["dept_seats"] == 12
        assert values["double"] == 24
    assert _values(api, setup["looking"], other)["dept_name"] == "財政課"
    # Derived: the lookers get no history entry and no new revision.
    assert api.get(f"{base}/{ids[0]}").body["revision"] == 1
    # Bulk, delete (the trash empties the lookup), restore, revert.
    resp = api.post(f"{mbase}/bulk", {"update": [{"id": setup["a"], "revision": 2,
                                                  "values": {"dept": "総務課"}}]})
    assert resp.status == 200, resp.body
    assert _values(api, setup["looking"], ids[1])["dept_name"] == "総務課"
    assert api.delete(f"{mbase}/{setup['a']}").status in (200, 204)
    assert _values(api, setup["looking"], ids[1])["dept_name"] is None
    resp = api.post(f"{mbase}/{setup['a']}/restore")
    assert resp.status == 200, resp.body
    assert _values(api, setup["looking"], ids[1])["dept_name"] == "総務課"
    revision = api.get(f"{mbase}/{setup['a']}").body["revision"]
    resp = api.post(f"{mbase}/{setup['a']}/revert", {"to_revision": 1})
    assert resp.status == 200, resp.body
    assert revision < resp.body["revision"]
    values = _values(api, setup["looking"], ids[2])
    assert values["dept_name"] == "総務課" and values["dept_seats"] == 10


def test_filter_and_sort_on_a_lookup(api: ApiClient, setup: Any) -> None:
    base = f"/api/v1/ledgers/{setup['looking']}/records"
    for n, ref in enumerate([setup["a"], setup["b"], setup["a"]]):
        api.post(base, {"values": {"item": f"品{n}", "dept_ref": ref}})
    found = api.get(base, {"filter": "dept_name:eq:財政課"}).body["items"]
    assert [r["values"]["item"] for r in found] == ["品1"]
    found = api.get(base, {"filter": "dept_seats:gt:5"}).body["items"]
    assert sorted(r["values"]["item"] for r in found) == ["品0", "品2"]
    found = api.get(base, {"sort": "dept_seats"}).body["items"]
    assert found[0]["values"]["item"] == "品1"


def test_adding_a_lookup_fills_existing_records(api: ApiClient, setup: Any) -> None:
    base = f"/api/v1/ledgers/{setup['looking']}/records"
    rid = api.post(base, {"values": {"item": "机", "dept_ref": setup["a"]}}).body["id"]
    resp = api.post(f"/api/v1/ledgers/{setup['looking']}/fields", {
        "name": "開設日", "type": "lookup", "code": "opened",
        "options": {"link": "dept_ref", "field": "opened"}})
    assert resp.status == 201, resp.body
    assert _values(api, setup["looking"], rid)["opened"] == "2024-04-01"
    found = api.get(base, {"filter": "opened:ge:2024-01-01"}).body["items"]
    assert [r["id"] for r in found] == [rid]


@pytest.mark.parametrize("options,code", [
    ({"link": "nope", "field": "dept"}, "invalid_lookup"),
    ({"link": "item", "field": "dept"}, "invalid_lookup"),
    ({"link": "dept_ref", "field": "nope"}, "invalid_lookup"),
    ({"link": "dept_ref"}, "invalid_lookup"),
    ({"link": "dept_ref", "field": "dept", "extra": 1}, "invalid_options"),
    ({"link": "dept_ref", "field": "dept", "copy": "yes"}, "invalid_options"),
])
def test_bad_definitions_are_refused(api: ApiClient, setup: Any, options: Any,
                                     code: str) -> None:
    resp = api.post(f"/api/v1/ledgers/{setup['looking']}/fields",
                    {"name": "x", "type": "lookup", "code": "x", "options": options})
    assert resp.status == 400 and resp.body["error"]["code"] == code, resp.body
    codes = [f["code"] for f in api.get(f"/api/v1/ledgers/{setup['looking']}").body["fields"]]
    assert "x" not in codes


def test_a_cycle_of_lookups_is_refused(api: ApiClient) -> None:
    one = int(make_ledger(api, "一", [{"name": "名", "type": "text", "code": "name"}])["id"])
    two = int(make_ledger(api, "二", [
        {"name": "一", "type": "link", "code": "to_one", "options": {"ledger": one}},
        {"name": "名", "type": "text", "code": "name"}])["id"])
    assert api.post(f"/api/v1/ledgers/{one}/fields", {
        "name": "二", "type": "link", "code": "to_two", "options": {"ledger": two}}).status == 201
    assert api.post(f"/api/v1/ledgers/{one}/fields", {
        "name": "二の値", "type": "lookup", "code": "x",
        "options": {"link": "to_two", "field": "y"}}).status == 400
    resp = api.post(f"/api/v1/ledgers/{two}/fields", {
        "name": "一の値", "type": "lookup", "code": "y",
        "options": {"link": "to_one", "field": "name"}})
    assert resp.status == 201, resp.body
    # Now make one.name's … no: one.x looks up two.y, which looks up one.name: fine.
    resp = api.post(f"/api/v1/ledgers/{one}/fields", {
        "name": "二の値", "type": "lookup", "code": "x",
        "options": {"link": "to_two", "field": "y"}})
    assert resp.status == 201, resp.body
    # two.y changed to look up one.x, which looks up two.y: a circle.
    resp = api.patch(f"/api/v1/ledgers/{two}/fields/y", {
        "options": {"link": "to_one", "field": "x"}})
    assert resp.status == 400 and resp.body["error"]["code"] == "lookup_cycle", resp.body


@pytest.fixture
def slips(api: ApiClient, setup: Any) -> dict[str, Any]:
    resp = api.post(f"/api/v1/ledgers/{setup['looking']}/fields", {
        "name": "電話（貸出時）", "type": "lookup", "code": "phone_then",
        "options": {"link": "dept_ref", "field": "phone", "copy": True}})
    assert resp.status == 201, resp.body
    return setup


def test_copy_keeps_the_value_as_issued_and_says_the_master_changed(
        api: ApiClient, slips: Any) -> None:
    base = f"/api/v1/ledgers/{slips['looking']}/records"
    mbase = f"/api/v1/ledgers/{slips['master']}/records"
    rid = api.post(base, {"values": {"item": "机", "dept_ref": slips["a"]}}).body["id"]
    assert _values(api, slips["looking"], rid)["phone_then"] == "100"
    state = api.get(f"{base}/{rid}/lookups").body["items"]
    assert state == [{"field": "phone_then", "record": slips["a"], "copied_revision": 1,
                      "revision": 1, "stale": False}]
    assert api.patch(f"{mbase}/{slips['a']}", {"revision": 1, "values": {"phone": "999"}}
                     ).status == 200
    values = _values(api, slips["looking"], rid)
    assert values["phone_then"] == "100"  # as issued
    assert values["dept_name"] == "総務課"  # the following lookups still follow
    [state] = api.get(f"{base}/{rid}/lookups").body["items"]
    assert state["stale"] is True and state["revision"] == 2 and state["copied_revision"] == 1
    resp = api.post(f"{base}/{rid}/lookups/refresh", {})
    assert resp.status == 200, resp.body
    assert resp.body["values"]["phone_then"] == "999" and resp.body["revision"] == 2
    [state] = api.get(f"{base}/{rid}/lookups").body["items"]
    assert state["stale"] is False and state["copied_revision"] == 2
    entry = api.get(f"{base}/{rid}/history").body["items"][0]
    assert entry["changes"] == {"phone_then": {"old": "100", "new": "999"}}
    # Changing the link copies afresh, from the new master record.
    resp = api.patch(f"{base}/{rid}", {"revision": 2, "values": {"dept_ref": slips["b"]}})
    assert resp.body["values"]["phone_then"] == "200"
    [state] = api.get(f"{base}/{rid}/lookups").body["items"]
    assert state["record"] == slips["b"] and state["stale"] is False


def test_copy_filled_for_existing_records_and_refresh_refusals(
        api: ApiClient, setup: Any, make_client: Any) -> None:
    base = f"/api/v1/ledgers/{setup['looking']}/records"
    rid = api.post(base, {"values": {"item": "机", "dept_ref": setup["a"]}}).body["id"]
    assert api.post(f"/api/v1/ledgers/{setup['looking']}/fields", {
        "name": "電話（貸出時）", "type": "lookup", "code": "phone_then",
        "options": {"link": "dept_ref", "field": "phone", "copy": True}}).status == 201
    assert _values(api, setup["looking"], rid)["phone_then"] == "100"
    assert api.get(f"{base}/{rid}/lookups").body["items"][0]["copied_revision"] == 1
    for bad in (["dept_name"], ["nope"], "phone_then", [], [1]):
        resp = api.post(f"{base}/{rid}/lookups/refresh", {"fields": bad})
        assert resp.status == 400 and resp.body["error"]["code"] == "invalid_lookup", bad
    assert api.post(f"{base}/{rid}/lookups/refresh", {"nope": 1}).status == 400
    assert api.post(f"{base}/999999/lookups/refresh", {}).status == 404
    # Nothing to fetch: no new revision.
    resp = api.post(f"{base}/{rid}/lookups/refresh", {"fields": ["phone_then"]})
    assert resp.status == 200 and resp.body["revision"] == 1
    # Someone who may only view the ledger may not refresh.
    viewer = make_client("viewer")
    rules = [{"subject": {"user": "viewer"}, "rights": ["view"]}]
    assert api.put(f"/api/v1/ledgers/{setup['looking']}/permissions",
                   {"rules": rules}).status == 200
    assert api.put(f"/api/v1/ledgers/{setup['master']}/permissions",
                   {"rules": rules}).status == 200
    assert viewer.get(f"{base}/{rid}/lookups").status == 200
    assert viewer.post(f"{base}/{rid}/lookups/refresh", {}).status == 404


def test_imports_fill_and_are_followed(api: ApiClient, setup: Any) -> None:
    base = f"/api/v1/ledgers/{setup['looking']}/records"
    csv = f"品名,課,課名\r\n机,{setup['a']},偽物\r\n椅子,{setup['b']},\r\n".encode()
    resp = api.upload("/api/v1/imports", {"file": SimpleUploadedFile("貸出.csv", csv),
                                          "ledger": str(setup["looking"]), "mode": "append"})
    assert resp.status == 200, (resp.body["errors"], resp.body["warnings"])
    assert "課名" in str(resp.body["warnings"])  # the file's 課名 is not written
    got = {r["values"]["item"]: r["values"] for r in api.get(base).body["items"]}
    assert got["机"]["dept_name"] == "総務課" and got["机"]["double"] == 20
    assert got["椅子"]["dept_name"] == "財政課"
    # An upsert into the master is followed by its lookers.
    resp = api.upload("/api/v1/imports", {"file": SimpleUploadedFile(
        "課.csv", "課名,定員\r\n財政課,7\r\n".encode()), "ledger": str(setup["master"]),
        "mode": "upsert", "key": "dept"})
    assert resp.status == 200, resp.body
    got = {r["values"]["item"]: r["values"] for r in api.get(base).body["items"]}
    assert got["椅子"]["dept_seats"] == 7 and got["椅子"]["double"] == 14


def test_a_lookup_of_a_lookup_follows_through(api: ApiClient, setup: Any) -> None:
    third = int(make_ledger(api, "返却", [
        {"name": "貸出", "type": "link", "code": "loan", "options": {"ledger": setup["looking"]}},
        {"name": "課名", "type": "lookup", "code": "dept_name",
         "options": {"link": "loan", "field": "dept_name"}},
    ])["id"])
    loan = api.post(f"/api/v1/ledgers/{setup['looking']}/records",
                    {"values": {"item": "机", "dept_ref": setup["a"]}}).body["id"]
    rid = api.post(f"/api/v1/ledgers/{third}/records", {"values": {"loan": loan}}).body["id"]
    assert _values(api, third, rid)["dept_name"] == "総務課"
    assert api.patch(f"/api/v1/ledgers/{setup['master']}/records/{setup['a']}", {
        "revision": 1, "values": {"dept": "企画課"}}).status == 200
    assert _values(api, third, rid)["dept_name"] == "企画課"


def test_the_link_a_lookup_uses_cannot_go(api: ApiClient, setup: Any) -> None:
    path = f"/api/v1/ledgers/{setup['looking']}/fields/dept_ref"
    resp = api.delete(path)
    assert resp.status == 400 and resp.body["error"]["code"] == "invalid_lookup", resp.body
    resp = api.patch(path, {"type": "text"})
    assert resp.status == 400 and resp.body["error"]["code"] == "invalid_lookup", resp.body
    codes = {f["code"]: f["type"] for f in api.get(f"/api/v1/ledgers/{setup['looking']}")
             .body["fields"]}
    assert codes["dept_ref"] == "link"


def test_messages_are_japanese(api: ApiClient, setup: Any) -> None:
    resp = api.post(f"/api/v1/ledgers/{setup['looking']}/records",
                    {"values": {"dept_name": "x"}})
    assert resp.body["error"]["message"] == \
        "「課名」はリンク先レコードの値を表示する項目のため、値を入力できません。"


def test_retyping_and_changing_a_lookup(api: ApiClient, setup: Any) -> None:
    base = f"/api/v1/ledgers/{setup['looking']}/records"
    rid = api.post(base, {"values": {"item": "机", "dept_ref": setup["a"]}}).body["id"]
    fields = f"/api/v1/ledgers/{setup['looking']}/fields"
    # A text field becomes a lookup: filled from the linked records, in the column of a date.
    assert api.post(fields, {"name": "メモ", "type": "text", "code": "memo"}).status == 201
    resp = api.patch(f"{fields}/memo", {"type": "lookup", "confirm": True,
                                        "options": {"link": "dept_ref", "field": "opened"}})
    assert resp.status == 200, resp.body
    assert _values(api, setup["looking"], rid)["memo"] == "2024-04-01"
    assert [r["id"] for r in api.get(base, {"filter": "memo:lt:2025-01-01"}).body["items"]] \
        == [rid]
    # Another field of the linked ledger: every record follows the new definition.
    resp = api.patch(f"{fields}/dept_name", {"options": {"link": "dept_ref", "field": "phone"}})
    assert resp.status == 200, resp.body
    assert _values(api, setup["looking"], rid)["dept_name"] == "100"
    # A lookup retyped to text keeps its values as text, and they are written from then on.
    resp = api.patch(f"{fields}/memo", {"type": "text", "options": {}})
    assert resp.status == 200, resp.body
    assert _values(api, setup["looking"], rid)["memo"] == "2024-04-01"
    assert api.patch(f"{base}/{rid}", {"revision": 1, "values": {"memo": "書ける"}}).status == 200
