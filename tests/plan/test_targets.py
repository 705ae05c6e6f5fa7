"""Issue 17 point 3: targets only where the seed sets them, each checked against the seed's
own words: A-ii/A-iii from H31 (H30 is for the policy and the audit plan), プリント枚数 without an
invented base year, ペーパーレス会議の実施数 without 市政経営会議, and 「全課等に整備」 computed
from the organisation rather than stored."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.conftest import ApiClient
from tests.plan.test_plan import seed_roadmap, seed_text
from tests.plan.test_plan_data import add, every, kpis, set_base_year

YEARS = range(2018, 2023)


@pytest.fixture
def plan(shared_demo: Any, api: ApiClient, cli: Any) -> dict[str, int]:
    result = shared_demo[0]  # `daicho demo --json`, loaded once: tests/conftest.py
    assert result.code == 0, result.err
    return {item["name"]: item["id"] for item in api.get("/api/v1/ledgers").body["items"]}


def _seed_goal(name: str) -> str:
    """The 【目標値】 of a quantitative target, as the seed writes it after the KPI's name."""
    found = re.search(re.escape(name) + r"\n?【目標値】\t【([^】]+)】", seed_text())
    if found is None:
        found = re.search(re.escape(name) + r"【([^】]+)】", seed_text())
    assert found, name
    return found.group(1)


def test_every_year_targets_start_when_the_seed_schedules_the_activity(
        plan: dict[str, int], api: ApiClient) -> None:
    notes = {m["code"]: m["note"] for m in seed_roadmap()}
    cases = {"A-ii": ("参考見積金額（予算要求額）の削減", 10),
             "A-iii": ("情報セキュリティ監査の実施数", 15)}
    by_year = {fy: kpis(api, fy) for fy in YEARS}
    for code, (name, value) in cases.items():
        # 「H30 外部コンサルタント等の活用方針の決定 H31～外部コンサルタント等の活用」,
        # 「H30 監査計画の策定 H31～監査の実施」: the yearly activity starts in H31.
        start = 1988 + int(re.search(r"H(\d+)～", notes[code]).group(1))  # type: ignore[union-attr]
        assert start == 2019
        goal = _seed_goal(name)
        assert goal.startswith("毎年度")
        assert value == (10 if "1割" in goal else int(re.search(r"(\d+)所属", goal).group(1)))  # type: ignore[union-attr]
        got = [by_year[fy][name]["target"] for fy in YEARS]
        assert got == [None if fy < start else value for fy in YEARS], code
    fy2018 = by_year[2018]["情報セキュリティ監査の実施数"]
    assert fy2018["target"] is None and fy2018["achieved"] is None  # no 「0所属 未達成」


def test_print_reduction_has_no_invented_base_year(plan: dict[str, int], api: ApiClient) -> None:
    name = "プリント枚数の削減"
    assert _seed_goal(name) == "利用状況を分析した上で平成31年度に設定"
    for fy in YEARS:
        item = kpis(api, fy)[name]
        assert item["target"] is None and item["actual"] is None and item["achieved"] is None
    ledger = api.get(f"/api/v1/ledgers/{plan['プリント枚数']}").body
    assert "2018" not in ledger["description"]
    record = next(v for v in every(api, plan["目標指標"]).values() if v["name"] == name)
    assert record["base_year"] is None
    # The committee sets the base year (平成31年度に設定): from then on the reduction counts.
    set_base_year(api, plan, name, 2019)
    got = {fy: kpis(api, fy)[name]["actual"] for fy in YEARS}
    assert got[2018] is None and got[2019] == 0 and got[2022] > 0


def test_paperless_meetings_leave_out_市政経営会議(plan: dict[str, int], api: ApiClient) -> None:
    name = "ペーパーレス会議の実施数"
    goal = _seed_goal(name)
    assert "市政経営会議を除く" in goal and "175回" in goal
    meetings = every(api, plan["会議"]).values()

    def expected(fy: int) -> int:
        start, end = f"{fy}-04-01", f"{fy + 1}-03-31"
        return sum(1 for m in meetings if m["paperless"] and m["name"] != "市政経営会議"
                   and start <= m["held_on"] <= end)

    assert any(m["paperless"] and m["name"] == "市政経営会議" for m in meetings)
    for fy in (2019, 2022):
        assert kpis(api, fy)[name]["actual"] == expected(fy)
    before = kpis(api, 2024)[name]["actual"]
    add(api, plan["会議"], {"name": "市政経営会議", "held_on": "2024-05-01", "paperless": True},
        {"name": "関係部長会議", "held_on": "2024-05-02", "paperless": True})
    assert kpis(api, 2024)[name]["actual"] == before + 1


def test_every_section_target_is_computed_from_the_organisation(
        plan: dict[str, int], api: ApiClient) -> None:
    name = "ペーパーレス会議システムの整備数"
    assert _seed_goal(name) == "平成34年度まで全課等に整備"
    record = next(v for v in every(api, plan["目標指標"]).values() if v["name"] == name)
    assert all(record[f"target_{fy}"] is None for fy in YEARS)  # not stored

    def sections(as_of: str | None = None) -> int:
        items = api.get("/api/v1/orgs", {"as_of": as_of} if as_of else None).body["items"]
        parents = {o["parent_code"] for o in items}
        return sum(1 for o in items if o["code"] not in parents)

    assert [kpis(api, fy)[name]["target"] for fy in YEARS] == [None] * 4 + [sections()]
    # A 課 added today counts (the organisation is known from the day daicho recorded it);
    # one scheduled after FY2022 does not.
    resp = api.post("/api/v1/orgs", {"code": "130", "name": "行政改革課", "parent_code": "100"})
    assert resp.status == 201, resp.body
    resp = api.post("/api/v1/orgs", {"code": "140", "name": "デジタル推進課",
                                     "parent_code": "100", "valid_from": "2030-04-01"})
    assert resp.status == 201, resp.body
    target = kpis(api, 2022)[name]["target"]
    assert target == sections() and sections("2030-04-01") == target + 1
