"""The formula language on its own (daicho.formula): examples of every function, the errors
with their positions, and Hypothesis properties against references written here."""

from __future__ import annotations

import calendar
import datetime as dt
from decimal import Context, Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from daicho.formula import FUNCTIONS, FormulaError, compile_formula

FIELDS = {"a": "number", "b": "number", "t": "text", "u": "text", "d": "date", "e": "date",
          "f": "yesno", "x": "any", "items.amount": "list"}


def ev(source: str, **env: Any) -> Any:
    return compile_formula(source, FIELDS).evaluate(env)


D = Decimal
day = dt.date


@pytest.mark.parametrize(("source", "env", "expected"), [
    ("0.1 + 0.2", {}, D("0.3")),
    ("a + 1", {}, D(1)),  # empty + 1 = 1
    ("a / b", {"a": D(1), "b": D(0)}, None),  # division by zero: empty
    ("a / 0 + 1", {"a": D(5)}, D(1)),
    ("1 / 3 * 3", {}, D("0.9999999999999999999999999999999999")),
    ("-2 ^ 2", {}, D(4)),  # Excel: unary minus first
    ("2 ^ 3 ^ 2", {}, D(64)),  # Excel: left to right
    ("2 + 3 * 4 - 6 / 2", {}, D(11)),
    ("\"単価\" & a & \"円\"", {"a": D("1200")}, "単価1200円"),
    ("IF(b = 0, 0, a / b)", {"a": D(1)}, D(0)),
    ("IF(a > 10, \"大\")", {"a": D(3)}, None),
    ("AND(a > 1, b > 1)", {"a": D(2), "b": D(2)}, True),
    ("OR(a > 1, f)", {"f": False}, False),
    ("NOT(f)", {"f": True}, False),
    ("ROUND(2.5)", {}, D(3)),
    ("ROUND(-2.5)", {}, D(-3)),
    ("ROUND(1234.5678, 2)", {}, D("1234.57")),
    ("ROUND(1250, -2)", {}, D(1300)),
    ("ROUNDUP(1.01)", {}, D(2)),
    ("ROUNDUP(-1.01)", {}, D(-2)),
    ("ROUNDDOWN(-1.99)", {}, D(-1)),
    ("INT(-1.5)", {}, D(-2)),
    ("ABS(-7)", {}, D(7)),
    ("MIN(3, a, 1)", {"a": None}, D(1)),
    ("MAX(d, e)", {"d": day(2024, 4, 1), "e": day(2025, 1, 1)}, day(2025, 1, 1)),
    ("SUM(items.amount)", {"items.amount": [D(1), None, D("2.5")]}, D("3.5")),
    ("SUM(a, b)", {}, D(0)),
    ("AVERAGE(1, 2, 4)", {}, Context(prec=34).divide(D(7), D(3))),
    ("AVERAGE(a)", {}, None),
    ("COUNT(a, t, 1)", {"t": "x"}, D(2)),
    ("LEN(\"情報企画課\")", {}, D(5)),
    ("CONCAT(t, \"-\", a)", {"t": "K", "a": D(7)}, "K-7"),
    ("LEFT(\"令和6年度\", 2)", {}, "令和"),
    ("RIGHT(\"令和6年度\", 2)", {}, "年度"),
    ("MID(\"令和6年度\", 3, 1)", {}, "6"),
    ("ISBLANK(t)", {"t": None}, True),
    ("ISBLANK(t)", {"t": "x"}, False),
    ("YEAR(d) & \"/\" & MONTH(d) & \"/\" & DAY(d)", {"d": day(2024, 4, 1)}, "2024/4/1"),
    ("FISCAL_YEAR(d)", {"d": day(2025, 3, 31)}, D(2024)),
    ("FISCAL_YEAR(d)", {"d": day(2025, 4, 1)}, D(2025)),
    ("WAREKI(d)", {"d": day(2024, 4, 1)}, "令和6年4月1日"),
    ("WAREKI(d)", {"d": day(2019, 4, 30)}, "平成31年4月30日"),
    ("WAREKI(d)", {"d": day(2019, 5, 1)}, "令和元年5月1日"),
    ("WAREKI(d)", {"d": day(1989, 1, 7)}, "昭和64年1月7日"),
    ("WAREKI(d)", {"d": day(1989, 1, 8)}, "平成元年1月8日"),
    ("DATEDIF(d, e, \"Y\")", {"d": day(2020, 2, 29), "e": day(2021, 2, 28)}, D(0)),
    ("DATEDIF(d, e, \"Y\")", {"d": day(2020, 2, 29), "e": day(2021, 3, 1)}, D(1)),
    ("DATEDIF(d, e, \"M\")", {"d": day(2024, 1, 31), "e": day(2024, 2, 29)}, D(0)),
    ("DATEDIF(d, e, \"D\")", {"d": day(2024, 3, 31), "e": day(2024, 4, 1)}, D(1)),
    ("DATEDIF(e, d, \"D\")", {"d": day(2024, 3, 31), "e": day(2024, 4, 1)}, None),
    ("DATE_ADD(d, 1, \"month\")", {"d": day(2024, 1, 31)}, day(2024, 2, 29)),
    ("DATE_ADD(d, 1, \"year\")", {"d": day(2024, 2, 29)}, day(2025, 2, 28)),
    ("DATE_ADD(d, -1, \"day\")", {"d": day(2024, 3, 1)}, day(2024, 2, 29)),
    ("d + 30", {"d": day(2024, 4, 1)}, day(2024, 5, 1)),
    ("e - d", {"d": day(2024, 4, 1), "e": day(2025, 4, 1)}, D(365)),
    ("TEXT(1234567.891, \"#,##0\")", {}, "1,234,568"),
    ("TEXT(a, \"#,##0.00円\")", {"a": D("1234.5")}, "1,234.50円"),
    ("TEXT(d, \"yyyy年m月d日\")", {"d": day(2024, 4, 1)}, "2024年4月1日"),
    ("TEXT(d, \"yyyy/mm/dd\")", {"d": day(2024, 4, 1)}, "2024/04/01"),
    ("t = \"ABC\"", {"t": "abc"}, True),  # Excel compares text case-insensitively
    ("a = \"1\"", {"a": D(1)}, False),  # a number is never equal to a text
    ("x * 2", {"x": "abc"}, None),  # a kind seen only when running: the result is empty
    ("x * 2", {"x": "21"}, D(42)),
    ("ｒｏｕｎｄ（a＊１．１）", {"a": D(100)}, None),  # full-width names are not names (error below)
])
def test_examples(source: str, env: dict[str, Any], expected: Any) -> None:
    if source.startswith("ｒ"):
        with pytest.raises(FormulaError):
            compile_formula(source, FIELDS)
        return
    assert ev(source, **env) == expected


def test_full_width_operators_are_read() -> None:
    assert ev("ROUND（a＊１.１）".replace("１", "1"), a=D(100)) == D(110)


@pytest.mark.parametrize(("source", "position", "words"), [
    ("\"a\" * 2", 0, "文字列"),
    ("a * t", 4, "文字列"),
    ("a + ", 4, "途中"),
    ("(a + 1", 6, ")"),
    ("SUMM(a)", 0, "SUMM"),
    ("a + zz", 4, "zz"),
    ("ROUND()", 0, "ROUND"),
    ("DATEDIF(d, e, \"Q\")", 14, "\"Y\""),
    ("1 2", 2, "2"),
    ("d * 2", 0, "日付"),
    ("d + e", 4, "日付"),
    ("\"閉じていない", 0, "\""),
    ("a ＃ b", 2, "＃"),
    ("", 0, ""),
])
def test_errors_carry_position_and_japanese_message(source: str, position: int, words: str) -> None:
    with pytest.raises(FormulaError) as info:
        compile_formula(source, FIELDS)
    assert info.value.position == position
    assert words in info.value.message
    assert any("\u3040" <= ch <= "\u30ff" for ch in info.value.message)  # kana: Japanese


def test_deep_nesting_is_refused_not_crashed() -> None:
    with pytest.raises(FormulaError):
        compile_formula("(" * 500 + "1" + ")" * 500, FIELDS)
    with pytest.raises(FormulaError):
        compile_formula("-" * 500 + "1", FIELDS)


def test_every_contract_function_exists() -> None:
    names = ("IF AND OR NOT ROUND ROUNDUP ROUNDDOWN INT ABS MIN MAX SUM AVERAGE COUNT LEN CONCAT "
             "LEFT RIGHT MID ISBLANK YEAR MONTH DAY FISCAL_YEAR DATEDIF DATE_ADD WAREKI TEXT")
    assert set(names.split()) == set(FUNCTIONS)


def test_refs_and_kind() -> None:
    formula = compile_formula("IF(f, a * b, SUM(items.amount))", FIELDS)
    assert formula.refs == {"f", "a", "b", "items.amount"}
    assert formula.kind == "number"
    assert compile_formula("WAREKI(d)", FIELDS).kind == "text"
    assert compile_formula("DATE_ADD(d, 1, \"year\")", FIELDS).kind == "date"


# -- properties against references ---------------------------------------------------------------
REFERENCE = Context(prec=34)
numbers = st.decimals(min_value=-10**12, max_value=10**12, places=4, allow_nan=False,
                      allow_infinity=False)


@settings(max_examples=300, deadline=None)
@given(a=numbers, b=numbers, op=st.sampled_from("+-*/"))
def test_arithmetic_is_decimal_arithmetic(a: Decimal, b: Decimal, op: str) -> None:
    got = ev(f"a {op} b", a=a, b=b)
    if op == "/" and not b:
        assert got is None
        return
    expected = {"+": REFERENCE.add, "-": REFERENCE.subtract, "*": REFERENCE.multiply,
                "/": REFERENCE.divide}[op](a, b)
    assert got == expected


@settings(max_examples=200, deadline=None)
@given(a=numbers, places=st.integers(min_value=-3, max_value=4))
def test_round_is_half_away_from_zero(a: Decimal, places: int) -> None:
    scale = Decimal(10) ** places
    scaled = a * scale
    whole = int(abs(scaled) + Decimal("0.5"))  # half up on the magnitude
    expected = (Decimal(whole) if scaled >= 0 else -Decimal(whole)) / scale
    assert ev(f"ROUND(a, {places})", a=a) == expected


@settings(max_examples=100, deadline=None)
@given(literal=st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30))
def test_text_literals_round_trip(literal: str) -> None:
    quoted = '"' + literal.replace('"', '""') + '"'
    assert ev(quoted) == literal


texts = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=20)


@settings(max_examples=200, deadline=None)
@given(t=texts, u=texts, n=st.integers(min_value=0, max_value=25),
       start=st.integers(min_value=1, max_value=25))
def test_text_functions_are_str_operations(t: str, u: str, n: int, start: int) -> None:
    assert ev("t & u", t=t, u=u) == t + u
    assert ev("CONCAT(t, u, t)", t=t, u=u) == t + u + t
    assert ev("LEN(t)", t=t) == len(t)
    assert ev(f"LEFT(t, {n})", t=t) == t[:n]
    assert ev(f"RIGHT(t, {n})", t=t) == (t[-n:] if n else "")
    assert ev(f"MID(t, {start}, {n})", t=t) == t[start - 1:start - 1 + n]


dates = st.dates(min_value=day(1900, 1, 1), max_value=day(2100, 12, 31))


def _month_after(year: int, month: int, k: int) -> tuple[int, int]:
    """k months after (year, month), one month at a time."""
    for _ in range(abs(k)):
        if k > 0:
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        else:
            year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return year, month


@settings(max_examples=200, deadline=None)
@given(d=dates, k=st.integers(min_value=-240, max_value=240))
def test_date_add_months_clamps_to_month_end(d: dt.date, k: int) -> None:
    year, month = _month_after(d.year, d.month, k)
    last = calendar.monthrange(year, month)[1]
    assert ev(f"DATE_ADD(d, {k}, \"month\")", d=d) == day(year, month, min(d.day, last))


@settings(max_examples=200, deadline=None)
@given(d=dates, k=st.integers(min_value=-3000, max_value=3000))
def test_date_add_days_is_day_arithmetic(d: dt.date, k: int) -> None:
    assert ev(f"DATE_ADD(d, {k}, \"day\")", d=d) == d + dt.timedelta(days=k)
    assert ev(f"d + {k}", d=d) == d + dt.timedelta(days=k) if k >= 0 else True


@settings(max_examples=200, deadline=None)
@given(d=dates, e=dates)
def test_datedif_counts_whole_units(d: dt.date, e: dt.date) -> None:
    if d > e:
        assert ev("DATEDIF(d, e, \"D\")", d=d, e=e) is None
        return
    months = 0  # the most months m with (d + m months, same day number) <= e, as Excel counts
    while True:
        year, month = _month_after(d.year, d.month, months + 1)
        if (year, month, d.day) > (e.year, e.month, e.day):
            break
        months += 1
    assert ev("DATEDIF(d, e, \"M\")", d=d, e=e) == months
    assert ev("DATEDIF(d, e, \"Y\")", d=d, e=e) == months // 12
    assert ev("DATEDIF(d, e, \"D\")", d=d, e=e) == (e - d).days


@settings(max_examples=200, deadline=None)
@given(d=dates)
def test_fiscal_year_starts_in_april(d: dt.date) -> None:
    expected = d.year if d >= day(d.year, 4, 1) else d.year - 1
    assert ev("FISCAL_YEAR(d)", d=d) == expected


@settings(max_examples=300, deadline=None)
@given(source=st.text(max_size=40))
def test_any_text_compiles_or_is_refused_with_a_position(source: str) -> None:
    try:
        formula = compile_formula(source, FIELDS)
    except FormulaError as exc:
        assert 0 <= exc.position <= len(source)
        return
    formula.evaluate({"a": D(1), "t": "x", "d": day(2024, 4, 1)})  # never raises
