"""The functions of the formula language (contract §7). Each is a Python function over
evaluated arguments plus what the compiler checks: how many arguments, the kind each takes,
the kind it gives, and for a unit argument the words it accepts. IF, AND and OR get their
arguments unevaluated (callables), so IF(b = 0, 0, a / b) never divides by zero."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_FLOOR, ROUND_HALF_UP, ROUND_UP, Decimal
from typing import Any

from daicho.dates.wareki import fiscal_year, format_wareki
from daicho.formula import values as v
from daicho.formula.values import Bad

Thunk = Callable[[], Any]


@dataclass(frozen=True)
class Function:
    impl: Callable[..., Any]
    params: tuple[str, ...]  # kind of each parameter; the last repeats when `more`
    result: str  # a kind, or "same" (the kind of the arguments when they agree)
    low: int
    high: int | None  # None: any number of arguments
    lazy: bool = False
    units: tuple[str, ...] = ()  # the words a "unit" parameter accepts

    def param(self, index: int) -> str:
        return self.params[min(index, len(self.params) - 1)]


def _if(cond: Thunk, yes: Thunk, no: Thunk | None = None) -> Any:
    if v.truth(cond()):
        return yes()
    return no() if no is not None else None


def _and(*args: Thunk) -> bool:
    return all(v.truth(a()) for a in args)


def _or(*args: Thunk) -> bool:
    return any(v.truth(a()) for a in args)


def _not(a: Any) -> bool:
    return not v.truth(a)


def _round(mode: str) -> Callable[..., Decimal]:
    def rounder(x: Any, places: Any = None) -> Decimal:
        n = 0 if places is None else v.whole(places, -30, 30)
        return v.number(x).quantize(Decimal(1).scaleb(-n), rounding=mode, context=v.CONTEXT)
    return rounder


def _int(x: Any) -> Decimal:
    return v.number(x).to_integral_value(rounding=ROUND_FLOOR, context=v.CONTEXT)


def _abs(x: Any) -> Decimal:
    return abs(v.number(x))


def _present(args: tuple[Any, ...]) -> list[Any]:
    return [a for a in v.flat(args) if a is not None and a != ""]


def _numbers(args: tuple[Any, ...]) -> list[Decimal]:
    return [v.number(a) for a in _present(args)]


def _min(*args: Any) -> Any:
    found = _present(args)
    if found and all(a.__class__ is dt.date for a in found):
        return min(found)
    numbers = [v.number(a) for a in found]
    return min(numbers) if numbers else None


def _max(*args: Any) -> Any:
    found = _present(args)
    if found and all(a.__class__ is dt.date for a in found):
        return max(found)
    numbers = [v.number(a) for a in found]
    return max(numbers) if numbers else None


def _sum(*args: Any) -> Decimal:
    total = v.ZERO
    for n in _numbers(args):
        total = v.CONTEXT.add(total, n)
    return total


def _average(*args: Any) -> Decimal | None:
    numbers = _numbers(args)
    if not numbers:
        return None
    return v.CONTEXT.divide(_sum(*numbers), Decimal(len(numbers)))


def _count(*args: Any) -> Decimal:
    return Decimal(len(_present(args)))


def _len(t: Any) -> Decimal:
    return Decimal(len(v.text(t)))


def _concat(*args: Any) -> str:
    return "".join(map(v.text, v.flat(args)))


def _left(t: Any, n: Any = None) -> str:
    return v.text(t)[:1 if n is None else v.whole(n, 0)]


def _right(t: Any, n: Any = None) -> str:
    count = 1 if n is None else v.whole(n, 0)
    s = v.text(t)
    return s[max(0, len(s) - count):] if count else ""


def _mid(t: Any, start: Any, n: Any) -> str:
    first = v.whole(start, 1)
    return v.text(t)[first - 1:first - 1 + v.whole(n, 0)]


def _isblank(x: Any) -> bool:
    return x is None or x == "" or x == []


def _date_part(part: str) -> Callable[[Any], Decimal | None]:
    def get(d: Any) -> Decimal | None:
        day = v.date(d)
        return None if day is None else Decimal(getattr(day, part))
    return get


def _fiscal_year(d: Any) -> Decimal | None:
    day = v.date(d)
    return None if day is None else Decimal(fiscal_year(day))


def months_between(start: dt.date, end: dt.date) -> int:
    """Whole months from start to end (start <= end), as Excel's DATEDIF "M" counts them."""
    months = (end.year - start.year) * 12 + end.month - start.month
    return months - 1 if end.day < start.day else months


def _datedif(start: Any, end: Any, unit: Any) -> Decimal | None:
    a, b = v.date(start), v.date(end)
    if a is None or b is None or a > b:
        return None
    u = _unit(unit, DATEDIF_UNITS)
    if u == "D":
        return Decimal((b - a).days)
    months = months_between(a, b)
    return Decimal(months // 12 if u == "Y" else months)


def add_months(day: dt.date, months: int) -> dt.date:
    """`months` later (earlier when negative), the day clamped to the month's end: 1/31 + 1
    month is 2/29 in a leap year."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    if not 1 <= year <= 9999:
        raise Bad
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def _date_add(d: Any, n: Any, unit: Any) -> dt.date | None:
    day = v.date(d)
    if day is None:
        return None
    u = _unit(unit, DATE_ADD_UNITS)
    if u in ("day", "日"):
        return v.shift_days(day, n)
    count = v.whole(n, -120_000, 120_000)
    return add_months(day, count * 12 if u in ("year", "年") else count)


def _unit(value: Any, allowed: tuple[str, ...]) -> str:
    u = v.text(value).strip()
    for word in allowed:
        if u.casefold() == word.casefold():
            return word
    raise Bad


def _wareki(d: Any) -> str | None:
    day = v.date(d)
    if day is None:
        return None
    try:
        return format_wareki(day)
    except Exception:  # before 明治: no era to name it by
        raise Bad from None


_NUMBER_FORMAT = re.compile(r"^(?P<pre>[^#0,.]*)(?P<int>[#0,]*0|[#0,]*#)"
                            r"(?:\.(?P<dec>0+))?(?P<post>[^#0,.]*)$")
_DATE_TOKENS = re.compile(r"yyyy|yy|mm|m|dd|d")


def _text(x: Any, pattern: Any = None) -> str:
    if pattern is None:
        return v.text(x)
    fmt = v.text(pattern)
    if isinstance(x, dt.date):
        return _DATE_TOKENS.sub(lambda m: _date_token(x, m.group()), fmt)
    if x is None or (isinstance(x, str) and not x.strip()):
        return ""
    match = _NUMBER_FORMAT.match(fmt)
    if match is None:
        raise Bad
    places = len(match["dec"] or "")
    rounded = v.number(x).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP,
                                   context=v.CONTEXT)
    body = f"{rounded:,f}" if "," in match["int"] else f"{rounded:f}"
    return f"{match['pre']}{body}{match['post']}"


def _date_token(day: dt.date, token: str) -> str:
    return {"yyyy": f"{day.year:04d}", "yy": f"{day.year % 100:02d}", "mm": f"{day.month:02d}",
            "m": str(day.month), "dd": f"{day.day:02d}", "d": str(day.day)}[token]


DATEDIF_UNITS = ("Y", "M", "D")
DATE_ADD_UNITS = ("day", "month", "year", "日", "月", "年")

N, T, D, B, A, L = "number", "text", "date", "yesno", "any", "list"

FUNCTIONS: dict[str, Function] = {
    "IF": Function(_if, (B, A, A), "same", 2, 3, lazy=True),
    "AND": Function(_and, (B,), B, 1, None, lazy=True),
    "OR": Function(_or, (B,), B, 1, None, lazy=True),
    "NOT": Function(_not, (B,), B, 1, 1),
    "ROUND": Function(_round(ROUND_HALF_UP), (N, N), N, 1, 2),
    "ROUNDUP": Function(_round(ROUND_UP), (N, N), N, 1, 2),
    "ROUNDDOWN": Function(_round(ROUND_DOWN), (N, N), N, 1, 2),
    "INT": Function(_int, (N,), N, 1, 1),
    "ABS": Function(_abs, (N,), N, 1, 1),
    "MIN": Function(_min, (L,), "same", 1, None),
    "MAX": Function(_max, (L,), "same", 1, None),
    "SUM": Function(_sum, (L,), N, 1, None),
    "AVERAGE": Function(_average, (L,), N, 1, None),
    "COUNT": Function(_count, (A,), N, 1, None),
    "LEN": Function(_len, (T,), N, 1, 1),
    "CONCAT": Function(_concat, (T,), T, 1, None),
    "LEFT": Function(_left, (T, N), T, 1, 2),
    "RIGHT": Function(_right, (T, N), T, 1, 2),
    "MID": Function(_mid, (T, N, N), T, 3, 3),
    "ISBLANK": Function(_isblank, (A,), B, 1, 1),
    "YEAR": Function(_date_part("year"), (D,), N, 1, 1),
    "MONTH": Function(_date_part("month"), (D,), N, 1, 1),
    "DAY": Function(_date_part("day"), (D,), N, 1, 1),
    "FISCAL_YEAR": Function(_fiscal_year, (D,), N, 1, 1),
    "DATEDIF": Function(_datedif, (D, D, "unit"), N, 3, 3, units=DATEDIF_UNITS),
    "DATE_ADD": Function(_date_add, (D, N, "unit"), D, 3, 3, units=DATE_ADD_UNITS),
    "WAREKI": Function(_wareki, (D,), T, 1, 1),
    "TEXT": Function(_text, (A, T), T, 1, 2),
}
