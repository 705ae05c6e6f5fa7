"""Records through the HTTP API: create, read, merge, conflict, trash, revert, bulk, history."""

from __future__ import annotations

from typing import Any

from tests.conftest import ApiClient, make_ledger


def _url(ledger: dict[str, Any], suffix: str = "") -> str:
    return f"/api/v1/ledgers/{ledger['id']}/records{suffix}"


def _create(api: ApiClient, ledger: dict[str, Any], **values: Any) -> dict[str, Any]:
    resp = api.post(_url(ledger), {"values": values})
    assert resp.status == 201, resp.body
    return resp.body  # type: ignore[no-any-return]


def test_create_and_read_record(api: ApiClient, ledger: dict[str, Any]) -> None:
    rec = _create(api, ledger, name="本庁舎", amount="1,200,000", day="2024-04-01", kind="建物")
    assert rec["revision"] == 1
    assert rec["values"] == {"name": "本庁舎", "amount": 1200000, "day": "2024-04-01",
                             "kind": "建物"}
    assert rec["created_by"] == "admin" and rec["updated_by"] == "admin"
    got = api.get(_url(ledger, f"/{rec['id']}"))
    assert got.status == 200 and got.body == rec
    assert api.get(f"/api/v1/ledgers/{ledger['id']}").body["record_count"] == 1


def test_required_and_invalid_values_write_nothing(api: ApiClient, ledger: dict[str, Any]) -> None:
    resp = api.post(_url(ledger), {"values": {"amount": "abc", "kind": "池", "nope": 1}})
    assert resp.status == 400
    fields = resp.body["error"]["details"]["fields"]
    assert set(fields) == {"name", "amount", "kind", "nope"}
    assert api.get(_url(ledger)).body["items"] == []


def test_update_requires_revision(api: ApiClient, ledger: dict[str, Any]) -> None:
    rec = _create(api, ledger, name="A")
    resp = api.patch(_url(ledger, f"/{rec['id']}"), {"values": {"name": "B"}})
    assert resp.status == 400
    assert resp.body["error"]["code"] == "revision_required"


def test_non_overlapping_edits_merge(api: ApiClient, ledger: dict[str, Any]) -> None:
    rec = _create(api, ledger, name="A", amount=1)
    first = api.patch(_url(ledger, f"/{rec['id']}"), {"revision": 1, "values": {"name": "B"}})
    assert first.status == 200 and first.body["revision"] == 2
    second = api.patch(_url(ledger, f"/{rec['id']}"), {"revision": 1, "values": {"amount": 5}})
    assert second.status == 200
    assert second.body["revision"] == 3
    assert second.body["values"]["name"] == "B" and second.body["values"]["amount"] == 5


def test_overlapping_edit_is_a_conflict(api: ApiClient, ledger: dict[str, Any]) -> None:
    rec = _create(api, ledger, name="A", amount=1)
    api.patch(_url(ledger, f"/{rec['id']}"), {"revision": 1, "values": {"name": "B"}})
    resp = api.patch(_url(ledger, f"/{rec['id']}"), {"revision": 1,
                                                     "values": {"name": "C", "amount": 2}})
    assert resp.status == 409
    err = resp.body["error"]
    assert err["code"] == "conflict"
    assert err["details"]["conflicting_fields"] == ["name"]
    assert err["details"]["current"]["values"]["name"] == "B"
    assert err["details"]["current"]["revision"] == 2
    # nothing of the refused request was saved, not even the non-conflicting field
    assert api.get(_url(ledger, f"/{rec['id']}")).body["values"]["amount"] == 1


def test_same_value_from_a_stale_revision_is_still_a_conflict(api: ApiClient,
                                                              ledger: dict[str, Any]) -> None:
    # Two people who both turn 1 into 2 from revision 1 must not both be told "saved".
    rec = _create(api, ledger, name="A")
    api.patch(_url(ledger, f"/{rec['id']}"), {"revision": 1, "values": {"name": "B"}})
    resp = api.patch(_url(ledger, f"/{rec['id']}"), {"revision": 1, "values": {"name": "B"}})
    assert resp.status == 409


def test_future_revision_is_a_conflict(api: ApiClient, ledger: dict[str, Any]) -> None:
    rec = _create(api, ledger, name="A")
    resp = api.patch(_url(ledger, f"/{rec['id']}"), {"revision": 7, "values": {"name": "B"}})
    assert resp.status == 409


def test_unchanged_patch_keeps_revision(api: ApiClient, ledger: dict[str, Any]) -> None:
    rec = _create(api, ledger, name="A")
    resp = api.patch(_url(ledger, f"/{rec['id']}"), {"revision": 1, "values": {"name": "A"}})
    assert resp.status == 200 and resp.body["revision"] == 1
    assert len(api.get(_url(ledger, f"/{rec['id']}/history")).body["items"]) == 1


def test_history_old_and_new_values(api: ApiClient, ledger: dict[str, Any]) -> None:
    rec = _create(api, ledger, name="A", amount=10)
    api.patch(_url(ledger, f"/{rec['id']}"), {"revision": 1, "values": {"amount": 20}})
    api.patch(_url(ledger, f"/{rec['id']}"), {"revision": 2, "values": {"name": "B",
                                                                          "amount": None}})
    items = api.get(_url(ledger, f"/{rec['id']}/history")).body["items"]
    assert [i["revision"] for i in items] == [3, 2, 1]
    assert [i["action"] for i in items] == ["update", "update", "create"]
    assert items[0]["changes"] == {"name": {"old": "A", "new": "B"},
                                   "amount": {"old": 20, "new": None}}
    assert items[1]["changes"] == {"amount": {"old": 10, "new": 20}}
    assert items[2]["changes"]["name"] == {"old": None, "new": "A"}
    assert all(i["by"] == "admin" and i["at"] for i in items)


def test_delete_restore_and_trash(api: ApiClient, ledger: dict[str, Any]) -> None:
    rec = _create(api, ledger, name="A")
    stale = api.delete(_url(ledger, f"/{rec['id']}?revision=9"))
    assert stale.status == 409
    assert api.delete(_url(ledger, f"/{rec['id']}?revision=1")).status == 204
    assert api.get(_url(ledger, f"/{rec['id']}")).status == 404
    assert api.get(_url(ledger)).body["items"] == []
    assert [r["id"] for r in api.get(_url(ledger), {"trash": "true"}).body["items"]] == [rec["id"]]
    assert api.get(f"/api/v1/ledgers/{ledger['id']}").body["record_count"] == 0
    restored = api.post(_url(ledger, f"/{rec['id']}/restore"))
    assert restored.status == 200 and restored.body["revision"] == 3
    actions = [i["action"] for i in api.get(_url(ledger, f"/{rec['id']}/history")).body["items"]]
    assert actions == ["restore", "delete", "create"]
    assert api.get(f"/api/v1/ledgers/{ledger['id']}").body["record_count"] == 1


def test_revert_to_any_revision(api: ApiClient, ledger: dict[str, Any]) -> None:
    rec = _create(api, ledger, name="A", amount=1, kind="土地")
    api.patch(_url(ledger, f"/{rec['id']}"), {"revision": 1, "values": {"name": "B"}})
    api.patch(_url(ledger, f"/{rec['id']}"), {"revision": 2, "values": {"amount": 2,
                                                                          "kind": None}})
    resp = api.post(_url(ledger, f"/{rec['id']}/revert"), {"to_revision": 1})
    assert resp.status == 200
    assert resp.body["revision"] == 4
    assert resp.body["values"] == {"name": "A", "amount": 1, "day": None, "kind": "土地"}
    top = api.get(_url(ledger, f"/{rec['id']}/history")).body["items"][0]
    assert top["action"] == "revert"
    assert top["changes"]["name"] == {"old": "B", "new": "A"}
    back = api.post(_url(ledger, f"/{rec['id']}/revert"), {"to_revision": 3})
    assert back.body["values"]["name"] == "B" and back.body["values"]["amount"] == 2
    assert api.post(_url(ledger, f"/{rec['id']}/revert"), {"to_revision": 99}).status == 400


def test_bulk_is_all_or_nothing(api: ApiClient, ledger: dict[str, Any]) -> None:
    rec = _create(api, ledger, name="A")
    bad = api.post(_url(ledger, "/bulk"), {
        "create": [{"values": {"name": "X"}}, {"values": {"amount": "?"}}],
        "update": [{"id": rec["id"], "revision": 1, "values": {"name": "Z"}}],
    })
    assert bad.status == 400
    assert [p["index"] for p in bad.body["error"]["details"]["items"]] == [1]
    assert len(api.get(_url(ledger)).body["items"]) == 1
    assert api.get(_url(ledger, f"/{rec['id']}")).body["values"]["name"] == "A"
    good = api.post(_url(ledger, "/bulk"), {
        "create": [{"values": {"name": f"N{i}"}} for i in range(3)],
        "update": [{"id": rec["id"], "revision": 1, "values": {"name": "Z"}}],
    })
    assert good.status == 200, good.body
    assert len(good.body["created"]) == 3 and good.body["updated"][0]["values"]["name"] == "Z"
    assert api.get(f"/api/v1/ledgers/{ledger['id']}").body["record_count"] == 4


def test_bulk_conflict_rolls_back(api: ApiClient, ledger: dict[str, Any]) -> None:
    rec = _create(api, ledger, name="A")
    api.patch(_url(ledger, f"/{rec['id']}"), {"revision": 1, "values": {"name": "B"}})
    resp = api.post(_url(ledger, "/bulk"), {
        "create": [{"values": {"name": "new"}}],
        "update": [{"id": rec["id"], "revision": 1, "values": {"name": "C"}}],
    })
    assert resp.status == 409
    assert resp.body["error"]["details"]["index"] == 0
    assert len(api.get(_url(ledger)).body["items"]) == 1


def test_bulk_limit(api: ApiClient, ledger: dict[str, Any]) -> None:
    resp = api.post(_url(ledger, "/bulk"), {"create": [{"values": {"name": "x"}}] * 1001})
    assert resp.status == 400 and resp.body["error"]["code"] == "too_many_items"


def test_unique_enforced_on_every_path(api: ApiClient) -> None:
    led = make_ledger(api, "一意", [{"name": "番号", "type": "text", "code": "no", "unique": True}])
    first = _create(api, led, no="0012")
    assert api.post(_url(led), {"values": {"no": "0012"}}).status == 400
    other = _create(api, led, no="0013")
    clash = api.patch(_url(led, f"/{other['id']}"), {"revision": 1, "values": {"no": "0012"}})
    assert clash.status == 400
    dup = api.post(_url(led, "/bulk"), {"create": [{"values": {"no": "9"}},
                                                   {"values": {"no": "9"}}]})
    assert dup.status == 400
    # a trashed record frees its value; restoring it while the value is taken is refused
    api.delete(_url(led, f"/{first['id']}"))
    reuse = _create(api, led, no="0012")
    assert reuse["values"]["no"] == "0012"
    assert api.post(_url(led, f"/{first['id']}/restore")).status == 409


def test_autonumber_is_assigned_and_read_only(api: ApiClient) -> None:
    led = make_ledger(api, "採番", [
        {"name": "番号", "type": "autonumber", "code": "no", "options": {"prefix": "K-",
                                                                      "digits": 4}},
        {"name": "名称", "type": "text", "code": "name"},
    ])
    a = _create(api, led, name="a")
    b = _create(api, led, name="b")
    assert (a["values"]["no"], b["values"]["no"]) == ("K-0001", "K-0002")
    resp = api.patch(_url(led, f"/{a['id']}"), {"revision": 1, "values": {"no": "K-9"}})
    assert resp.status == 400


def test_user_org_link_values(api: ApiClient, make_client: Any) -> None:
    from daicho.models import Org

    Org.objects.create(code="120", name="情報企画課")
    make_client("tanaka", name="田中", org="120")
    target = make_ledger(api, "財産")
    prop = _create(api, target, name="庁舎")
    led = make_ledger(api, "貸出", [
        {"name": "担当", "type": "user", "code": "owner"},
        {"name": "所管課", "type": "org", "code": "dept"},
        {"name": "財産", "type": "link", "code": "prop", "options": {"ledger": target["id"]}},
    ])
    rec = _create(api, led, owner="tanaka", dept="120", prop=prop["id"])
    assert rec["values"] == {"owner": "tanaka", "dept": "120", "prop": prop["id"]}
    bad = api.post(_url(led), {"values": {"owner": "nobody", "dept": "999", "prop": 999999}})
    assert bad.status == 400
    assert set(bad.body["error"]["details"]["fields"]) == {"owner", "dept", "prop"}
    found = api.get(_url(led), {"filter": "owner:eq:tanaka"}).body["items"]
    assert [r["id"] for r in found] == [rec["id"]]


def test_file_upload_and_download(api: ApiClient) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    led = make_ledger(api, "添付", [{"name": "資料", "type": "file", "code": "doc",
                                     "options": {"max_bytes": 1000}}])
    up = api.upload(f"/api/v1/ledgers/{led['id']}/files",
                    {"field": "doc", "file": SimpleUploadedFile("../../etc/見積.txt", b"hello")})
    assert up.status == 201, up.body
    assert up.body["name"] == "見積.txt" and up.body["size"] == 5
    rec = _create(api, led, doc=[up.body["id"]])
    assert rec["values"]["doc"] == [up.body]
    down = api.client.get(f"/api/v1/ledgers/{led['id']}/files/{up.body['id']}")
    assert down.status_code == 200
    assert b"".join(down.streaming_content) == b"hello"
    assert down["Content-Disposition"].startswith("attachment")
    assert down["X-Content-Type-Options"] == "nosniff"
    big = api.upload(f"/api/v1/ledgers/{led['id']}/files",
                     {"field": "doc", "file": SimpleUploadedFile("big.bin", b"x" * 1001)})
    assert big.status == 413
    assert api.post(_url(led), {"values": {"doc": [987654]}}).status == 400
