"""parse_value (re-conversion with a chosen type) and column inference on raw values."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from daicho.importing import ValueParseError, parse_value, text_of
from daicho.importing.infer import infer_column
from daicho.importing.wareki import TOKYO

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
