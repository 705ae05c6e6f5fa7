"""Issue 14 point 7 through the API: grouping dates by year, month and 年度 (April–March) in
`GET …/aggregate`, and the cross-tab `GET …/crosstab` with its totals."""

from __future__ import annotations

from typing import Any

from tests.conftest import ApiClient, make_ledger

# Across the March/April boundary: 2024-03-31 is 年度 2023, 2024-04-01 is 年度 2024.
ROWS = [
    ("a", "2024-03-31", "土地", 100),
    ("b", "2024-04-01", "土地", 250),
    ("c", "2024-04-30", "建物", 1000),
    ("d", "2025-03-31", "建物", 0.5),
    ("e", "2025-04-01", "土地", None),
    ("f", None, "建物", 7),
]


def _fill(api: ApiClient) -> dict[str, Any]:
    ledger = make_ledger(api, fields=[
        {"name": "名称", "type": "text", "code": "name", "required": True},
        {"name": "金額", "type": "number", "code": "amount", "options": {"decimals": 1}},
        {"name": "取得日", "type": "date", "code": "day"},
        {"name": "区分", "type": "choice", "code": "kind",
         "options": {"choices": ["土地", "建物", "工作物"]}},
    ])
    resp = api.post(f"/api/v1/ledgers/{ledger['id']}/records/bulk", {"create": [
        {"values": {"name": n, "day": d, "kind": k, "amount": a}} for n, d, k, a in ROWS]})
    assert resp.status == 200, resp.body
    return ledger


def _groups(api: ApiClient, ledger: dict[str, Any], **params: str) -> list[tuple[Any, Any]]:
    resp = api.get(f"/api/v1/ledgers/{ledger['id']}/aggregate", params)
    assert resp.status == 200, resp.body
    return [(g["key"], g["value"]) for g in resp.body["groups"]]


def test_aggregate_by_fiscal_year_month_and_year(api: ApiClient) -> None:
    ledger = _fill(api)
    assert _groups(api, ledger, group_by="day:fy") == [(None, 1), (2023, 1), (2024, 3), (2025, 1)]
    assert _groups(api, ledger, group_by="day:fy", metric="sum:amount") == [
        (None, 7), (2023, 100), (2024, 1250.5), (2025, None)]
    assert _groups(api, ledger, group_by="day:year") == [(None, 1), (2024, 3), (2025, 2)]
    assert _groups(api, ledger, group_by="day:month") == [
        (None, 1), ("2024-03", 1), ("2024-04", 2), ("2025-03", 1), ("2025-04", 1)]
    # Filters and grouping work together: only 土地.
    assert _groups(api, ledger, group_by="day:fy", filter="kind:eq:土地") == [
        (2023, 1), (2024, 1), (2025, 1)]


def test_bad_groupings_are_refused_in_the_one_error_shape(api: ApiClient) -> None:
    ledger = _fill(api)
    base = f"/api/v1/ledgers/{ledger['id']}"
    for spec in ("kind:fy", "day:week", "day:", "nope:fy", "day:fy:x"):
        resp = api.get(f"{base}/aggregate", {"group_by": spec})
        assert resp.status == 400, spec
        assert resp.body["error"]["code"] in ("invalid_group_by", "unknown_field"), spec
        assert resp.body["error"]["message"]
    resp = api.get(f"{base}/crosstab", {"rows": "kind", "columns": "day:fy", "metric": "avg:amount"})
    assert resp.status == 400 and resp.body["error"]["code"] == "invalid_metric"
    resp = api.get(f"{base}/crosstab", {"rows": "kind", "columns": "day:fy", "metric": "sum:name"})
    assert resp.status == 400 and resp.body["error"]["code"] == "invalid_metric"
    resp = api.get(f"{base}/crosstab", {"rows": "kind"})
    assert resp.status == 400 and resp.body["error"]["code"] == "invalid_group_by"
    resp = api.get(f"{base}/crosstab", {"rows": "name", "columns": "amount"})
    assert resp.status == 200  # 6 × 5: within the limits


def test_crosstab_counts_with_totals(api: ApiClient) -> None:
    ledger = _fill(api)
    resp = api.get(f"/api/v1/ledgers/{ledger['id']}/crosstab",
                   {"rows": "kind", "columns": "day:fy"})
    assert resp.status == 200, resp.body
    body = resp.body
    assert [c["key"] for c in body["columns"]] == [None, 2023, 2024, 2025]
    assert [c["total"] for c in body["columns"]] == [1, 1, 3, 1]
    rows = {r["key"]: (r["values"], r["total"]) for r in body["rows"]}
    assert list(rows) == ["土地", "建物"]
    assert rows["土地"] == ([0, 1, 1, 1], 3)
    assert rows["建物"] == ([1, 0, 2, 0], 3)
    assert body["total"] == 6


def test_crosstab_sums_with_totals(api: ApiClient) -> None:
    ledger = _fill(api)
    body = api.get(f"/api/v1/ledgers/{ledger['id']}/crosstab",
                   {"rows": "day:fy", "columns": "kind", "metric": "sum:amount",
                    "filter": "day:notempty:"}).body
    columns = [c["key"] for c in body["columns"]]
    assert columns == ["土地", "建物"]
    rows = {r["key"]: dict(zip(columns, r["values"], strict=True)) | {"total": r["total"]}
            for r in body["rows"]}
    assert rows == {
        2023: {"土地": 100, "建物": None, "total": 100},
        2024: {"土地": 250, "建物": 1000.5, "total": 1250.5},
        2025: {"土地": None, "建物": None, "total": None},
    }
    totals = dict(zip(columns, [c["total"] for c in body["columns"]], strict=True))
    assert totals == {"土地": 350, "建物": 1000.5}
    assert body["total"] == 1350.5
