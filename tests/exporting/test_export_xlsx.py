from __future__ import annotations

import datetime as dt
import io
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

from daicho.exporting import (
    CellTooLongError,
    ExportColumn,
    TooManyRowsError,
    write_xlsx,
    xlsx_writer,
)
from daicho.exporting.columns import COLUMN_TYPES as FIELD_TYPES
from daicho.exporting.xlsx_writer import number_formats, safe_sheet_name

C = ExportColumn
JST = dt.timezone(dt.timedelta(hours=9))

Rows = list[list[Any]]
ReadXlsx = Callable[[bytes], Rows]
ReadXml = Callable[[bytes, str], str]

# (column, value written, value read back by python-calamine): one or more per field type.
ROUND_TRIP: list[tuple[ExportColumn, Any, Any]] = [
    (C("氏名", "text"), "山田 太郎", "山田 太郎"),
    (C("備考", "textarea"), "1行目\n2行目", "1行目\n2行目"),
    (C("金額", "number", {"decimals": 0, "unit": "円", "separator": True}),
     Decimal("-1234567"), -1234567),
    (C("面積", "number", {"decimals": 2}), Decimal("12.34"), 12.34),
    (C("件数", "number"), 42, 42),
    (C("率", "number"), 0.125, 0.125),
    (C("受付日", "date"), dt.date(2024, 4, 1), dt.date(2024, 4, 1)),
    (C("年月", "date", {"precision": "month"}), dt.date(2019, 5, 1), dt.date(2019, 5, 1)),
    (C("更新日時", "datetime"), dt.datetime(2024, 3, 31, 15, 34, 56, tzinfo=dt.UTC),
     dt.datetime(2024, 4, 1, 0, 34, 56)),
    (C("完了", "yesno"), True, "はい"),
    (C("中止", "yesno"), False, "いいえ"),
    (C("区分", "choice"), "継続", "継続"),
    (C("対象", "multichoice"), ["道路", "水路、側溝"], "道路\n水路、側溝"),
    (C("メール", "email"), "info@city.example.jp", "info@city.example.jp"),
    (C("URL", "url"), "https://example.jp/?a=1", "https://example.jp/?a=1"),
    (C("担当者", "user"), "yamada", "yamada"),
    (C("担当課", "org"), "110 総務課", "110 総務課"),
    (C("関連", "link"), 12, 12),
    (C("関連キー", "link"), "A-1", "A-1"),
    (C("添付", "file"), ["図面.pdf", "写真 1.jpg"], "図面.pdf\n写真 1.jpg"),
    (C("番号", "autonumber"), "R6-0001", "R6-0001"),
]


def export(columns: list[ExportColumn], rows: Any, **kwargs: Any) -> bytes:
    out = io.BytesIO()
    write_xlsx(out, columns, rows, **kwargs)
    return out.getvalue()


def test_every_field_type_is_covered() -> None:
    assert {column.type for column, _, _ in ROUND_TRIP} == set(FIELD_TYPES)


def test_every_type_reads_back(xlsx_rows: ReadXlsx) -> None:
    columns = [c for c, _, _ in ROUND_TRIP]
    values_in = [v for _, v, _ in ROUND_TRIP]
    data = export(columns, [values_in, [None] * len(columns), values_in])
    header, values, empty, again = xlsx_rows(data)
    assert again == values
    assert header == [c.name for c in columns]
    for (column, _, expected), got in zip(ROUND_TRIP, values, strict=True):
        assert got == expected, column
        assert type(got) is type(expected) or isinstance(expected, int | float), column
    assert empty == [""] * len(columns)


def test_returns_row_count_and_writes_to_a_path(tmp_path: Path, xlsx_rows: ReadXlsx) -> None:
    path = tmp_path / "out.xlsx"
    assert write_xlsx(path, [C("名", "text")], iter([["a"], ["b"], ["c"]])) == 3
    assert xlsx_rows(path.read_bytes()) == [["名"], ["a"], ["b"], ["c"]]


def test_no_rows_gives_a_header_only_sheet(xlsx_rows: ReadXlsx, xlsx_xml: ReadXml) -> None:
    data = export([C("名", "text"), C("額", "number")], [])
    assert xlsx_rows(data) == [["名", "額"]]
    assert '<autoFilter ref="A1:B1"/>' in xlsx_xml(data, "xl/worksheets/sheet1.xml")


FORMULA_LIKE = ["=1+1", "+81-54-626-1111", "-5", "@SUM(A1:A3)", "\t=1", "\r=1",
                '=HYPERLINK("http://evil.example","click")', "=cmd|' /C calc'!A0"]


def test_formula_like_text_stays_text(xlsx_rows: ReadXlsx, xlsx_xml: ReadXml) -> None:
    columns = [C("=見出し", "text"), C("選択", "multichoice"), C("関連", "link")]
    rows = [[v, [v, "x"], v] for v in FORMULA_LIKE]
    data = export(columns, rows)
    sheet = xlsx_xml(data, "xl/worksheets/sheet1.xml")
    assert "<f>" not in sheet and "<f " not in sheet
    assert xlsx_rows(data)[1:] == [[v, v + "\nx", v] for v in FORMULA_LIKE]
    assert xlsx_rows(data)[0][0] == "=見出し"
    # Excel's quote prefix keeps them text even when a person edits the cell.
    assert 'quotePrefix="1"' in xlsx_xml(data, "xl/styles.xml")
    assert "hyperlink" not in sheet


def test_text_that_looks_like_a_number_or_url_stays_text(xlsx_rows: ReadXlsx,
                                                          xlsx_xml: ReadXml) -> None:
    values = ["0123", "1e5", "2024/04/01", "https://example.jp", "TRUE"]
    data = export([C("t", "text")], [[v] for v in values])
    assert [r[0] for r in xlsx_rows(data)[1:]] == values
    assert "hyperlink" not in xlsx_xml(data, "xl/worksheets/sheet1.xml")


def test_negative_numbers_stay_numbers(xlsx_rows: ReadXlsx) -> None:
    data = export([C("額", "number")], [[-5], [Decimal("-0.5")], [-2.25]])
    assert [r[0] for r in xlsx_rows(data)[1:]] == [-5.0, -0.5, -2.25]


@given(st.text(alphabet=st.characters(exclude_categories=["Cs"],
                                      exclude_characters="\ufffe\uffff"), max_size=60))
@settings(max_examples=30, deadline=None)
def test_any_text_round_trips(text: str) -> None:
    # Lone surrogates cannot be stored in UTF-8 at all; U+FFFE/U+FFFF are not XML characters
    # and Excel itself escapes them.
    rows = CalamineWorkbook.from_filelike(io.BytesIO(export([C("t", "text")], [[text]])))
    assert rows.get_sheet_by_index(0).to_python()[1:] == ([[text]] if text else [])


def test_header_is_bold_filled_frozen_and_filtered(xlsx_xml: ReadXml) -> None:
    data = export([C("名", "text"), C("額", "number")], [["a", 1], ["b", 2]])
    sheet = xlsx_xml(data, "xl/worksheets/sheet1.xml")
    styles = xlsx_xml(data, "xl/styles.xml")
    assert re.search(r'<pane ySplit="1" topLeftCell="A2" [^>]*state="frozen"', sheet)
    assert '<autoFilter ref="A1:B3"/>' in sheet
    header_style = int(re.search(r'<c r="A1" s="(\d+)"', sheet).group(1))  # type: ignore[union-attr]
    xfs = re.search(r"<cellXfs[^>]*>(.*?)</cellXfs>", styles).group(1)  # type: ignore[union-attr]
    xf = re.findall(r"<xf [^>]*?(?:/>|>.*?</xf>)", xfs)[header_style]
    font_id = int(re.search(r'fontId="(\d+)"', xf).group(1))  # type: ignore[union-attr]
    fonts = re.findall(r"<font>.*?</font>", styles)
    assert "<b/>" in fonts[font_id]
    assert 'fillId="0"' not in xf


def test_number_formats_from_options(xlsx_xml: ReadXml) -> None:
    assert number_formats({}) == (None, None)
    assert number_formats({"decimals": 0, "separator": True, "unit": "円"}) == (
        '#,##0"円"', '#,##0"円"')
    assert number_formats({"decimals": 2}) == ("0.00", "0.00")
    assert number_formats({"decimals": 1, "separator": True}) == ("#,##0.0", "#,##0.0")
    assert number_formats({"unit": "㎡"}) == ('General"㎡"', 'General"㎡"')
    # Without fixed decimals a fraction must not be rounded away for display.
    assert number_formats({"separator": True}) == ("#,##0", "#,##0.0#########")
    assert number_formats({"unit": 'a"b'}) == ('General"ab"', 'General"ab"')
    data = export([C("額", "number", {"decimals": 0, "separator": True, "unit": "円"})], [[1]])
    assert 'formatCode="#,##0&quot;円&quot;"' in xlsx_xml(data, "xl/styles.xml")


def test_separator_without_decimals_picks_a_format_per_value(xlsx_xml: ReadXml) -> None:
    data = export([C("額", "number", {"separator": True})], [[1000], [Decimal("1000.5")]])
    sheet = xlsx_xml(data, "xl/worksheets/sheet1.xml")
    styles = xlsx_xml(data, "xl/styles.xml")
    s2 = re.search(r'<c r="A2" s="(\d+)"', sheet).group(1)  # type: ignore[union-attr]
    s3 = re.search(r'<c r="A3" s="(\d+)"', sheet).group(1)  # type: ignore[union-attr]
    assert s2 != s3
    assert 'formatCode="#,##0.0#########"' in styles


def test_dates_are_real_dates_with_japanese_formats(xlsx_xml: ReadXml) -> None:
    columns = [C("日", "date"), C("月", "date", {"precision": "month"}), C("時", "datetime")]
    data = export(columns, [[dt.date(2024, 4, 1), dt.date(2024, 4, 1),
                             dt.datetime(2024, 4, 1, 9, 30, tzinfo=JST)]])
    styles = xlsx_xml(data, "xl/styles.xml")
    for code in ("yyyy/m/d", "yyyy/m", "yyyy/m/d h:mm"):
        assert f'formatCode="{code}"' in styles
    sheet = xlsx_xml(data, "xl/worksheets/sheet1.xml")
    # 2024-04-01 is serial 45383 in Excel's 1900 date system.
    assert re.search(r'<c r="A2" s="\d+"><v>45383</v>', sheet)
    assert re.search(r'<c r="C2" s="\d+"><v>45383.39583333334</v>', sheet)


def test_datetimes_are_written_in_tokyo_time(xlsx_rows: ReadXlsx) -> None:
    utc = dt.datetime(2024, 12, 31, 20, 0, tzinfo=dt.UTC)
    naive = dt.datetime(2024, 1, 2, 3, 4)  # taken as Tokyo time already
    data = export([C("時", "datetime")], [[utc], [utc.astimezone(JST)], [naive]])
    assert [r[0] for r in xlsx_rows(data)[1:]] == [
        dt.datetime(2025, 1, 1, 5, 0), dt.datetime(2025, 1, 1, 5, 0), naive]


def test_serials_match_xlsxwriters_own_conversion(xlsx_xml: ReadXml) -> None:
    from xlsxwriter import Workbook

    values = [dt.date(1900, 1, 1), dt.date(1900, 2, 28), dt.date(1900, 3, 1),
              dt.date(2038, 1, 19), dt.datetime(1900, 3, 1, 0, 0, 1),
              dt.datetime(2024, 2, 29, 12, 34, 56, 789)]
    columns = [C(str(i), "datetime" if isinstance(v, dt.datetime) else "date")
               for i, v in enumerate(values)]
    ours = xlsx_xml(export(columns, [values]), "xl/worksheets/sheet1.xml")
    out = io.BytesIO()
    workbook = Workbook(out, {"constant_memory": True})
    sheet = workbook.add_worksheet()
    for c, v in enumerate(values):
        sheet.write_datetime(1, c, v)
    workbook.close()
    theirs = xlsx_xml(out.getvalue(), "xl/worksheets/sheet1.xml")
    row = re.compile(r'<row r="2".*?</row>')
    strip = re.compile(r' s="\d+"')
    assert strip.sub("", row.search(ours).group(0)) == strip.sub(  # type: ignore[union-attr]
        "", row.search(theirs).group(0))  # type: ignore[union-attr]


def test_datetimes_early_in_1900_keep_their_day(xlsx_rows: ReadXlsx) -> None:
    # XlsxWriter's own conversion moves these to 1900-01-00 and to the phantom 1900-02-29.
    values = [dt.datetime(1900, 1, 1, 12, 0), dt.datetime(1900, 2, 28, 23, 59)]
    rows = xlsx_rows(export([C("時", "datetime")], [[v] for v in values]))
    assert [r[0] for r in rows[1:]] == values


def test_dates_before_1900_become_text_in_the_same_shape(xlsx_rows: ReadXlsx) -> None:
    columns = [C("日", "date"), C("月", "date", {"precision": "month"}), C("時", "datetime")]
    old = [dt.date(1889, 4, 1), dt.date(1889, 4, 1), dt.datetime(1899, 12, 31, 9, 5)]
    assert xlsx_rows(export(columns, [old]))[1] == ["1889/4/1", "1889/4", "1899/12/31 9:05"]


def test_columns_are_sized_for_japanese_text(xlsx_xml: ReadXml) -> None:
    columns = [C("ID", "text"), C("住所", "text"), C("備考", "textarea")]
    rows = [["a1", "静岡県焼津市本町二丁目16番32号", "長い" * 500]]
    sheet = xlsx_xml(export(columns, rows), "xl/worksheets/sheet1.xml")
    widths = [float(w) for w in re.findall(r'<col [^>]*width="([\d.]+)"', sheet)]
    assert len(widths) == 3
    narrow, address, note = widths
    assert narrow < 10
    assert 30 < address < 40  # 16 wide characters count as 32
    assert note <= 61  # capped


def test_multiline_types_wrap(xlsx_xml: ReadXml) -> None:
    data = export([C("選択", "multichoice"), C("名", "text")], [[["a", "b"], "x"]])
    sheet = xlsx_xml(data, "xl/worksheets/sheet1.xml")
    styles = xlsx_xml(data, "xl/styles.xml")
    assert 'wrapText="1"' in styles
    assert re.search(r'<c r="A2" s="\d+" t="inlineStr">', sheet)
    assert re.search(r'<c r="B2" t="inlineStr">', sheet)


def test_too_long_text_is_refused_with_every_place(tmp_path: Path) -> None:
    limit = xlsx_writer.CELL_TEXT_LIMIT
    columns = [C("名", "text"), C("備考", "textarea"), C("選択", "multichoice")]
    rows: list[list[Any]] = [
        ["ok", "x" * limit, None],              # exactly at the limit: fine
        ["ok", "x" * (limit + 1), None],        # row 3
        ["y" * 40_000, None, ["z" * 20_000, "z" * 20_000]],  # row 4, two places
        ["ok", "𠮷" * (limit // 2 + 1), None],   # row 5: 32,768 UTF-16 units in 16,384 chars
    ]
    path = tmp_path / "out.xlsx"
    with pytest.raises(CellTooLongError) as caught:
        write_xlsx(str(path), columns, rows)
    err = caught.value
    assert err.code == "cell_too_long"
    assert [(p["row"], p["column"]) for p in err.positions] == [
        (3, "備考"), (4, "名"), (4, "選択"), (5, "備考")]
    assert err.positions[0]["length"] == limit + 1
    assert err.positions[3]["length"] == limit + 1
    assert "3行目「備考」" in err.message and "32767" in err.message
    assert not path.exists()  # nothing half-written


def test_too_many_rows_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(xlsx_writer, "MAX_DATA_ROWS", 3)
    write_xlsx(str(tmp_path / "ok.xlsx"), [C("名", "text")], [["a"]] * 3)
    with pytest.raises(TooManyRowsError) as caught:
        write_xlsx(str(tmp_path / "no.xlsx"), [C("名", "text")], [["a"]] * 4)
    assert caught.value.code == "too_many_rows"
    assert not (tmp_path / "no.xlsx").exists()


def test_a_failed_export_leaves_no_temporary_files(monkeypatch: pytest.MonkeyPatch,
                                                   tmp_path: Path) -> None:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))

    def rows() -> Iterator[list[Any]]:
        yield ["a"]
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError):
        write_xlsx(io.BytesIO(), [C("名", "text")], rows())
    write_xlsx(io.BytesIO(), [C("名", "text")], [["a"]])
    assert os.listdir(scratch) == []


def test_row_of_the_wrong_length_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        export([C("名", "text"), C("額", "number")], [["a"]])


@pytest.mark.parametrize(("name", "expected"), [
    ("道路占用許可台帳", "道路占用許可台帳"),
    ("A/B:C*D?[E]\\F", "A／B：C＊D？［E］＼F"),
    ("'引用'", "引用"),
    ("", "台帳"),
    ("History", "History_"),
    ("あ" * 40, "あ" * 31),
    ("𠮷" * 20, "𠮷" * 15),  # 31 UTF-16 units at most
    ("a" * 30 + "'b", "a" * 30),  # no apostrophe left at the end after cutting
])
def test_sheet_names_are_made_acceptable(name: str, expected: str) -> None:
    assert safe_sheet_name(name) == expected


def test_sheet_name_is_used() -> None:
    data = export([C("名", "text")], [["a"]], sheet_name="道路/占用")
    assert CalamineWorkbook.from_filelike(io.BytesIO(data)).sheet_names == ["道路／占用"]
