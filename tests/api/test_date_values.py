"""Dates as people type them, the same on every path: the API reads 和暦 and written forms the
importer reads, refuses what cannot be right (a year a browser made of 2024/4/1, an ambiguous
6/4/1) with the one error shape, and writes nothing then."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import ApiClient, make_ledger


def _ledger(api: ApiClient) -> dict[str, Any]:
    return make_ledger(api, "日付の台帳", [
        {"name": "名称", "type": "text", "code": "name"},
        {"name": "日付", "type": "date", "code": "day"},
        {"name": "日時", "type": "datetime", "code": "at"},
    ])


def _count(api: ApiClient, ledger: dict[str, Any]) -> int:
    return int(api.get(f"/api/v1/ledgers/{ledger['id']}").body["record_count"])


@pytest.mark.parametrize("typed", ["R6.4.1", "令和6年4月1日", "2024/4/1", "2024-04-01", "20240401",
                                   "ｒ６．４．１", "令和６年４月１日"])
def test_typed_dates_are_read_as_the_importer_reads_them(api: ApiClient, typed: str) -> None:
    ledger = _ledger(api)
    resp = api.post(f"/api/v1/ledgers/{ledger['id']}/records", {"values": {"day": typed}})
    assert resp.status == 201, resp.body
    assert resp.body["values"]["day"] == "2024-04-01"


@pytest.mark.parametrize(("typed", "words"), [
    ("0441-02-02", "441"),
    ("1867-12-31", "1868"),
    ("2201-01-01", "2200"),
    ("6/4/1", "R6.4.1"),
    ("24/4/1", "R6.4.1"),
])
def test_implausible_and_ambiguous_dates_are_refused(api: ApiClient, typed: str,
                                                     words: str) -> None:
    ledger = _ledger(api)
    url = f"/api/v1/ledgers/{ledger['id']}/records"
    resp = api.post(url, {"values": {"name": "x", "day": typed}})
    assert resp.status == 400, resp.body
    error = resp.body["error"]
    assert error["code"] == "invalid_values"
    assert words in error["details"]["fields"]["day"]
    assert _count(api, ledger) == 0
    rid = api.post(url, {"values": {"name": "x", "day": "2024-04-01"}}).body["id"]
    patched = api.patch(f"{url}/{rid}", {"revision": 1, "values": {"day": typed}})
    assert patched.status == 400 and patched.body["error"]["code"] == "invalid_values"
    assert api.get(f"{url}/{rid}").body["values"]["day"] == "2024-04-01"


def test_the_message_says_which_years_are_allowed_in_japanese(api: ApiClient) -> None:
    ledger = _ledger(api)
    resp = api.post(f"/api/v1/ledgers/{ledger['id']}/records", {"values": {"day": "0441-02-02"}})
    message = resp.body["error"]["details"]["fields"]["day"]
    assert "1868" in message and "2200" in message and "年" in message


def test_bulk_refuses_year_0441_and_writes_nothing(api: ApiClient) -> None:
    ledger = _ledger(api)
    resp = api.post(f"/api/v1/ledgers/{ledger['id']}/records/bulk", {"create": [
        {"values": {"day": "2024-04-01"}}, {"values": {"day": "0441-02-02"}}]})
    assert resp.status == 400 and resp.body["error"]["code"] == "invalid_values"
    assert _count(api, ledger) == 0


def test_datetimes_take_wareki_and_refuse_implausible_years(api: ApiClient) -> None:
    ledger = _ledger(api)
    url = f"/api/v1/ledgers/{ledger['id']}/records"
    for typed in ("R6.4.1 9:30", "2024/4/1 9:30", "2024-04-01T09:30:00+09:00"):
        resp = api.post(url, {"values": {"at": typed}})
        assert resp.status == 201, resp.body
        assert resp.body["values"]["at"] == "2024-04-01T09:30:00+09:00"
    bad = api.post(url, {"values": {"at": "0441-02-02T00:00"}})
    assert bad.status == 400 and bad.body["error"]["code"] == "invalid_values"
    assert "441" in bad.body["error"]["details"]["fields"]["at"]


def test_a_filter_may_still_ask_about_any_year(api: ApiClient) -> None:
    ledger = _ledger(api)
    url = f"/api/v1/ledgers/{ledger['id']}/records"
    api.post(url, {"values": {"day": "R6.4.1"}})
    resp = api.get(url, {"filter": "day:gt:1800-01-01"})
    assert resp.status == 200 and len(resp.body["items"]) == 1
