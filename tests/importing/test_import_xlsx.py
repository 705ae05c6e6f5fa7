"""read_table on generated workbooks: the shapes offices really produce."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from daicho.dates.wareki import TOKYO
from daicho.importing import ImportFileError, ParsedTable, read_table

D = dt.date
MakeXlsx = Callable[..., Path]


def col(table: ParsedTable, name: str) -> list[Any]:
    index = [c.name for c in table.columns].index(name)
    return [row.values[index] for row in table.rows]


def types(table: ParsedTable) -> dict[str, str]:
    return {c.name: c.type for c in table.columns}


def options(table: ParsedTable, name: str) -> dict[str, Any]:
    return next(c.options for c in table.columns if c.name == name)


# 公有財産台帳: a title merged across the top, a unit note, a two-row header with 「建築」 over
# 「年月日」「構造」 and the other labels merged down over both rows, a spacer column (I), a
# blank row, a 小計 row inside the data, a 合計 row and footnotes below it.
LEDGER: list[list[Any]] = [
    ["令和6年度 公有財産台帳", None, None, None, None, None, None, None, None, None],
    [None] * 10,
    [None, None, None, None, None, None, None, None, None, "単位：円"],
    ["番号", "名称", "建築", None, "取得価格", "取得日", "所在コード", "防災拠点", None, "備考"],
    [None, None, "年月日", "構造", None, None, None, None, None, None],
    [1, "市役所本館", "H30.6.1", "鉄筋", "1,000", D(2018, 6, 1), "0012", "○", None, "本庁舎"],
    [2, "アトレ庁舎", "平成31年4月30日", "鉄骨", "△1,000", D(2019, 4, 30), "0034", "×", None,
     None],
    [None] * 10,
    [3, "消防防災センター", "令和元年5月1日", "鉄筋", "１，２３４", D(2019, 5, 1), "0012", "○",
     None, "二階建て"],
    [None, "小計", None, None, "1,234", None, None, None, None, None],
    [4, "大井川庁舎", "R6.12.28", "木造", "￥5,000", D(2024, 12, 28), "0100", "×", None, None],
    [5, "旧公民館", "昭和64年1月7日", "木造", 2500, D(1989, 1, 7), "0034", "○", None, None],
    [6, "倉庫", "Ｈ３０．６．１", "鉄骨", "▲300", D(2018, 6, 1), "0100", "×", None, "※ 要修繕"],
    [7, "集会所", "平成31年5月1日", "鉄骨", "0", D(2019, 5, 1), "0012", "○", None, None],
    [None, "合計", None, None, "8,168", None, None, None, None, None],
    ["※ 金額は税込みです。", None, None, None, None, None, None, None, None, None],
    ["注1 取得日は登記簿によります。", None, None, None, None, None, None, None, None, None],
]
LEDGER_MERGES = [(0, 0, 0, 9), (3, 0, 4, 0), (3, 1, 4, 1), (3, 2, 3, 3), (3, 4, 4, 4),
                 (3, 5, 4, 5), (3, 6, 4, 6), (3, 7, 4, 7), (3, 9, 4, 9)]


@pytest.fixture
def ledger(make_xlsx: MakeXlsx) -> Path:
    return make_xlsx({"表紙": [["公有財産台帳"], ["令和6年4月1日現在"], ["管財課"]],
                      "台帳": LEDGER,
                      "メモ": [["作成者", "管財課"]]},
                     merges={"台帳": LEDGER_MERGES})


def test_ledger_structure(ledger: Path) -> None:
    table = read_table(ledger)
    assert table.format == "xlsx"
    assert table.sheets == ["表紙", "台帳", "メモ"]
    assert table.sheet == "台帳"
    assert table.header_row == 4
    assert table.header_rows == 2
    assert [c.name for c in table.columns] == [
        "番号", "名称", "建築 年月日", "建築 構造", "取得価格", "取得日", "所在コード", "防災拠点",
        "備考"]
    assert [c.source_index for c in table.columns] == [0, 1, 2, 3, 4, 5, 6, 7, 9]
    assert [r.number for r in table.rows] == [6, 7, 9, 11, 12, 13, 14]


def test_ledger_types_and_values(ledger: Path) -> None:
    table = read_table(ledger)
    assert types(table) == {
        "番号": "number", "名称": "text", "建築 年月日": "date", "建築 構造": "choice",
        "取得価格": "number", "取得日": "date", "所在コード": "choice", "防災拠点": "choice",
        "備考": "text"}
    assert col(table, "番号") == [Decimal(n) for n in (1, 2, 3, 4, 5, 6, 7)]
    assert col(table, "建築 年月日") == [D(2018, 6, 1), D(2019, 4, 30), D(2019, 5, 1),
                                      D(2024, 12, 28), D(1989, 1, 7), D(2018, 6, 1),
                                      D(2019, 5, 1)]
    assert options(table, "建築 年月日") == {"wareki": True}
    assert col(table, "取得価格") == [Decimal(v) for v in
                                   ("1000", "-1000", "1234", "5000", "2500", "-300", "0")]
    assert options(table, "取得価格") == {"decimals": 0, "unit": "円", "separator": True}
    assert col(table, "取得日")[0] == D(2018, 6, 1)
    assert col(table, "所在コード") == ["0012", "0034", "0012", "0100", "0034", "0100", "0012"]
    assert options(table, "所在コード") == {"choices": ["0012", "0034", "0100"]}
    assert options(table, "建築 構造") == {"choices": ["鉄筋", "鉄骨", "木造"]}
    # ○/× stay the file's own words (issue 13): a yes/no field would show はい/いいえ.
    assert col(table, "防災拠点") == ["○", "×", "○", "×", "○", "×", "○"]
    assert options(table, "防災拠点") == {"choices": ["○", "×"]}
    assert col(table, "備考") == ["本庁舎", None, "二階建て", None, None, "※ 要修繕", None]
    # The raw cells are kept for re-conversion with another type.
    assert table.rows[0].raw[2] == "H30.6.1"
    assert table.rows[1].raw[4] == "△1,000"


def test_ledger_warnings(ledger: Path) -> None:
    table = read_table(ledger)
    rows = [w["row"] for w in table.warnings]
    assert rows == sorted(rows)
    by_row = {w["row"]: w["message"] for w in table.warnings}
    assert "小計" in by_row[10]
    assert "合計" in by_row[15]
    assert "16〜17 行目" in by_row[16] and "注記" in by_row[16]  # one warning for both notes
    assert "改元後" in by_row[14] and "建築 年月日" in by_row[14]
    assert not table.text_reasons


def test_sheet_and_header_row_overrides(ledger: Path) -> None:
    memo = read_table(ledger, sheet="メモ")
    assert memo.sheet == "メモ"
    assert [c.name for c in memo.columns] == ["作成者", "管財課"]
    assert memo.rows == []
    # A sheet name may differ in width and spaces from what the user typed.
    assert read_table(ledger, sheet=" 台帳 ").sheet == "台帳"
    lower = read_table(ledger, sheet="台帳", header_row=5)
    assert lower.header_row == 5
    assert [c.name for c in lower.columns][:4] == ["列1", "列2", "年月日", "構造"]
    with pytest.raises(ImportFileError) as info:
        read_table(ledger, sheet="ない")
    assert info.value.code == "sheet_not_found"
    assert "台帳" in info.value.message
    with pytest.raises(ImportFileError) as info:
        read_table(ledger, sheet="台帳", header_row=2)
    assert info.value.code == "header_row_invalid"
    with pytest.raises(ImportFileError) as info:
        read_table(ledger, sheet="台帳", header_row=500)
    assert info.value.code == "header_row_invalid"


def test_title_rows_without_merges(make_xlsx: MakeXlsx) -> None:
    path = make_xlsx([
        ["施設一覧"],
        ["作成日", "R6.4.1"],
        [],
        ["ID", "施設名", "面積", "開設"],
        [1, "A館", 120.5, "R6.4"],
        [2, "B館", 98.25, "令和5年4月"],
        [3, "C館", 10, "H32.3"],
    ])
    table = read_table(path)
    assert table.header_row == 4
    assert types(table) == {"ID": "number", "施設名": "text", "面積": "number", "開設": "date"}
    assert options(table, "面積") == {"decimals": 2}
    assert col(table, "面積") == [Decimal("120.5"), Decimal("98.25"), Decimal(10)]
    assert options(table, "開設") == {"precision": "month", "wareki": True}
    assert col(table, "開設") == [D(2024, 4, 1), D(2023, 4, 1), D(2020, 3, 1)]
    # The title lines (one warning for both), and H32.3 is after the change to 令和.
    assert [w["row"] for w in table.warnings] == [1, 7]
    assert "1〜2 行目" in table.warnings[0]["message"]


def test_excel_types(make_xlsx: MakeXlsx) -> None:
    path = make_xlsx([
        ["日時", "日付", "真偽", "小数", "時刻なし日時"],
        [dt.datetime(2024, 4, 1, 9, 30), D(2024, 4, 1), True, 0.1 + 0.2,
         dt.datetime(2024, 4, 1)],
        [dt.datetime(2024, 4, 2, 18, 0), D(2024, 4, 2), False, 1.5, dt.datetime(2024, 4, 2)],
    ])
    table = read_table(path)
    assert types(table) == {"日時": "datetime", "日付": "date", "真偽": "yesno",
                            "小数": "number", "時刻なし日時": "date"}
    assert col(table, "日時")[0] == dt.datetime(2024, 4, 1, 9, 30, tzinfo=TOKYO)
    assert col(table, "日時")[0].tzinfo is not None
    assert col(table, "小数") == [Decimal("0.3"), Decimal("1.5")]
    assert col(table, "真偽") == [True, False]
    assert col(table, "時刻なし日時") == [D(2024, 4, 1), D(2024, 4, 2)]


def test_columns_that_stay_text_say_why(make_xlsx: MakeXlsx) -> None:
    grid: list[list[Any]] = [["番号", "金額", "メモ"]]
    for i in range(1, 31):
        grid.append([i, "不明" if i in (7, 19) else f"{i * 1000:,}", f"メモ{i}"])
    table = read_table(make_xlsx(grid))
    assert types(table)["金額"] == "text"
    assert col(table, "金額")[0] == "1,000"  # text is kept exactly as typed
    [reason] = table.text_reasons
    assert reason.column == "金額"
    assert reason.candidate == "number"
    assert reason.rows == [8, 20]
    assert reason.count == 2
    assert reason.examples[0] == {"row": 8, "value": "不明"}


def test_header_names_made_unique(make_xlsx: MakeXlsx) -> None:
    path = make_xlsx([
        ["名称", "名称", None, "列3", "備考", None],
        ["a", "b", "c", "d", "e", None],
        ["f", "g", "h", "i", "j", None],
    ])
    table = read_table(path)
    assert [c.name for c in table.columns] == ["名称", "名称 (2)", "列3 (2)", "列3", "備考"]


def test_yesno_needs_both_answers_or_no_blanks(make_xlsx: MakeXlsx) -> None:
    path = make_xlsx([
        ["○だけ", "○×", "有", "はい"],
        ["○", "○", "有", "はい"],
        [None, None, "有", "いいえ"],
        ["○", "×", "有", None],
    ])
    table = read_table(path)
    # Only はい/いいえ (what a yes/no field shows) make a yes/no field; other words stay the
    # file's own, as a choice (issue 13).
    assert types(table) == {"○だけ": "choice", "○×": "choice", "有": "choice", "はい": "yesno"}
    assert col(table, "○×") == ["○", None, "×"]
    assert options(table, "有") == {"choices": ["有"]}
    assert col(table, "はい") == [True, False, None]


def test_text_kinds(make_xlsx: MakeXlsx) -> None:
    long = "長い説明文です。" * 20
    path = make_xlsx([
        ["メール", "URL", "説明", "複数行", "自由記述"],
        ["a@example.jp", "https://www.city.yaizu.lg.jp/", long, "一行目\n二行目", "自由"],
        ["b.c@example.lg.jp", "http://example.com/a?b=1", "短い", "一行", "記述"],
    ])
    table = read_table(path)
    assert types(table) == {"メール": "email", "URL": "url", "説明": "textarea",
                            "複数行": "textarea", "自由記述": "text"}
    assert col(table, "複数行") == ["一行目\n二行目", "一行"]


def test_hidden_sheets_are_not_picked(make_xlsx: MakeXlsx) -> None:
    big = [["a", "b"], *[[i, i] for i in range(50)]]
    path = make_xlsx({"表示": [["名称", "値"], ["x", 1]], "非表示": big}, hidden=["非表示"])
    table = read_table(path)
    assert table.sheet == "表示"
    assert read_table(path, sheet="非表示").sheet == "非表示"


def test_merged_cells_down_the_data_fill_every_row(make_xlsx: MakeXlsx) -> None:
    grid: list[list[Any]] = [["地区", "施設", "定員"], ["北部", "A", 10], [None, "B", 20],
                             [None, "C", 30], ["南部", "D", 40]]
    path = make_xlsx(grid, merges={"Sheet1": [(1, 0, 3, 0)]})
    table = read_table(path)
    assert col(table, "地区") == ["北部", "北部", "北部", "南部"]


def test_repeated_header_rows_are_skipped(make_xlsx: MakeXlsx) -> None:
    grid: list[list[Any]] = [["番号", "名称"], [1, "a"], [2, "b"], ["番号", "名称"], [3, "c"]]
    table = read_table(make_xlsx(grid))
    assert [r.number for r in table.rows] == [2, 3, 5]
    assert types(table)["番号"] == "number"
    assert "見出し" in table.warnings[0]["message"]


def test_header_only_sheet(make_xlsx: MakeXlsx) -> None:
    table = read_table(make_xlsx([["名称", "住所"]]))
    assert [c.name for c in table.columns] == ["名称", "住所"]
    assert table.rows == []
    assert types(table) == {"名称": "text", "住所": "text"}


def test_empty_workbook(make_xlsx: MakeXlsx) -> None:
    with pytest.raises(ImportFileError) as info:
        read_table(make_xlsx({"Sheet1": []}))
    assert info.value.code == "no_table"


def test_progress_is_reported(ledger: Path) -> None:
    seen: list[tuple[int, int]] = []
    read_table(ledger, progress=lambda done, total: seen.append((done, total)))
    assert seen[0] == (0, 100)
    assert seen[-1] == (100, 100)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_filename_decides_extension_for_temporary_paths(ledger: Path, tmp_path: Path) -> None:
    upload = tmp_path / "upload.bin"
    upload.write_bytes(ledger.read_bytes())
    assert read_table(upload, filename="台帳.xlsx").sheet == "台帳"
    with pytest.raises(ImportFileError) as info:
        read_table(upload, filename="台帳.pdf")
    assert info.value.code == "unsupported_format"


def test_two_groups_in_a_merged_two_row_header(make_xlsx: MakeXlsx) -> None:
    grid: list[list[Any]] = [
        ["番号", "名称", "建築", None, None, "設備", None, None, "備考", "所管"],
        [None, None, "年月日", "構造", "階数", "電気", "ガス", "水道", None, None],
        [1, "本館", "H30.6.1", "鉄筋", 5, "○", "×", "○", None, "管財課"],
        [2, "別館", "R2.4.1", "木造", 2, "×", "×", "○", "古い", "管財課"],
    ]
    merges = [(0, 0, 1, 0), (0, 1, 1, 1), (0, 2, 0, 4), (0, 5, 0, 7), (0, 8, 1, 8),
              (0, 9, 1, 9)]
    table = read_table(make_xlsx(grid, merges={"Sheet1": merges}))
    assert table.header_row == 1
    assert [c.name for c in table.columns] == [
        "番号", "名称", "建築 年月日", "建築 構造", "建築 階数", "設備 電気", "設備 ガス",
        "設備 水道", "備考", "所管"]
    assert [r.number for r in table.rows] == [3, 4]


def test_group_row_above_the_labels_is_found(make_xlsx: MakeXlsx) -> None:
    # Only group labels in the upper row: it is too sparse to be the header on its own.
    grid: list[list[Any]] = [
        ["公有財産台帳"],
        ["基本情報", None, None, "建築", None, None],
        ["番号", "名称", "所在", "年月日", "構造", "階数"],
        [1, "本館", "本町", "H30.6.1", "鉄筋", 5],
        [2, "別館", "本町", "R2.4.1", "木造", 2],
    ]
    merges = [(0, 0, 0, 5), (1, 0, 1, 2), (1, 3, 1, 5)]
    table = read_table(make_xlsx(grid, merges={"Sheet1": merges}))
    assert table.header_row == 2
    assert table.header_rows == 2
    assert [c.name for c in table.columns] == [
        "基本情報 番号", "基本情報 名称", "基本情報 所在", "建築 年月日", "建築 構造", "建築 階数"]


def test_key_value_lines_above_the_header_are_titles(make_xlsx: MakeXlsx) -> None:
    grid: list[list[Any]] = [
        ["作成者", "管財課"],
        ["ID", "施設名", "面積", "所管"],
        [1, "A館", 120, "管財課"],
        [2, "B館", 98, "管財課"],
    ]
    table = read_table(make_xlsx(grid))
    assert table.header_row == 2
    assert [c.name for c in table.columns] == ["ID", "施設名", "面積", "所管"]


def test_a_merged_header_cell_over_one_data_column_is_not_a_group(make_xlsx: MakeXlsx) -> None:
    grid: list[list[Any]] = [["名称", "所在", "備考", None],
                             ["本館", "本町", "古い", None],
                             ["別館", "本町", "新しい", None]]
    table = read_table(make_xlsx(grid, merges={"Sheet1": [(0, 2, 0, 3)]}))
    assert table.header_rows == 1
    assert [c.name for c in table.columns] == ["名称", "所在", "備考"]
    assert [r.number for r in table.rows] == [2, 3]


@pytest.mark.parametrize("offset", [0, 2])
def test_big_sheets_are_read_row_by_row_with_equal_texts_shared(
        make_xlsx: MakeXlsx, monkeypatch: pytest.MonkeyPatch, offset: int) -> None:
    """Past _SHARED_TEXT_CELLS a sheet is read row by row (memory): the table must be the same
    as the one read at once, also when the used range starts below and right of A1."""
    from daicho.importing import readers

    pad = [None] * offset
    grid = [[None] * (offset + 4) for _ in range(offset)] + [
        [*pad, "令和6年度 公有財産台帳", None, None, None],
        [*pad, "名称", "区分", "金額", "取得日"],
        *[[*pad, f"施設{i}", ("土地", "建物")[i % 2], 1000 * i, f"R6.4.{i}"]
          for i in range(1, 21)],
        [*pad, "合計", None, 210000, None],
    ]
    path = make_xlsx(grid)
    whole = read_table(path)
    monkeypatch.setattr(readers, "_SHARED_TEXT_CELLS", 0)
    shared = read_table(path)
    assert [c.as_dict() for c in shared.columns] == [c.as_dict() for c in whole.columns]
    assert shared.numbers == whole.numbers
    assert shared.header_row == whole.header_row == offset + 2
    assert [r.values for r in shared.rows] == [r.values for r in whole.rows]
    assert [r.raw for r in shared.rows] == [r.raw for r in whole.rows]
    assert shared.warnings == whole.warnings
    kinds = [row.values[1] for row in shared.rows]
    assert kinds[0] is kinds[2] and kinds[1] is kinds[3]  # one 「土地」, one 「建物」
