from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from daicho.exporting import (
    ExportColumn,
    UnencodableError,
    UnencodablePosition,
    write_csv,
)
from daicho.exporting import errors as export_errors
from daicho.exporting.charsets import CP932_COMPAT, Substitution
from daicho.exporting.columns import COLUMN_TYPES as FIELD_TYPES

C = ExportColumn
JST = dt.timezone(dt.timedelta(hours=9))
Rows = list[list[Any]]
ReadCsv = Callable[[bytes, str], Rows]

# (column, value written, text read back): at least one per field type.
ROUND_TRIP: list[tuple[ExportColumn, Any, str]] = [
    (C("氏名", "text"), "山田 太郎", "山田 太郎"),
    (C("備考", "textarea"), "1行目\n2行目, \"引用\"", "1行目\n2行目, \"引用\""),
    (C("金額", "number", {"decimals": 0, "unit": "円", "separator": True}),
     Decimal("-1234567"), "-1234567"),
    (C("面積", "number", {"decimals": 2}), Decimal("12.30"), "12.30"),
    (C("大", "number"), Decimal("1E+3"), "1000"),
    (C("小", "number"), 1e-7, "0.0000001"),
    (C("件数", "number"), 42, "42"),
    (C("率", "number"), 2.0, "2"),
    (C("受付日", "date"), dt.date(2024, 4, 1), "2024-04-01"),
    (C("年月", "date", {"precision": "month"}), dt.date(2019, 5, 1), "2019-05-01"),
    (C("更新日時", "datetime"), dt.datetime(2024, 3, 31, 15, 34, 56, 789, tzinfo=dt.UTC),
     "2024-04-01 00:34:56"),
    (C("完了", "yesno"), True, "はい"),
    (C("中止", "yesno"), False, "いいえ"),
    (C("区分", "choice"), "継続", "継続"),
    (C("対象", "multichoice"), ["道路", "水路、側溝"], "道路\n水路、側溝"),
    (C("メール", "email"), "info@city.example.jp", "info@city.example.jp"),
    (C("URL", "url"), "https://example.jp/?a=1&b=2", "https://example.jp/?a=1&b=2"),
    (C("担当者", "user"), "yamada", "yamada"),
    (C("担当課", "org"), "110 総務課", "110 総務課"),
    (C("関連", "link"), 12, "12"),
    (C("添付", "file"), ["図面.pdf", "写真 1.jpg"], "図面.pdf\n写真 1.jpg"),
    (C("番号", "autonumber"), "R6-0001", "R6-0001"),
]


def export(columns: list[ExportColumn], rows: Any, **kwargs: Any) -> bytes:
    out = io.BytesIO()
    write_csv(out, columns, rows, **kwargs)
    return out.getvalue()


def test_every_field_type_is_covered() -> None:
    assert {column.type for column, _, _ in ROUND_TRIP} == set(FIELD_TYPES)


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "cp932"])
def test_every_type_reads_back(encoding: str, csv_rows: ReadCsv) -> None:
    columns = [c for c, _, _ in ROUND_TRIP]
    data = export(columns, [[v for _, v, _ in ROUND_TRIP], [None] * len(columns)],
                  encoding=encoding)
    header, values, empty = csv_rows(data, encoding)
    assert header == [c.name for c in columns]
    assert values == [text for _, _, text in ROUND_TRIP]
    assert empty == [""] * len(columns)


def test_returns_the_row_count() -> None:
    assert write_csv(io.BytesIO(), [C("名", "text")], iter([["a"], ["b"]])) == 2
    assert write_csv(io.BytesIO(), [C("名", "text")], []) == 0


def test_bom_once_by_default_and_crlf_line_ends() -> None:
    data = export([C("名", "text"), C("備考", "textarea")], [["a", "x\ny"], ["b", "z"]])
    assert data.startswith(codecs.BOM_UTF8)
    assert data.count(codecs.BOM_UTF8) == 1
    body = data[len(codecs.BOM_UTF8):]
    assert body == "名,備考\r\na,\"x\ny\"\r\nb,z\r\n".encode()


def test_utf8_without_bom() -> None:
    data = export([C("名", "text")], [["a"]], encoding="utf-8")
    assert data == "名\r\na\r\n".encode()


@pytest.mark.parametrize(("alias", "canonical"), [
    ("UTF-8", "utf-8"), ("utf8", "utf-8"), ("UTF-8-SIG", "utf-8-sig"), ("ms932", "cp932"),
    ("Windows-31J", "cp932"), ("Shift_JIS", "cp932"),
])
def test_encoding_aliases(alias: str, canonical: str) -> None:
    assert export([C("名", "text")], [["①"]], encoding=alias) == export(
        [C("名", "text")], [["①"]], encoding=canonical)


@pytest.mark.parametrize("encoding", ["euc-jp", "latin-1", "nonsense"])
def test_other_encodings_are_refused(encoding: str) -> None:
    with pytest.raises(ValueError):
        export([C("名", "text")], [], encoding=encoding)


FORMULA_LIKE = ["=1+1", "+81-54-626-1111", "-5", "@SUM(A1:A3)", "\t=1", "\r=1",
                '=HYPERLINK("http://evil.example","click")', "=cmd|' /C calc'!A0"]


def test_formula_like_text_gets_an_apostrophe(csv_rows: ReadCsv) -> None:
    columns = [C("名", "text"), C("選択", "multichoice"), C("関連", "link"),
               C("番号", "autonumber")]
    rows = [[v, [v], v, v] for v in FORMULA_LIKE]
    got = csv_rows(export(columns, rows), "utf-8-sig")[1:]
    assert got == [["'" + v] * 4 for v in FORMULA_LIKE]


def test_headers_are_neutralised_too(csv_rows: ReadCsv) -> None:
    assert csv_rows(export([C("=見出し", "text"), C("-", "text")], [], encoding="utf-8"),
                    "utf-8")[0] == [
        "'=見出し", "'-"]


def test_numbers_dates_and_yes_no_are_never_prefixed(csv_rows: ReadCsv) -> None:
    # contract §3.2 is about text: a negative number must stay a number Excel can add up.
    columns = [C("額", "number"), C("額2", "number", {"separator": True}), C("関連", "link"),
               C("日", "date"), C("可", "yesno")]
    rows = [[-5, Decimal("-0.50"), 7, dt.date(2024, 1, 2), False]]
    assert csv_rows(export(columns, rows), "utf-8")[1] == ["-5", "-0.50", "7", "2024-01-02",
                                                           "いいえ"]


def test_text_in_the_middle_is_left_alone(csv_rows: ReadCsv) -> None:
    values = ["a=1", "1+1", "x-y", "mail@example.jp", " =1", "＝全角"]
    assert [r[0] for r in csv_rows(export([C("名", "text")], [[v] for v in values]),
                                   "utf-8")[1:]] == values


def test_datetimes_are_tokyo_wall_clock(csv_rows: ReadCsv) -> None:
    utc = dt.datetime(2024, 12, 31, 20, 0, tzinfo=dt.UTC)
    naive = dt.datetime(2024, 1, 2, 3, 4, 5)
    got = csv_rows(export([C("時", "datetime")], [[utc], [utc.astimezone(JST)], [naive]]),
                   "utf-8")
    assert [r[0] for r in got[1:]] == ["2025-01-01 05:00:00", "2025-01-01 05:00:00",
                                       "2024-01-02 03:04:05"]


# --- cp932 -------------------------------------------------------------------------------------


def test_cp932_writes_nec_and_ibm_extensions() -> None:
    data = export([C("名", "text")], [["①㈱髙﨑Ⅲ"]], encoding="cp932")
    assert data == "名\r\n①㈱髙﨑Ⅲ\r\n".encode("cp932")


@pytest.mark.parametrize(("typed", "windows"), [
    ("\u301c", "\uff5e"),  # 〜 → ～
    ("\u2016", "\u2225"),  # ‖ → ∥
    ("\u2212", "\uff0d"),  # − → －
    ("\u00a2", "\uffe0"),  # ¢ → ￠
    ("\u00a3", "\uffe1"),  # £ → ￡
    ("\u00ac", "\uffe2"),  # ¬ → ￢
    ("\u2014", "\u2015"),  # — → ―
    ("\u00a5", "\uffe5"),  # ¥ → ￥
    ("\u00a0", " "),
])
def test_cp932_maps_look_alikes_to_the_bytes_windows_shows(typed: str, windows: str) -> None:
    data = export([C("名", "text")], [[f"4月{typed}6月"]], encoding="cp932")
    assert data == f"名\r\n4月{windows}6月\r\n".encode("cp932")


def test_wave_dash_comes_out_as_0x8160() -> None:
    data = export([C("期間", "text")], [["4月〜6月"]], encoding="cp932")
    assert b"\x81\x60" in data


def test_utf8_keeps_look_alikes_as_typed() -> None:
    text = "4月〜6月—¥100"
    assert export([C("名", "text")], [[text]], encoding="utf-8") == f"名\r\n{text}\r\n".encode()


def test_cp932_refuses_what_it_cannot_hold_and_lists_every_place() -> None:
    columns = [C("氏名", "text"), C("備考", "textarea"), C("元号", "choice"), C("額", "number")]
    rows = [
        ["山田", "問題なし", "平成", 1],
        ["𠮷田", "森鷗外\n𠮷", "令和", 2],  # row 3: two characters in 氏名? no: one; 備考 two
        ["佐藤", "😀", "㋿", 3],            # row 4
    ]
    out = io.BytesIO()
    with pytest.raises(UnencodableError) as caught:
        write_csv(out, columns, rows, encoding="cp932")
    err = caught.value
    assert err.code == "unencodable"
    assert [(p["row"], p["column"], p["char"], p["codepoint"]) for p in err.positions] == [
        (3, "氏名", "𠮷", "U+20BB7"),
        (3, "備考", "鷗", "U+9DD7"),
        (3, "備考", "𠮷", "U+20BB7"),
        (4, "備考", "😀", "U+1F600"),
        (4, "元号", "㋿", "U+32FF"),
    ]
    assert err.total == 5
    assert "3行目「氏名」の「𠮷」(U+20BB7)" in err.message
    assert "4行目「元号」の「㋿」(U+32FF)" in err.message
    assert "?" not in out.getvalue().decode("cp932")
    assert err.as_dict()["error"]["details"]["positions"][0]["row"] == 3


def test_unencodable_header_is_row_1() -> None:
    with pytest.raises(UnencodableError) as caught:
        export([C("𠮷野", "text")], [["a"]], encoding="cp932")
    assert [(p["row"], p["column"]) for p in caught.value.positions] == [(1, "𠮷野")]


def test_row_numbers_count_records_not_physical_lines() -> None:
    rows = [["一\n二\n三"], ["𠮷"]]
    with pytest.raises(UnencodableError) as caught:
        export([C("備考", "textarea")], rows, encoding="cp932")
    assert caught.value.positions[0]["row"] == 3


def test_message_lists_twenty_places_then_counts_the_rest() -> None:
    rows = [["𠮷"]] * 25
    with pytest.raises(UnencodableError) as caught:
        export([C("名", "text")], rows, encoding="cp932")
    err = caught.value
    assert err.total == 25 and len(err.positions) == 25
    assert err.message.count("行目") == 20
    assert "ほか5か所" in err.message
    assert "26行目" not in err.message and "21行目" in err.message


def test_positions_are_capped_but_counted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("daicho.exporting.csv_writer.MAX_POSITIONS", 10)
    with pytest.raises(UnencodableError) as caught:
        export([C("名", "text")], [["𠮷"]] * 30, encoding="cp932")
    assert len(caught.value.positions) == 10
    assert caught.value.total == 30
    assert export_errors.MAX_POSITIONS == 1000


def test_invisible_characters_are_named_by_code_point() -> None:
    with pytest.raises(UnencodableError) as caught:
        export([C("名", "text")], [["a\u200bb"]], encoding="cp932")
    assert "文字(U+200B)" in caught.value.message


def test_replace_writes_geta_and_reports_every_place() -> None:
    seen: list[UnencodablePosition] = []
    data = export([C("氏名", "text"), C("元号", "choice")], [["𠮷田", "㋿"], ["?", "令和"]],
                  encoding="cp932", replace=True, on_replaced=seen.append)
    assert data == "氏名,元号\r\n〓田,〓\r\n?,令和\r\n".encode("cp932")
    assert [(p["row"], p["column"], p["char"]) for p in seen] == [(2, "氏名", "𠮷"),
                                                                  (2, "元号", "㋿")]


def test_replace_keeps_mapped_look_alikes_and_quoting() -> None:
    data = export([C("名", "text")], [["=𠮷〜\"x\""]], encoding="cp932", replace=True)
    assert data == "名\r\n\"'=〓～\"\"x\"\"\"\r\n".encode("cp932")


def test_utf8_refuses_lone_surrogates() -> None:
    with pytest.raises(UnencodableError) as caught:
        export([C("名", "text")], [["a\udc80"]], encoding="utf-8")
    assert caught.value.positions[0]["codepoint"] == "U+DC80"
    assert caught.value.encoding == "utf-8"


CP932_CHARS = sorted({
    ch
    for ch in (bytes([lead, trail]).decode("cp932", "ignore")
               for lead in [*range(0x81, 0xA0), *range(0xE0, 0xFD)]
               for trail in [*range(0x40, 0x7F), *range(0x80, 0xFD)])
    if ch
} | {chr(c) for c in range(0x20, 0x7F)} | {"\t", "\r", "\n", "ｱ", "ﾟ"})


@given(st.lists(st.lists(st.text(alphabet=st.sampled_from(CP932_CHARS), max_size=20),
                         min_size=2, max_size=2), max_size=5))
@settings(max_examples=200, deadline=None)
def test_any_cp932_text_round_trips(rows: list[list[str]]) -> None:
    data = export([C("名", "text"), C("備考", "textarea")], rows, encoding="cp932")
    got = list(csv.reader(io.StringIO(data.decode("cp932"), newline="")))
    expected = [["'" + v if v[:1] in ("=", "+", "-", "@", "\t", "\r") else v for v in row]
                for row in rows]
    assert got == [["名", "備考"], *expected]


def test_compat_table_only_maps_to_cp932_characters() -> None:
    for target in CP932_COMPAT.values():
        assert isinstance(target, str)
        assert target.encode("cp932").decode("cp932") == target


# --- streaming -------------------------------------------------------------------------------


class RecordingFile:
    def __init__(self) -> None:
        self.writes: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.writes.append(data)
        return len(data)


def test_writes_while_rows_are_still_coming() -> None:
    out = RecordingFile()
    bytes_before_end: list[int] = []

    def rows() -> Iterator[list[Any]]:
        for i in range(20_000):
            yield [f"行{i}", i]
        bytes_before_end.append(sum(len(w) for w in out.writes))

    assert write_csv(out, [C("名", "text"), C("番", "number")], rows()) == 20_000
    total = sum(len(w) for w in out.writes)
    # At most one chunk (64 KiB and a line) is held back when the last row arrives.
    assert total - bytes_before_end[0] < 70_000
    assert max(len(w) for w in out.writes) < 70_000


def test_cp932_look_alikes_and_variation_selectors_are_listed() -> None:
    """Issue 13: ¥ 〜 − were written as ￥ ～ － without a word, and 辻󠄀 (辻 + U+E0100) gained
    a 〓 with replace; now each such place is passed on and the selector is left out."""
    seen: list[Substitution] = []
    data = export([C("名", "text"), C("備考", "text")],
                  [["¥100", "9時〜17時"], ["辻\U000e0100", "−5"], ["葛\ufe00", "ok"]],
                  encoding="cp932", on_substituted=seen.append)
    assert data == "名,備考\r\n￥100,9時～17時\r\n辻,－5\r\n葛,ok\r\n".encode("cp932")
    assert [(s["row"], s["column"], s["char"], s["codepoint"], s["to"]) for s in seen] == [
        (2, "名", "¥", "U+00A5", "￥"), (2, "備考", "〜", "U+301C", "～"),
        (3, "名", "\U000e0100", "U+E0100", ""), (3, "備考", "−", "U+2212", "－"),
        (4, "名", "\ufe00", "U+FE00", "")]
    replaced = export([C("名", "text")], [["辻\U000e0100"]], encoding="cp932", replace=True)
    assert replaced == "名\r\n辻\r\n".encode("cp932")


def test_utf8_keeps_look_alikes_and_selectors() -> None:
    seen: list[Substitution] = []
    data = export([C("名", "text")], [["¥〜辻\U000e0100"]], encoding="utf-8",
                  on_substituted=seen.append)
    assert data.decode("utf-8") == "名\r\n¥〜辻\U000e0100\r\n" and seen == []
