"""和暦 and western text dates (daicho.dates.wareki)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from daicho.dates.wareki import (
    TOKYO,
    WarekiError,
    format_wareki,
    parse_date,
    parse_datetime,
    try_parse_date,
    try_parse_temporal,
)

D = dt.date

# No example database left in the repository; no deadline on a busy CI machine.
FUZZ = settings(database=None, deadline=None)


@pytest.mark.parametrize(("text", "expected"), [
    ("H30.6.1", D(2018, 6, 1)),
    ("H.29.3.31", D(2017, 3, 31)),
    ("平成31年4月30日", D(2019, 4, 30)),
    ("令和元年5月1日", D(2019, 5, 1)),
    ("R6.12.28", D(2024, 12, 28)),
    ("r6.12.28", D(2024, 12, 28)),
    ("昭和64年1月7日", D(1989, 1, 7)),
    ("平成元年1月8日", D(1989, 1, 8)),
    ("Ｈ３０．６．１", D(2018, 6, 1)),
    ("令和６年１２月２８日", D(2024, 12, 28)),
    ("㍻30年6月1日", D(2018, 6, 1)),
    ("㋿6.4.1", D(2024, 4, 1)),
    ("平30.6.1", D(2018, 6, 1)),
    ("S50/1/2", D(1975, 1, 2)),
    ("T15-12-24", D(1926, 12, 24)),
    ("大正元年7月30日", D(1912, 7, 30)),
    ("明治45年7月29日", D(1912, 7, 29)),
    (" R6.4.1 ", D(2024, 4, 1)),
    ("令和 6 年 4 月 1 日", D(2024, 4, 1)),
    ("R6.4.1(月)", D(2024, 4, 1)),
    ("2024/4/1", D(2024, 4, 1)),
    ("2024-04-01", D(2024, 4, 1)),
    ("2024年4月1日", D(2024, 4, 1)),
    ("2024.4.1", D(2024, 4, 1)),
    ("２０２４／４／１", D(2024, 4, 1)),
    ("2024/4/1（月）", D(2024, 4, 1)),
])
def test_day_precision(text: str, expected: dt.date) -> None:
    parsed = parse_date(text)
    assert parsed.date == expected
    assert parsed.precision == "day"
    assert parsed.warning is None


@pytest.mark.parametrize(("text", "expected"), [
    ("R5.4", D(2023, 4, 1)),
    ("令和5年4月", D(2023, 4, 1)),
    ("平成31年4月", D(2019, 4, 1)),
    ("昭和64年1月", D(1989, 1, 1)),
    ("平成元年1月", D(1989, 1, 1)),  # the month 平成 began in
    ("2024/4", D(2024, 4, 1)),
    ("2024-04", D(2024, 4, 1)),
    ("2024年4月", D(2024, 4, 1)),
])
def test_month_precision(text: str, expected: dt.date) -> None:
    parsed = parse_date(text)
    assert (parsed.date, parsed.precision, parsed.warning) == (expected, "month", None)


@pytest.mark.parametrize(("text", "expected", "precision"), [
    ("平成31年5月1日", D(2019, 5, 1), "day"),
    ("平成31年5月", D(2019, 5, 1), "month"),
    ("H32.3.31", D(2020, 3, 31), "day"),
    ("H32.3", D(2020, 3, 1), "month"),
    ("H35.12.31", D(2023, 12, 31), "day"),
    ("昭和64年1月8日", D(1989, 1, 8), "day"),
])
def test_after_the_era_changed_is_accepted_with_a_warning(
        text: str, expected: dt.date, precision: str) -> None:
    parsed = parse_date(text)
    assert (parsed.date, parsed.precision) == (expected, precision)
    assert parsed.warning is not None
    assert "改元後" in parsed.warning
    assert format_wareki(expected, parsed.precision) in parsed.warning


def test_meiji_before_the_calendar_reform_warns() -> None:
    parsed = parse_date("明治3年4月1日")
    assert parsed.date == D(1870, 4, 1)
    assert parsed.warning is not None and "旧暦" in parsed.warning


@pytest.mark.parametrize("text", [
    "令和元年4月30日",  # before 令和 began
    "令和元年4月",
    "平成元年1月7日",
    "平成0年1月1日",
    "H31.2.30",
    "H30.13.1",
    "H40.1.1",  # too far past 平成's end
    "昭和70年1月1日",
    "明治元年1月24日",
    "R6.4.1(火)",  # 2024-04-01 was a Monday
    "2024/2/30",
])
def test_invalid_dates_raise(text: str) -> None:
    with pytest.raises(WarekiError) as info:
        parse_date(text)
    assert info.value.message  # a Japanese explanation
    assert try_parse_date(text) is None


@pytest.mark.parametrize("text", [
    "", "abc", "2024", "2024.4", "12.5", "H30", "令和", "054-000-0000", "420-0000", "R6.4.1.2",
    "平日", "2024/4/1/2", "2024/4-1", "昭和の日", "R5-12", "H30-1",
])
def test_non_dates(text: str) -> None:
    assert try_parse_date(text) is None
    with pytest.raises(WarekiError):
        parse_date(text)


def test_datetimes() -> None:
    assert parse_datetime("2024/4/1 9:30") == dt.datetime(2024, 4, 1, 9, 30, tzinfo=TOKYO)
    assert parse_datetime("2024-04-01T09:30:15") == dt.datetime(2024, 4, 1, 9, 30, 15,
                                                               tzinfo=TOKYO)
    assert parse_datetime("R6.4.1 9:30") == dt.datetime(2024, 4, 1, 9, 30, tzinfo=TOKYO)
    utc = parse_datetime("2024-04-01T00:30:00Z")
    assert utc == dt.datetime(2024, 4, 1, 9, 30, tzinfo=TOKYO)
    offset = parse_datetime("2024-04-01 09:30:00+0900")
    assert offset.utcoffset() == dt.timedelta(hours=9)
    with pytest.raises(WarekiError):
        parse_datetime("2024/4/1 25:00")
    with pytest.raises(WarekiError):
        parse_datetime("2024/4/1")
    assert try_parse_temporal("14:37") is None
    moment = try_parse_temporal("2019-01-04 14:37")
    assert isinstance(moment, dt.datetime)


@pytest.mark.parametrize(("date", "precision", "text"), [
    (D(2024, 12, 28), "day", "令和6年12月28日"),
    (D(2019, 5, 1), "day", "令和元年5月1日"),
    (D(2019, 4, 30), "day", "平成31年4月30日"),
    (D(1989, 1, 7), "day", "昭和64年1月7日"),
    (D(1989, 1, 8), "day", "平成元年1月8日"),
    (D(1868, 1, 25), "day", "明治元年1月25日"),
    (D(2024, 12, 28), "month", "令和6年12月"),
    (D(1989, 1, 20), "month", "昭和64年1月"),
])
def test_format_wareki(date: dt.date, precision: str, text: str) -> None:
    assert format_wareki(date, precision) == text  # type: ignore[arg-type]


def test_format_before_meiji_raises() -> None:
    with pytest.raises(ValueError):
        format_wareki(D(1868, 1, 24))


_DATES = st.dates(min_value=D(1873, 1, 1), max_value=D(2200, 12, 31))


@FUZZ
@given(_DATES)
def test_round_trip_day(date: dt.date) -> None:
    parsed = parse_date(format_wareki(date))
    assert (parsed.date, parsed.precision, parsed.warning) == (date, "day", None)


@FUZZ
@given(_DATES)
def test_round_trip_month(date: dt.date) -> None:
    parsed = parse_date(format_wareki(date, "month"))
    assert (parsed.date, parsed.precision, parsed.warning) == (date.replace(day=1), "month", None)


@FUZZ
@given(_DATES, st.sampled_from(["{y}/{m}/{d}", "{y}-{m:02d}-{d:02d}", "{y}年{m}月{d}日",
                                "{y}.{m}.{d}"]))
def test_round_trip_western(date: dt.date, pattern: str) -> None:
    text = pattern.format(y=date.year, m=date.month, d=date.day)
    assert parse_date(text).date == date


@FUZZ
@given(_DATES)
def test_round_trip_short_letters(date: dt.date) -> None:
    long = format_wareki(date)
    letters = {"明治": "M", "大正": "T", "昭和": "S", "平成": "H", "令和": "R"}
    era, rest = long[:2], long[2:]
    year = rest.split("年")[0].replace("元", "1")
    short = f"{letters[era]}{year}.{date.month}.{date.day}"
    assert parse_date(short).date == date


@pytest.mark.parametrize("era", ["明治", "大正", "昭和", "平成", "令和", "M", "T", "S", "H", "R"])
def test_the_quick_path_agrees_with_the_parser(era: str) -> None:
    """try_parse_temporal reads the two common forms without the general parser; around every
    era's ends, impossible days and year 0 it must answer as the parser does."""
    from daicho.dates import wareki

    def general(text: str) -> object:
        try:
            return wareki._parse_date(wareki._normalize(text), text)
        except wareki.WarekiError:
            return None

    years = ["元", "0", "1", "5", "6", "14", "15", "31", "32", "45", "64", "65"]
    for year in years if len(era) == 2 else years[1:]:
        for month in (1, 2, 4, 5, 7, 12, 13):
            for day in (1, 7, 8, 24, 25, 29, 30, 31, 32):
                text = (f"{era}{year}年{month}月{day}日" if len(era) == 2
                        else f"{era}{year}.{month}.{day}")
                assert try_parse_temporal(text) == general(text), text


@pytest.mark.parametrize(("year", "shown"), [
    (1926, "大正15年度"), (1988, "昭和63年度"), (1989, "平成元年度"), (2018, "平成30年度"),
    (2019, "令和元年度"), (2020, "令和2年度")])
def test_fiscal_years_by_era(year: int, shown: str) -> None:
    from daicho.dates.wareki import format_fiscal_year

    assert format_fiscal_year(year) == shown
