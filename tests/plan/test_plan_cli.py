"""The plan's roadmap and integration candidates from the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.conftest import ApiClient


def test_roadmap_and_candidates_from_the_command_line(shared_demo: Any, api: ApiClient, cli: Any,
                                                      tmp_path: Path) -> None:
    from python_calamine import CalamineWorkbook

    from daicho.plan.data import FISCAL_YEARS

    assert shared_demo[0].code == 0  # `daicho demo --json`, loaded once: tests/conftest.py
    out = tmp_path / "roadmap.xlsx"
    result = cli("report", "roadmap", "-o", str(out), "--json")
    assert result.code == 0, result.err
    assert result.json["file"] == str(out)
    rows = CalamineWorkbook.from_path(str(out)).get_sheet_by_index(0).to_python()
    cells = [str(c) for row in rows for c in row]
    assert "自治体クラウドの導入" in cells
    assert {"H30（2018）", "H34（2022）"} <= set(cells) and len(FISCAL_YEARS) == 5
    assert api.get("/api/v1/plan/roadmap").status == 200

    listed = cli("report", "candidates", "--json")
    assert listed.code == 0, listed.err
    api_items = api.get("/api/v1/plan/candidates").body["items"]
    assert listed.json["items"] == api_items and api_items
    names = {s["name"] for item in api_items for s in item["systems"]}
    assert "生活保護システム" in names  # a My Number system of 資料4
    text = cli("report", "candidates")
    assert text.code == 0 and "生活保護システム" in text.out

    stranger = cli("report", "roadmap", "-o", str(tmp_path / "x.xlsx"), "--as", "nobody")
    assert stranger.code != 0
