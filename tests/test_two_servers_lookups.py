"""Lookups across two `daicho serve` processes on one database (the setup of
tests/test_two_servers.py): a lookup added through one server is filled and followed by the
writes the other server makes from then on — no process keeps the ledgers' lookups from before
(daicho.selectors.lookup_plan.lookups_of, daicho.services.lookups._lookers)."""

from __future__ import annotations

from tests.test_two_servers import Pair, _call, pair  # noqa: F401  (the fixture)


def test_a_lookup_added_on_one_server_is_filled_and_followed_on_the_other(pair: Pair) -> None:  # noqa: F811
    a, b, token = pair.a, pair.b, pair.token
    master = _call(a, token, "POST", "/api/v1/ledgers", {"name": "課", "fields": [
        {"name": "課名", "type": "text", "code": "label"}]})["id"]
    looking = _call(a, token, "POST", "/api/v1/ledgers", {"name": "貸出", "fields": [
        {"name": "品名", "type": "text", "code": "item"},
        {"name": "課", "type": "link", "code": "ka", "options": {"ledger": master}}]})["id"]
    ka = _call(a, token, "POST", f"/api/v1/ledgers/{master}/records",
               {"values": {"label": "総務課"}})["id"]
    mpath = f"/api/v1/ledgers/{master}/records/{ka}"
    # Server B writes both ledgers while nothing looks anything up.
    first = _call(b, token, "POST", f"/api/v1/ledgers/{looking}/records",
                  {"values": {"item": "机", "ka": ka}})
    assert _call(b, token, "PATCH", mpath, {"revision": 1, "values": {"label": "総務部"}})
    added = _call(a, token, "POST", f"/api/v1/ledgers/{looking}/fields", {
        "name": "課名", "type": "lookup", "code": "ka_label",
        "options": {"link": "ka", "field": "label"}})
    assert added["code"] == "ka_label"
    # B fills it on a new record and follows the master's change on both.
    second = _call(b, token, "POST", f"/api/v1/ledgers/{looking}/records",
                   {"values": {"item": "椅子", "ka": ka}})
    assert second["values"]["ka_label"] == "総務部"
    assert _call(b, token, "PATCH", mpath, {"revision": 2, "values": {"label": "市民課"}})
    for rid in (first["id"], second["id"]):
        row = _call(a, token, "GET", f"/api/v1/ledgers/{looking}/records/{rid}")
        assert row["values"]["ka_label"] == "市民課"
