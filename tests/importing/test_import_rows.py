"""The row classifier (issue 13): which rows of a real city file are records, and why the others
are not. Every sheet here is generated (XlsxWriter into tmp_path, CSV in cp932 or UTF-8), one per
kind of row a clerk's file holds; each test checks the record count, that a number column stays a
number, and the rows the warnings name."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from daicho.importing import read_table
from daicho.importing.errors import ImportFileError
from daicho.importing.table import ParsedTable
from tests.importing.conftest import MakeXlsx

MakeFile = Callable[[str, bytes], Path]
DJANGO = "DJANGO_SETTINGS_MODULE" in os.environ
needs_django = pytest.mark.skipif(not DJANGO, reason="runs the CLI and API through Django")


def types(table: ParsedTable) -> dict[str, str]:
    return {c.name: c.type for c in table.columns}


def warned(table: ParsedTable) -> list[int | None]:
    return [w["row"] for w in table.warnings]


def kinds(table: ParsedTable) -> dict[int, str]:
    return {k.row: k.kind for k in table.outline}


def left_out(table: ParsedTable) -> list[tuple[int, int, str]]:
    return [(r["first"], r["last"], r["kind"]) for r in table.row_outline.left_out()]


# ------------------------------------------------------------------ 1. totals and sections

WARDS = [
    ["保育所一覧（令和7年4月1日現在）"],
    ["単位：人"],
    ["区", "施設名", "定員", "在籍数"],
    ["東灘区", "本山保育所", 60, 55],
    ["東灘区", "御影保育所", 90, 88],
    [None, "東灘区計", 150, 143],
    ["西区", "玉津保育所", 120, 110],
    ["西区", "伊川谷保育所", 45, 40],
    ["西区計", None, 165, 150],
    ["合計", None, 315, 293],
    ["前年５月", None, 300, 280],
    ["（再掲）民間", None, 135, 128],
    ["うち分園", None, 1, 1],
]


def test_ward_subtotals_comparison_and_part_rows_are_not_records(make_xlsx: MakeXlsx) -> None:
    table = read_table(make_xlsx(WARDS))
    assert table.header_row == 3
    assert [r.number for r in table.rows] == [4, 5, 7, 8]
    assert types(table) == {"区": "choice", "施設名": "text", "定員": "number",
                            "在籍数": "number"}
    assert left_out(table) == [(1, 2, "title"), (6, 6, "subtotal"), (9, 13, "subtotal")]
    assert warned(table) == [1, 6, 9]
    by_row = {w["row"]: w["message"] for w in table.warnings}
    assert by_row[6] == "6 行目は合計・小計の行（「東灘区計」）のため取り込みませんでした。"
    assert by_row[9] == "9〜13 行目は取り込みませんでした。合計・小計・比較の行です。"


def test_total_label_beside_a_group_name_merged_down(make_xlsx: MakeXlsx) -> None:
    grid = [["区", "施設", "定員"],
            ["東灘区", "本山", 60], [None, "御影", 90], [None, "計", 150],
            ["西区", "玉津", 120], [None, "伊川谷", 45], [None, "小計", 165]]
    table = read_table(make_xlsx({"定員": grid},
                                 merges={"定員": [(1, 0, 3, 0), (4, 0, 6, 0)]}))
    assert [r.number for r in table.rows] == [2, 3, 5, 6]
    assert [r.values[0] for r in table.rows] == ["東灘区", "東灘区", "西区", "西区"]
    assert left_out(table) == [(4, 4, "subtotal"), (7, 7, "subtotal")]


@pytest.mark.parametrize("label", ["東灘区計", "西 区 計", "全市計", "施設計", "（うち女性）",
                                   "うち 市内", "再掲", "内訳", "前年度", "前年同月", "前年12月",
                                   "（前年５月末）", "前年比", "平均"])
def test_label_words(make_xlsx: MakeXlsx, label: str) -> None:
    table = read_table(make_xlsx([["名称", "区分", "金額"], ["a", "x", 1], ["b", "y", 2],
                                  [label, None, 3]]))
    assert table.row_count == 2
    assert kinds(table)[4] == "subtotal"


@pytest.mark.parametrize("name", ["一般会計", "設計", "人口統計", "体温計", "合計特殊出生率",
                                  "うちわ祭り", "前年度繰越金", "内田", "(1) 庁舎"])
def test_words_that_only_end_like_a_total_are_data(make_xlsx: MakeXlsx, name: str) -> None:
    table = read_table(make_xlsx([["名称", "区分", "金額"], ["a", "x", 1], [name, "y", 2]]))
    assert table.row_count == 2 and not table.warnings


def test_section_label_rows_between_groups(make_xlsx: MakeXlsx) -> None:
    table = read_table(make_xlsx([
        ["駐車場", "所在地", "台数", "料金"],
        ["都心地域"],
        ["三宮駐車場", "中央区", 300, 400],
        ["元町駐車場", "中央区", 120, 300],
        [],
        ["公共交通機関"],
        ["駅前駐輪場", "灘区", 500, 100],
        ["以上"],
    ]))
    assert [r.number for r in table.rows] == [3, 4, 7]
    assert types(table)["台数"] == "number" and types(table)["料金"] == "number"
    assert left_out(table) == [(2, 2, "section"), (6, 6, "section"), (8, 8, "note")]
    assert "都心地域" in table.warnings[0]["message"]


def test_small_summary_block_under_the_list(make_xlsx: MakeXlsx) -> None:
    data = [[n, f"施設{n}", "公立" if n % 3 else "私立", 30 + n, f"R{n % 5 + 2}.4.{n % 28 + 1}"]
            for n in range(1, 41)]
    summary = [[None, label, None, count, None]
               for label, count in (("公立", 27), ("私立", 13), ("認定こども園", 8),
                                    ("小規模", 5), ("事業所内", 2))]
    table = read_table(make_xlsx([["No", "施設名", "区分", "定員", "開設"], *data, [],
                                  *summary]))
    assert table.row_count == 40
    assert types(table)["定員"] == "number" and types(table)["開設"] == "date"
    assert left_out(table) == [(43, 47, "subtotal")]
    assert warned(table) == [43]


def test_small_table_of_its_own_under_the_list_after_one_blank_row(make_file: MakeFile) -> None:
    lines = ["No,施設名,区分,定員"] + [f"{n},施設{n},{'公立' if n % 3 else '私立'},{30 + n}"
                                     for n in range(1, 31)]
    lines += ["", "区分,施設数,定員計,平均定員", "公立,20,900,45", "私立,10,500,50"]
    table = read_table(make_file("施設.csv", "\n".join(lines).encode("utf-8")))
    assert table.encoding in ("utf-8", "ascii")
    assert table.row_count == 30
    assert types(table)["定員"] == "number"
    assert left_out(table) == [(33, 35, "second_table")]


# ------------------------------------------------------------------ 2. other tables, new pages

def test_second_table_below_the_first(make_xlsx: MakeXlsx) -> None:
    table = read_table(make_xlsx([
        ["人口の推移"],
        ["年度", "人口", "世帯数"],
        *[[f"令和{y}年", 1_500_000 + y, 700_000 + y] for y in range(1, 6)],
        [], [], [],
        ["表2 区別人口"],
        ["区", "男", "女", "計"],
        ["東灘区", 100_000, 110_000, 210_000],
        ["灘区", 60_000, 70_000, 130_000],
    ]))
    assert table.row_count == 5
    assert [c.name for c in table.columns] == ["年度", "人口", "世帯数"]
    assert types(table)["人口"] == "number" and types(table)["世帯数"] == "number"
    assert left_out(table) == [(1, 1, "title"), (11, 14, "second_table")]


def test_second_table_in_the_text_columns_followed_by_notes(make_xlsx: MakeXlsx) -> None:
    """A small table whose headings stand over the list's text columns, with footnotes under it
    after a blank row: the footnotes do not hide that numbers stand under its headings."""
    table = read_table(make_xlsx([
        ["区", "町名", "人口", "世帯数"],
        *[["東灘区", f"{n}丁目", 100 + n, 50 + n] for n in range(1, 6)],
        [], [],
        ["参考", "件数"],
        ["転入", 12],
        ["転出", 10],
        [],
        ["a) 10月１日現在"],
        ["   住民基本台帳による"],
    ]))
    assert table.row_count == 5
    assert types(table)["町名"] == "text" and types(table)["人口"] == "number"
    assert left_out(table) == [(9, 14, "second_table")]


def test_title_unit_and_header_repeated_after_a_page_break(make_xlsx: MakeXlsx) -> None:
    page = [["東小学校", 12, 340, 1.02], ["西小学校", 18, 520, 0.98], ["南小学校", 9, 210, 1.0]]
    table = read_table(make_xlsx([
        ["児童数調べ 7年度"],
        ["（単位：人）"],
        ["学校名", "学　　級　　数", "児童数", "前年度比"],
        *page,
        [],
        ["児童数調べ　７年度"],  # the same title, other width and space
        ["（単位： 人）"],
        ["学校名", "学級数", "児　童　数", "前年度比"],
        *page,
    ]))
    assert [c.name for c in table.columns] == ["学校名", "学級数", "児童数", "前年度比"]
    assert [r.number for r in table.rows] == [4, 5, 6, 11, 12, 13]
    assert [types(table)[name] for name in ("学級数", "児童数", "前年度比")] == ["number"] * 3
    assert left_out(table) == [(1, 2, "title"), (8, 10, "repeated_header")]


def test_header_repeated_in_other_width_without_a_blank_row(make_file: MakeFile) -> None:
    text = ("区分,6年度,7年度\r\n土地,100,120\r\n建物,200,210\r\n"
            "区分,６年度,７年度\r\n工作物,30,35\r\n")
    table = read_table(make_file("推移.csv", text.encode("cp932")))
    assert [r.number for r in table.rows] == [2, 3, 5]
    assert types(table)["7年度"] == "number"
    assert left_out(table) == [(4, 4, "repeated_header")]


# ------------------------------------------------------------------ 7. metadata, numbering

def test_template_metadata_rows_under_the_header(make_xlsx: MakeXlsx) -> None:
    table = read_table(make_xlsx([
        ["全国地方公共団体コード", "名称", "所在地", "定員"],
        ["LocalGovernmentCode", "Name", "Address", "Capacity"],
        ["#object_type_xsd", "string", "string", "integer"],
        ["281000", "みなと保育園", "神戸市中央区", 60],
        ["281000", "やま保育園", "神戸市灘区", 45],
    ]))
    assert table.row_count == 2
    assert types(table)["定員"] == "number"
    assert left_out(table) == [(2, 3, "metadata")]


def test_rows_holding_only_a_running_number(make_xlsx: MakeXlsx) -> None:
    data = [[n, f"氏名{n}", f"住所{n}", f"078-000-{n:04d}"] for n in range(1, 11)]
    numbers = [[n] for n in range(11, 329)]
    table = read_table(make_xlsx([["No", "氏名", "住所", "電話"], *data, *numbers]))
    assert table.row_count == 10
    assert types(table)["No"] == "number"
    assert table.row_outline.counts() == {"header": 1, "data": 10, "numbering_only": 318}
    assert left_out(table) == [(12, 329, "numbering_only")]
    assert table.warnings == [{"row": 12, "message":
                               "12〜329 行目は取り込みませんでした。番号だけの行です。"}]


def test_numbered_empty_rows_of_a_two_column_form(make_file: MakeFile) -> None:
    text = "番号,氏名\r\n1,山田\r\n2,佐藤\r\n" + "".join(f"{n},\r\n" for n in range(3, 51))
    table = read_table(make_file("名簿.csv", text.encode("cp932")))
    assert table.row_count == 2
    assert left_out(table) == [(4, 51, "numbering_only")]


def test_english_column_names_with_spaces_under_japanese_headings(make_xlsx: MakeXlsx) -> None:
    table = read_table(make_xlsx([["施設名", "郵便番号", "備考"],
                                  ["Facility Name", "Post Code", "Remarks"],
                                  ["本庁舎", "425-8502", None], ["北支所", "425-0000", "改修中"]]))
    assert table.row_count == 2
    assert left_out(table) == [(2, 2, "metadata")]


# ------------------------------------------------------------------ 8. notes, legends, spaces

def test_footnotes_over_several_lines(make_xlsx: MakeXlsx) -> None:
    table = read_table(make_xlsx([
        ["学校名", "学級数", "児童数", "教員数"],
        ["東小学校", 12, 340, 20],
        ["西小学校", 18, 520, 31],
        [],
        ["a) 10月１日現在"],
        ["   本表は学校基本調査による。"],
        ["ｂ）休校中の学校を含む。"],
        ["   分校は本校に含めた。"],
    ]))
    assert table.row_count == 2
    assert types(table)["児童数"] == "number"
    assert left_out(table) == [(5, 8, "note")]


@pytest.mark.parametrize(("legend", "span"), [("凡例：○ 設置済　× 未設置", (0, 0, 0, 4)),
                                              ("設置状況", (0, 1, 0, 5))])
def test_legend_merged_across_the_top_is_not_put_before_the_names(
        make_xlsx: MakeXlsx, legend: str, span: tuple[int, int, int, int]) -> None:
    grid = [[None] * 6, ["施設名", "AED", "消火器", "非常灯", "避難器具", "備考"],
            ["本庁舎", "○", "○", "×", "○", None], ["北支所", "×", "○", "○", "×", "改修中"]]
    grid[0][span[1]] = legend
    table = read_table(make_xlsx({"設備": grid}, merges={"設備": [span]}))
    assert table.header_row == 2
    assert [c.name for c in table.columns] == ["施設名", "AED", "消火器", "非常灯", "避難器具",
                                               "備考"]
    assert table.row_count == 2
    assert left_out(table) == [(1, 1, "title")]


def test_layout_spaces_inside_names(make_file: MakeFile) -> None:
    text = "学　　級　　数,氏　名,本庁舎 別館,No. of rooms\n1,a,b,2\n"
    table = read_table(make_file("a.csv", text.encode("utf-8")))
    assert [c.name for c in table.columns] == ["学級数", "氏名", "本庁舎 別館", "No. of rooms"]


# ------------------------------------------------------------------ CSV, the outline, choices

def test_csv_cp932_with_subtotals_and_sections(make_file: MakeFile) -> None:
    text = ("区,施設名,定員,在籍数\r\n都心地域,,,\r\n中央区,Ａ保育所,60,55\r\n"
            "中央区,Ｂ保育所,90,88\r\n,中央区計,150,143\r\n北部地域,,,\r\n"
            "北区,Ｃ保育所,120,110\r\n,北区計,120,110\r\n,合計,270,253\r\n")
    table = read_table(make_file("保育所.csv", text.encode("cp932")))
    assert table.encoding == "cp932"
    assert [r.number for r in table.rows] == [3, 4, 7]
    assert types(table)["定員"] == "number"
    assert left_out(table) == [(2, 2, "section"), (5, 5, "subtotal"), (6, 6, "section"),
                               (8, 9, "subtotal")]


def test_outline_covers_every_filled_row(make_xlsx: MakeXlsx) -> None:
    table = read_table(make_xlsx(WARDS))
    outline = table.outline
    assert [k.row for k in outline] == list(range(1, 14))
    assert all(k.reason == "" for k in outline if k.kind in ("data", "header"))
    assert all(k.reason for k in outline if k.kind not in ("data", "header"))
    assert outline[5].reason == "合計・小計・比較の行です（「東灘区計」）。"
    assert table.row_outline.counts() == {"title": 2, "header": 1, "data": 4, "subtotal": 6}


def test_first_last_exclude_and_include_rows(make_xlsx: MakeXlsx) -> None:
    path = make_xlsx(WARDS)
    table = read_table(path, first_row=5, last_row=8, exclude_rows=frozenset({7}),
                       include_rows=frozenset({10}))
    assert [r.number for r in table.rows] == [5, 8, 10]
    assert types(table)["定員"] == "number"
    runs = left_out(table)
    assert (4, 4, "excluded") in runs and (7, 7, "excluded") in runs
    assert not any(first <= 10 <= last for first, last, _kind in runs)
    # The outline itself is what the classifier found.
    assert kinds(table)[10] == "subtotal" and kinds(table)[7] == "data"


@pytest.mark.parametrize("options", [{"first_row": 0}, {"last_row": -1},
                                     {"first_row": 5, "last_row": 4},
                                     {"exclude_rows": frozenset({0})},
                                     {"include_rows": frozenset({"3"})}])
def test_row_choices_are_checked(make_xlsx: MakeXlsx, options: dict[str, Any]) -> None:
    with pytest.raises(ImportFileError) as info:
        read_table(make_xlsx(WARDS), **options)
    assert info.value.code == "invalid_row_choice"


# ------------------------------------------------------------------ end to end

@needs_django
def test_cli_json_report_lists_what_was_left_out(cli: Any, admin: Any,
                                                 make_xlsx: MakeXlsx) -> None:
    data = [[n, f"氏名{n}", f"住所{n}", n * 1000] for n in range(1, 11)]
    path = make_xlsx({"名簿": [["No", "氏名", "住所", "金額"], *data, *[[n] for n in range(11, 329)],
                              [None, "合計", None, 55_000]]}, name="名簿.xlsx")
    result = cli("import", str(path), "--json")
    assert result.code == 0, result.out + result.err
    report = result.json
    assert report["created"] == 10
    assert {f["name"]: f["type"] for f in report["fields"]}["金額"] == "number"
    assert report["outline"]["kinds"] == {"header": 1, "data": 10, "subtotal": 1,
                                          "numbering_only": 318}
    assert [(r["first"], r["last"], r["kind"]) for r in report["outline"]["left_out"]] == [
        (12, 329, "numbering_only"), (330, 330, "subtotal")]
    assert report["outline"]["left_out"][0]["reason"] == "番号だけの行です。"
    assert [w["row"] for w in report["warnings"]] == [12, 330]


@needs_django
def test_api_import_with_row_choices(api: Any, tmp_path: Path) -> None:
    text = "区,施設名,定員\r\n東灘区,本山,60\r\n東灘区,御影,90\r\n,東灘区計,150\r\n西区,玉津,120\r\n"
    path = tmp_path / "保育所.csv"
    path.write_bytes(text.encode("cp932"))

    def upload(**fields: Any) -> Any:
        with path.open("rb") as f:
            return api.upload("/api/v1/imports", {"file": f, "dry_run": "true", **fields})

    plain = upload()
    assert plain.status == 200, plain.body
    assert plain.body["created"] == 3
    assert plain.body["outline"]["left_out"][0]["kind"] == "subtotal"
    chosen = upload(exclude_rows="[2]", include_rows="4", last_row="4")
    assert chosen.status == 200, chosen.body
    assert chosen.body["created"] == 2  # rows 3 and 4; 2 excluded, 5 below the last row
    assert [(r["first"], r["last"], r["kind"]) for r in chosen.body["outline"]["left_out"]] == [
        (2, 2, "excluded"), (5, 5, "excluded")]
    for bad in ({"exclude_rows": "[0]"}, {"include_rows": "[1.5]"}, {"exclude_rows": "a,b"},
                {"first_row": "3", "last_row": "2"}, {"first_row": "0"}):
        refused = upload(**bad)
        assert refused.status == 400, (bad, refused.body)
        assert refused.body["error"]["code"] == "invalid_row_choice", refused.body
    with path.open("rb") as f:
        written = api.upload("/api/v1/imports", {"file": f, "exclude_rows": "[0]"})
    assert written.status == 400
    assert "exclude_rows" in json.dumps(written.body, ensure_ascii=False)
    assert api.get("/api/v1/ledgers").body["items"] == []


@needs_django
def test_background_import_keeps_the_row_choices(api: Any, tmp_path: Path) -> None:
    from daicho import jobs

    path = tmp_path / "保育所.csv"
    path.write_bytes("区,施設名,定員\r\n東灘区,本山,60\r\n,東灘区計,60\r\n西区,玉津,120\r\n"
                     .encode("cp932"))
    with path.open("rb") as f:
        queued = api.upload("/api/v1/imports", {"file": f, "background": "true",
                                                "exclude_rows": "[4]", "include_rows": "[3]"})
    assert queued.status == 202, queued.body
    jobs.run_pending()
    job = api.get(f"/api/v1/jobs/{queued.body['job']['id']}").body
    assert job["status"] == "done", job
    assert job["result"]["created"] == 2  # rows 2 and 3
    assert job["result"]["outline"]["left_out"] == [
        {"first": 4, "last": 4, "kind": "excluded", "reason": "指定により読み込みから外しました。"}]
