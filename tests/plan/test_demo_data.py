"""Issue 17 point 6: no invented inventory values, and demo-only data marked as such. The 資料4
systems hold only what the seed's 資料4 says (No., 所管課等, 情報システム, 更新予定時期, 方向性,
備考); the ledgers of fictional records say so in their description, and the KPI dashboard marks
the actual values counted from them."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.conftest import ApiClient
from tests.plan.test_plan import seed_candidates
from tests.plan.test_plan_data import every, kpis

FICTIONAL = ["情報セキュリティ監査項目", "情報セキュリティ監査計画", "情報セキュリティ監査",
             "監査チェックリスト", "監査指摘事項", "監査改善計画", "調達見積", "会議", "電子申請手続",
             "ペーパーレス会議システム整備", "プリント枚数"]
FROM_THE_SEED = ["計画概要", "情報システム台帳", "全体最適化取組", "取組進捗", "目標指標", "参考資料1",
                 "参考資料2", "参考資料3"]


@pytest.fixture
def plan(shared_demo: Any, api: ApiClient, cli: Any) -> dict[str, int]:
    result = shared_demo[0]  # `daicho demo --json`, loaded once: tests/conftest.py
    assert result.code == 0, result.err
    return {item["name"]: item["id"] for item in api.get("/api/v1/ledgers").body["items"]}


def test_資料4_systems_hold_only_what_the_seed_says(plan: dict[str, int], api: ApiClient) -> None:
    header = ["No.", "所管課等", "情報システム", "更新予定時期", "方向性", "備考"]
    rows = {v["name"]: v for v in every(api, plan["情報システム台帳"]).values()}
    # 所管課等 → department, 情報システム → name, 更新予定時期 → renewal, 方向性 → direction,
    # 備考 → critical (重要システム) and my_number (マイナンバー利用); 個別システム (the table's
    # title, 仮想化等候補個別システム一覧) → category; system_id is the ledger's own number.
    from_seed = {"system_id", "candidate_no", "name", "department", "category", "renewal",
                 "renewal_from", "direction", "critical", "my_number"}
    candidates = seed_candidates()
    assert len(candidates) == 12 and len(header) == len(candidates[0])
    for cells in candidates:
        values = rows[cells[2]]
        filled = {code for code, value in values.items() if value not in (None, "", [])}
        assert filled - {"critical", "my_number"} <= from_seed, (cells[2], filled - from_seed)
        for code in ("personal_data", "network", "hosting"):  # 個人情報, ネットワーク区分, 設置場所
            assert values[code] is None, (cells[2], code)


def test_fictional_ledgers_are_marked(plan: dict[str, int], api: ApiClient,
                                      admin: Any) -> None:
    for name in FICTIONAL:
        ledger = api.get(f"/api/v1/ledgers/{plan[name]}").body
        assert ledger["description"].startswith("【デモ用の架空データ】"), name
    for name in FROM_THE_SEED:
        ledger = api.get(f"/api/v1/ledgers/{plan[name]}").body
        assert "架空" not in (ledger["description"] or ""), name
    items = kpis(api, 2022)
    assert {n for n, i in items.items() if i["demo_data"]} == {
        "参考見積金額（予算要求額）の削減", "情報セキュリティ監査の実施数",
        "電子申請システム等の対象手続き数", "ペーパーレス会議の実施数",
        "ペーパーレス会議システムの整備数", "プリント枚数の削減"}
    client = Client()
    client.force_login(admin)
    html = client.get("/plan/dashboard", {"fy": "2022"}).content.decode()
    assert 'id="demo-note"' in html and html.count('class="demo-tag"') >= 5
    home = client.get("/").content.decode()
    assert "【デモ用の架空データ】" in home
