"""The plan module's data side: the security-audit cycle as linked ledgers, the KPIs and their
targets equal to the seed's text, the KPIs that read the new source ledgers per fiscal year, and
the engine's cumulative, distinct and base-year options — all through the CLI and the API."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from typing import Any

import pytest

from tests.conftest import ApiClient
from tests.plan.test_plan import KPI_NAMES, seed_text

YEARS = range(2018, 2024)
MIC_CATEGORIES = ["組織体制", "情報資産の分類と管理", "物理的セキュリティ", "人的セキュリティ",
                  "技術的セキュリティ", "運用", "外部サービスの利用", "評価・見直し"]
LINKS = {  # ledger → {field code: linked ledger}
    "情報セキュリティ監査": {"plan": "情報セキュリティ監査計画"},
    "監査チェックリスト": {"audit": "情報セキュリティ監査", "item": "情報セキュリティ監査項目"},
    "監査指摘事項": {"audit": "情報セキュリティ監査", "answer": "監査チェックリスト"},
    "監査改善計画": {"finding": "監査指摘事項"},
}


@pytest.fixture
def plan(shared_demo: Any, api: ApiClient, cli: Any) -> dict[str, int]:
    result = shared_demo[0]  # `daicho demo --json`, loaded once: tests/conftest.py
    assert result.code == 0, result.err
    return {item["name"]: item["id"] for item in api.get("/api/v1/ledgers").body["items"]}


def every(api: ApiClient, ledger_id: int) -> dict[int, dict[str, Any]]:
    """Every record of a ledger: id → values (following the cursor)."""
    out: dict[int, dict[str, Any]] = {}
    cursor = None
    while True:
        query: dict[str, Any] = {"limit": 500, **({"cursor": cursor} if cursor else {})}
        resp = api.get(f"/api/v1/ledgers/{ledger_id}/records", query)
        assert resp.status == 200, resp.body
        out.update({r["id"]: r["values"] for r in resp.body["items"]})
        cursor = resp.body["next_cursor"]
        if not cursor:
            return out


def kpis(api: ApiClient, fy: int) -> dict[str, dict[str, Any]]:
    resp = api.get("/api/v1/plan/kpis", {"fy": fy})
    assert resp.status == 200, resp.body
    assert resp.body["fiscal_year"] == fy
    return {item["name"]: item for item in resp.body["items"]}


def actuals(api: ApiClient, name: str, years: Any = YEARS) -> dict[int, Any]:
    return {fy: kpis(api, fy)[name]["actual"] for fy in years}


def add(api: ApiClient, ledger_id: int, *values: dict[str, Any]) -> list[int]:
    resp = api.post(f"/api/v1/ledgers/{ledger_id}/records/bulk",
                    {"create": [{"values": v} for v in values]})
    assert resp.status == 200, resp.body
    return [r["id"] for r in resp.body["created"]]


def fy_end(fy: int) -> str:
    return f"{fy + 1}-03-31"


def in_fy(day: str | None, fy: int) -> bool:
    return day is not None and f"{fy}-04-01" <= day <= fy_end(fy)


# -- the audit cycle -----------------------------------------------------------------------------

def test_audit_cycle_ledgers_are_linked(plan: dict[str, int], api: ApiClient) -> None:
    for name, links in LINKS.items():
        fields = {f["code"]: f for f in api.get(f"/api/v1/ledgers/{plan[name]}").body["fields"]}
        for code, target in links.items():
            assert fields[code]["type"] == "link", (name, code)
            assert fields[code]["options"] == {"ledger": plan[target]}, (name, code)
    improvement_fields = {f["code"]: f["type"] for f in
                          api.get(f"/api/v1/ledgers/{plan['監査改善計画']}").body["fields"]}
    assert improvement_fields["owner"] == "user" and improvement_fields["owner_org"] == "org"
    assert improvement_fields["due_on"] == "date" and improvement_fields["followed_up_on"] == "date"

    items = every(api, plan["情報セキュリティ監査項目"])
    plans = every(api, plan["情報セキュリティ監査計画"])
    audits = every(api, plan["情報セキュリティ監査"])
    answers = every(api, plan["監査チェックリスト"])
    findings = every(api, plan["監査指摘事項"])
    improvements = every(api, plan["監査改善計画"])

    # The item master: the MIC guideline's categories, some items flagged 重点.
    categories = {i["category"] for i in items.values()}
    for category in MIC_CATEGORIES:
        assert any(category in c for c in categories), category
    focus = {item_id for item_id, i in items.items() if i["focus"]}
    assert 0 < len(focus) < len(items)

    # Engagements belong to a plan line of the same year and department.
    for audit in audits.values():
        line = plans[audit["plan"]]
        assert (line["fiscal_year"], line["department"]) == (audit["fiscal_year"],
                                                             audit["department"])
        assert line["status"] == "実施済" and in_fy(audit["audit_date"], audit["fiscal_year"])
    assert any(p["status"] == "延期" for p in plans.values())

    # Checklist answers: every engagement answers every 重点 item once; its result is the worst.
    by_audit: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for answer in answers.values():
        assert answer["answer"] in ("適合", "一部不適合", "不適合", "対象外")
        assert answer["item"] in items and answer["audit"] in audits
        by_audit[answer["audit"]].append(answer)
    assert set(by_audit) == set(audits)
    for audit_id, given in by_audit.items():
        checked = Counter(a["item"] for a in given)
        assert focus <= set(checked) and max(checked.values()) == 1
        results = {a["answer"] for a in given}
        worst = next((r for r in ("不適合", "一部不適合") if r in results), "適合")
        assert audits[audit_id]["result"] == worst

    # One finding per non-conforming answer, linked to it and to its engagement.
    nonconforming = {i for i, a in answers.items() if a["answer"] in ("一部不適合", "不適合")}
    assert nonconforming and sorted(f["answer"] for f in findings.values()) == sorted(nonconforming)
    for finding in findings.values():
        assert answers[finding["answer"]]["audit"] == finding["audit"]
        assert finding["text"]

    # An improvement plan per finding, with an owner, a due date after the audit, a follow-up.
    assert sorted(i["finding"] for i in improvements.values()) == sorted(findings)
    logins = {u["login"] for u in api.get("/api/v1/users").body["items"]}
    for improvement in improvements.values():
        audit = audits[findings[improvement["finding"]]["audit"]]
        assert improvement["owner_org"] == audit["department"]
        assert improvement["owner"] is None or improvement["owner"] in logins
        assert improvement["due_on"] > audit["audit_date"]
        if improvement["status"] == "完了":
            assert improvement["followed_up_on"] and improvement["follow_up"]
    assert any(i["owner"] for i in improvements.values())
    assert {i["status"] for i in improvements.values()} >= {"完了", "対応中"}

    # A link resolves through the records API.
    some = next(iter(findings.values()))
    resp = api.get(f"/api/v1/ledgers/{plan['監査チェックリスト']}/records/{some['answer']}")
    assert resp.status == 200 and resp.body["values"]["answer"] in ("一部不適合", "不適合")


def test_a_recreated_ledger_links_to_the_existing_records(plan: dict[str, int], api: ApiClient,
                                                          cli: Any) -> None:
    """`daicho demo` creates only what is missing; a missing ledger of the cycle links to the
    records already there (found by their numbers), not to records of a run that never was."""
    old = every(api, plan["監査指摘事項"])
    resp = api.patch(f"/api/v1/ledgers/{plan['監査指摘事項']}", {"name": "旧指摘事項"})
    assert resp.status == 200, resp.body
    result = cli("demo", "--json")
    assert result.code == 0 and result.json["created"] == ["監査指摘事項"], result.out
    lid = next(i["id"] for i in api.get("/api/v1/ledgers").body["items"]
               if i["name"] == "監査指摘事項")
    assert sorted(every(api, lid).values(), key=lambda f: f["finding_no"]) == \
        sorted(old.values(), key=lambda f: f["finding_no"])


def test_audit_kpi_counts_engagements(plan: dict[str, int], api: ApiClient) -> None:
    audits = every(api, plan["情報セキュリティ監査"]).values()
    expected = {fy: sum(in_fy(a["audit_date"], fy) for a in audits) for fy in YEARS}
    assert expected == {2018: 0, 2019: 15, 2020: 16, 2021: 15, 2022: 17, 2023: 15}
    assert actuals(api, "情報セキュリティ監査の実施数") == expected
    # A checklist answer or a finding added to an engagement is not another audit.
    audit_id = next(iter(every(api, plan["情報セキュリティ監査"])))
    item_id = next(iter(every(api, plan["情報セキュリティ監査項目"])))
    add(api, plan["監査チェックリスト"], {"audit": audit_id, "item": item_id, "answer": "適合"})
    assert actuals(api, "情報セキュリティ監査の実施数") == expected
    # A link to a record that is not there is refused.
    resp = api.post(f"/api/v1/ledgers/{plan['監査チェックリスト']}/records",
                    {"values": {"audit": 10**9, "item": item_id, "answer": "適合"}})
    assert resp.status == 400, resp.body


# -- the KPIs and the seed -----------------------------------------------------------------------

def seed_kpis() -> list[tuple[str, str]]:
    """(name, target text) of every quantitative target (定量的目標) in section 3."""
    lines = seed_text().splitlines()
    out: list[tuple[str, str]] = []
    for n, line in enumerate(lines):
        if not line.startswith("定量的目標"):
            continue
        for name, goal in re.findall(r"✓([^✓【<]+)(?:【([^】]+)】)?", line):
            if not goal:
                goal = re.search(r"【目標値】\t【([^】]+)】", lines[n + 1]).group(1)  # type: ignore[union-attr]
            out.append((name.strip(), goal))
    return out


def test_kpis_equal_the_seed(plan: dict[str, int], api: ApiClient) -> None:
    expected = seed_kpis()
    assert [name for name, _goal in expected] == KPI_NAMES
    rows = every(api, plan["目標指標"]).values()
    assert [(r["name"], r["goal"]) for r in rows] == expected
    for item in kpis(api, 2022).values():
        assert item["goal"] == dict(expected)[item["name"]]
    targets = {fy: {n: i["target"] for n, i in kpis(api, fy).items()} for fy in range(2018, 2023)}
    for fy in range(2019, 2023):  # from H31: H30 is for the policy and the audit plan
        assert targets[fy]["参考見積金額（予算要求額）の削減"] == 10  # 1割
        assert targets[fy]["情報セキュリティ監査の実施数"] == 15
        assert targets[fy]["電子申請システム等の対象手続き数"] is None  # 計画策定と合わせて設定
        assert targets[fy]["プリント枚数の削減"] is None  # 平成31年度に設定
    by_2022 = {"ペーパーレス会議の実施数": 175, "台帳管理システムへの移行数": 150, "クラウド化の件数": 12}
    for name, value in by_2022.items():
        assert [targets[fy][name] for fy in range(2018, 2023)] == [None] * 4 + [value]
    # 全課等に整備: every department without sub-departments.
    orgs = api.get("/api/v1/orgs").body["items"]
    parents = {o["parent_code"] for o in orgs}
    sections = [o for o in orgs if o["code"] not in parents]
    assert targets[2022]["ペーパーレス会議システムの整備数"] == len(sections) == 17
    assert targets[2021]["ペーパーレス会議システムの整備数"] is None
    # The demo reaches every 課等 by FY2022; no クラウド化 is recorded as done (point 2).
    fy2022 = kpis(api, 2022)
    assert fy2022["クラウド化の件数"]["actual"] == 0
    assert fy2022["ペーパーレス会議システムの整備数"]["achieved"] is True
    assert [n for n, item in fy2022.items() if item["actual"] is None] == ["プリント枚数の削減"]
    assert fy2022["クラウド化の件数"]["cumulative"] is True
    assert fy2022["ペーパーレス会議の実施数"]["cumulative"] is False


def test_no_kpi_is_without_a_source(plan: dict[str, int], api: ApiClient) -> None:
    for fy in (2019, 2022):
        missing = [n for n, i in kpis(api, fy).items() if i["actual"] is None]
        # プリント枚数の削減 waits for the base year the committee sets (平成31年度に設定).
        assert missing == ["プリント枚数の削減"], fy


def set_base_year(api: ApiClient, plan: dict[str, int], name: str, year: int) -> None:
    rid = next(rid for rid, v in every(api, plan["目標指標"]).items() if v["name"] == name)
    revision = api.get(f"/api/v1/ledgers/{plan['目標指標']}/records/{rid}").body["revision"]
    resp = api.patch(f"/api/v1/ledgers/{plan['目標指標']}/records/{rid}",
                     {"revision": revision, "values": {"base_year": year}})
    assert resp.status == 200, resp.body


# -- the new sources, per fiscal year ------------------------------------------------------------

def test_online_procedures_are_a_running_total(plan: dict[str, int], api: ApiClient) -> None:
    name = "電子申請システム等の対象手続き数"
    procedures = every(api, plan["電子申請手続"]).values()
    expected = {fy: sum(p["published_on"] <= fy_end(fy) for p in procedures) for fy in YEARS}
    before = actuals(api, name)
    assert before == expected
    assert all(before[fy] < before[fy + 1] for fy in range(2018, 2023))
    assert before[2018] > 0  # the procedures online since H19 count too

    add(api, plan["電子申請手続"],
        {"name": "転出届", "department": "310", "published_on": "2021-03-31"},
        {"name": "未公開の手続", "department": "310"})
    after = actuals(api, name)
    assert {fy: after[fy] - before[fy] for fy in YEARS} == {
        2018: 0, 2019: 0, 2020: 1, 2021: 1, 2022: 1, 2023: 1}


def test_paperless_systems_count_departments(plan: dict[str, int], api: ApiClient) -> None:
    name = "ペーパーレス会議システムの整備数"
    setups = every(api, plan["ペーパーレス会議システム整備"]).values()
    expected = {fy: len({s["department"] for s in setups if s["installed_on"] <= fy_end(fy)})
                for fy in YEARS}
    before = actuals(api, name)
    assert before == expected and before[2022] == 17
    assert len(setups) > 17  # a department with a second installation counts once

    first: dict[str, str] = {}
    for s in sorted(setups, key=lambda s: s["installed_on"]):
        first.setdefault(s["department"], s["installed_on"])
    late = next(d for d, day in sorted(first.items()) if in_fy(day, 2022))
    early = next(d for d, day in sorted(first.items()) if in_fy(day, 2018))
    add(api, plan["ペーパーレス会議システム整備"],
        {"department": late, "installed_on": "2021-06-01", "units": 2},
        {"department": early, "installed_on": "2020-06-01", "units": 3})
    after = actuals(api, name)
    assert {fy: after[fy] - before[fy] for fy in YEARS} == {
        2018: 0, 2019: 0, 2020: 0, 2021: 1, 2022: 0, 2023: 0}
    assert kpis(api, 2022)[name]["achieved"] is True


def test_print_reduction_counts_from_the_base_year(plan: dict[str, int], api: ApiClient) -> None:
    name = "プリント枚数の削減"
    assert set(actuals(api, name).values()) == {None}  # no base year set yet
    set_base_year(api, plan, name, 2018)
    prints = every(api, plan["プリント枚数"]).values()
    total = Counter[int]()
    for p in prints:
        total[p["fiscal_year"]] += p["sheets"]
    before = actuals(api, name, range(2017, 2025))
    assert before == {2017: None, **{fy: total[2018] - total[fy] for fy in YEARS}, 2024: None}
    assert before[2018] == 0 and before[2022] > 0

    add(api, plan["プリント枚数"], {"fiscal_year": 2022, "department": "110", "sheets": 1000})
    after = actuals(api, name, range(2017, 2025))
    assert after[2022] == before[2022] - 1000 and after[2021] == before[2021]
    add(api, plan["プリント枚数"], {"fiscal_year": 2018, "department": "110", "sheets": 5000},
        {"fiscal_year": 2024, "department": "110", "sheets": 7000})
    after = actuals(api, name, range(2017, 2025))
    assert after[2018] == 0 and after[2019] == before[2019] + 5000
    assert after[2022] == before[2022] + 4000
    assert after[2024] == total[2018] + 5000 - 7000


def test_cloud_and_migration_kpis_are_running_totals(plan: dict[str, int], api: ApiClient,
                                                      cli: Any, tmp_path: Any) -> None:
    from daicho.plan.kpi import current_fiscal_year

    # Issue 17 point 2: a completion (実施日 / 実施結果) counts, not a planned 更新予定時期.
    # The demo records none: every 資料4 date (H30.4～ … H34.12～) has passed, and still 0.
    inventory = {s["name"]: (sid, s) for sid, s in every(api, plan["情報システム台帳"]).items()}
    assert sum(bool(s["renewal"]) and s["renewal"] <= fy_end(2022)
               for _sid, s in inventory.values()) == 12
    before = actuals(api, "クラウド化の件数")
    assert before == dict.fromkeys(YEARS, 0)
    assert kpis(api, 2022)["クラウド化の件数"]["achieved"] is False
    # 秘書システム (資料4 No.1: H32.3～ サーバ仮想化) virtualised on 2020-03-16: FY2019.
    sid, _hisho = inventory["秘書システム"]
    revision = api.get(f"/api/v1/ledgers/{plan['情報システム台帳']}/records/{sid}").body["revision"]
    resp = api.patch(f"/api/v1/ledgers/{plan['情報システム台帳']}/records/{sid}", {
        "revision": revision, "values": {"done_on": "2020-03-16", "outcome": "サーバ仮想化"}})
    assert resp.status == 200, resp.body
    add(api, plan["情報システム台帳"],
        {"name": "統合型GISクラウド", "direction": "クラウド化", "renewal": "2020-10-01",
         "done_on": "2020-10-01", "outcome": "クラウド化"},
        {"name": "見送ったシステム", "direction": "サーバ集約", "renewal": "2019-10-01",
         "done_on": "2019-10-01", "outcome": "見送り"},
        {"name": "予定だけのシステム", "direction": "クラウド化", "renewal": "2019-10-01"},
        {"name": "現行のまま", "direction": "現行維持", "renewal": "2020-10-01"})
    after = actuals(api, "クラウド化の件数")
    assert {fy: after[fy] - before[fy] for fy in YEARS} == {
        2018: 0, 2019: 1, 2020: 2, 2021: 2, 2022: 2, 2023: 2}

    fy = current_fiscal_year()
    name = "台帳管理システムへの移行数"
    start = actuals(api, name, (fy - 1, fy, fy + 1))
    for n in (1, 2):
        csv = tmp_path / f"移行台帳{n}.csv"
        csv.write_text("名称,数量\nA,1\n", encoding="utf-8")
        result = cli("import", str(csv), "--json")
        assert result.code == 0, result.out + result.err
    assert actuals(api, name, (fy - 1, fy, fy + 1)) == {
        fy - 1: start[fy - 1], fy: start[fy] + 2, fy + 1: start[fy + 1] + 2}


# -- the engine's options ------------------------------------------------------------------------

def test_engine_options_cumulative_distinct_base_year(plan: dict[str, int],
                                                      api: ApiClient) -> None:
    """Any ledger can be a KPI source: cumulative, distinct and base_year on a ledger of its own."""
    from daicho.models import Ledger

    resp = api.post("/api/v1/ledgers", {"name": "研修記録", "fields": [
        {"name": "年度", "type": "number", "code": "fy"},
        {"name": "実施日", "type": "date", "code": "held_on"},
        {"name": "所属", "type": "org", "code": "department"},
        {"name": "人数", "type": "number", "code": "people"},
    ]})
    assert resp.status == 201, resp.body
    lid = resp.body["id"]
    add(api, lid,
        {"fy": 2019, "held_on": "2019-05-01", "department": "110", "people": 10},
        {"fy": 2019, "held_on": "2020-03-31", "department": "110", "people": 5},
        {"fy": 2020, "held_on": "2020-04-01", "department": "120", "people": 20},
        {"fy": 2022, "held_on": "2022-07-01", "department": "110", "people": 8})
    definitions = {
        "年度別": {"metric": "sum", "field": "people", "year_field": "fy"},
        "年度累計": {"metric": "sum", "field": "people", "year_field": "fy", "cumulative": True},
        "日付累計": {"metric": "count", "date_field": "held_on", "cumulative": True},
        "所属数": {"metric": "distinct", "field": "department", "date_field": "held_on"},
        "所属累計": {"metric": "distinct", "field": "department", "date_field": "held_on",
                 "cumulative": True},
        "2019年度比": {"metric": "sum", "field": "people", "year_field": "fy", "base_year": 2019},
    }
    kpi_ledger = Ledger.objects.get(name="目標指標")
    kpi_ledger.settings = {**kpi_ledger.settings, "kpis": [
        *kpi_ledger.settings["kpis"],
        *[{"name": name, "ledger": "研修記録", **d} for name, d in definitions.items()]]}
    kpi_ledger.save(update_fields=["settings"])
    add(api, plan["目標指標"], *[{"name": name, "unit": "人", "target_2021": 20}
                               for name in definitions])

    by_year = {fy: kpis(api, fy) for fy in range(2018, 2024)}
    got = {name: {fy: by_year[fy][name]["actual"] for fy in by_year} for name in definitions}
    assert got["年度別"] == {2018: 0, 2019: 15, 2020: 20, 2021: 0, 2022: 8, 2023: 0}
    assert got["年度累計"] == {2018: 0, 2019: 15, 2020: 35, 2021: 35, 2022: 43, 2023: 43}
    assert got["日付累計"] == {2018: 0, 2019: 2, 2020: 3, 2021: 3, 2022: 4, 2023: 4}
    assert got["所属数"] == {2018: 0, 2019: 1, 2020: 1, 2021: 0, 2022: 1, 2023: 0}
    assert got["所属累計"] == {2018: 0, 2019: 1, 2020: 2, 2021: 2, 2022: 2, 2023: 2}
    assert got["2019年度比"] == {2018: None, 2019: 0, 2020: -5, 2021: None, 2022: 7, 2023: None}
    fy2021 = by_year[2021]
    assert fy2021["年度累計"]["achieved"] is True and fy2021["年度別"]["achieved"] is False
    assert fy2021["年度累計"]["cumulative"] is True and fy2021["年度別"]["cumulative"] is False


def test_kpis_follow_the_readers_rights(plan: dict[str, int], api: ApiClient,
                                        make_client: Any) -> None:
    """A reader who may see the KPI ledger but not a KPI's source (its ledger or a field it
    reads) gets that KPI without an actual value, and the others as usual."""
    def allow(name: str, **extra: Any) -> None:
        rule = {"subject": {"everyone": True}, "rights": ["view"], **extra}
        resp = api.put(f"/api/v1/ledgers/{plan[name]}/permissions", {"rules": [rule]})
        assert resp.status == 200, resp.body

    reader = make_client("reader", name="閲覧者", org="110")
    assert reader.get("/api/v1/plan/kpis", {"fy": 2022}).status == 404
    set_base_year(api, plan, "プリント枚数の削減", 2018)
    allow("目標指標")
    allow("プリント枚数")
    allow("電子申請手続", fields={"published_on": "hidden"})
    resp = reader.get("/api/v1/plan/kpis", {"fy": 2022})
    assert resp.status == 200, resp.body
    got = {i["name"]: i for i in resp.body["items"]}
    full = kpis(api, 2022)
    assert list(got) == list(full)
    assert got["プリント枚数の削減"]["actual"] == full["プリント枚数の削減"]["actual"] is not None
    assert got["電子申請システム等の対象手続き数"]["actual"] is None
    assert got["情報セキュリティ監査の実施数"]["actual"] is None
    assert got["情報セキュリティ監査の実施数"]["target"] == 15
    assert got["情報セキュリティ監査の実施数"]["achieved"] is None
