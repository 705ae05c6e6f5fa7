"""What the values of a formula are and how operators treat them, Excel-like.

A value is a Decimal, a str, a datetime.date, a bool, None (empty) or a list of values (a
column of detail rows). Arithmetic is exact: Decimal in a context of 34 digits, so
0.1 + 0.2 = 0.3. Empty counts as 0 in arithmetic and as "" in text. Division by zero gives
empty. A value of the wrong kind that the compiler could not see (a text field holding "abc"
used in a product) raises Bad, which makes the whole result empty."""

from __future__ import annotations

import datetime as dt
import unicodedata
from decimal import (
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
)
from typing import Any

CONTEXT = Context(prec=34, Emax=999_999, Emin=-999_999,
                  traps=[InvalidOperation, DivisionByZero, Overflow])
ZERO = Decimal(0)
ONE = Decimal(1)
# Kinds the compiler knows; "any" is a value whose kind shows only when the formula runs.
KINDS = ("number", "text", "date", "yesno", "list", "any")


class Bad(Exception):
    """A value of a kind the operation cannot take: the formula's result is empty."""


def number(value: Any) -> Decimal:
    """A value as a number for arithmetic: empty is 0, TRUE is 1, a text of digits its number."""
    if value is None:
        return ZERO
    cls = value.__class__
    if cls is Decimal:
        return value
    if cls is bool:
        return ONE if value else ZERO
    if cls is int:
        return Decimal(value)
    if cls is str:
        text = unicodedata.normalize("NFKC", value).strip().replace(",", "")
        if not text:
            return ZERO
        try:
            found = Decimal(text)
        except InvalidOperation:
            raise Bad from None
        if found.is_finite():
            return found
    raise Bad


def whole(value: Any, low: int = -1_000_000_000, high: int = 1_000_000_000) -> int:
    """A number as a whole number (Excel truncates: LEFT(t, 2.9) takes 2)."""
    n = int(number(value))
    if not low <= n <= high:
        raise Bad
    return n


def date(value: Any) -> dt.date | None:
    if value is None:
        return None
    cls = value.__class__
    if cls is dt.date:
        return value
    if isinstance(value, dt.datetime):
        return value.date()
    if cls is str and value.strip():
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            raise Bad from None
    if cls is str:
        return None
    raise Bad


def truth(value: Any) -> bool:
    if value is None:
        return False
    cls = value.__class__
    if cls is bool:
        return value
    if cls is Decimal:
        return bool(value)
    raise Bad


def format_number(value: Decimal) -> str:
    """0.30 → 0.3, 1E+2 → 100, -0 → 0: a number as people write it."""
    if not value:
        return "0"
    return format(value.normalize(CONTEXT), "f")


def text(value: Any) -> str:
    if value is None:
        return ""
    cls = value.__class__
    if cls is str:
        return value
    if cls is Decimal:
        return format_number(value)
    if cls is bool:
        return "はい" if value else "いいえ"
    if cls is dt.date:
        return value.isoformat()
    if cls is list:
        return "、".join(filter(None, map(text, value)))
    return str(value)


def flat(values: tuple[Any, ...]) -> list[Any]:
    out: list[Any] = []
    for v in values:
        if v.__class__ is list:
            out.extend(v)
        else:
            out.append(v)
    return out


# -- operators ---------------------------------------------------------------------------------
def add(a: Any, b: Any) -> Any:
    if a.__class__ is dt.date or b.__class__ is dt.date:
        if a.__class__ is dt.date and b.__class__ is dt.date:
            raise Bad
        day, n = (a, b) if a.__class__ is dt.date else (b, a)
        return shift_days(day, n)
    return CONTEXT.add(number(a), number(b))


def subtract(a: Any, b: Any) -> Any:
    if a.__class__ is dt.date:
        if b.__class__ is dt.date:
            return Decimal((a - b).days)
        return shift_days(a, CONTEXT.minus(number(b)))
    if b.__class__ is dt.date:
        raise Bad
    return CONTEXT.subtract(number(a), number(b))


def shift_days(day: dt.date, n: Any) -> dt.date:
    try:
        return day + dt.timedelta(days=whole(n, -3_000_000, 3_000_000))
    except OverflowError:
        raise Bad from None


def multiply(a: Any, b: Any) -> Decimal:
    return CONTEXT.multiply(number(a), number(b))


def divide(a: Any, b: Any) -> Decimal | None:
    divisor = number(b)
    if not divisor:
        return None
    return CONTEXT.divide(number(a), divisor)


def power(a: Any, b: Any) -> Decimal | None:
    base, exponent = number(a), number(b)
    if abs(exponent) > 10_000:
        raise Bad
    if not base and exponent < 0:
        return None  # 0 ^ -1 is a division by zero
    return CONTEXT.power(base, exponent)


def concat(a: Any, b: Any) -> str:
    return text(a) + text(b)


_RANK = {Decimal: 0, bool: 0, dt.date: 1, str: 2}


def _comparable(a: Any, b: Any) -> tuple[Any, Any] | None:
    """Both values in one kind to compare, or None when their kinds differ (Excel ranks
    numbers before text; a date is a number of its own here)."""
    if a is None and b is None:
        return ZERO, ZERO
    if a is None:
        a = _blank_like(b)
    if b is None:
        b = _blank_like(a)
    ka, kb = _RANK.get(a.__class__), _RANK.get(b.__class__)
    if ka is None or kb is None:
        raise Bad
    if ka != kb:
        return None
    if ka == 0:
        return number(a), number(b)
    if ka == 2:
        return a.casefold(), b.casefold()
    return a, b


def _blank_like(other: Any) -> Any:
    if other.__class__ is str:
        return ""
    if other.__class__ is dt.date:
        return dt.date.min
    return ZERO


def compare(op: str, a: Any, b: Any) -> bool:
    pair = _comparable(a, b)
    if pair is None:
        if op in ("=", "<>"):
            return op == "<>"
        ra, rb = _RANK[a.__class__], _RANK[b.__class__]
        x, y = ra, rb
    else:
        x, y = pair
    if op == "=":
        return bool(x == y)
    if op == "<>":
        return bool(x != y)
    if op == "<":
        return bool(x < y)
    if op == "<=":
        return bool(x <= y)
    if op == ">":
        return bool(x > y)
    return bool(x >= y)


def coerce(value: Any, kind: str) -> Any:
    """A result as the kind a field stores (number, text, date, yesno); None when it is not one."""
    try:
        if value is None or (value.__class__ is list and kind != "text"):
            return None
        if kind == "number":
            return None if value.__class__ is dt.date else number(value)
        if kind == "text":
            return text(value) or None
        if kind == "date":
            return date(value)
        if kind == "yesno":
            return truth(value)
    except Bad:
        return None
    raise ValueError(kind)
