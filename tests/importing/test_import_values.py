"""parse_value (re-conversion with a chosen type) and column inference on raw values."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from daicho.dates.wareki import TOKYO
from daicho.importing import ValueParseError, parse_value, text_of
from daicho.importing.infer import infer_column

D = dt.date


@pytest.mark.parametrize(("type_key", "options", "raw", "expected"), [
    ("text", {}, "  そのまま  ", "そのまま"),
    ("text", {}, 12.0, "12"),
    ("text", {}, 0.1 + 0.2, "0.3"),
    ("text", {}, D(2024, 4, 1), "2024-04-01"),
    ("text", {}, dt.time(9, 30), "09:30"),
    ("text", {}, dt.timedelta(hours=25, minutes=30), "25:30:00"),
    ("text", {}, True, "TRUE"),
    ("textarea", {}, "一行目\n二行目", "一行目\n二行目"),
    ("number", {}, "△1,000", Decimal(-1000)),
    ("number", {}, 2.5, Decimal("2.5")),
    ("number", {}, 7, Decimal(7)),
    ("number", {}, Decimal("1.25"), Decimal("1.25")),
    ("date", {}, "R6.4.1", D(2024, 4, 1)),
    ("date", {}, "2024/4/1 10:00", D(2024, 4, 1)),
    ("date", {}, dt.datetime(2024, 4, 1, 10, 0), D(2024, 4, 1)),
    ("date", {"precision": "month"}, "2024/4/15", D(2024, 4, 1)),
    ("date", {}, "令和5年4月", D(2023, 4, 1)),
    ("datetime", {}, "2024/4/1 10:00", dt.datetime(2024, 4, 1, 10, tzinfo=TOKYO)),
    ("datetime", {}, "R6.4.1", dt.datetime(2024, 4, 1, tzinfo=TOKYO)),
    ("datetime", {}, dt.datetime(2024, 4, 1, 10), dt.datetime(2024, 4, 1, 10, tzinfo=TOKYO)),
    ("datetime", {}, D(2024, 4, 1), dt.datetime(2024, 4, 1, tzinfo=TOKYO)),
    ("yesno", {}, "○", True),
    ("yesno", {}, "無", False),
    ("yesno", {}, "YES", True),
    ("yesno", {}, 1, True),
    ("yesno", {}, 0.0, False),
    ("yesno", {}, "0", False),
    ("yesno", {}, False, False),
    ("choice", {"choices": ["土地", "建物"]}, " 建物 ", "建物"),
    ("choice", {}, "何でも", "何でも"),
    ("multichoice", {"choices": ["A", "B", "C"]}, "A、C", ["A", "C"]),
    ("multichoice", {}, "A, B;C", ["A", "B", "C"]),
    ("email", {}, "kanzai@city.example.lg.jp", "kanzai@city.example.lg.jp"),
    ("url", {}, "https://example.jp/a?b=1", "https://example.jp/a?b=1"),
    ("org", {}, " 010 ", "010"),
])
def test_parse_value(type_key: str, options: dict[str, Any], raw: Any, expected: Any) -> None:
    assert parse_value(type_key, options, raw) == expected


@pytest.mark.parametrize("type_key", ["text", "number", "date", "datetime", "yesno", "choice"])
@pytest.mark.parametrize("raw", [None, "", "   ", "\u3000"])
def test_empty_is_none(type_key: str, raw: Any) -> None:
    assert parse_value(type_key, {}, raw) is None


@pytest.mark.parametrize(("type_key", "options", "raw"), [
    ("number", {}, "不明"),
    ("number", {}, "0012"),
    ("number", {}, True),
    ("number", {}, D(2024, 1, 1)),
    ("date", {}, "H31.2.30"),
    ("date", {}, 12.5),
    ("datetime", {}, "2024/4"),
    ("yesno", {}, "たぶん"),
    ("yesno", {}, 2),
    ("choice", {"choices": ["土地"]}, "建物"),
    ("multichoice", {"choices": ["A"]}, "A、Z"),
    ("email", {}, "not-an-address"),
    ("url", {}, "www.example.jp"),
    ("text", {"max_length": 3}, "四文字だ"),
])
def test_parse_value_errors(type_key: str, options: dict[str, Any], raw: Any) -> None:
    with pytest.raises(ValueParseError) as info:
        parse_value(type_key, options, raw)
    assert info.value.message


def test_text_of() -> None:
    assert text_of(None) == ""
    assert text_of(Decimal("1E+3")) == "1000"
    assert text_of(dt.datetime(2024, 4, 1, 9, 5)) == "2024-04-01 09:05:00"
    assert text_of(dt.time(9, 5, 7)) == "09:05:07"


def test_infer_mixed_cells() -> None:
    # Numbers typed as text next to spreadsheet numbers are one number column.
    result = infer_column("金額", 0, [1000.0, "2,000", None, "△300", 4.5], [2, 3, 4, 5, 6])
    assert result.type == "number"
    assert result.values == [Decimal(1000), Decimal(2000), None, Decimal(-300), Decimal("4.5")]
    assert result.options == {"decimals": 1, "separator": True}
    assert result.raw == [1000.0, "2,000", None, "△300", 4.5]


def test_infer_dates_mixed_with_text_dates() -> None:
    result = infer_column("日", 0, [D(2024, 4, 1), "R6.4.2", "2024/4/3"], [2, 3, 4])
    assert result.type == "date"
    assert result.values == [D(2024, 4, 1), D(2024, 4, 2), D(2024, 4, 3)]
    assert "wareki" not in result.options


def test_infer_day_and_month_values_together_warns() -> None:
    result = infer_column("日", 0, ["R6.4.1", "R6.5"], [2, 3])
    assert result.type == "date"
    assert result.values == [D(2024, 4, 1), D(2024, 5, 1)]
    assert result.options == {"wareki": True}
    assert [w["row"] for w in result.warnings] == [3]


def test_infer_datetimes_from_text() -> None:
    result = infer_column("日時", 0, ["2024/4/1 9:00", "2024/4/2", "R6.4.3 18:30"], [2, 3, 4])
    assert result.type == "datetime"
    assert result.values[1] == dt.datetime(2024, 4, 2, tzinfo=TOKYO)
    midnight = infer_column("日時", 0, ["2024/4/1 0:00", "2024/4/2 00:00:00"], [2, 3])
    assert midnight.type == "date"


def test_infer_decimals_cover_every_digit() -> None:
    result = infer_column("緯度", 0, ["34.86145068", "34.1"], [2, 3])
    assert result.type == "number"
    assert result.options == {"decimals": 8}
    assert result.values[0] == Decimal("34.86145068")  # the value keeps every digit


def test_infer_choice_needs_repeats() -> None:
    assert infer_column("区分", 0, ["土地", "建物", "土地", "建物"], [2, 3, 4, 5]).type == "choice"
    assert infer_column("区分", 0, ["土地", "建物", "土地"], [2, 3, 4]).type == "text"
    many = [f"地区{i % 25}" for i in range(100)]
    assert infer_column("地区", 0, many, list(range(2, 102))).type == "text"


def test_infer_empty_column() -> None:
    result = infer_column("空", 0, ["", None, "  "], [2, 3, 4])
    assert (result.type, result.values) == ("text", [None, None, None])


# ------------------------------------------------------------------ issue 13

@pytest.mark.parametrize("mark", ["-", "－", "ー", "―", "…", "△", "▲", "*", "＊", "x", "X", "ｘ",
                                  "秘匿"])
def test_a_placeholder_is_an_empty_number_or_date(mark: str) -> None:
    assert parse_value("number", {}, mark) is None
    assert parse_value("date", {}, f" {mark} ") is None
    assert parse_value("datetime", {}, mark) is None
    assert parse_value("text", {}, mark) == mark
    result = infer_column("人口", 0, ["1,200", mark, 300.0, mark], [2, 3, 4, 5])
    assert (result.type, result.values) == ("number", [Decimal(1200), None, Decimal(300), None])
    assert result.raw[1] == mark  # kept as read, for re-conversion with another type
    assert [w["row"] for w in result.warnings] == [None]
    assert f"「{mark}」" in result.warnings[0]["message"]


def test_placeholders_alone_or_among_text_are_text() -> None:
    assert infer_column("備考", 0, ["-", "x", "-"], [2, 3, 4]).type != "number"
    mixed = infer_column("番号", 0, ["A-1", "-", "不明", "12"], [2, 3, 4, 5])
    assert mixed.type == "text" and mixed.values[1] == "-"


def test_month_day_year_and_a_trailing_wave_dash() -> None:
    result = infer_column("受付日", 0, ["5/23/2017", "4/1/2023"], [2, 3])
    assert result.values == [D(2017, 5, 23), D(2023, 4, 1)]
    assert [w["row"] for w in result.warnings] == [None]
    assert "5/23/2017" in result.warnings[0]["message"]
    assert infer_column("受付日", 0, ["23/5/2017", "4/1/2023"], [2, 3]).type == "text"
    result = infer_column("開始", 0, ["H32.3～", "R2.4", "2021/10〜"], [2, 3, 4])
    assert (result.type, result.options["precision"]) == ("date", "month")
    assert result.values == [D(2020, 3, 1), D(2020, 4, 1), D(2021, 10, 1)]
    noted = {w["row"]: w["message"] for w in result.warnings}
    assert "「～」" in noted[2] and "「〜」" in noted[4] and 3 not in noted
    assert parse_value("date", {}, "R6.4.1~") == D(2024, 4, 1)


@pytest.mark.parametrize(("words", "expected"), [
    (["有", "無", "有"], ("choice", {"choices": ["有", "無"]})),
    (["×", "○", "○"], ("choice", {"choices": ["○", "×"]})),
    (["なし", "あり"], ("choice", {"choices": ["あり", "なし"]})),
    (["はい", "いいえ", "はい"], ("yesno", {})),
    (["TRUE", "false"], ("yesno", {})),
])
def test_yes_no_words_other_than_the_fields_own_stay_a_choice(
        words: list[str], expected: tuple[str, dict[str, Any]]) -> None:
    result = infer_column("回答", 0, words, list(range(2, 2 + len(words))))
    assert (result.type, result.options) == expected
    if result.type == "choice":
        assert result.values == words


@pytest.mark.parametrize(("name", "values", "expected"), [
    ("区分", ["土地", "建物"] * 6, "choice"),
    ("施設名", ["本庁舎", "支所"] * 6, "text"),
    ("担当", ["山田　太郎", "佐藤　花子"] * 6, "text"),
    ("場所", ["本町1丁目2番3号", "港町4-5-6"] * 6, "text"),
    ("地区", [f"地区{i % 8}" for i in range(20)], "text"),  # 8 values for 20 rows
    ("地区", [f"地区{i % 4}" for i in range(20)], "choice"),
    ("状況", ["工事の発注に向けて設計を進めています", "関係課と協議のうえ来年度に見直します"] * 3,
     "text"),  # long values
])
def test_open_ended_columns_are_text(name: str, values: list[str], expected: str) -> None:
    assert infer_column(name, 0, values, list(range(2, 2 + len(values)))).type == expected


def test_blanks_and_lost_characters_are_noted() -> None:
    result = infer_column("名称", 0, [" 本庁", "支所\u3000", "   ", "倉庫", None, "a\ufffd"],
                          [2, 3, 4, 5, 6, 7])
    assert result.values == ["本庁", "支所", None, "倉庫", None, "a\ufffd"]
    assert [(w["row"], "空白" in w["message"], "\ufffd" in w["message"])
            for w in result.warnings] == [(None, True, False), (7, False, True)]
    assert "2 件" in result.warnings[0]["message"]
    mixed = infer_column("名称", 0, [" 本庁", 12.0, "支所"], [2, 3, 4])
    assert "1 件" in mixed.warnings[0]["message"]
    numbers = infer_column("金額", 0, [" 100", "200 "], [2, 3])
    assert numbers.type == "number" and numbers.warnings == []
