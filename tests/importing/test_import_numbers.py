"""Numbers as typed in Japanese ledgers (daicho.importing.numbers)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from daicho.importing.numbers import (
    NumberError,
    decimal_from_float,
    format_decimal,
    parse_number,
    try_parse_number,
)

# No example database left in the repository; no deadline on a busy CI machine.
FUZZ = settings(database=None, deadline=None)


@pytest.mark.parametrize(("text", "value", "decimals", "yen", "separator"), [
    ("0", "0", 0, False, False),
    ("0.5", "0.5", 1, False, False),
    ("-0.25", "-0.25", 2, False, False),
    ("-0", "0", 0, False, False),
    ("12", "12", 0, False, False),
    ("1,000", "1000", 0, False, True),
    ("32,500 ", "32500", 0, False, True),
    ("  1,234,567.89 ", "1234567.89", 2, False, True),
    ("１，０００", "1000", 0, False, True),
    ("１２３．４", "123.4", 1, False, False),
    ("￥1,000", "1000", 0, True, True),
    ("¥1,000", "1000", 0, True, True),
    ("\\1,000", "1000", 0, True, True),
    ("1,000円", "1000", 0, True, True),
    ("1000 円", "1000", 0, True, False),
    ("△1,000", "-1000", 0, False, True),
    ("▲1,000", "-1000", 0, False, True),
    ("△ 500", "-500", 0, False, False),
    ("-1,000", "-1000", 0, False, True),
    ("－１，０００", "-1000", 0, False, True),
    ("−300", "-300", 0, False, False),  # U+2212 MINUS SIGN
    ("+5", "5", 0, False, False),
    ("-¥1,000", "-1000", 0, True, True),
    ("¥-1,000", "-1000", 0, True, True),
    ("△¥1,000円", "-1000", 0, True, True),
    ("1.50", "1.50", 2, False, False),
])
def test_numbers(text: str, value: str, decimals: int, yen: bool, separator: bool) -> None:
    parsed = parse_number(text)
    assert parsed.value == Decimal(value)
    assert str(parsed.value) == value
    assert (parsed.decimals, parsed.yen, parsed.separator) == (decimals, yen, separator)


@pytest.mark.parametrize("text", [
    "", " ", "0012", "00", "0,123", "-0012", "420-0000", "054-000-0000", "(054)626-1139",
    "1,2", "1,0000", "12,34,567", "1.2.3", "1e5", "NaN", "Infinity", "1_000", "abc", "12a",
    "△", "--1", "△-1", "1,000.", ".5", "5%", "1 000", "ー", "㎡", "2019-01-04", "14:37",
    "0000000001",
])
def test_not_numbers(text: str) -> None:
    assert try_parse_number(text) is None
    with pytest.raises(NumberError) as info:
        parse_number(text)
    assert "数値" in info.value.message


def test_spreadsheet_floats_read_like_excel_shows_them() -> None:
    assert decimal_from_float(0.1 + 0.2) == Decimal("0.3")
    assert decimal_from_float(5.0) == Decimal(5)
    assert str(decimal_from_float(5.0)) == "5"
    assert decimal_from_float(-0.0) == Decimal(0)
    assert decimal_from_float(34.866918) == Decimal("34.866918")
    assert decimal_from_float(1e20) == Decimal(10**20)
    with pytest.raises(NumberError):
        decimal_from_float(float("inf"))
    assert format_decimal(Decimal("1E+3")) == "1000"


_AMOUNTS = st.decimals(min_value=Decimal("-1e12"), max_value=Decimal("1e12"), places=2,
                       allow_nan=False, allow_infinity=False)


@FUZZ
@given(_AMOUNTS)
def test_round_trip_plain(value: Decimal) -> None:
    assert parse_number(format_decimal(value)).value == value


@FUZZ
@given(_AMOUNTS, st.booleans(), st.booleans(), st.sampled_from(["-", "△", "▲"]))
def test_round_trip_office_formats(value: Decimal, yen: bool, fullwidth: bool,
                                   minus: str) -> None:
    body = f"{abs(value):,.2f}"
    text = (minus if value < 0 else "") + ("¥" if yen else "") + body + ("円" if yen else "")
    if fullwidth:
        text = text.translate(str.maketrans("0123456789,.-¥", "０１２３４５６７８９，．－￥"))
    parsed = parse_number(text)
    assert parsed.value == value
    assert parsed.yen == yen
    assert parsed.separator == ("," in body)


@FUZZ
@given(st.integers(min_value=0, max_value=10**9), st.integers(min_value=1, max_value=6))
def test_leading_zero_codes_stay_text(number: int, extra_zeros: int) -> None:
    assert try_parse_number("0" * extra_zeros + str(number)) is None
