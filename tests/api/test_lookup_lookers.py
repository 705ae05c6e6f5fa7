"""Which lookups a write fills and which follow it, as the ledgers' fields are now: the writers
read them in one query each (daicho.selectors.lookup_plan.lookups_of and
daicho.services.lookups._lookers, on every write of a record), never from a stale copy."""

from __future__ import annotations

from typing import Any

from tests.conftest import ApiClient, make_ledger

MASTER = [{"name": "名称", "type": "text", "code": "label"},
          {"name": "番号", "type": "number", "code": "no"}]


def _record(api: ApiClient, lid: int, values: dict[str, Any]) -> dict[str, Any]:
    resp = api.post(f"/api/v1/ledgers/{lid}/records", {"values": values})
    assert resp.status == 201, resp.body
    return resp.body  # type: ignore[no-any-return]


def _patch(api: ApiClient, lid: int, row: dict[str, Any], values: dict[str, Any]
           ) -> dict[str, Any]:
    current = api.get(f"/api/v1/ledgers/{lid}/records/{row['id']}").body
    resp = api.patch(f"/api/v1/ledgers/{lid}/records/{row['id']}",
                     {"revision": current["revision"], "values": values})
    assert resp.status == 200, resp.body
    return resp.body  # type: ignore[no-any-return]


def _values(api: ApiClient, lid: int, row: dict[str, Any]) -> dict[str, Any]:
    return api.get(f"/api/v1/ledgers/{lid}/records/{row['id']}").body[  # type: ignore[no-any-return]
        "values"]


def test_lookups_through_two_links_read_their_own_ledgers(api: ApiClient) -> None:
    """Two linked ledgers with the same field codes: each lookup shows its own ledger's field."""
    first = int(make_ledger(api, "課", MASTER)["id"])
    second = int(make_ledger(api, "係", MASTER)["id"])
    a = _record(api, first, {"label": "総務課", "no": 1})
    b = _record(api, second, {"label": "庶務係", "no": 2})
    looking = int(make_ledger(api, "貸出", [
        {"name": "品名", "type": "text", "code": "item"},
        {"name": "課", "type": "link", "code": "ka", "options": {"ledger": first}},
        {"name": "係", "type": "link", "code": "kakari", "options": {"ledger": second}},
        {"name": "課名", "type": "lookup", "code": "ka_label",
         "options": {"link": "ka", "field": "label"}},
        {"name": "係番号", "type": "lookup", "code": "kakari_no",
         "options": {"link": "kakari", "field": "no"}},
        {"name": "係名", "type": "lookup", "code": "kakari_label",
         "options": {"link": "kakari", "field": "label"}},
    ])["id"])
    row = _record(api, looking, {"item": "机", "ka": a["id"], "kakari": b["id"]})
    assert {k: row["values"][k] for k in ("ka_label", "kakari_no", "kakari_label")} == {
        "ka_label": "総務課", "kakari_no": 2, "kakari_label": "庶務係"}
    c = _record(api, second, {"label": "経理係", "no": 3})
    row = _patch(api, looking, row, {"kakari": c["id"]})
    assert {k: row["values"][k] for k in ("ka_label", "kakari_no", "kakari_label")} == {
        "ka_label": "総務課", "kakari_no": 3, "kakari_label": "経理係"}


def test_a_lookup_added_later_is_followed_and_one_deleted_is_not(api: ApiClient) -> None:
    """The master is written before any ledger looks it up, then a lookup comes (and a copy
    lookup, which never follows), then it goes: each write follows the lookups of that time."""
    master = int(make_ledger(api, "課", MASTER)["id"])
    a = _record(api, master, {"label": "総務課", "no": 1})
    a = _patch(api, master, a, {"label": "総務部総務課"})  # nothing looks it up yet
    looking = int(make_ledger(api, "貸出", [
        {"name": "品名", "type": "text", "code": "item"},
        {"name": "課", "type": "link", "code": "ka", "options": {"ledger": master}}])["id"])
    row = _record(api, looking, {"item": "机", "ka": a["id"]})
    for spec in ({"name": "課名", "type": "lookup", "code": "ka_label",
                  "options": {"link": "ka", "field": "label"}},
                 {"name": "課名（発行時）", "type": "lookup", "code": "ka_copy",
                  "options": {"link": "ka", "field": "label", "copy": True}}):
        resp = api.post(f"/api/v1/ledgers/{looking}/fields", spec)
        assert resp.status == 201, resp.body
    values = _values(api, looking, row)
    assert values["ka_label"] == values["ka_copy"] == "総務部総務課"
    a = _patch(api, master, a, {"label": "総務課"})
    values = _values(api, looking, row)
    assert values["ka_label"] == "総務課" and values["ka_copy"] == "総務部総務課"
    assert api.delete(f"/api/v1/ledgers/{looking}/fields/ka_label").status == 204
    _patch(api, master, a, {"label": "総務部"})
    assert _values(api, looking, row)["ka_copy"] == "総務部総務課"
    resp = api.post(f"/api/v1/ledgers/{looking}/fields/ka_label/restore")
    assert resp.status == 200, resp.body
    _patch(api, master, a, {"label": "市民課"})
    assert _values(api, looking, row)["ka_label"] == "市民課"
