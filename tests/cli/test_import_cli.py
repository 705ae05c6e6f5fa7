"""`daicho import` on workbooks as cities send them (issue 13, points 5, 6, 11; contract §3.1):
several sheets, default sheet names, names already taken, --key by name, and the plain output."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ApiClient, make_ledger
from tests.importing.conftest import write_xlsx

COVER = [["公有財産台帳"], ["令和6年4月1日現在"], ["管財課"]]
LIST = [["番号", "名称", "金額"], [1, "本庁舎", 1000], [2, "公民館", 2000], [3, "倉庫", 300]]
SUMMARY = [["区分", "件数"], *[[f"区分{i}", i] for i in range(40)]]  # the fullest sheet


@pytest.fixture(autouse=True)
def _admin(admin: Any) -> Any:
    return admin  # the user `daicho import` acts as


def _book(tmp_path: Path, name: str = "施設.xlsx", **kwargs: Any) -> Path:
    return write_xlsx(tmp_path / name, {"表紙": COVER, "一覧": LIST, "集計": SUMMARY,
                                        "空き": []}, **kwargs)


def _ledger_names() -> list[str]:
    from daicho.models import Ledger

    return sorted(Ledger.objects.values_list("name", flat=True))


def test_the_first_sheet_holding_a_table_is_read_not_the_fullest(cli: Any,
                                                                 tmp_path: Path) -> None:
    result = cli("import", str(_book(tmp_path)), "--dry-run", "--json")
    assert result.code == 0, result.out + result.err
    report = result.json
    assert report["sheet"] == "一覧" and report["created"] == 3
    assert report["sheets"] == [
        {"name": "表紙", "rows": 3, "table": False, "read": False, "hidden": False,
         "header_row": None, "columns": 0},
        {"name": "一覧", "rows": 4, "table": True, "read": True, "hidden": False,
         "header_row": 1, "columns": 3, "records": 3},
        {"name": "集計", "rows": 41, "table": True, "read": False, "hidden": False,
         "header_row": 1, "columns": 2},
        {"name": "空き", "rows": 0, "table": False, "read": False, "hidden": False,
         "header_row": None, "columns": 0},
    ]


def test_a_hidden_sheet_is_listed_but_not_read(cli: Any, tmp_path: Path) -> None:
    import xlsxwriter

    path = tmp_path / "隠し.xlsx"
    book = xlsxwriter.Workbook(str(path))
    old, shown = book.add_worksheet("旧一覧"), book.add_worksheet("一覧")
    for sheet, grid in ((old, SUMMARY), (shown, LIST)):
        for r, row in enumerate(grid):
            sheet.write_row(r, 0, row)
    shown.activate()  # Excel cannot hide the active sheet
    old.hide()
    book.close()
    report = cli("import", str(path), "--dry-run", "--json").json
    assert report["sheet"] == "一覧"
    assert [(s["name"], s["hidden"], s["table"], s["read"]) for s in report["sheets"]] == [
        ("旧一覧", True, True, False), ("一覧", False, True, True)]


def test_sheet_chosen_by_name_and_every_sheet_reported(cli: Any, tmp_path: Path) -> None:
    report = cli("import", str(_book(tmp_path)), "--sheet", "集計", "--dry-run", "--json").json
    assert report["sheet"] == "集計" and report["created"] == 40
    assert [s["name"] for s in report["sheets"] if s["read"]] == ["集計"]
    assert [s["name"] for s in report["sheets"] if s["table"]] == ["一覧", "集計"]


def test_plain_output_names_the_sheet_read_and_lists_the_others(cli: Any,
                                                                tmp_path: Path) -> None:
    result = cli("import", str(_book(tmp_path)), "--no-progress")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0] == "台帳「一覧」を作成し、3 件を取り込みました。"
    assert lines[1] == "シート「一覧」を読み込みました（見出しは 1 行目、データは 3 行）。"
    assert lines[2] == ("読み込まなかったシート: 「表紙」（表なし、3 行）、「集計」（表あり、見出しは "
                        "1 行目、2 列、41 行）、「空き」（空）")
    assert "--sheet" in lines[3]


@pytest.mark.parametrize("sheet", ["Sheet1", "Sheet 1", "シート1", "Sheet", "ワークシート",
                                   "Ｓｈｅｅｔ２", "sheet3", "Tabelle1"])
def test_a_default_sheet_name_gives_the_file_name(cli: Any, tmp_path: Path, sheet: str) -> None:
    path = write_xlsx(tmp_path / "道路台帳.xlsx", {sheet: LIST})
    report = cli("import", str(path), "--json").json
    assert report["ok"] is True and report["sheet"] == sheet
    assert report["ledger"]["name"] == "道路台帳"


def test_a_named_sheet_gives_its_name(cli: Any, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "Book1.xlsx", {"Sheet1": [["メモ"]], "道路一覧": LIST})
    assert cli("import", str(path), "--json").json["ledger"]["name"] == "道路一覧"


def test_a_taken_name_becomes_a_free_one_with_a_warning(cli: Any, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "道路台帳.xlsx", {"Sheet1": LIST})
    first = cli("import", str(path), "--json").json
    second = cli("import", str(path), "--json").json
    assert (first["ok"], second["ok"]) == (True, True)
    assert second["ledger"]["name"] == "道路台帳(2)" and second["created"] == 3
    assert second["warnings"][0] == {
        "row": None,
        "message": "台帳「道路台帳」が既にあるため、新しい台帳の名前を「道路台帳(2)」にしました。"}
    third = cli("import", str(path), "--no-progress")
    assert third.code == 0, third.err
    assert third.out.splitlines()[0] == "台帳「道路台帳(3)」を作成し、3 件を取り込みました。"
    assert "台帳「道路台帳」が既にあるため、新しい台帳の名前を「道路台帳(3)」にしました。" in third.out
    assert _ledger_names() == ["道路台帳", "道路台帳(2)", "道路台帳(3)"]


def test_a_taken_name_given_with_name_is_refused_and_a_free_one_suggested(
        cli: Any, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "道路台帳.xlsx", {"Sheet1": LIST})
    cli("import", str(path), "--name", "道路", "--json")
    cli("import", str(path), "--name", "道路(2)", "--json")
    result = cli("import", str(path), "--name", "道路", "--json")
    assert result.code == 1
    assert result.json["error"]["code"] == "duplicate_ledger_name"
    assert result.json["error"]["details"]["suggested_name"] == "道路(3)"
    assert "--name" in result.json["error"]["message"]
    plain = cli("import", str(path), "--name", "道路")
    assert plain.code == 1 and plain.out == ""
    assert plain.err.strip() == ('台帳「道路」は既にあります。--name で別の名前を指定してください'
                                 '（例: --name "道路(3)"）。')
    assert _ledger_names() == ["道路", "道路(2)"]


def _upsert_setup(api: ApiClient, tmp_path: Path) -> Path:
    make_ledger(api, "備品", [
        {"name": "管理番号", "type": "text", "code": "no", "unique": True},
        {"name": "品名", "type": "text", "code": "item"},
        {"name": "数量", "type": "number", "code": "qty"},
    ])
    return write_xlsx(tmp_path / "備品.xlsx", {"Sheet1": [["管理番号", "品名", "数量"],
                                                          ["A1", "机", 2], ["A2", "椅子", 4]]})


@pytest.mark.parametrize("key", ["no", "管理番号", "管理　番号", "管理 番号"])
def test_key_by_code_or_by_name(cli: Any, api: ApiClient, tmp_path: Path, key: str) -> None:
    path = _upsert_setup(api, tmp_path)
    first = cli("import", str(path), "--ledger", "備品", "--key", key, "--json").json
    assert first["ok"] is True and first["created"] == 2, first
    again = cli("import", str(path), "--ledger", "備品", "--key", key, "--json").json
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 2)


def test_an_unknown_key_names_the_fields(cli: Any, api: ApiClient, tmp_path: Path) -> None:
    path = _upsert_setup(api, tmp_path)
    result = cli("import", str(path), "--ledger", "備品", "--key", "番号", "--json")
    assert result.code == 1
    error = result.json["error"]
    assert error["code"] == "unknown_field"
    assert error["message"] == ("台帳「備品」に項目「番号」はありません。キーの項目は、次のいずれかの"
                                "項目名またはコードで指定してください: 管理番号 (no)、品名 (item)、"
                                "数量 (qty)")
    assert error["details"]["fields"][0] == {"code": "no", "name": "管理番号"}
    plain = cli("import", str(path), "--ledger", "備品", "--key", "番号")
    assert plain.code == 1 and plain.err.strip() == error["message"]


NOTED = [
    ["令和6年度 施設一覧"],
    [],
    ["番号", "名称", "コード", "面積"],
    [1, "本庁舎", 12, 100],
    [2, "公民館", 13, 200],
    [3, "倉庫", "A-1", 300],
    ["合計", None, None, 600],
    ["※ 面積は延べ床面積"],
]


def test_plain_output_shows_fields_text_columns_and_warnings_in_japanese(
        cli: Any, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "施設一覧.xlsx", {"Sheet1": NOTED})
    as_json = cli("import", str(path), "--dry-run", "--json").json
    result = cli("import", str(path), "--dry-run", "--no-progress")
    assert result.code == 0, result.err
    out = result.out
    lines = out.splitlines()
    assert lines[0] == "試行: 新しい台帳「施設一覧」に 3 件を取り込めます。保存はしていません。"
    assert lines[1] == "シート「Sheet1」を読み込みました（見出しは 3 行目、データは 3 行）。"
    assert "項目（4）:" in lines
    fields = {f["name"]: f for f in as_json["fields"]}
    assert fields["コード"]["type"] == "text" and fields["面積"]["type"] == "number"
    assert any(line.split()[:2] == ["面積", "数値"] for line in lines)
    assert any(line.split()[:2] == ["名称", "文字列（1行）"] for line in lines)
    # the "kept as text" hint --json has
    assert as_json["text_columns"][0]["column"] == "コード"
    assert "文字列として取り込んだ列:" in lines
    assert ("  「コード」: 数値として読めない値が 1 件あるため（6 行目）、文字列として取り込みました。"
            "例: 6 行目「A-1」。") in lines
    # warnings: Japanese, grouped, the row number once
    assert "Warning" not in out
    assert "取り込まなかった行・注意のある行（3 件）:" in lines  # title, total, note
    for w in as_json["warnings"]:
        assert f"  {w['message']}" in lines
        assert out.count(f"{w['row']} 行目") == 1 or w["row"] == 6
    assert "  7 行目は合計・小計の行（「合計」）のため取り込みませんでした。" in lines


def test_plain_output_of_bad_rows(cli: Any, api: ApiClient, tmp_path: Path) -> None:
    make_ledger(api, "数量表", [{"name": "品名", "type": "text", "code": "item"},
                                {"name": "数量", "type": "number", "code": "qty"}])
    path = write_xlsx(tmp_path / "数量.xlsx", {"Sheet1": [["品名", "数量"], ["机", 1],
                                                          ["椅子", "たくさん"]]})
    as_json = cli("import", str(path), "--ledger", "数量表", "--json")
    assert as_json.code == 1 and as_json.json["errors"][0]["row"] == 3
    result = cli("import", str(path), "--ledger", "数量表")
    assert result.code == 1 and result.out == ""
    lines = result.err.splitlines()
    assert lines[0] == as_json.json["error"]["message"]
    message = as_json.json["errors"][0]["message"]
    assert lines[1] == f"  3 行目「数量」: {message}（値:「たくさん」）"
    skipped = cli("import", str(path), "--ledger", "数量表", "--skip-bad-rows", "--no-progress")
    assert skipped.code == 0, skipped.err
    lines = skipped.out.splitlines()
    assert lines[0] == "台帳「数量表」に取り込みました（追加 1 件、更新 0 件、変更なし 0 件）。"
    assert "保存できない値があるため取り込まなかった行（1 行）:" in lines
    assert f"  3 行目「数量」: {message}（値:「たくさん」）" in lines
    assert "文字列として取り込んだ列:" not in lines  # the ledger's types decide, not the file's
