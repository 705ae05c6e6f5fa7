"""The grid's batch writes through the page's own endpoints: rows to the trash and back in the
save batch, a field set on every filtered record, and who may do it. All or nothing, with
history, in the one error shape."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from tests.conftest import ApiClient, make_ledger

FIELDS = [
    {"name": "品名", "type": "text", "code": "item"},
    {"name": "数量", "type": "number", "code": "qty"},
    {"name": "区分", "type": "choice", "code": "kind", "options": {"choices": ["机", "椅子"]}},
]


@pytest.fixture
def led(api: ApiClient) -> dict[str, Any]:
    led = make_ledger(api, "備品台帳", FIELDS)
    items = [{"values": {"item": f"品{i}", "qty": i, "kind": "机" if i % 2 else "椅子"}}
             for i in range(6)]
    assert api.post(f"/api/v1/ledgers/{led['id']}/records/bulk", {"create": items}).status == 200
    return led


def _post(client: Client, path: str, body: Any) -> Any:
    return client.post(path, json.dumps(body), content_type="application/json")


def _records(api: ApiClient, lid: int) -> list[dict[str, Any]]:
    return api.get(f"/api/v1/ledgers/{lid}/records", {"sort": "id"}).body["items"]  # type: ignore[no-any-return]


def _user_client(login: str) -> Client:
    from daicho.services.accounts import create_user

    client = Client()
    client.force_login(create_user(login=login))
    client.cookies["django_language"] = "en"
    return client


def test_trash_and_restore_in_one_batch(web: Client, api: ApiClient, led: dict[str, Any]) -> None:
    lid = led["id"]
    recs = _records(api, lid)
    a, b = recs[0], recs[1]
    resp = _post(web, f"/ledgers/{lid}/save", {
        "update": [{"id": recs[2]["id"], "revision": recs[2]["revision"], "values": {"qty": "99"}}],
        "trash": [{"id": a["id"], "revision": a["revision"]}, {"id": b["id"], "revision": b["revision"]}]})
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert body["trashed"] == [{"id": a["id"], "revision": a["revision"] + 1},
                               {"id": b["id"], "revision": b["revision"] + 1}]
    assert [r["id"] for r in body["updated"]] == [recs[2]["id"]]
    assert [r["id"] for r in _records(api, lid)] == [r["id"] for r in recs[2:]]
    hist = api.get(f"/api/v1/ledgers/{lid}/records/{a['id']}/history").body["items"]
    assert hist[0]["action"] == "delete"
    # Back from the trash (undo): drawn again for the page.
    resp = _post(web, f"/ledgers/{lid}/save", {"restore": [a["id"], b["id"]], "columns": ["item"]})
    assert resp.status_code == 200
    restored = resp.json()["restored"]
    assert [r["id"] for r in restored] == [a["id"], b["id"]]
    assert f'data-id="{a["id"]}"' in restored[0]["html"] and "品0" in restored[0]["html"]
    assert len(_records(api, lid)) == 6


def test_trash_of_a_changed_record_is_a_conflict_and_moves_nothing(
        web: Client, api: ApiClient, led: dict[str, Any]) -> None:
    lid = led["id"]
    recs = _records(api, lid)
    api.patch(f"/api/v1/ledgers/{lid}/records/{recs[1]['id']}",
              {"revision": recs[1]["revision"], "values": {"qty": 50}})
    resp = _post(web, f"/ledgers/{lid}/save", {"trash": [
        {"id": recs[0]["id"], "revision": recs[0]["revision"]},
        {"id": recs[1]["id"], "revision": recs[1]["revision"]}]})
    assert resp.status_code == 409
    body = resp.json()
    assert body["error"]["code"] == "conflict"
    assert body["error"]["details"]["op"] == "trash" and body["error"]["details"]["index"] == 1
    assert body["dialog"] == "" and f'data-id="{recs[1]["id"]}"' in body["row"]
    assert len(_records(api, lid)) == 6  # the first one is not in the trash either


@pytest.mark.parametrize(("body", "code"), [
    ({"trash": "x"}, "invalid_bulk"),
    ({"trash": [{"id": 1}]}, "invalid_bulk"),
    ({"trash": [{"id": 1.5, "revision": 1}]}, "invalid_bulk"),
    ({"trash": [{"id": 1, "revision": 1, "why": "x"}]}, "unknown_keys"),
    ({"restore": ["a"]}, "invalid_bulk"),
    ({"restore": {"id": 1}}, "invalid_bulk"),
    ({"trash": [{"id": 1, "revision": 1}] * 1001}, "too_many_items"),
    ({"remove": []}, "unknown_keys"),
])
def test_malformed_batches_write_nothing(web: Client, api: ApiClient, led: dict[str, Any],
                                         body: dict[str, Any], code: str) -> None:
    lid = led["id"]
    before = _records(api, lid)
    resp = _post(web, f"/ledgers/{lid}/save", body)
    assert resp.status_code == 400, resp.content
    assert resp.json()["error"]["code"] == code
    assert _records(api, lid) == before


def test_set_field_on_all_filtered_records(web: Client, api: ApiClient,
                                           led: dict[str, Any]) -> None:
    lid = led["id"]
    url = f"/ledgers/{lid}/set-field"
    resp = _post(web, url, {"code": "qty", "value": "７", "query": "?s=1&filter=kind:eq:机",
                            "columns": ["item", "qty"]})
    assert resp.status_code == 200, resp.content
    body = resp.json()
    odd = [r for r in _records(api, lid) if r["values"]["kind"] == "机"]
    assert sorted(r["id"] for r in body["updated"]) == [r["id"] for r in odd]
    assert {r["values"]["qty"] for r in odd} == {7}
    assert body["before"] == {str(r["id"]): str(i) for r, i in zip(odd, (1, 3, 5), strict=True)}
    hist = api.get(f"/api/v1/ledgers/{lid}/records/{odd[0]['id']}/history").body["items"]
    assert hist[0]["changes"] == {"qty": {"old": 1, "new": 7}}
    assert {r["values"]["qty"] for r in _records(api, lid) if r["values"]["kind"] == "椅子"} == \
        {0, 2, 4}
    # A search narrows it the same way.
    resp = _post(web, url, {"code": "item", "value": "特別", "query": "s=1&q=品4"})
    assert resp.status_code == 200 and len(resp.json()["updated"]) == 1


@pytest.mark.parametrize(("body", "code"), [
    ({"code": "nope", "value": "1", "query": ""}, "unknown_field"),
    ({"code": "qty", "value": "たくさん", "query": ""}, "invalid_values"),
    ({"code": "qty", "value": "1", "query": "s=1&filter=item:eq:ない"}, "no_records"),
    ({"code": "qty", "value": "1", "query": "s=1&filter=nope:eq:1"}, "unknown_field"),
    ({"code": "qty", "value": "1", "query": "", "extra": 1}, "unknown_keys"),
])
def test_set_field_refusals_write_nothing(web: Client, api: ApiClient, led: dict[str, Any],
                                          body: dict[str, Any], code: str) -> None:
    lid = led["id"]
    before = _records(api, lid)
    resp = _post(web, f"/ledgers/{lid}/set-field", body)
    assert resp.status_code == 400, resp.content
    assert resp.json()["error"]["code"] == code
    assert _records(api, lid) == before


def test_set_field_refuses_more_than_the_bulk_limit(web: Client, api: ApiClient) -> None:
    led = make_ledger(api, "大きい台帳", FIELDS)
    lid = led["id"]
    for start in (0, 1000):
        items = [{"values": {"item": f"品{i}"}} for i in range(start, start + (1000 if start == 0 else 1))]
        assert api.post(f"/api/v1/ledgers/{lid}/records/bulk", {"create": items}).status == 200
    resp = _post(web, f"/ledgers/{lid}/set-field", {"code": "qty", "value": "1", "query": ""})
    assert resp.status_code == 400 and resp.json()["error"]["code"] == "too_many_items"
    assert "Narrow the filter" in resp.json()["error"]["message"]
    page = api.get(f"/api/v1/ledgers/{lid}/records", {"filter": "qty:notempty", "limit": 1}).body
    assert page["items"] == []


def test_who_may_write(api: ApiClient, led: dict[str, Any]) -> None:
    lid = led["id"]
    recs = _records(api, lid)
    viewer = _user_client("viewer")
    editor = _user_client("kato")
    assert api.put(f"/api/v1/ledgers/{lid}/permissions", {"rules": [
        {"subject": {"user": "viewer"}, "rights": ["view"]},
        {"subject": {"user": "kato"}, "rights": ["view"]},
        {"subject": {"user": "kato"}, "rights": ["edit", "delete"], "records": {"filter": "kind:eq:机"}},
    ]}).status == 200
    update = {"update": [{"id": recs[0]["id"], "revision": recs[0]["revision"], "values": {"qty": "1"}}]}
    # A viewer, like someone who may not see the ledger, gets what the API answers for the
    # same bulk: 404 (forbidden looks like missing), and nothing changes.
    for client in (viewer, _user_client("nobody")):
        for path, body in ((f"/ledgers/{lid}/save", update),
                           (f"/ledgers/{lid}/save", {"trash": [{"id": recs[0]["id"], "revision": 1}]}),
                           (f"/ledgers/{lid}/set-field", {"code": "qty", "value": "1", "query": ""})):
            resp = _post(client, path, body)
            assert resp.status_code == 404, resp.content
            assert resp.json()["error"]["code"] == "not_found"
    assert _records(api, lid) == recs
    # Rights per record: kato edits only 机 records; a bulk edit touching others changes nothing.
    resp = _post(editor, f"/ledgers/{lid}/set-field", {"code": "qty", "value": "8", "query": ""})
    assert resp.status_code == 404
    assert [r["values"]["qty"] for r in _records(api, lid)] == [0, 1, 2, 3, 4, 5]
    resp = _post(editor, f"/ledgers/{lid}/set-field",
                 {"code": "qty", "value": "8", "query": "s=1&filter=kind:eq:机"})
    assert resp.status_code == 200
    assert [r["values"]["qty"] for r in _records(api, lid)] == [0, 8, 2, 8, 4, 8]
    resp = _post(editor, f"/ledgers/{lid}/save",
                 {"trash": [{"id": r["id"], "revision": r["revision"]} for r in recs[:2]]})
    assert resp.status_code == 404 and len(_records(api, lid)) == 6
