"""Issue 17 point 4: the seed's text is stored and shown — each measure's 【現状】, 【取組内容】
and 【参考資料】 (followable), the plan's own facts (計画概要), the narrative baselines as the
KPIs' 基準値, the 取組による効果 arrows on the roadmap, and the No. of the evaluation table and
資料4 kept so that 対象システム 「No. 1」 leads to the inventory. Expected values are read from
the seed copy in tests/data."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from tests.conftest import ApiClient
from tests.plan.test_plan import seed_candidates, seed_evaluation, seed_text
from tests.plan.test_plan_data import every

TEXT_KINDS = {"【現状】": "situation", "【取組内容】": "content", "【参考資料】": "reference"}
EFFECTS = ["費用削減", "運用効率", "セキュリティ", "利活用"]


def seed_measure_texts() -> dict[str, dict[str, str]]:
    """code → {situation, content, reference, effects} from section 3 of the seed."""
    text = seed_text()
    start = text.index("3 全体最適化に向けた具体的取組\n\nA")
    body = text[start:text.index("4 全体最適化ロードマップ\n\n全体")]
    out: dict[str, dict[str, Any]] = {}
    letter = code = mode = None
    for line in body.splitlines():
        if re.match(r"^[ABC] (全体対策|個別対策)", line):
            letter = line[0]
            continue
        found = re.match(r"^(i|ii|iii|iv|v|vi) .+$", line)
        if found and letter:
            code = f"{letter}-{found.group(1)}"
            out[code] = {"situation": [], "content": [], "reference": [], "effects": None}
            mode = None
            continue
        if line in TEXT_KINDS:
            mode = TEXT_KINDS[line]
            continue
        cells = line.split("\t")
        if code and cells[-4:] and all(c in ("↑", "—") for c in cells[-4:]) and len(cells) >= 4:
            out[code]["effects"] = [e for e, c in zip(EFFECTS, cells[-4:], strict=True) if c == "↑"]
        if line.startswith(("⇒実施", "<委員会", "スケジュール")):
            mode = None
            continue
        if mode and code and line.strip():
            out[code][mode].append(line.strip())
    return {c: {**{k: "\n".join(d[k]) for k in TEXT_KINDS.values()}, "effects": d["effects"]}
            for c, d in out.items()}


@pytest.fixture
def plan(shared_demo: Any, api: ApiClient, cli: Any) -> dict[str, int]:
    result = shared_demo[0]  # `daicho demo --json`, loaded once: tests/conftest.py
    assert result.code == 0, result.err
    return {item["name"]: item["id"] for item in api.get("/api/v1/ledgers").body["items"]}


@pytest.fixture
def admin_client(admin: Any) -> Client:
    client = Client()
    client.force_login(admin)
    return client


def test_measures_hold_the_seeds_text(plan: dict[str, int], api: ApiClient) -> None:
    expected = seed_measure_texts()
    assert len(expected) == 11
    got = {v["code"]: v for v in every(api, plan["全体最適化取組"]).values()}
    for code, texts in expected.items():
        for kind in ("situation", "content", "reference"):
            assert (got[code][kind] or "") == texts[kind], (code, kind)
        assert got[code]["effects"] == texts["effects"], code
    assert {c: t["reference"][:3] for c, t in expected.items() if t["reference"]} == {
        "A-ii": "資料1", "A-iii": "資料2", "B-i": "資料3", "C-i": "資料4"}
    assert got["B-vi"]["situation"].count("\n") == 1  # two paragraphs, as in the seed


def test_the_plans_facts(plan: dict[str, int], api: ApiClient) -> None:
    text = seed_text()
    head = [line for line in text.splitlines()[:12] if line.strip()]
    (facts,) = every(api, plan["計画概要"]).values()
    assert facts["title"] == head[0] == "山形市情報システム全体最適化計画"
    assert head[1] == "平成30年3月策定" and facts["adopted"] == "2018-03-01"  # month precision
    assert head[2] == "平成31年4月" + facts["revision_kind"] == "平成31年4月一部改定"
    assert facts["revised"] == "2019-04-01"
    assert facts["city"] == head[3] == "山形市"
    assert facts["period"] in text and (facts["first_year"], facts["last_year"]) == (2018, 2022)
    assert facts["organisation"] in text
    assert f"{facts['chair']}を委員長とし、{facts['members']}を委員とする{facts['committee']}" in text
    assert facts["facts"] in text
    assert f"{facts['core_departments']}課{facts['core_tasks']}業務" in facts["facts"]
    assert f"約{facts['systems']}の情報システム" in facts["facts"]
    assert facts["pcs"] == 2000 and "約2千台のパソコン" in facts["facts"]


def test_narrative_baselines_are_the_kpis_基準値(plan: dict[str, int], api: ApiClient) -> None:
    text = seed_text()
    rows = {v["name"]: v for v in every(api, plan["目標指標"]).values()}
    with_baseline = {n: r["baseline"] for n, r in rows.items() if r["baseline"]}
    assert set(with_baseline) == {"電子申請システム等の対象手続き数", "ペーパーレス会議の実施数",
                                  "台帳管理システムへの移行数"}
    for baseline in with_baseline.values():
        assert baseline in text
    assert "平成19年4月" in with_baseline["電子申請システム等の対象手続き数"]
    assert "平成26年度より" in with_baseline["ペーパーレス会議の実施数"]
    assert "15 課等、153 人" in with_baseline["台帳管理システムへの移行数"]


def test_row_numbers_of_the_seeds_tables_are_kept(plan: dict[str, int], api: ApiClient) -> None:
    rows = {v["name"]: v for v in every(api, plan["情報システム台帳"]).values()}
    for cells in seed_evaluation():
        assert rows[cells[1]]["evaluation_no"] == int(cells[0])
    for cells in seed_candidates():
        assert rows[cells[2]]["candidate_no"] == int(cells[0])


def test_the_roadmap_shows_the_text_effects_and_follows_the_numbers(
        plan: dict[str, int], api: ApiClient, admin_client: Client) -> None:
    html = admin_client.get("/plan/roadmap").content.decode()
    assert html.count('class="measure-text"') == 11
    expected = seed_measure_texts()
    assert expected["B-iv"]["content"].split("\n")[0][:40] in html
    # 取組による効果: A-iii has only セキュリティ ↑ (「—	—	↑	—」 in the seed).
    row = re.search(r'<tr id="measure-\d+">\s*(?:(?!</tr>).)*?>A-iii<(.*?)</tr>', html, re.S)
    assert row, html
    effects = re.findall(r"<li>(\S+) <span class=\"effect-mark\">(.)</span></li>", row.group(1))
    assert effects == [("費用削減", "—"), ("運用効率", "—"), ("セキュリティ", "↑"), ("利活用", "—")]
    # 対象システム 「No. 1」 (B-i) leads to No. 1 of the evaluation table, 基幹システム.
    inventory = {v["evaluation_no"]: rid for rid, v in every(api, plan["情報システム台帳"]).items()
                 if v["evaluation_no"]}
    link = f'<a href="/ledgers/{plan["情報システム台帳"]}/records/{inventory[1]}/">No. 1</a>'
    assert link in html
    assert f'/records/{inventory[11]}/">No.11</a>' in html  # C-i
    # 【参考資料】: 資料1 of A-ii opens the 参考資料1 ledger; 資料4 of C-i the inventory.
    assert f'<a href="/ledgers/{plan["参考資料1"]}/">資料1 IT調達の' in html
    assert f'<a href="/ledgers/{plan["情報システム台帳"]}/">資料4 仮想化等候補個別システム一覧</a>' in html
