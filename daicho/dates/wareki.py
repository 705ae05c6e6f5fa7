"""Dates as Japanese offices type them: 和暦 (R6.12.28, 平成31年4月30日) and western text dates.

Era start dates (the first day of year 1 of each era, Gregorian):

    明治 1868-01-25   大正 1912-07-30   昭和 1926-12-25   平成 1989-01-08   令和 2019-05-01

明治 was proclaimed on 1868-10-23 but made retroactive to the first day of that (lunar) year,
明治元年1月1日 = 1868-01-25, so that is where we let 明治 begin. Japan used the lunar calendar
until 明治5年12月2日, so month/day written for 明治1–5 are read as Gregorian with a warning.

Values written in an era after the next era began are accepted with a warning, because forms
printed before an era change keep being filled in: 平成31年5月1日 (= 令和元年5月1日),
昭和64年1月8日, and 平成32年–平成36年 (2020–2024). Further than five years past the era's last
year is an error.

Year-month values (H32.3, 令和5年4月, 2024/4) have month precision and stand for the first day of
the month. "2024.4" is NOT read as a year-month because it is also the number 2024.4, nor is
"R5-12", which is how project and document numbers are written.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

from daicho.dates.localtime import TOKYO
from daicho.i18n import gettext as _
from daicho.i18n import gettext_lazy

Precision = Literal["day", "month"]

# How many era years past the era's real last year we still accept (平成31 + 5 = 平成36).
GRACE_YEARS = 5


@dataclass(frozen=True, slots=True)
class Era:
    name: str
    letter: str
    start: dt.date


ERAS: tuple[Era, ...] = (
    Era("明治", "M", dt.date(1868, 1, 25)),
    Era("大正", "T", dt.date(1912, 7, 30)),
    Era("昭和", "S", dt.date(1926, 12, 25)),
    Era("平成", "H", dt.date(1989, 1, 8)),
    Era("令和", "R", dt.date(2019, 5, 1)),
)
_NEXT: dict[str, Era | None] = {e.name: (ERAS[i + 1] if i + 1 < len(ERAS) else None)
                                for i, e in enumerate(ERAS)}
_ERA_BY_TOKEN: dict[str, Era] = {}
for _era in ERAS:
    for _token in (_era.name, _era.name[0], _era.letter, _era.letter.lower()):
        _ERA_BY_TOKEN[_token] = _era


class WarekiError(ValueError):
    """A text that looks like a date but is not a valid one; .message is for the user."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


@dataclass(slots=True)
class ParsedDate:
    date: dt.date
    precision: Precision = "day"
    warning: str | None = None
    wareki: bool = False  # written with an era name (so the UI may show it that way)
    month_first: bool = False  # written month/day/year (5/23/2017)


# NFKC first (full-width digits, ．／－, ㍻→平成, ㋿→令和), then these patterns.
_WEEKDAY = r"(?:\s*\((?:[日月火水木金土](?:曜日?)?|(?:Sun|Mon|Tue|Wed|Thu|Fri|Sat)\.?)\))?"
_ERA_RE = re.compile(
    r"(?P<era>明治|大正|昭和|平成|令和|[明大昭平令MTSHRmtshr])\s*\.?\s*(?P<y>元|\d{1,3})\s*"
    r"(?:年\s*(?P<m>\d{1,2})\s*月(?:\s*(?P<d>\d{1,2})\s*日)?"
    r"|(?P<sep>[./\-])\s*(?P<m2>\d{1,2})(?:\s*(?P=sep)\s*(?P<d2>\d{1,2}))?)"
    + _WEEKDAY + r"$"
)
_WEST_RE = re.compile(
    r"(?P<y>\d{4})\s*"
    r"(?:年\s*(?P<m>\d{1,2})\s*月(?:\s*(?P<d>\d{1,2})\s*日)?"
    r"|(?P<sep>[./\-])\s*(?P<m2>\d{1,2})(?:\s*(?P=sep)\s*(?P<d2>\d{1,2}))?)"
    + _WEEKDAY + r"$"
)
# Month/day/year, as Excel writes dates in an English locale: a four-digit year LAST is always
# read this way (5/23/2017, 4/1/2023); day/month/year is not a Japanese or US office habit, so
# 23/5/2017 is not a date at all rather than a guess.
_MDY_RE = re.compile(
    r"(?P<m>\d{1,2})\s*/\s*(?P<d>\d{1,2})\s*/\s*(?P<y>\d{4})" + _WEEKDAY + r"$"
)
# A trailing wave dash means "from then on" (H32.3～ in a schedule): the date is kept, the
# "from" is said in a warning. After NFKC the full-width ～ is "~"; the wave dash 〜 stays.
_FROM_MARKS = frozenset("~〜")
_TIME_RE = re.compile(
    r"(?:\s+|T)(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.(?P<f>\d{1,6}))?)?"
    r"\s*(?P<tz>Z|[+-]\d{2}:?\d{2})?$"
)
# A date text starts with a digit or an era mark; anything else is rejected without a regex.
_FIRST = frozenset("0123456789明大昭平令MTSHRmtshr"
                   "０１２３４５６７８９ＭＴＳＨＲｍｔｓｈｒ㍾㍽㍼㍻㋿")
_WEEKDAYS = "月火水木金土日"
_WEEKDAYS_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_WEEKDAY_NAMES = (gettext_lazy("Monday"), gettext_lazy("Tuesday"), gettext_lazy("Wednesday"),
                  gettext_lazy("Thursday"), gettext_lazy("Friday"), gettext_lazy("Saturday"),
                  gettext_lazy("Sunday"))


def _normalize(text: str) -> str:
    if text.isascii():
        return text.strip()
    return unicodedata.normalize("NFKC", text).strip()


def parse_date(text: str) -> ParsedDate:
    """Parse a 和暦 or western date (or year-month). Raises WarekiError with a message for people."""
    result = _parse_date(_normalize(text), text)
    if result is None:
        raise WarekiError(_("「%(value)s」 cannot be read as a date.") % {"value": text.strip()})
    return result


def try_parse_date(text: str) -> ParsedDate | None:
    """Like parse_date, but None for anything that is not a valid date (for type inference)."""
    if not text or text[0] not in _FIRST:
        return None
    try:
        return _parse_date(_normalize(text), text)
    except WarekiError:
        return None


def parse_datetime(text: str) -> dt.datetime:
    """A date with a time of day: 2024/4/1 9:30, 2024-04-01T09:30:00+09:00, R6.4.1 9:30.

    Naive times are Asia/Tokyo. Raises WarekiError."""
    result = _parse_datetime(_normalize(text), text)
    if result is None:
        raise WarekiError(_("「%(value)s」 cannot be read as a date and time.")
                          % {"value": text.strip()})
    return result


def try_parse_temporal(text: str) -> ParsedDate | dt.datetime | None:
    """A date, a year-month or a date-time; None when the text is none of them."""
    if not text or text[0] not in _FIRST:
        return None
    quick = _quick_wareki(text)
    if quick is not None:
        return quick
    norm = _normalize(text)
    try:
        if ":" in norm:
            return _parse_datetime(norm, text)
        return _parse_date(norm, text)
    except WarekiError:
        return None


# The two ways most 和暦 dates are typed, in ASCII digits: 平成21年8月29日 and H21.8.29.
_QUICK_KANJI = re.compile(r"(明治|大正|昭和|平成|令和)(元|\d{1,2})年(\d{1,2})月(\d{1,2})日")
_QUICK_LETTER = re.compile(r"([MTSHR])(\d{1,2})\.(\d{1,2})\.(\d{1,2})")


def _quick_wareki(text: str) -> ParsedDate | None:
    """The common case, a valid date within its era, without the general parser's steps;
    None sends everything else (other forms, warnings, errors) to the general parser."""
    match = (_QUICK_KANJI if text[0] in "明大昭平令" else _QUICK_LETTER).fullmatch(text)
    if match is None:
        return None
    name, year, month, day = match.groups()
    era = _ERA_BY_TOKEN[name]
    era_year = 1 if year == "元" else int(year)
    try:
        date = dt.date(era.start.year + era_year - 1, int(month), int(day))
    except ValueError:
        return None
    nxt = _NEXT[era.name]
    if era_year == 0 or date < era.start or (nxt is not None and date >= nxt.start) or (
            era.name == "明治" and date.year < 1873):
        return None
    return ParsedDate(date, "day", None, wareki=True)


def _parse_datetime(norm: str, original: str) -> dt.datetime | None:
    match = _TIME_RE.search(norm)
    if match is None:
        return None
    day = _parse_date(norm[: match.start()], original)
    if day is None or day.precision != "day":
        return None
    hour, minute = int(match["H"]), int(match["M"])
    second = int(match["S"] or 0)
    micro = int((match["f"] or "0").ljust(6, "0"))
    if hour > 23 or minute > 59 or second > 59:
        raise WarekiError(_("The time of day in 「%(value)s」 is not valid.")
                          % {"value": original.strip()})
    tz: dt.tzinfo = TOKYO
    if match["tz"]:
        tz = dt.UTC if match["tz"] == "Z" else _offset(match["tz"])
    return dt.datetime.combine(day.date, dt.time(hour, minute, second, micro), tzinfo=tz)


def _offset(text: str) -> dt.tzinfo:
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    return dt.timezone(sign * dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))


def _parse_date(norm: str, original: str) -> ParsedDate | None:
    # Fast path for the ISO form that machine exports use.
    if len(norm) == 10 and norm[4] == "-" and norm[7] == "-" and norm[:4].isdigit():
        try:
            return ParsedDate(dt.date.fromisoformat(norm))
        except ValueError:
            pass  # e.g. 2024-02-30: fall through to the regex for a proper message
    if not norm:
        return None
    if norm[-1] in _FROM_MARKS:
        return _from(norm, original)
    if norm[0].isdigit():
        match = _WEST_RE.match(norm)
        if match is None:
            match = _MDY_RE.match(norm)
            return None if match is None else _month_first(match, original)
        return _western(match, original)
    match = _ERA_RE.match(norm)
    if match is None:
        return None
    return _wareki(match, original)


def _from(norm: str, original: str) -> ParsedDate | None:
    inner = _parse_date(norm[:-1].rstrip(), original)
    if inner is None:
        return None
    shown = (format_wareki(inner.date, inner.precision) if inner.wareki
             else _format_western(inner.date, inner.precision))
    value = original.strip()
    note = _("「%(value)s」 means from %(date)s on. It was read as %(date)s; the 「%(mark)s」 is "
             "not kept.") % {"value": value, "date": shown, "mark": value[-1]}
    inner.warning = f"{inner.warning} {note}" if inner.warning else note
    return inner


def _format_western(date: dt.date, precision: Precision) -> str:
    if precision == "month":
        return f"{date.year}年{date.month}月"
    return f"{date.year}年{date.month}月{date.day}日"


def _month_first(match: re.Match[str], original: str) -> ParsedDate:
    shown = original.strip()
    date = _make_date(int(match["y"]), int(match["m"]), int(match["d"]), shown)
    _check_weekday(match, date, shown)
    return ParsedDate(date, month_first=True)


def _parts(match: re.Match[str]) -> tuple[int, int | None, bool]:
    month = match["m"] or match["m2"]
    day = match["d"] or match["d2"]
    return int(month), (int(day) if day else None), bool(match["sep"])


def _western(match: re.Match[str], original: str) -> ParsedDate | None:
    year = int(match["y"])
    month, day, with_sep = _parts(match)
    if with_sep and match["sep"] == "." and day is None:
        return None  # 2024.4 is a number, not April 2024
    shown = original.strip()
    if day is None:
        _check_month(month, shown)
        return ParsedDate(dt.date(year, month, 1), "month")
    date = _make_date(year, month, day, shown)
    _check_weekday(match, date, shown)
    return ParsedDate(date)


def _wareki(match: re.Match[str], original: str) -> ParsedDate | None:
    era = _ERA_BY_TOKEN[match["era"]]
    era_year = 1 if match["y"] == "元" else int(match["y"])
    shown = original.strip()
    if era_year == 0:
        raise WarekiError(_("「%(value)s」: there is no year 0 of %(era)s.")
                          % {"value": shown, "era": era.name})
    year = era.start.year + era_year - 1
    month, day, _sep = _parts(match)
    if day is None and match["sep"] == "-":
        return None  # "R5-12" is how project and document numbers are written, not a month
    precision: Precision = "day" if day is not None else "month"
    if day is None:
        _check_month(month, shown)
        date = dt.date(year, month, 1)
        first, last = date, dt.date(year, month, calendar.monthrange(year, month)[1])
    else:
        date = _make_date(year, month, day, shown)
        _check_weekday(match, date, shown)
        first = last = date
    if last < era.start:
        raise WarekiError(
            _("「%(value)s」 is a date before the era %(era)s began (its first year starts on "
              "%(month)d/%(day)d).")
            % {"value": shown, "era": era.name, "month": era.start.month, "day": era.start.day})
    warning = None
    nxt = _NEXT[era.name]
    if nxt is not None and first >= nxt.start:
        last_year = nxt.start.year - era.start.year + 1
        if era_year > last_year + GRACE_YEARS:
            raise WarekiError(_("「%(value)s」: the era %(era)s goes up to year %(year)d.")
                              % {"value": shown, "era": era.name, "year": last_year})
        warning = (_("「%(value)s」 is a date after the era changed. It was read as %(date)s.")
                   % {"value": shown, "date": format_wareki(date, precision)})
    elif era.name == "明治" and year < 1873:
        warning = (_("「%(value)s」 may be a date of the old lunar calendar (used until Meiji 5). "
                     "It was read as a date of the new calendar.") % {"value": shown})
    return ParsedDate(date, precision, warning, wareki=True)


def _check_month(month: int, shown: str) -> None:
    if not 1 <= month <= 12:
        raise WarekiError(_("「%(value)s」: there is no month %(month)d.")
                          % {"value": shown, "month": month})


def _make_date(year: int, month: int, day: int, shown: str) -> dt.date:
    _check_month(month, shown)
    if not 1 <= year <= 9999:
        raise WarekiError(_("「%(value)s」: the year %(year)d cannot be handled.")
                          % {"value": shown, "year": year})
    try:
        return dt.date(year, month, day)  # checks the day against the month, in C
    except ValueError:
        raise WarekiError(_("「%(value)s」: there is no day %(day)d in month %(month)d.")
                          % {"value": shown, "month": month, "day": day}) from None


def _check_weekday(match: re.Match[str], date: dt.date, shown: str) -> None:
    # A weekday in brackets after the date must agree with it: it is the cheapest typo check.
    whole = match.group(0)
    if not whole.endswith(")"):
        return
    inside = whole[whole.rindex("(") + 1 : -1].rstrip(".")
    weekday = date.weekday()
    if inside[:1] == _WEEKDAYS[weekday] or inside[:3] == _WEEKDAYS_EN[weekday]:
        return
    raise WarekiError(_("The weekday in 「%(value)s」 does not match the date (it is a %(weekday)s).")
                      % {"value": shown, "weekday": _WEEKDAY_NAMES[weekday]})


def era_of(date: dt.date) -> tuple[Era, int]:
    """The era a date belongs to and its era year. Raises ValueError before 明治."""
    for era in reversed(ERAS):
        if date >= era.start:
            return era, date.year - era.start.year + 1
    raise ValueError(f"{date.isoformat()} is before the first era (明治).")


def fiscal_year(day: dt.date) -> int:
    """The Japanese fiscal year (年度) of a date: April to March, named by the year it starts in."""
    return day.year if day.month >= 4 else day.year - 1


def format_fiscal_year(year: int) -> str:
    """年度 `year` (April `year` to March) by its era: 平成30年度, 令和元年度 (FY2019, which began
    as 平成31年度 and is called by the new era, as the era of 1 May names it)."""
    era, era_year = era_of(dt.date(year, 5, 1))
    return f"{era.name}{'元' if era_year == 1 else era_year}年度"


def format_wareki(date: dt.date, precision: Precision = "day") -> str:
    """令和6年12月28日, 令和元年5月1日; with precision "month": 令和6年12月.

    For month precision the era is the one in force on the first day of the month, which is
    the date a year-month value stands for (1989-01 is 昭和64年1月)."""
    if precision == "month":
        date = date.replace(day=1)
    era, year = era_of(date)
    shown_year = "元" if year == 1 else str(year)
    if precision == "month":
        return f"{era.name}{shown_year}年{date.month}月"
    return f"{era.name}{shown_year}年{date.month}月{date.day}日"
