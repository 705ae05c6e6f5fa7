"""The plan module: the demo's plan ledgers equal the seed's text, the KPI engine follows the
records per fiscal year, the /api/v1/plan shapes, and the committee report (xlsx, PDF)."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import DATA, ApiClient

SEED = DATA / "seed" / "000_012d142a8cfb3e07.txt"
PLAN = ["計画概要", "情報システム台帳", "全体最適化取組", "取組進捗", "委員会開催", "委員会議題",
        "目標指標",
        "情報セキュリティ監査項目", "情報セキュリティ監査計画", "情報セキュリティ監査",
        "監査チェックリスト", "監査指摘事項", "監査改善計画", "調達見積", "会議", "電子申請手続",
        "ペーパーレス会議システム整備", "プリント枚数", "参考資料1", "参考資料2", "参考資料3",
        "計画改定"]
KPI_NAMES = ["参考見積金額（予算要求額）の削減", "情報セキュリティ監査の実施数",
             "電子申請システム等の対象手続き数", "ペーパーレス会議の実施数",
             "ペーパーレス会議システムの整備数", "プリント枚数の削減", "台帳管理システムへの移行数",
             "クラウド化の件数"]
ROMAN = re.compile(r"^(i|ii|iii|iv|v|vi) (.+)$")


def seed_text() -> str:
    return SEED.read_text(encoding="utf-8")


def _section(text: str, start: str, end: str) -> list[str]:
    begin = text.index(start)
    return text[begin:text.index(end, begin)].splitlines()


def seed_roadmap() -> list[dict[str, Any]]:
    """Section 4's table: code, title, the five symbols, the note."""
    out = []
    letter = ""
    for line in _section(seed_text(), "4 全体最適化ロードマップ", "5 参考資料"):
        cells = line.split("\t")
        if cells[0][:1] in "ABC" and cells[0][:2] in ("A ", "B ", "C "):
            letter = cells[0][0]
        idx = next((i for i, c in enumerate(cells) if ROMAN.match(c)), None)
        if idx is None:
            continue
        roman, title = ROMAN.match(cells[idx]).groups()  # type: ignore[union-attr]
        out.append({"code": f"{letter}-{roman}", "title": title,
                    "schedule": cells[idx + 1:idx + 6], "note": cells[idx + 6]})
    return out


def seed_evaluation() -> list[list[str]]:
    lines = _section(seed_text(), "No.\t情報システム\t費用", "※No. 1～10")
    return [line.split("\t") for line in lines[1:] if line.strip()]


def seed_candidates() -> list[list[str]]:
    lines = _section(seed_text(), "No.\t所管課等", "※クラウド化")
    return [line.split("\t") for line in lines[1:] if line.strip()]


@pytest.fixture
def demo(shared_demo: Any, api: ApiClient, cli: Any) -> dict[str, int]:
    result = shared_demo[0]  # `daicho demo --json`, loaded once: tests/conftest.py
    assert result.code == 0, result.err
    assert result.json["created"][-len(PLAN):] == PLAN
    return {item["name"]: item["id"] for item in api.get("/api/v1/ledgers").body["items"]}


def records(api: ApiClient, ledger_id: int) -> list[dict[str, Any]]:
    resp = api.get(f"/api/v1/ledgers/{ledger_id}/records", {"limit": 500})
    assert resp.status == 200, resp.body
    return [r["values"] for r in resp.body["items"]]


def test_demo_is_idempotent(demo: dict[str, int], cli: Any, api: ApiClient) -> None:
    before = {name: records(api, lid) for name, lid in demo.items() if name in PLAN}
    again = cli("demo", "--json")
    assert again.code == 0 and again.json["created"] == []
    assert {name: records(api, lid) for name, lid in demo.items() if name in PLAN} == before


def test_measures_equal_section_4(demo: dict[str, int], api: ApiClient) -> None:
    expected = seed_roadmap()
    assert len(expected) == 11
    got = records(api, demo["全体最適化取組"])
    assert [(r["code"], r["title"]) for r in got] == [(m["code"], m["title"]) for m in expected]
    for row, m in zip(got, expected, strict=True):
        assert [row[f"fy{y}"] for y in range(2018, 2023)] == m["schedule"], m["code"]
        assert row["note"] == m["note"]
    # The effects of section 3 (↑ marks) and the agenda items.
    by_code = {r["code"]: r for r in got}
    assert by_code["A-iii"]["effects"] == ["セキュリティ"]
    assert by_code["B-i"]["effects"] == ["費用削減", "運用効率", "セキュリティ"]
    assert by_code["B-vi"]["agenda"] == "台帳管理システムの導入"
    resp = api.get(f"/api/v1/ledgers/{demo['全体最適化取組']}")
    names = [f["name"] for f in resp.body["fields"]]
    assert {"対策区分", "具体的取組", "2018年度", "2022年度", "備考", "協議事項", "定性的目標",
            "定量的目標"} <= set(names)


def test_inventory_equals_evaluation_and_candidates(demo: dict[str, int], api: ApiClient) -> None:
    rows = {r["name"]: r for r in records(api, demo["情報システム台帳"])}
    evaluation = seed_evaluation()
    assert len(evaluation) == 11
    for cells in evaluation:
        row = rows[cells[1]]
        for code, cell in zip(("cost", "efficiency", "security", "utilization"), cells[2:6],
                              strict=True):
            mark, _sp, note = cell.partition(" ")
            assert row[code] == mark, (cells[1], code)
            assert (row[f"{code}_note"] or "") == note.strip(), (cells[1], code)
        action, _sp, action_note = cells[6].partition(" ")
        assert row["action"] == action and (row["action_note"] or "") == action_note
    from daicho.models import Org

    org_names = dict(Org.objects.values_list("code", "name"))
    candidates = seed_candidates()
    assert len(candidates) == 12
    for _no, dept, name, period, direction, note in candidates:
        row = rows[name]
        era, month = re.match(r"H(\d+)\.(\d+)～", period).groups()  # type: ignore[union-attr]
        assert row["renewal"] == f"{1988 + int(era):04d}-{int(month):02d}-01"
        assert row["direction"] == direction
        assert org_names[row["department"]] == dept
        assert row["critical"] == ("重要システム" in note)
        assert row["my_number"] == ("マイナンバー利用" in note)


def _pair(cell: str) -> tuple[float, float | None]:
    count, _sp, ratio = cell.strip().rstrip(")").partition("(")
    return float(count.replace(",", "")), float(ratio) if ratio else None


def test_reference_tables_hold_every_number(demo: dict[str, int], api: ApiClient) -> None:
    text = seed_text()
    number = re.compile(r"^(—|[\d,]+(\([\d.]+\))?)$")
    for n in (1, 2, 3):
        start = text.index(f"資料{n} ", text.index("5 参考資料\n"))
        end = text.index(f"資料{n + 1} ", start)
        # Each cell 「26(55.3)」 as two numbers (26, 55.3): count and ratio, so they chart.
        expected = Counter(_pair(c) for line in text[start:end].splitlines()
                           for c in line.split("\t") if number.match(c.strip()) and c.strip() != "—")
        got = Counter((r[k], r.get(f"{k}_ratio")) for r in records(api, demo[f"参考資料{n}"])
                      for k in r if re.fullmatch(r"c\d", k) and r[k] is not None)
        assert got == expected, n
        texts = {r["group"]: r["text"] for r in records(api, demo[f"参考資料{n}"]) if r["text"]}
        assert texts["青森市"]
    rows = records(api, demo["参考資料3"])
    tokubetsu = next(r for r in rows if r["subgroup"] == "特別区" and "団体区分" in r["table"])
    assert tokubetsu["c1"] is None and (tokubetsu["c5"], tokubetsu["c5_ratio"]) == (1, 4.3)


def test_roadmap_api(demo: dict[str, int], api: ApiClient, anon: ApiClient) -> None:
    resp = api.get("/api/v1/plan/roadmap")
    assert resp.status == 200, resp.body
    body = resp.body
    assert body["fiscal_years"] == [2018, 2019, 2020, 2021, 2022]
    # The seed's H-labels (H30 … H34, as its tables and notes write them) with the western year.
    assert body["labels"] == {str(y): f"H{y - 1988}（{y}）" for y in range(2018, 2023)}
    assert body["labels"]["2022"] == "H34（2022）"
    b_i = next(m for m in body["measures"] if m["code"] == "B-i")
    assert b_i["title"] == "自治体クラウドの導入"
    assert b_i["schedule"] == {"2018": "□", "2019": "●", "2020": "⇒", "2021": "★", "2022": "—"}
    assert b_i["note"] == "H31 次期基幹システム導入方針の決定 H33 仕様の決定"
    assert [m["code"] for m in body["measures"]] == [m["code"] for m in seed_roadmap()]
    assert anon.get("/api/v1/plan/roadmap").status == 401


def _kpis(api: ApiClient, fy: int) -> dict[str, dict[str, Any]]:
    resp = api.get("/api/v1/plan/kpis", {"fy": fy})
    assert resp.status == 200, resp.body
    for item in resp.body["items"]:
        assert set(item) >= {"name", "target", "actual", "unit", "achieved"}
    return {item["name"]: item for item in resp.body["items"]}


def _add(api: ApiClient, ledger_id: int, *values: dict[str, Any]) -> None:
    resp = api.post(f"/api/v1/ledgers/{ledger_id}/records/bulk",
                    {"create": [{"values": v} for v in values]})
    assert resp.status == 200, resp.body


def test_kpi_shapes_and_targets(demo: dict[str, int], api: ApiClient) -> None:
    items = _kpis(api, 2022)
    assert list(items) == KPI_NAMES
    assert items["ペーパーレス会議の実施数"]["target"] == 175
    assert items["ペーパーレス会議の実施数"]["unit"] == "回"
    assert items["台帳管理システムへの移行数"]["target"] == 150
    assert items["クラウド化の件数"]["target"] == 12
    assert items["電子申請システム等の対象手続き数"]["target"] is None
    assert items["電子申請システム等の対象手続き数"]["achieved"] is None
    fy2019 = _kpis(api, 2019)
    assert fy2019["情報セキュリティ監査の実施数"] == {
        **fy2019["情報セキュリティ監査の実施数"], "target": 15, "actual": 15, "achieved": True}
    assert fy2019["ペーパーレス会議の実施数"]["target"] is None
    assert fy2019["参考見積金額（予算要求額）の削減"]["target"] == 10


def test_kpis_follow_the_records(demo: dict[str, int], api: ApiClient, cli: Any,
                                 tmp_path: Path) -> None:
    before = {fy: _kpis(api, fy) for fy in (2020, 2021, 2024)}
    _add(api, demo["情報セキュリティ監査"],
         {"fiscal_year": 2020, "department": "110", "audit_date": "2020-05-10", "kind": "内部監査"},
         {"fiscal_year": 2020, "department": "120", "audit_date": "2021-03-31", "kind": "外部監査"},
         {"fiscal_year": 2021, "department": "210", "audit_date": "2021-04-01", "kind": "内部監査"})
    _add(api, demo["会議"],
         {"name": "課内打合せ", "held_on": "2024-06-01", "paperless": True},
         {"name": "課内打合せ", "held_on": "2025-03-31", "paperless": True},
         {"name": "関係部長会議", "held_on": "2024-07-01", "paperless": False},
         {"name": "課内打合せ", "held_on": "2025-04-01", "paperless": True})
    _add(api, demo["調達見積"],
         {"system": "秘書システム", "fiscal_year": 2024, "first_quote": 1_000_000,
          "revised_quote": 850_000, "contract_amount": 840_000})
    _add(api, demo["情報システム台帳"],
         {"name": "新システム", "direction": "クラウド化", "renewal": "2024-10-01",
          "done_on": "2024-10-01", "outcome": "クラウド化"})
    after = {fy: _kpis(api, fy) for fy in (2020, 2021, 2024)}

    def delta(fy: int, name: str) -> Any:
        return after[fy][name]["actual"] - before[fy][name]["actual"]

    assert delta(2020, "情報セキュリティ監査の実施数") == 2
    assert delta(2021, "情報セキュリティ監査の実施数") == 1
    assert delta(2024, "ペーパーレス会議の実施数") == 2
    assert delta(2024, "クラウド化の件数") == 1
    assert before[2024]["参考見積金額（予算要求額）の削減"]["actual"] is None
    assert after[2024]["参考見積金額（予算要求額）の削減"]["actual"] == 15
    _add(api, demo["調達見積"],
         {"system": "地籍調査システム", "fiscal_year": 2024, "first_quote": 1_000_000,
          "revised_quote": 1_000_000})
    assert _kpis(api, 2024)["参考見積金額（予算要求額）の削減"]["actual"] == 7.5

    # 台帳管理システムへの移行数: a ledger created by an import counts in its fiscal year;
    # a ledger made by hand does not.
    from daicho.plan.kpi import current_fiscal_year

    fy = current_fiscal_year()
    name = "台帳管理システムへの移行数"
    start = _kpis(api, fy)[name]["actual"]
    assert api.post("/api/v1/ledgers", {"name": "手作り台帳", "fields": []}).status == 201
    csv = tmp_path / "道路占用台帳.csv"
    csv.write_text("名称,金額\n占用A,100\n占用B,200\n", encoding="utf-8")
    result = cli("import", str(csv), "--name", "道路占用台帳", "--json")
    assert result.code == 0, result.out + result.err
    assert _kpis(api, fy)[name]["actual"] == start + 1
    assert _kpis(api, fy - 1)[name]["actual"] == 0


def test_plan_ledgers_are_found_by_key_not_by_name(demo: dict[str, int], api: ApiClient,
                                                   cli: Any) -> None:
    """A city may rename the plan's ledgers: the plan finds them by their key (Ledger.key)."""
    for name in ("全体最適化取組", "目標指標"):
        resp = api.patch(f"/api/v1/ledgers/{demo[name]}", {"name": f"{name}（改称）"})
        assert resp.status == 200, resp.body
    again = cli("demo", "--json")  # the demo knows its renamed ledgers by their keys too
    assert again.code == 0 and again.json["created"] == [], again.out + again.err
    roadmap = api.get("/api/v1/plan/roadmap")
    assert roadmap.status == 200, roadmap.body
    assert [m["code"] for m in roadmap.body["measures"]] == [m["code"] for m in seed_roadmap()]
    kpis = api.get("/api/v1/plan/kpis", {"fy": 2022})
    assert kpis.status == 200, kpis.body
    assert [item["name"] for item in kpis.body["items"]] == KPI_NAMES
    # A new ledger given an old plan name is not taken for the plan's.
    made = api.post("/api/v1/ledgers", {"name": "全体最適化取組", "fields": [
        {"name": "取組", "type": "text", "code": "title"}]})
    assert made.status == 201, made.body
    assert api.get("/api/v1/plan/roadmap").body["measures"] == roadmap.body["measures"]


def test_kpis_without_plan(api: ApiClient) -> None:
    assert api.get("/api/v1/plan/kpis", {"fy": 2022}).status == 404
    assert api.get("/api/v1/plan/roadmap").status == 404


def test_committee_report_xlsx(demo: dict[str, int], cli: Any, tmp_path: Path) -> None:
    from python_calamine import CalamineWorkbook

    out = tmp_path / "committee.xlsx"
    result = cli("report", "committee", "--fy", "2022", "--format", "xlsx", "-o", str(out),
                 "--json")
    assert result.code == 0, result.out + result.err
    rows = CalamineWorkbook.from_path(str(out)).get_sheet_by_index(0).to_python()
    assert "令和4年度" in rows[0][0]
    header = rows[2]
    assert header[:4] == ["番号", "具体的取組", "スケジュール", "状況"]
    body = [r for r in rows[3:] if any(r)]
    codes = [r[0] for r in body if r[0]]
    assert codes == [m["code"] for m in seed_roadmap()]
    b_ii = next(r for r in body if r[0] == "B-ii")
    assert b_ii[2] == "★" and b_ii[3] == "未入力"  # no progress recorded: not the legend's 完了
    paperless = next(r for r in body if r[6] == "ペーパーレス会議の実施数")
    assert paperless[7] == 175 and paperless[9] == "未達成"  # numbers, not 「175回」
    audits = next(r for r in body if r[6] == "情報セキュリティ監査の実施数")
    assert audits[7] == 15 and audits[8] == 17


def test_committee_report_pdf(demo: dict[str, int], cli: Any, tmp_path: Path,
                              monkeypatch: pytest.MonkeyPatch) -> None:
    from daicho.plan.report import FONT_PATHS

    if not any(Path(p).is_file() for p in FONT_PATHS):
        pytest.skip("fonts-ipaexfont-gothic is not installed")
    out = tmp_path / "committee.pdf"
    result = cli("report", "committee", "--fy", "2020", "--format", "pdf", "-o", str(out))
    assert result.code == 0, result.err
    data = out.read_bytes()
    assert data.startswith(b"%PDF")
    assert b"/FontFile2" in data and b"IPAexGothic" in data

    monkeypatch.setenv("DAICHO_PDF_FONT", str(tmp_path / "missing.ttf"))
    failed = cli("report", "committee", "--fy", "2020", "--format", "pdf", "-o",
                 str(tmp_path / "x.pdf"), "--json")
    assert failed.code == 1
    assert failed.json["error"]["code"] == "font_missing"
    assert "fonts-ipaexfont-gothic" in failed.json["error"]["message"]
