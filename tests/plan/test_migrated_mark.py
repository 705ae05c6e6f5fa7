"""A ledger can be marked by hand as migrated from an Excel/Access file; the plan's KPI
台帳管理システムへの移行数 counts it in the fiscal year the ledger was created."""

from __future__ import annotations

from typing import Any

from tests.conftest import ApiClient, make_ledger

KPI = "台帳管理システムへの移行数"


def _actual(api: ApiClient, fy: int) -> Any:
    items = api.get("/api/v1/plan/kpis", {"fy": fy}).body["items"]
    return next(i for i in items if i["name"] == KPI)["actual"]


def test_marking_a_ledger_as_migrated_counts_it(shared_demo: Any, api: ApiClient) -> None:
    from daicho.plan.kpi import current_fiscal_year

    assert shared_demo[0].code == 0  # `daicho demo --json`, loaded once: tests/conftest.py
    fy = current_fiscal_year()
    before = _actual(api, fy) or 0
    year_before = _actual(api, fy - 1)
    ledger = make_ledger(api, name="備品台帳")
    url = f"/api/v1/ledgers/{ledger['id']}"
    assert api.get(url).body["migrated_from"] is None
    marked = api.patch(url, {"migrated_from": "備品台帳.xlsx (管財課の共有フォルダ)"})
    assert marked.status == 200, marked.body
    assert marked.body["migrated_from"] == {"note": "備品台帳.xlsx (管財課の共有フォルダ)"}
    assert _actual(api, fy) == before + 1
    assert _actual(api, fy - 1) == year_before  # counted in the year it was created only
    for bad in ["", "x" * 201, 12, ["a"]]:
        resp = api.patch(url, {"migrated_from": bad, "name": "改名"})
        assert resp.status == 400 and resp.body["error"]["code"] == "invalid_migrated_from"
    assert api.get(url).body["name"] == "備品台帳"  # a refused patch changes nothing
    assert api.patch(url, {"migrated_from": None}).body["migrated_from"] is None
    assert (_actual(api, fy) or 0) == before
