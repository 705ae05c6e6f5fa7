"""Text, bodies and ids as clients send them (issue 12, "Input that must get a clear 4xx"): a
lone surrogate anywhere, a body that is not an object, a misspelt key, an id that is not a
whole number — each a 400 in the one error shape, and nothing written."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from tests.conftest import ApiClient, Response, make_ledger

LONE = "\ud800"  # json.dumps writes it as the escape "\ud800", as a hostile client would


@pytest.fixture
def site(api: ApiClient) -> dict[str, Any]:
    """A ledger with a record, a second ledger to link to, a department and a user."""
    target = make_ledger(api, "リンク先", [{"name": "名称", "type": "text", "code": "name"}])
    linked = api.post(f"/api/v1/ledgers/{target['id']}/records", {"values": {"name": "先"}})
    led = make_ledger(api, "台帳", [
        {"name": "名称", "type": "text", "code": "name"},
        {"name": "有無", "type": "yesno", "code": "flag"},
        {"name": "参照", "type": "link", "code": "ref", "options": {"ledger": target["id"]}},
    ])
    rec = api.post(f"/api/v1/ledgers/{led['id']}/records", {"values": {"name": "元"}})
    assert rec.status == 201, rec.body
    assert api.post("/api/v1/orgs", {"code": "100", "name": "総務課"}).status == 201
    assert api.post("/api/v1/users", {"login": "hanako", "name": "花子"}).status == 201
    return {"lid": led["id"], "rid": rec.body["id"], "target": target["id"],
            "linked": linked.body["id"]}


def _snapshot(api: ApiClient, site: dict[str, Any]) -> dict[str, Any]:
    """Everything the write endpoints below could change, as the API shows it, plus the rows
    that only history and field events leave."""
    from daicho.models import History, LedgerEvent
    from daicho.web.models import SavedView

    base = f"/api/v1/ledgers/{site['lid']}"
    return {
        "ledgers": api.get("/api/v1/ledgers").body,
        "ledger": api.get(base).body,
        "records": api.get(f"{base}/records").body,
        "permissions": api.get(f"{base}/permissions").body,
        "orgs": api.get("/api/v1/orgs").body,
        "users": api.get("/api/v1/users").body,
        "history": History.objects.count(),
        "events": LedgerEvent.objects.count(),
        "views": SavedView.objects.count(),
    }


# (method, path, body): every JSON write endpoint of the API, each with a bad text in a value.
# {lid}, {rid} are filled in from the site; T stands for the bad text.
def _writes(t: str) -> list[tuple[str, str, Any]]:
    led = "/api/v1/ledgers/{lid}"
    rec = led + "/records/{rid}"
    return [
        ("post", "/api/v1/ledgers", {"name": t}),
        ("post", "/api/v1/ledgers", {"name": "新台帳", "fields": [{"name": t, "type": "text"}]}),
        ("patch", led, {"name": t}),
        ("patch", led, {"description": t}),
        ("patch", led, {"migrated_from": t}),
        ("post", led + "/fields", {"name": t, "type": "text"}),
        ("post", led + "/fields", {"name": "区分", "type": "choice", "options": {"choices": [t]}}),
        ("patch", led + "/fields/name", {"name": t}),
        ("put", led + "/fields/order", {"codes": ["name", "flag", t]}),
        ("put", led + "/permissions", {"rules": [{"subject": {"user": t}, "rights": ["view"]}]}),
        ("post", led + "/records", {"values": {"name": t}}),
        ("post", led + "/records", {"values": {t: "x"}}),
        ("patch", rec, {"revision": 1, "values": {"name": t}}),
        ("post", led + "/records/bulk", {"create": [{"values": {"name": t}}]}),
        ("post", led + "/records/bulk", {"update": [{"id": "{rid}", "revision": 1,
                                                     "values": {"name": t}}]}),
        ("post", rec + "/revert", {"to_revision": t}),
        ("post", "/api/v1/orgs", {"code": "200", "name": t}),
        ("patch", "/api/v1/orgs/100", {"name": t}),
        ("post", "/api/v1/users", {"login": "taro", "name": t}),
        ("patch", "/api/v1/users/hanako", {"name": t}),
        ("patch", "/api/v1/users/hanako", {"roles": [t]}),
        ("post", "/api/v1/imports/0123/rollback", {"confirm": t}),
    ]


WRITES = _writes(LONE)


def _fill(value: Any, site: dict[str, Any]) -> Any:
    if isinstance(value, str):
        if value == "{rid}":
            return site["rid"]
        return value.format(**site) if "{" in value else value
    if isinstance(value, dict):
        return {_fill(k, site): _fill(v, site) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, site) for v in value]
    return value


def _send(api: ApiClient, method: str, path: str, raw: str) -> Response:
    call: Callable[..., Any] = getattr(api.client, method)
    return api._wrap(call(path, raw, content_type="application/json"))


def _refused(resp: Response, code: str) -> dict[str, Any]:
    assert resp.status == 400, resp.body
    error: dict[str, Any] = resp.body["error"]
    assert error["code"] == code, error
    assert set(error) <= {"code", "message", "details"} and error["message"]
    return error


@pytest.mark.parametrize(("method", "path", "body"), WRITES,
                         ids=[f"{m} {p} {next(iter(b))}" for m, p, b in WRITES])
def test_lone_surrogate_is_refused_everywhere(api: ApiClient, site: dict[str, Any], method: str,
                                              path: str, body: Any) -> None:
    before = _snapshot(api, site)
    raw = json.dumps(_fill(body, site))
    assert "\\ud800" in raw
    error = _refused(_send(api, method, _fill(path, site), raw), "invalid_text")
    assert "サロゲート" in error["message"]  # Japanese by default
    assert _snapshot(api, site) == before


def test_surrogate_message_in_english_and_where(api: ApiClient, site: dict[str, Any]) -> None:
    resp = api.client.post(f"/api/v1/ledgers/{site['lid']}/records",
                           json.dumps({"values": {"name": "ok" + LONE}}),
                           content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")
    error = resp.json()["error"]
    assert resp.status_code == 400 and error["details"] == {"at": "values.name"}
    assert "lone surrogate" in error["message"]


def test_paired_surrogates_are_text(api: ApiClient, site: dict[str, Any]) -> None:
    """An escaped pair is one character (😀, 𠮷): stored as such."""
    url = f"/api/v1/ledgers/{site['lid']}/records"
    resp = _send(api, "post", url, '{"values": {"name": "\\ud83d\\ude00\\ud842\\udfb7"}}')
    assert resp.status == 201, resp.body
    assert resp.body["values"]["name"] == "😀𠮷"
    escaped = _send(api, "post", url, '{"values": {"name": "\\\\ud800"}}')  # a backslash and text
    assert escaped.status == 201 and escaped.body["values"]["name"] == "\\ud800"


def test_import_columns_with_a_lone_surrogate(api: ApiClient, site: dict[str, Any]) -> None:
    before = _snapshot(api, site)
    resp = api.upload("/api/v1/imports", {
        "file": io.BytesIO("名称\n甲\n".encode()), "name": "取込",
        "columns": json.dumps([{"source_index": 0, "name": LONE}])})
    _refused(resp, "invalid_text")
    assert _snapshot(api, site) == before


def test_web_json_and_forms_with_a_lone_surrogate(api: ApiClient, admin: Any,
                                                  site: dict[str, Any]) -> None:
    web = Client()
    web.force_login(admin)
    before = _snapshot(api, site)
    lid = site["lid"]
    # The grid's save: JSON from the page script.
    save = web.post(f"/ledgers/{lid}/save", json.dumps({"create": [{"values": {"name": LONE}}]}),
                    content_type="application/json")
    assert save.status_code == 400 and save.json()["error"]["code"] == "invalid_text"
    # Saving a view: the column widths travel as JSON in a form field; the page shows why.
    page = web.post(f"/ledgers/{lid}/views/save", {"name": "幅", "widths": json.dumps({LONE: 9})},
                    follow=True)
    assert page.status_code == 200
    assert "対になっていないサロゲート" in page.content.decode()
    assert _snapshot(api, site) == before
    # Form fields and query strings: Django decodes broken UTF-8 (a surrogate encoded as
    # bytes) into U+FFFD, so these are ordinary text and answer normally.
    form = web.post(f"/ledgers/{lid}/settings", "name=%ED%A0%80&description=",
                    content_type="application/x-www-form-urlencoded")
    assert form.status_code < 500
    assert web.get(f"/ledgers/{lid}/?q=%ED%A0%80").status_code == 200
    listed = api.client.get(f"/api/v1/ledgers/{lid}/records?q=%ED%A0%80&filter=name:eq:%ED%A0%80")
    assert listed.status_code == 200


def test_multipart_forms_with_broken_utf8(api: ApiClient, admin: Any,
                                          site: dict[str, Any]) -> None:
    """A surrogate encoded as bytes in a multipart field or file name is decoded by Django into
    U+FFFD: ordinary text, never a 500."""
    web = Client()
    web.force_login(admin)
    form = (b'--B\r\nContent-Disposition: form-data; name="name"\r\n\r\n\xed\xa0\x80\r\n'
            b'--B\r\nContent-Disposition: form-data; name="description"\r\n\r\n\r\n--B--\r\n')
    resp = web.post(f"/ledgers/{site['lid']}/settings", form,
                    content_type="multipart/form-data; boundary=B")
    assert resp.status_code < 500
    upload = (b'--B\r\nContent-Disposition: form-data; name="file"; filename="\xed\xa0\x80.csv"\r\n'
              b"Content-Type: text/csv\r\n\r\n" + "名称\n甲\n".encode() + b"\r\n--B--\r\n")
    imported = api.client.post("/api/v1/imports", upload,
                               content_type="multipart/form-data; boundary=B")
    assert imported.status_code in (200, 400), imported.content
    assert "error" in imported.json() or imported.json()["ok"]


def test_a_cursor_with_a_lone_surrogate(api: ApiClient, admin: Any, site: dict[str, Any]) -> None:
    """Page cursors are base64 of JSON in the query string: the one way for a query string to
    carry a lone surrogate past Django's decoding."""
    cursor = base64.urlsafe_b64encode(json.dumps([LONE, 1]).encode()).decode()
    resp = api.get(f"/api/v1/ledgers/{site['lid']}/records",
                   {"sort": "name", "limit": "1", "cursor": cursor})
    _refused(resp, "invalid_cursor")
    web = Client()
    web.force_login(admin)
    page = web.get(f"/ledgers/{site['lid']}/", {"s": "1", "sort": "name", "after": cursor})
    assert page.status_code == 200
    assert "最初のページからやり直してください" in page.content.decode()


# Every endpoint that takes a JSON body (bodies that are not objects) ...
BODIES = sorted({(m, p) for m, p, _b in WRITES})


@pytest.mark.parametrize(("method", "path"), BODIES, ids=[f"{m} {p}" for m, p in BODIES])
@pytest.mark.parametrize("raw", ["[]", '"x"', "null", "123", "true", '[{"values": {}}]'])
def test_body_must_be_an_object(api: ApiClient, site: dict[str, Any], method: str, path: str,
                                raw: str) -> None:
    before = _snapshot(api, site)
    error = _refused(_send(api, method, _fill(path, site), raw), "invalid_body")
    assert "オブジェクト" in error["message"]
    assert _snapshot(api, site) == before


# ... and misspelt keys, at the top and inside bulk items.
MISSPELT = [
    ("post", "/api/v1/ledgers/{lid}/records", {"valuez": {"name": "x"}}, ["valuez"]),
    ("patch", "/api/v1/ledgers/{lid}/records/{rid}", {"revision": 1, "value": {"name": "x"}},
     ["value"]),
    ("post", "/api/v1/ledgers/{lid}/records/bulk", {"creat": [{"values": {"name": "x"}}]},
     ["creat"]),
    ("post", "/api/v1/ledgers/{lid}/records/bulk", {"create": [{"valuez": {"name": "x"}}]},
     ["valuez"]),
    ("post", "/api/v1/ledgers/{lid}/records/bulk",
     {"update": [{"id": "{rid}", "revision": 1, "values": {}, "revison": 2}]}, ["revison"]),
    ("post", "/api/v1/ledgers/{lid}/records/{rid}/revert", {"to_revison": 1}, ["to_revison"]),
    ("post", "/api/v1/ledgers", {"name": "新", "feilds": []}, ["feilds"]),
    ("patch", "/api/v1/ledgers/{lid}", {"nmae": "新"}, ["nmae"]),
    ("post", "/api/v1/ledgers/{lid}/fields", {"name": "新", "type": "text", "typo": 1}, ["typo"]),
    ("patch", "/api/v1/ledgers/{lid}/fields/name", {"nam": "新"}, ["nam"]),
    ("put", "/api/v1/ledgers/{lid}/fields/order", {"codes": [], "x": 1}, ["x"]),
    ("put", "/api/v1/ledgers/{lid}/permissions", {"rulez": []}, ["rulez"]),
    ("post", "/api/v1/orgs", {"code": "300", "name": "課", "parent": "100"}, ["parent"]),
    ("patch", "/api/v1/orgs/100", {"nmae": "課"}, ["nmae"]),
    ("post", "/api/v1/users", {"login": "jiro", "admin": True}, ["admin"]),
    ("patch", "/api/v1/users/hanako", {"role": ["x"]}, ["role"]),
    ("post", "/api/v1/imports/0123/rollback", {"confirmed": True}, ["confirmed"]),
]


@pytest.mark.parametrize(("method", "path", "body", "keys"), MISSPELT,
                         ids=[f"{m} {p} {k[0]}" for m, p, _b, k in MISSPELT])
def test_unknown_keys_are_named(api: ApiClient, site: dict[str, Any], method: str, path: str,
                                body: Any, keys: list[str]) -> None:
    before = _snapshot(api, site)
    error = _refused(_send(api, method, _fill(path, site), json.dumps(_fill(body, site))),
                     "unknown_keys")
    assert error["details"]["keys"] == keys
    assert all(key in error["message"] for key in keys)
    assert _snapshot(api, site) == before


def test_grid_save_refuses_unknown_keys(api: ApiClient, admin: Any, site: dict[str, Any]) -> None:
    web = Client()
    web.force_login(admin)
    before = _snapshot(api, site)
    for body in ({"creat": [{"values": {"name": "x"}}]}, {"create": [{"valuez": {"name": "x"}}]}):
        resp = web.post(f"/ledgers/{site['lid']}/save", json.dumps(body),
                        content_type="application/json")
        assert resp.status_code == 400 and resp.json()["error"]["code"] == "unknown_keys"
    resp = web.post(f"/ledgers/{site['lid']}/save", "[]", content_type="application/json")
    assert resp.status_code == 400 and resp.json()["error"]["code"] == "invalid_body"
    assert _snapshot(api, site) == before


def test_import_columns_refuse_unknown_keys(api: ApiClient, site: dict[str, Any]) -> None:
    resp = api.upload("/api/v1/imports", {
        "file": io.BytesIO("名称\n甲\n".encode()), "name": "取込",
        "columns": json.dumps([{"source_index": 0, "nmae": "x"}])})
    error = _refused(resp, "unknown_keys")
    assert error["details"] == {"keys": ["nmae"], "at": "columns[0]"}
    assert [led["name"] for led in api.get("/api/v1/ledgers").body["items"]] == ["リンク先", "台帳"]


@pytest.mark.parametrize("bad", [1.5, 1.0, True, "1.5", "1e0", "+1", "0x1", "1_0", 0, -1, [1],
                                 {"id": 1}, 2**62])
def test_link_ids_must_be_whole_numbers(api: ApiClient, site: dict[str, Any], bad: Any) -> None:
    url = f"/api/v1/ledgers/{site['lid']}/records"
    before = _snapshot(api, site)
    resp = api.post(url, {"values": {"name": "x", "ref": bad}})
    assert resp.status == 400 and resp.body["error"]["code"] == "invalid_values", resp.body
    assert "ref" in resp.body["error"]["details"]["fields"]
    patched = api.patch(f"{url}/{site['rid']}", {"revision": 1, "values": {"ref": bad}})
    assert patched.status == 400, patched.body
    assert _snapshot(api, site) == before


def test_link_ids_that_are_whole_numbers(api: ApiClient, site: dict[str, Any]) -> None:
    """A JSON integer, or its digits as text (what a form or a pasted cell sends)."""
    url = f"/api/v1/ledgers/{site['lid']}/records"
    linked = site["linked"]
    for good in (linked, str(linked), f" {linked} ", chr(0xFF10 + linked)):  # "１" full width
        resp = api.post(url, {"values": {"name": "x", "ref": good}})
        assert resp.status == 201, (good, resp.body)
        assert resp.body["values"]["ref"] == linked


@pytest.mark.parametrize("bad", [1.5, True, "1.5", None, [1]])
def test_bulk_update_ids_must_be_whole_numbers(api: ApiClient, site: dict[str, Any],
                                               bad: Any) -> None:
    before = _snapshot(api, site)
    resp = api.post(f"/api/v1/ledgers/{site['lid']}/records/bulk",
                    {"update": [{"id": bad, "revision": 1, "values": {"name": "変"}}]})
    assert resp.status == 400 and resp.body["error"]["code"] == "invalid_values", resp.body
    assert resp.body["error"]["details"]["items"][0]["fields"]["id"]
    assert _snapshot(api, site) == before
