"""Issue 17 point 5: fidelity details, against the seed's text — both titles of A-i, C-ii's
対象システム read from the merged cells of 2(2) as A-ii/A-iii's are, the 資料4 title and
footnote, and 「H32.3～」 kept as a month plus "from then on". (The H-labels of the roadmap are
checked in test_plan.py and test_roadmap_xlsx.py, the numbers of 資料1–3 in test_plan.py.)"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.conftest import ApiClient
from tests.plan.test_plan import _section, seed_candidates, seed_roadmap, seed_text
from tests.plan.test_plan_data import every


@pytest.fixture
def plan(shared_demo: Any, api: ApiClient, cli: Any) -> dict[str, int]:
    result = shared_demo[0]  # `daicho demo --json`, loaded once: tests/conftest.py
    assert result.code == 0, result.err
    return {item["name"]: item["id"] for item in api.get("/api/v1/ledgers").body["items"]}


def seed_approach() -> dict[str, tuple[str, str]]:
    """2(2)'s table: code → (具体的取組, 対象システム); an empty 対象システム is a cell merged
    with the one above it within the same 対策."""
    out: dict[str, tuple[str, str]] = {}
    letter, target = "", ""
    for line in _section(seed_text(), "対策\t具体的取組\t対象システム", "(3) 計画期間")[1:]:
        cells = line.split("\t")
        if cells[0][:2] in ("A ", "B ", "C "):
            letter, target = cells[0][0], ""
        found = re.match(r"^(i|ii|iii|iv|v|vi) (.+)$", cells[1]) if len(cells) > 1 else None
        if not found:
            continue
        target = cells[2].strip() or target
        out[f"{letter}-{found.group(1)}"] = (found.group(2), target)
    return out


def test_a_i_keeps_both_titles_and_targets_follow_the_merged_cells(
        plan: dict[str, int], api: ApiClient) -> None:
    approach = seed_approach()
    roadmap = {m["code"]: m["title"] for m in seed_roadmap()}
    assert len(approach) == 11
    rows = {v["code"]: v for v in every(api, plan["全体最適化取組"]).values()}
    assert roadmap["A-i"] == rows["A-i"]["title"] == "情報システム調達・運用ガイドラインの策定"
    assert approach["A-i"][0] == rows["A-i"]["body_title"] == \
        "情報システムの整備・管理に関するガイドラインの策定"
    assert "i 情報システムの整備・管理に関するガイドラインの策定\n\n【現状】" in seed_text()
    for code, (_title, target) in approach.items():
        assert rows[code]["target"] == target, code
    assert [rows[c]["target"] for c in ("A-ii", "A-iii", "C-ii")] == ["全体", "全体", "No.11"]


def test_資料4_title_footnote_and_from(plan: dict[str, int], api: ApiClient) -> None:
    text = seed_text()
    title = "資料4 仮想化等候補個別システム一覧"
    note = text[text.index("※クラウド化"):].strip()
    assert note == "※クラウド化は利用可能なサービスが随時変動するため別途検討する。"
    description = api.get(f"/api/v1/ledgers/{plan['情報システム台帳']}").body["description"]
    assert title in description and note in description
    rows = {v["name"]: v for v in every(api, plan["情報システム台帳"]).values()}
    for _no, _dept, name, period, _direction, _note in seed_candidates():
        era, month, tilde = re.match(r"H(\d+)\.(\d+)(～?)$", period).groups()  # type: ignore[union-attr]
        assert rows[name]["renewal"] == f"{1988 + int(era)}-{int(month):02d}-01"
        assert rows[name]["renewal_from"] is (tilde == "～"), name
    assert rows["秘書システム"]["renewal_from"] is True  # H32.3～
