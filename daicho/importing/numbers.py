"""Numbers as typed in Japanese ledgers: 1,000 / １，０００ / ￥1,000 / 1,000円 / △1,000 / ▲1,000.

A leading zero followed by more digits (0012, 054-000-0000, 420-0000) is a code, never a number:
turning it into 12 would lose what the office wrote. "0", "0.5" and "-0.25" are numbers.
Thousands separators must group by three (1,000,000); "1,2" is text, not 12.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from daicho.i18n import gettext as _

# Plain ASCII numbers are by far the most common; one regex and Decimal() handle them.
_PLAIN = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?")
# Everything else after NFKC: sign, currency, digits grouped or not, decimals, 円.
_FULL = re.compile(
    r"(?P<sign>[-+△▲−])?\s*(?P<yen>[¥\\])?\s*(?P<sign2>[-+△▲−])?\s*"
    r"(?P<int>0|[1-9][0-9]{0,2}(?:,[0-9]{3})+|[1-9][0-9]*)(?P<frac>\.[0-9]+)?"
    r"\s*(?P<en>円)?"
)
# A number starts with one of these (after surrounding blanks); anything else is rejected fast.
_FIRST = frozenset("0123456789-+△▲−¥\\￥０１２３４５６７８９－＋")
_MAX_CHARS = 60  # longer texts are never numbers we want (and keep Decimal() cheap)
_NEGATIVE = frozenset("-△▲−")


class NumberError(ValueError):
    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


@dataclass(slots=True)
class ParsedNumber:
    value: Decimal
    decimals: int = 0
    yen: bool = False  # written with ¥/￥ or 円
    separator: bool = False  # written with thousands separators


def try_parse_number(text: str) -> ParsedNumber | None:
    """The number in text, or None when the text is not (only) a number."""
    s = text.strip()
    if not s or len(s) > _MAX_CHARS or s[0] not in _FIRST:
        return None
    if _PLAIN.fullmatch(s):
        value = Decimal(s)
        if s[0] == "-" and value.is_zero():
            value = value.copy_abs()
        dot = s.find(".")
        return ParsedNumber(value, 0 if dot < 0 else len(s) - dot - 1)
    return _parse_slow(s)


def parse_number(text: str) -> ParsedNumber:
    result = try_parse_number(text)
    if result is None:
        raise NumberError(_("「%(value)s」 cannot be read as a number.") % {"value": text.strip()})
    return result


def _parse_slow(s: str) -> ParsedNumber | None:
    if not s.isascii():
        s = unicodedata.normalize("NFKC", s).strip()
    match = _FULL.fullmatch(s)
    if match is None:
        return None
    sign, sign2 = match["sign"], match["sign2"]
    if sign and sign2:
        return None  # "--1" or "△-1"
    digits = match["int"]
    separator = "," in digits
    frac = match["frac"] or ""
    try:
        value = Decimal(digits.replace(",", "") + frac)
    except InvalidOperation:  # pragma: no cover - the regex only lets digits through
        return None
    if (sign or sign2 or "") in _NEGATIVE:
        value = -value
    yen = bool(match["yen"] or match["en"])
    return ParsedNumber(_no_negative_zero(value), max(len(frac) - 1, 0), yen, separator)


def _no_negative_zero(value: Decimal) -> Decimal:
    return value.copy_abs() if value.is_zero() else value


def decimal_from_float(value: float) -> Decimal:
    """A spreadsheet number as Decimal, the way Excel shows it (15 significant digits).

    Excel stores doubles, so 0.1+0.2 is 0.30000000000000004 in the file; Excel shows 0.3 and
    so do we. Whole numbers below 1e21 are exact."""
    if not math.isfinite(value):
        raise NumberError(_("The value is not a number (infinity or the like)."))
    if value.is_integer() and -1e21 < value < 1e21:
        return Decimal(int(value))
    return _no_negative_zero(Decimal(format(value, ".15g")))


def decimals_of(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def format_decimal(value: Decimal) -> str:
    """Plain digits, never exponent notation (Decimal('1E+3') → '1000')."""
    text = format(value, "f")
    return "0" if text in ("-0", "0") else text
