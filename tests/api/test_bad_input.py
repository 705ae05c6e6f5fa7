"""Hostile and malformed input: the one error shape, the right status, nothing written."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import ApiClient


def _assert_error(resp: Any, status: int) -> None:
    assert resp.status == status, resp.body
    err = resp.body["error"]
    assert set(err) <= {"code", "message", "details"}
    assert isinstance(err["code"], str) and err["code"].replace("_", "").isalpha()
    assert isinstance(err["message"], str) and err["message"]


def _count(api: ApiClient, ledger: dict[str, Any]) -> int:
    return int(api.get(f"/api/v1/ledgers/{ledger['id']}").body["record_count"])


def test_error_shape_for_each_status(api: ApiClient, anon: ApiClient,
                                     ledger: dict[str, Any]) -> None:
    url = f"/api/v1/ledgers/{ledger['id']}/records"
    _assert_error(api.post(url, {"values": {"amount": "x"}}), 400)
    _assert_error(anon.get(url), 401)
    _assert_error(api.get(f"{url}/424242"), 404)
    _assert_error(api.get("/api/v1/no/such/thing"), 404)
    rid = api.post(url, {"values": {"name": "a"}}).body["id"]
    api.patch(f"{url}/{rid}", {"revision": 1, "values": {"name": "b"}})
    _assert_error(api.patch(f"{url}/{rid}", {"revision": 1, "values": {"name": "c"}}), 409)


def test_messages_are_japanese_by_default(api: ApiClient, ledger: dict[str, Any]) -> None:
    resp = api.get(f"/api/v1/ledgers/{ledger['id']}/records", {"filter": "nope:eq:1"})
    assert resp.body["error"]["message"] == "この台帳には項目「nope」がありません。"
    english = api.client.get(f"/api/v1/ledgers/{ledger['id']}/records?filter=nope:eq:1",
                             HTTP_ACCEPT_LANGUAGE="en")
    assert english.json()["error"]["message"] == "There is no field 「nope」 in this ledger."


@pytest.mark.parametrize("params", [
    {"filter": "name:regex:.*"},
    {"filter": "name"},
    {"filter": "name:eq"},
    {"filter": "amount:gt:abc"},
    {"filter": "day:lt:2024-13-01"},
    {"filter": "name:eq:x'; DROP TABLE daicho_ledger; --"},
    {"filter": "\"name\":eq:x"},
    {"filter": "name) OR 1=1 --:eq:x"},
    {"sort": "name; DROP TABLE daicho_ledger"},
    {"sort": "-(select 1)"},
    {"sort": "a,b,c,d,e,f"},
    {"limit": "-1"},
    {"limit": "0"},
    {"limit": "501"},
    {"limit": "99999999999999999999999"},
    {"limit": "abc"},
    {"cursor": "not-a-cursor"},
    {"cursor": "W10"},
    {"cursor": "x" * 5000},
    {"filter": "amount:in:" + ",".join(["1"] * 300)},
])
def test_bad_query_parameters(api: ApiClient, ledger: dict[str, Any], params: dict[str, str]) -> None:
    resp = api.get(f"/api/v1/ledgers/{ledger['id']}/records", params)
    if params.get("filter") == "name:eq:x'; DROP TABLE daicho_ledger; --":
        assert resp.status == 200 and resp.body["items"] == []
    else:
        _assert_error(resp, 400)
    assert api.get("/api/v1/ledgers").status == 200


@pytest.mark.parametrize("raw", [
    b"{not json", b"\xff\xfe\x00", b"[" * 100_000, b'{"values": ' + b"[" * 5000 + b"]" * 5000
    + b"}", b'"just a string"', b"[1, 2]", b'{"values": "text"}', b'{"values": [1]}',
    b'{"values": {"name": {"nested": {"deep": 1}}}}', b'{"values": {"name": "\\u0000"}}',
])
def test_bad_bodies_write_nothing(api: ApiClient, ledger: dict[str, Any], raw: bytes) -> None:
    resp = api.post(f"/api/v1/ledgers/{ledger['id']}/records", raw=raw)
    _assert_error(resp, 400)
    assert _count(api, ledger) == 0


def test_huge_values_and_bodies(api: ApiClient, ledger: dict[str, Any]) -> None:
    url = f"/api/v1/ledgers/{ledger['id']}/records"
    _assert_error(api.post(url, {"values": {"name": "あ" * 200_000}}), 400)
    _assert_error(api.post(url, raw=json.dumps({"values": {"name": "x" * 11_000_000}})), 413)
    _assert_error(api.post(url, {"values": {"amount": "9" * 40}}), 400)
    _assert_error(api.post(url, {"values": {"amount": "1e999999"}}), 400)
    _assert_error(api.post(url, {"values": {"amount": "NaN"}}), 400)
    _assert_error(api.post(url, {"values": {"name": "line\nbreak"}}), 400)
    assert _count(api, ledger) == 0


def test_ten_thousand_fields_refused(api: ApiClient) -> None:
    fields = [{"name": f"f{i}", "type": "text"} for i in range(10_000)]
    resp = api.post("/api/v1/ledgers", {"name": "巨大", "fields": fields})
    _assert_error(resp, 400)
    assert resp.body["error"]["code"] == "too_many_fields"
    assert api.get("/api/v1/ledgers").body["items"] == []


@pytest.mark.parametrize("body", [
    {"name": ""}, {"name": None}, {"name": 5}, {"name": "a\x00b"}, {"name": "x" * 201},
    {"name": "ok", "fields": "text"}, {"name": "ok", "fields": [{"name": "a"}]},
    {"name": "ok", "fields": [{"name": "a", "type": "number", "options": {"decimals": 99}}]},
    {"name": "ok", "fields": [{"name": "a", "type": "choice", "options": {"choices": "x"}}]},
    {"name": "ok", "fields": [{"name": "a", "type": "link", "options": {"ledger": 999}}]},
    {"name": "ok", "fields": [{"name": "a", "type": "text", "options": {"evil": 1}}]},
    {"name": "ok", "fields": [{"name": "a", "type": "text", "sql": "DROP"}]},
    {"name": "ok", "fields": [{"name": "a", "type": "textarea", "unique": True}]},
])
def test_bad_ledger_definitions(api: ApiClient, body: dict[str, Any]) -> None:
    _assert_error(api.post("/api/v1/ledgers", body), 400)
    assert api.get("/api/v1/ledgers").body["items"] == []


def test_ids_out_of_range_are_not_found(api: ApiClient, ledger: dict[str, Any]) -> None:
    for rid in ["0", "-1", "99999999999999999999999", "abc"]:
        resp = api.get(f"/api/v1/ledgers/{ledger['id']}/records/{rid}")
        assert resp.status in (400, 404), rid
        assert "error" in resp.body


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(flt=st.text(max_size=60), sort=st.text(max_size=30), q=st.text(max_size=30))
def test_any_query_string_answers_cleanly(api: ApiClient, ledger: dict[str, Any], flt: str,
                                          sort: str, q: str) -> None:
    resp = api.get(f"/api/v1/ledgers/{ledger['id']}/records",
                   {"filter": flt, "sort": sort, "q": q})
    assert resp.status in (200, 400), resp.body
    if resp.status == 400:
        _assert_error(resp, 400)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.dictionaries(st.sampled_from(["name", "amount", "day", "kind", "zzz"]),
                              st.one_of(st.none(), st.booleans(), st.integers(),
                                        st.floats(allow_nan=True), st.text(max_size=30),
                                        st.lists(st.integers(), max_size=3))))
def test_any_values_answer_cleanly(api: ApiClient, ledger: dict[str, Any],
                                   values: dict[str, Any]) -> None:
    before = _count(api, ledger)
    body = json.dumps({"values": values}, allow_nan=True)
    resp = api.post(f"/api/v1/ledgers/{ledger['id']}/records", raw=body)
    assert resp.status in (201, 400), resp.body
    assert _count(api, ledger) == before + (1 if resp.status == 201 else 0)


def test_openapi_and_health(api: ApiClient, anon: ApiClient) -> None:
    spec = anon.client.get("/api/v1/openapi.json")
    assert spec.status_code == 200
    paths = spec.json()["paths"]
    for path in ["/api/v1/ledgers", "/api/v1/ledgers/{ledger_id}/records",
                 "/api/v1/ledgers/{ledger_id}/records/{record_id}/revert",
                 "/api/v1/ledgers/{ledger_id}/aggregate"]:
        assert path in paths
    health = anon.client.get("/healthz")
    assert health.status_code == 200 and health.json() == {"status": "ok"}


def test_session_requires_csrf(admin: Any, ledger: dict[str, Any]) -> None:
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(admin)
    assert browser.get("/api/v1/ledgers").status_code == 200
    resp = browser.post(f"/api/v1/ledgers/{ledger['id']}/records",
                        json.dumps({"values": {"name": "x"}}), content_type="application/json")
    assert resp.status_code == 403
    assert resp.json()["error"]["code"] == "csrf_failed"


def test_revoked_and_read_only_tokens(admin: Any, ledger: dict[str, Any]) -> None:
    from django.utils import timezone

    from daicho.models import ApiToken
    from daicho.services.accounts import create_token

    token = create_token(user=admin, read_only=True)
    client = ApiClient(token)
    assert client.get("/api/v1/ledgers").status == 200
    _assert_error(client.post(f"/api/v1/ledgers/{ledger['id']}/records",
                              {"values": {"name": "x"}}), 403)
    ApiToken.objects.filter(prefix=token[:10]).update(revoked_at=timezone.now())
    _assert_error(client.get("/api/v1/ledgers"), 401)
    stored = ApiToken.objects.get(prefix=token[:10])
    assert token not in stored.key_hash and len(stored.key_hash) == 64
