"""Issue 17 point 7: the committee's own work. Its meetings (委員会開催) and agenda items and
decisions per measure (委員会議題) are ledgers linked to the measures; the committee report covers
a fiscal year and the changes since the previous meeting, holds numbers as numbers with their
unit as a format, and its title names the city and the committee (from the seed's 2(4))."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ApiClient
from tests.plan.test_plan import seed_text


@pytest.fixture
def plan(shared_demo: Any, api: ApiClient, cli: Any) -> dict[str, int]:
    result = shared_demo[0]  # `daicho demo --json`, loaded once: tests/conftest.py
    assert result.code == 0, result.err
    return {item["name"]: item["id"] for item in api.get("/api/v1/ledgers").body["items"]}


def _measure(api: ApiClient, plan: dict[str, int], code: str) -> int:
    items = api.get(f"/api/v1/ledgers/{plan['全体最適化取組']}/records", {"limit": 100}).body
    return int(next(r["id"] for r in items["items"] if r["values"]["code"] == code))


def _create(api: ApiClient, ledger_id: int, values: dict[str, Any]) -> int:
    resp = api.post(f"/api/v1/ledgers/{ledger_id}/records", {"values": values})
    assert resp.status == 201, resp.body
    return int(resp.body["id"])


def _sheets(path: Path) -> dict[str, list[list[Any]]]:
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(path))
    return {name: book.get_sheet_by_name(name).to_python() for name in book.sheet_names}


def _report(cli: Any, tmp_path: Path, year: int, name: str = "r") -> Path:
    out = tmp_path / f"{name}.xlsx"
    result = cli("report", "committee", "--fy", str(year), "--format", "xlsx", "-o", str(out))
    assert result.code == 0, result.err
    return out


def test_the_committee_ledgers_link_to_the_measures(plan: dict[str, int], api: ApiClient) -> None:
    items = {f["code"]: f for f in api.get(f"/api/v1/ledgers/{plan['委員会議題']}").body["fields"]}
    assert items["meeting"]["options"]["ledger"] == plan["委員会開催"]
    assert items["measure"]["options"]["ledger"] == plan["全体最適化取組"]
    assert {"item", "decision"} <= set(items)
    meetings = {f["code"] for f in api.get(f"/api/v1/ledgers/{plan['委員会開催']}").body["fields"]}
    assert {"session", "held_on", "agenda", "minutes"} <= meetings
    # The demo invents no meeting: the seed records none.
    assert api.get(f"/api/v1/ledgers/{plan['委員会開催']}/records").body["items"] == []


def test_title_numbers_and_formats(plan: dict[str, int], cli: Any, tmp_path: Path) -> None:
    # 「副市長を委員長とし、各部等の長を委員とする電子情報処理推進委員会」 of 山形市 (2(4)).
    assert "電子情報処理推進委員会" in seed_text() and seed_text().strip().startswith("山形市")
    out = _report(cli, tmp_path, 2022)
    main = _sheets(out)["進捗報告"]
    assert main[0][0] == "山形市 電子情報処理推進委員会 山形市情報システム全体最適化計画 進捗報告 " \
                         "令和4年度(2022年度)"
    body = [r for r in main[3:] if any(r)]
    paperless = next(r for r in body if r[6] == "ペーパーレス会議の実施数")
    assert paperless[7] == 175.0 and isinstance(paperless[8], float)  # numbers, not 「175回」
    with zipfile.ZipFile(out) as xlsx:
        styles = xlsx.read("xl/styles.xml").decode()
    for unit in ("回", "所属", "台帳", "%"):
        assert f'#,##0.##&quot;{unit}&quot;' in styles, unit


def test_changes_since_the_previous_meeting_and_decisions_of_the_year(
        plan: dict[str, int], api: ApiClient, cli: Any, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from daicho.plan import kpi

    today = kpi.current_date()
    b_vi = _measure(api, plan, "B-vi")
    _create(api, plan["取組進捗"], {"measure": b_vi, "fiscal_year": 2019, "status": "完了",
                                   "note": "台帳管理システムを導入"})
    # No meeting yet: every change since the plan was loaded.
    changes = _sheets(_report(cli, tmp_path, 2022, "a"))["前回からの変更"]
    assert changes[0][0] == "前回の報告: なし(これまでのすべての変更)"
    row = next(r for r in changes[3:] if r[2] == "取組進捗")
    assert row[3] == "B-vi" and row[4] == "H31（2019）" and "進捗:  → 完了" in row[5]
    assert not [r for r in changes[3:] if r[2] == "全体最適化取組"]  # the plan as loaded

    yesterday = (today - dt.timedelta(days=1)).isoformat()
    meeting = _create(api, plan["委員会開催"], {"session": "第1回", "held_on": yesterday,
                                               "agenda": "進捗報告", "minutes": "了承"})
    _create(api, plan["委員会議題"], {"meeting": meeting, "measure": b_vi,
                                     "item": "台帳管理システムの導入",
                                     "decision": "導入を了承する"})
    fy = kpi.fiscal_year(today - dt.timedelta(days=1))
    sheets = _sheets(_report(cli, tmp_path, fy, "b"))
    assert sheets["前回からの変更"][0][0] == f"前回の報告: 第1回({yesterday})以降の変更"
    assert any(r[2] == "取組進捗" for r in sheets["前回からの変更"][3:])  # made after it
    decided = sheets["委員会の決定事項"][3:]
    assert decided[0] == [yesterday, "第1回", "B-vi", "台帳管理システムの導入", "導入を了承する"]
    assert _sheets(_report(cli, tmp_path, fy - 1, "c"))["委員会の決定事項"][3][0] == "なし"

    # After a later meeting, the progress above is no longer a change since the previous one.
    tomorrow = today + dt.timedelta(days=1)
    _create(api, plan["委員会開催"], {"session": "第2回", "held_on": tomorrow.isoformat()})
    monkeypatch.setattr(kpi, "current_date", lambda: today + dt.timedelta(days=2))
    later = _sheets(_report(cli, tmp_path, fy, "d"))["前回からの変更"]
    assert later[0][0] == f"前回の報告: 第2回({tomorrow.isoformat()})以降の変更"
    assert later[3][0] == "なし"
