"""Delimited text files: encodings, delimiters, shapes."""

from __future__ import annotations

import codecs
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from daicho.importing import ImportFileError, ParsedTable, read_table

MakeFile = Callable[[str, bytes], Path]
SAMPLE = "番号,名称,金額\r\n1,①髙橋㈱,\"1,000\"\r\n2,山田,△500\r\n"


def col(table: ParsedTable, name: str) -> list[Any]:
    index = [c.name for c in table.columns].index(name)
    return [row.values[index] for row in table.rows]


@pytest.mark.parametrize(("data", "encoding"), [
    (SAMPLE.encode("utf-8"), "utf-8"),
    (codecs.BOM_UTF8 + SAMPLE.encode("utf-8"), "utf-8-sig"),
    (SAMPLE.encode("cp932"), "cp932"),
    (SAMPLE.replace(",", "\t").replace('"1\t000"', "1,000").encode("utf-16"), "utf-16"),
])
def test_encodings_are_detected(make_file: MakeFile, data: bytes, encoding: str) -> None:
    table = read_table(make_file("a.csv", data))
    assert table.encoding == encoding
    assert table.sheet is None and table.sheets == []
    assert [c.name for c in table.columns] == ["番号", "名称", "金額"]
    assert col(table, "名称") == ["①髙橋㈱", "山田"]
    assert col(table, "金額") == [Decimal(1000), Decimal(-500)]
    assert [r.number for r in table.rows] == [2, 3]


def test_euc_jp(make_file: MakeFile) -> None:
    text = "名称,住所\n東京都庁,東京都新宿区西新宿二丁目\n大阪府庁,大阪市中央区大手前\n"
    table = read_table(make_file("a.csv", text.encode("euc_jp")))
    assert table.encoding == "euc_jp"
    assert col(table, "名称") == ["東京都庁", "大阪府庁"]


def test_shift_jis_means_cp932(make_file: MakeFile) -> None:
    path = make_file("a.csv", SAMPLE.encode("cp932"))
    for name in ("shift_jis", "Shift-JIS", "sjis", "cp932", "windows-31j"):
        table = read_table(path, encoding=name)
        assert table.encoding == "cp932"
        assert col(table, "名称")[0] == "①髙橋㈱"


def test_encoding_override_that_does_not_fit(make_file: MakeFile) -> None:
    path = make_file("a.csv", SAMPLE.encode("cp932"))
    with pytest.raises(ImportFileError) as info:
        read_table(path, encoding="utf-8")
    assert info.value.code == "invalid_encoding"
    assert "1 行目" in info.value.message  # the header is already Japanese
    with pytest.raises(ImportFileError) as info:
        read_table(path, encoding="no-such-codec")
    assert info.value.code == "invalid_encoding"


def test_invalid_bytes(make_file: MakeFile) -> None:
    path = make_file("a.csv", b"a,b\n1,2\n3,\x81 \xff\n")
    with pytest.raises(ImportFileError) as info:
        read_table(path)
    assert info.value.code == "invalid_encoding"
    assert "3 行目" in info.value.message


@pytest.mark.parametrize(("name", "text"), [
    ("a.csv", "名称,数\nA,1\nB,2\n"),
    ("a.tsv", "名称\t数\nA\t1\nB\t2\n"),
    ("a.txt", "名称\t数\nA\t1\nB\t2\n"),
    ("a.csv", "名称;数\nA;1\nB;2\n"),
    ("a.txt", "名称;数\nA;1\nB;2\n"),
])
def test_delimiters(make_file: MakeFile, name: str, text: str) -> None:
    table = read_table(make_file(name, text.encode()))
    assert [c.name for c in table.columns] == ["名称", "数"]
    assert col(table, "数") == [Decimal(1), Decimal(2)]


def test_tab_wins_over_commas_inside_values(make_file: MakeFile) -> None:
    text = "名称\t金額\nA\t1,000\nB\t2,000\nC\t3,500\n"
    table = read_table(make_file("a.txt", text.encode()))
    assert table.delimiter == "\t"
    assert col(table, "金額") == [Decimal(1000), Decimal(2000), Decimal(3500)]


def test_quoted_newlines_and_ragged_rows(make_file: MakeFile) -> None:
    text = '名称,説明,備考\nA,"一行目\n二行目",x\nB,短い\nC,"""引用""",y,余分\n'
    table = read_table(make_file("a.csv", text.encode()))
    assert [c.name for c in table.columns] == ["名称", "説明", "備考", "列4"]
    assert col(table, "説明") == ["一行目\n二行目", "短い", '"引用"']
    assert [r.number for r in table.rows] == [2, 3, 4]
    assert table.columns[1].type == "textarea"


def test_two_row_header_without_merges(make_file: MakeFile) -> None:
    text = ("番号,名称,建築,,備考\n"
            ",,年月日,構造,\n"
            "1,本館,H30.6.1,鉄筋,\n"
            "2,別館,R2.4.1,木造,古い\n")
    table = read_table(make_file("a.csv", text.encode()))
    assert table.header_row == 1
    assert table.header_rows == 2
    assert [c.name for c in table.columns] == ["番号", "名称", "建築 年月日", "建築 構造", "備考"]
    assert [r.number for r in table.rows] == [3, 4]


def test_totals_and_notes_in_csv(make_file: MakeFile) -> None:
    text = ("市有施設一覧\n\n"
            "番号,名称,金額\n1,A,100\n2,B,200\n,合　計,300\n※ 単位は千円\n")
    table = read_table(make_file("a.csv", text.encode("cp932")))
    assert table.header_row == 3
    assert [r.number for r in table.rows] == [4, 5]
    assert [w["row"] for w in table.warnings] == [1, 6, 7]  # the title, the total, the note


def test_header_row_override(make_file: MakeFile) -> None:
    text = "a,b\nc,d\n名称,値\nx,1\n"
    table = read_table(make_file("a.csv", text.encode()), header_row=3)
    assert [c.name for c in table.columns] == ["名称", "値"]
    assert [r.number for r in table.rows] == [4]


@pytest.mark.parametrize("data", [b"", b"   \r\n\r\n"])
def test_empty_files(make_file: MakeFile, data: bytes) -> None:
    with pytest.raises(ImportFileError) as info:
        read_table(make_file("a.csv", data))
    assert info.value.code == "empty_file"


def test_binary_named_csv(make_file: MakeFile) -> None:
    with pytest.raises(ImportFileError) as info:
        read_table(make_file("a.csv", b"\x00\x01\x02binary\x00" * 10))
    assert info.value.code == "wrong_file_type"


def test_text_named_xls(make_file: MakeFile) -> None:
    table = read_table(make_file("a.xls", "名称\t値\nA\t1\n".encode("cp932")))
    assert table.format == "csv"
    assert col(table, "値") == [Decimal(1)]
    assert any(".xls" in w["message"] for w in table.warnings)
    with pytest.raises(ImportFileError) as info:
        read_table(make_file("b.xls", b"<html><body><table><tr><td>1</td></tr></table></html>"))
    assert info.value.code == "unsupported_format"
