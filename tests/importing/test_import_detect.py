"""Table detection on grids of cell values (no files)."""

from __future__ import annotations

from typing import Any

import pytest

from daicho.importing.detect import detect
from daicho.importing.errors import ImportFileError


def grid(*rows: list[Any]) -> list[list[Any]]:
    return [list(r) for r in rows]


def test_rows_that_only_look_like_notes_are_data() -> None:
    found = detect(grid(
        ["名称", "区分", "金額"],
        ["注文住宅", "建物", 100],
        ["計画道路", "土地", 200],
        ["合計特殊出生率調査", "その他", 5],
        ["小計", None, 305],
        ["※注意", None, None],
        ["注2) 金額は千円単位", None, None],
        ["（注）出典は統計書", None, None],
        ["Total", None, 305],
        ["＊ 速報値", None, None],
    ))
    assert found.data_indices == [1, 2, 3]
    assert found.outline.kinds[4:] == ["subtotal", "note", "note", "note", "subtotal", "note"]
    # One warning per run of rows of the same kind.
    assert [w["row"] for w in found.warnings] == [5, 6, 9, 10]


@pytest.mark.parametrize("label", ["合計", "合　計", "【合計】", "小計（北部）", "総計", "計",
                                   "合計:", "Grand Total", "累計"])
def test_total_labels(label: str) -> None:
    found = detect(grid(["名称", "金額"], ["a", 1], [label, 1]))
    assert found.data_indices == [1]


def test_spacer_columns_and_table_not_in_column_a() -> None:
    found = detect(grid(
        ["", "", "", "", ""],
        ["", "番号", "", "名称", ""],
        ["", 1, "", "a", ""],
        ["", 2, "", "b", ""],
    ))
    assert found.names == ["番号", "名称"]
    assert found.sources == [1, 3]
    assert found.header_index == 1


def test_unnamed_column_with_data_is_kept() -> None:
    found = detect(grid(["番号", "", "名称"], [1, "x", "a"], [2, "", "b"]))
    assert found.names == ["番号", "列2", "名称"]


def test_header_cells_with_line_breaks() -> None:
    found = detect(grid(["取得\n年月日", " 名称 "], ["R6.4.1", "a"]))
    assert found.names == ["取得 年月日", "名称"]


def test_numbers_are_not_a_header() -> None:
    found = detect(grid(["台帳"], [1, 2, 3], ["番号", "名称", "金額"], [1, "a", 100]))
    assert found.header_index == 2


def test_blank_rows_inside_data() -> None:
    found = detect(grid(["名称", "金額"], ["a", 1], ["", ""], ["  ", ""], ["b", 2]))
    assert found.data_indices == [1, 4]


def test_single_column_table() -> None:
    found = detect(grid(["名称"], ["a"], ["b"]))
    assert found.names == ["名称"]
    assert found.data_indices == [1, 2]


def test_empty_sheet() -> None:
    with pytest.raises(ImportFileError) as info:
        detect([])
    assert info.value.code == "no_table"
    with pytest.raises(ImportFileError):
        detect(grid(["", ""], ["", ""]))
