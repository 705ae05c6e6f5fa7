"""A bulk update of many records is written in a few statements (daicho.db.batch): every value,
revision and history entry as if each record had been updated on its own."""

from __future__ import annotations

from typing import Any

from tests.conftest import ApiClient, make_ledger

FIELDS = [
    {"name": "名称", "type": "text", "code": "name"},
    {"name": "金額", "type": "number", "code": "amount", "options": {"decimals": 1}},
    {"name": "日付", "type": "date", "code": "day"},
    {"name": "区分", "type": "choice", "code": "kind", "options": {"choices": ["土地", "建物"]}},
    {"name": "番号", "type": "text", "code": "no", "unique": True},
]


def _all(api: ApiClient, lid: int) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {"sort": "id", "limit": 200, **({"cursor": cursor} if cursor else {})}
        body = api.get(f"/api/v1/ledgers/{lid}/records", query).body
        items += body["items"]
        cursor = body.get("next_cursor")
        if not cursor:
            return items


def _ledger(api: ApiClient, n: int) -> tuple[int, list[dict[str, Any]]]:
    led = make_ledger(api, "一括更新", FIELDS)
    create = [{"values": {"name": f"施設{i}", "amount": i, "day": "2024-04-01", "kind": "土地",
                          "no": f"N{i}"}} for i in range(n)]
    assert api.post(f"/api/v1/ledgers/{led['id']}/records/bulk", {"create": create}).status == 200
    return led["id"], _all(api, led["id"])


def test_many_records_with_different_changes(api: ApiClient) -> None:
    lid, recs = _ledger(api, 620)  # more than one statement's worth of rows
    update = []
    for i, r in enumerate(recs):
        values: dict[str, Any] = ({"amount": None, "day": "R6.5.1"} if i % 3 == 0 else
                                  {"name": f"改称{i}", "kind": "建物"} if i % 3 == 1 else
                                  {"amount": "1,234.5", "no": f"M{i}"})
        update.append({"id": r["id"], "revision": r["revision"], "values": values})
    resp = api.post(f"/api/v1/ledgers/{lid}/records/bulk", {"update": update})
    assert resp.status == 200, resp.body
    after = _all(api, lid)
    assert [r["revision"] for r in after] == [r["revision"] + 1 for r in recs]
    for i, r in enumerate(after):
        v = r["values"]
        if i % 3 == 0:
            assert (v["amount"], v["day"], v["name"]) == (None, "2024-05-01", f"施設{i}")
        elif i % 3 == 1:
            assert (v["name"], v["kind"], v["amount"]) == (f"改称{i}", "建物", i)
        else:
            assert (v["amount"], v["no"], v["day"]) == (1234.5, f"M{i}", "2024-04-01")
    # The search key follows: the new name is found, the old one no longer.
    found = api.get(f"/api/v1/ledgers/{lid}/records", {"q": "改称601"}).body["items"]
    assert [r["values"]["name"] for r in found] == ["改称601"]
    assert api.get(f"/api/v1/ledgers/{lid}/records", {"q": "施設601"}).body["items"] == []
    history = api.get(f"/api/v1/ledgers/{lid}/records/{after[1]['id']}/history").body
    assert history["items"][0]["changes"]["name"] == {"old": "施設1", "new": "改称1"}


def test_a_unique_value_taken_within_the_batch_changes_nothing(api: ApiClient) -> None:
    lid, recs = _ledger(api, 3)
    update = [{"id": r["id"], "revision": r["revision"], "values": {"no": "同じ番号"}}
              for r in recs[:2]]
    resp = api.post(f"/api/v1/ledgers/{lid}/records/bulk", {"update": update})
    assert resp.status in (400, 409), resp.body
    assert [r["values"]["no"] for r in _all(api, lid)] == ["N0", "N1", "N2"]
