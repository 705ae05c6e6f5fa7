"""Field types from the values of a whole column.

A column gets a non-text type only when EVERY non-empty value in it parses as that type; one
stray "不明" keeps a number column as text, and the report names the rows that did it, so the
office can fix the file (or choose the type and skip those rows) rather than lose data.

Inference is column-wise and cheap first: a column of spreadsheet numbers or dates is settled
by looking at Python types; a text column is settled after fifty values fail every parser;
only columns that keep parsing are parsed to the end.

What a column's `type` names is the field type a new ledger made from the file gets (PROPOSED);
each is a registered type whose import kind (FieldType.import_kind) reads such cells, which
tests/api/test_field_cells.py checks.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import compress, repeat
from operator import is_not, itemgetter, methodcaller
from typing import Any

from daicho.dates.wareki import ParsedDate, try_parse_temporal
from daicho.error_codes import Code
from daicho.i18n import gettext as _
from daicho.i18n import ngettext
from daicho.importing.errors import ImportFileError, Limits
from daicho.importing.numbers import ParsedNumber, decimals_of, try_parse_number
from daicho.importing.values import (
    EMAIL,
    PLACEHOLDER_KINDS,
    PLACEHOLDERS,
    URL,
    ValueParseError,
    aware,
    has_time,
    midnight,
    native_decimal,
    parse_value,
    placeholder_note,
    text_of,
)
from daicho.importing.yesno import meaning as yes_no_meaning
from daicho.importing.yesno import shows_as_yes_no

__all__ = ["ColumnResult", "TextReason", "ValueParseError", "infer_column",
           "parse_value", "text_of"]

TEXTAREA_MIN_CHARS = 100  # longer than this (or several lines) is a textarea
CHOICE_MAX = 20  # at most this many distinct values, each used at least twice
CHOICE_MAX_CHARS = 64
MAX_DECIMALS = 15  # what the number field type accepts
REASON_ROWS = 100  # rows listed per column in text_reasons (the count is always exact)
_GIVE_UP_AFTER = 50  # failures before a type stops being tried, when it failed most values

@dataclass
class TextReason:
    """Why a column stayed text: the rows whose values are not of the type the others have."""

    column: str
    source_index: int
    candidate: str  # the type every other value had
    rows: list[int]  # 1-based file rows, at most REASON_ROWS of them
    count: int  # how many rows in all
    examples: list[dict[str, Any]] = field(default_factory=list)  # [{"row", "value"}], ≤ 5

    def as_dict(self) -> dict[str, Any]:
        return {"column": self.column, "candidate": self.candidate, "rows": self.rows,
                "count": self.count, "examples": self.examples}


@dataclass
class ColumnResult:
    type: str
    options: dict[str, Any]
    values: list[Any]
    reason: TextReason | None = None
    warnings: list[dict[str, Any]] = field(default_factory=list)
    raw: list[Any] = field(default_factory=list)  # the input, text stripped, "" as None


# ------------------------------------------------------------------------------- inference

_FAIL = object()


def _p_number(v: Any) -> Any:
    if type(v) is str:
        r = try_parse_number(v)
        return _FAIL if r is None else r
    d = native_decimal(v)
    return _FAIL if d is None else ParsedNumber(d, decimals_of(d))


def _p_temporal(v: Any) -> Any:
    t = type(v)
    if t is str:
        r = try_parse_temporal(v)
        return _FAIL if r is None else r
    if t is dt.datetime:
        return v
    if t is dt.date:
        return ParsedDate(v)
    return _FAIL


def _p_yesno(v: Any) -> Any:
    if type(v) is bool:
        return v
    # The yes/no type's own words, but 1 and 0 in a file are numbers.
    if type(v) is str and not v.isdigit():
        r = yes_no_meaning(v)
        return _FAIL if r is None else r
    return _FAIL


def _p_email(v: Any) -> Any:
    return v if type(v) is str and "@" in v and EMAIL.fullmatch(v) else _FAIL


def _p_url(v: Any) -> Any:
    return v if type(v) is str and v[:4].lower() == "http" and URL.fullmatch(v) else _FAIL


# In order of preference when several types fit every value.
_PARSERS: tuple[tuple[str, Callable[[Any], Any]], ...] = (
    ("yesno", _p_yesno), ("number", _p_number), ("temporal", _p_temporal),
    ("email", _p_email), ("url", _p_url),
)


def infer_column(name: str, source_index: int, raw: Sequence[Any], rows: Sequence[int],
                 limits: Limits | None = None) -> ColumnResult:
    """Type and converted values of one column. rows[i] is the file row of raw[i]."""
    limits = limits or Limits()
    # Readers give "" for empty text cells and None for missing ones; no other value is empty.
    raw_kinds = set(map(type, raw))
    stripped: list[str] | None = None
    if str not in raw_kinds:
        vals = list(raw)
    elif len(raw_kinds) == 1:
        stripped = list(map(str.strip, raw))
        vals = [s or None for s in stripped]
    else:
        vals = [(v.strip() or None) if type(v) is str else v for v in raw]
    result = None
    if str in raw_kinds and not PLACEHOLDERS.isdisjoint(vals):
        # "-" or "x" among numbers or dates: they are the column's empty values.
        blanked = [None if type(v) is str and v in PLACEHOLDERS else v for v in vals]
        retry = _infer(name, source_index, blanked, rows, limits)
        if retry.type in PLACEHOLDER_KINDS:
            note = placeholder_note(name, vals)
            if note is not None:
                retry.warnings.insert(0, note)
            result = retry
    if result is None:
        result = _infer(name, source_index, vals, rows, limits)
    result.raw = vals
    # Only a column kept as text keeps its text: blanks removed and U+FFFD are said there (a
    # number or a date column has neither once read).
    if str in raw_kinds and result.type in KEEPS_TEXT:
        trimmed = _trimmed(raw, vals, stripped)
        if trimmed:
            result.warnings.insert(0, {"row": None, "message": ngettext(
                "「%(name)s」: blanks at the start or end of %(n)d value were removed.",
                "「%(name)s」: blanks at the start or end of %(n)d values were removed.", trimmed)
                % {"name": name, "n": trimmed}})
        result.warnings.extend(_replacement_chars(name, vals, rows, stripped))
    return result


KEEPS_TEXT = frozenset({"text", "textarea", "choice", "email", "url"})
# Every type a column can come out as.
PROPOSED = KEEPS_TEXT | {"number", "date", "datetime", "yesno"}


def _trimmed(raw: Sequence[Any], vals: list[Any], stripped: list[str] | None) -> int:
    """How many text cells lost blanks at either end, not counting cells of blanks only."""
    if stripped is not None:  # all text: in C
        # str.strip gives back the very object when there is nothing to remove.
        changed = sum(map(is_not, raw, stripped))
        return changed and changed - (stripped.count("") - raw.count(""))
    return sum(1 for v, r in zip(vals, raw, strict=True)
               if type(r) is str and v is not None and v != r)
_UNREADABLE = "\ufffd"


def _replacement_chars(name: str, vals: list[Any], rows: Sequence[int],
                       stripped: list[str] | None) -> list[dict[str, Any]]:
    """U+FFFD in a cell: a character was lost before the file reached us (a bad conversion
    somewhere). Nothing can bring it back, but the office must hear where it is. `stripped` is
    the column's texts when every cell is text (infer_column)."""
    texts = stripped if stripped is not None else filter(str.__instancecheck__, vals)
    if _UNREADABLE not in "".join(texts):  # in C, no loop
        return []
    at = [i for i, v in enumerate(vals) if type(v) is str and _UNREADABLE in v]
    found = [{"row": rows[i], "message": _(
        "Row %(row)d 「%(name)s」: the file itself holds 「�」, the mark of a character "
        "that was lost before the file was made. Check the original text.")
        % {"row": rows[i], "name": name}} for i in at[:REASON_ROWS]]
    if len(at) > REASON_ROWS:
        found.append({"row": None, "message": _(
            "「%(name)s」: %(n)d values in all hold 「�」 (a character lost before the "
            "file was made).") % {"name": name, "n": len(at)}})
    return found


def _infer(name: str, source_index: int, vals: list[Any], rows: Sequence[int],
           limits: Limits) -> ColumnResult:
    result = _infer_kind(name, source_index, vals, rows, limits)
    if result.type == "number" and _PLAIN_NUMBER_HEADER.search(unicodedata.normalize("NFKC", name)):
        result.options = {**result.options, "separator": False}  # 年度 2019, not 2,019
    return result


def _infer_kind(name: str, source_index: int, vals: list[Any], rows: Sequence[int],
                limits: Limits) -> ColumnResult:
    kinds = set(map(type, vals))
    kinds.discard(type(None))
    if not kinds:
        return ColumnResult("text", {}, [None] * len(vals))
    if kinds <= {float, int, Decimal}:
        fast = _number_fast(vals, kinds == {float})
        if fast is not None:
            return fast
    if kinds <= {dt.date, dt.datetime}:
        return _temporal_native(vals)
    if kinds == {bool}:
        return ColumnResult("yesno", {}, vals)
    return _infer_general(name, source_index, vals, rows, limits, kinds == {str})


def _number_fast(vals: list[Any], only_floats: bool) -> ColumnResult | None:
    # Not "None in vals": comparing Decimals (Access) with None goes through slow ABC checks.
    present = [v for v in vals if v is not None]
    if len(present) == len(vals):
        present = vals
    if only_floats:
        converted = _floats(present)
    else:
        converted = _mixed_numbers(present)
    if converted is None:
        return None  # inf/nan: let the general path report the rows
    values, decimals = converted
    if present is not vals:
        it = iter(values)
        values = [None if v is None else next(it) for v in vals]
    return ColumnResult("number", {"decimals": min(decimals, MAX_DECIMALS)}, values)


def _floats(floats: list[float]) -> tuple[list[Any], int] | None:
    """Spreadsheet numbers to Decimal, a whole column at a time (map() beats a loop here)."""
    if all(map(float.is_integer, floats)) and max(map(abs, floats), default=0.0) < 1e15:
        return list(map(Decimal, map(int, floats))), 0
    # repr() is the shortest text that reads back as the same double: what was typed. Longer
    # than 16 characters means a computed value (0.30000000000000004): Excel shows 15 digits.
    texts = [t[:-2] if t.endswith(".0") else t for t in map(repr, floats)]
    if max(map(len, texts), default=0) > 16:
        texts = [format(f, ".15g") if len(t) > 16 else t
                 for f, t in zip(floats, texts, strict=True)]
    joined = "".join(texts)
    if "e" in joined or "n" in joined:  # exponents, inf, nan: one at a time
        return _mixed_numbers(floats)
    fractions = map(itemgetter(2), map(methodcaller("partition", "."), texts))
    return list(map(Decimal, texts)), max(map(len, fractions), default=0)


def _mixed_numbers(present: list[Any]) -> tuple[list[Any], int] | None:
    out: list[Any] = []
    decimals = 0
    for v in present:
        d = native_decimal(v)
        if d is None:
            return None
        places = decimals_of(d)
        if places > decimals:
            decimals = places
        out.append(d)
    return out, decimals


def _temporal_native(vals: list[Any]) -> ColumnResult:
    if any(type(v) is dt.datetime and has_time(v) for v in vals):
        timed: list[Any] = [
            None if v is None else (aware(v) if type(v) is dt.datetime else midnight(v))
            for v in vals]
        return ColumnResult("datetime", {}, timed)
    out = [v.date() if type(v) is dt.datetime else v for v in vals]
    return ColumnResult("date", {}, out)


def _eliminate(items: Sequence[Any]) -> tuple[list[str], dict[str, list[Any]],
                                              dict[str, list[int]]]:
    """Try every parser on the items (None skipped) until each type either failed on most of
    them or fits all. Returns the types still standing, parses and failing indices per type."""
    n = len(items)
    alive = list(_PARSERS)
    parsed: dict[str, list[Any]] = {key: [None] * n for key, _ in _PARSERS}
    fails: dict[str, list[int]] = {key: [] for key, _ in _PARSERS}
    seen = 0
    for i, v in enumerate(items):
        if v is None:
            continue
        seen += 1
        for entry in tuple(alive):
            key, parser = entry
            r = parser(v)
            if r is _FAIL:
                f = fails[key]
                f.append(i)
                if len(f) > _GIVE_UP_AFTER and len(f) * 2 > seen:
                    alive.remove(entry)
            else:
                parsed[key][i] = r
        if not alive:
            break
    return [key for key, _ in alive], parsed, fails


def _infer_general(name: str, source_index: int, vals: list[Any], rows: Sequence[int],
                   limits: Limits, text_only: bool) -> ColumnResult:
    if text_only:
        # Ledgers repeat values (区分, 有無, 町名): parse and finish each distinct text once.
        # Only for text, because as dict keys 1, 1.0 and True are the same.
        items: list[Any] = list(dict.fromkeys(vals))
    else:
        items = vals
    alive, parsed, fails = _eliminate(items)
    for key in alive:
        if fails[key]:
            continue
        finished = _FINISH[key](items, parsed[key])
        if finished is not None:
            return _to_cells(name, finished, vals, items if text_only else None, rows)
    failing: tuple[str, list[int]] | None = None
    best = min(alive, key=lambda k: len(fails[k]), default=None)
    if best is not None and fails[best]:
        bad_rows = fails[best]
        if text_only:
            bad = {items[i] for i in bad_rows}
            bad_rows = list(compress(range(len(vals)), map(bad.__contains__, vals)))
        failing = (best, bad_rows)
    distinct = [v for v in items if v is not None] if text_only else None
    return _as_text(name, source_index, vals, rows, failing, limits, distinct)


@dataclass
class _Finished:
    """A type settled from a column's items (its distinct texts, or else its cells): the value
    of each item, and the warnings about it (item index → messages) for each row holding it."""

    type: str
    options: dict[str, Any]
    values: list[Any]
    notes: dict[int, list[str]] = field(default_factory=dict)
    column_notes: list[str] = field(default_factory=list)  # about the whole column, once


def _to_cells(name: str, finished: _Finished, vals: list[Any], items: list[Any] | None,
              rows: Sequence[int]) -> ColumnResult:
    """The column from its finished items; items is None when they are the cells themselves."""
    values, notes = finished.values, finished.notes
    noted: list[tuple[int, list[str]]] = sorted(notes.items())
    if items is not None:
        values = list(map(dict(zip(items, values, strict=True)).__getitem__, vals))
        if notes:
            by_text = {items[k]: messages for k, messages in noted}
            noted = [(i, by_text[v]) for i, v in enumerate(vals) if v in by_text]
    warnings = [{"row": rows[i], "message": _("Row %(row)d 「%(name)s」: %(message)s")
                 % {"row": rows[i], "name": name, "message": message}}
                for i, messages in noted for message in messages]
    warnings[:0] = [{"row": None, "message": _("「%(name)s」: %(message)s")
                     % {"name": name, "message": message}} for message in finished.column_notes]
    return ColumnResult(finished.type, finished.options, values, warnings=warnings)


def _note(notes: dict[int, list[str]], i: int, message: str | None) -> None:
    if message:
        notes.setdefault(i, []).append(message)


def _finish_yesno(items: list[Any], values: list[Any]) -> _Finished | None:
    # ○ next to empty cells is a mark, not yes/no: empty would have to mean ×. Only when both
    # answers appear (or nothing is empty) is the column a yes/no field.
    present = {v for v in values if v is not None}
    if len(present) < 2 and any(v is None for v in items):
        return None
    words = [item if type(item) is str else text_of(item) for item in items if item is not None]
    if shows_as_yes_no(words):
        return _Finished("yesno", {}, values)
    # 有/無, ○/×, あり/なし: a yes/no field would store and export はい/いいえ instead of the
    # file's own words, so the column is a choice of those words (the yes-like ones first).
    order = sorted(dict.fromkeys(words), key=lambda w: not yes_no_meaning(w))
    return _Finished("choice", {"choices": order}, [
        None if item is None else item if type(item) is str else text_of(item)
        for item in items])


def _finish_number(items: list[Any], values: list[Any]) -> _Finished:
    decimals = 0
    yen = separator = False
    out: list[Any] = []
    for p in values:
        if p is None:
            out.append(None)
            continue
        out.append(p.value)
        decimals = max(decimals, p.decimals)
        yen = yen or p.yen
        separator = separator or p.separator
    options: dict[str, Any] = {"decimals": min(decimals, MAX_DECIMALS)}
    if yen:
        options["unit"] = "円"
    if separator:
        options["separator"] = True
    return _Finished("number", options, out)


def _finish_temporal(items: list[Any], values: list[Any]) -> _Finished | None:
    timed = any(isinstance(p, dt.datetime) and has_time(p) for p in values)
    notes: dict[int, list[str]] = {}
    out: list[Any] = [None] * len(values)
    if timed:
        for i, p in enumerate(values):
            if p is None:
                continue
            if isinstance(p, dt.datetime):
                out[i] = aware(p)
            elif p.precision == "month":
                return None  # a year-month among date-times: leave the column as text
            else:
                out[i] = midnight(p.date)
                _note(notes, i, p.warning)
        return _Finished("datetime", {}, out, notes)
    months = days = 0
    from_text = wareki = 0
    for p in values:
        if isinstance(p, ParsedDate):
            if p.precision == "month":
                months += 1
            else:
                days += 1
    for i, p in enumerate(values):
        if p is None:
            continue
        if isinstance(p, dt.datetime):
            out[i] = (aware(p) if p.tzinfo else p).date()
            continue
        out[i] = p.date
        _note(notes, i, p.warning)
        if type(items[i]) is str:
            from_text += 1
            wareki += p.wareki
        if p.precision == "month" and days:
            _note(notes, i,
                  _("「%(value)s」 has only a year and month, so it was read as the 1st of the "
                    "month.") % {"value": items[i]})
    options: dict[str, Any] = {}
    if months and not days and all(isinstance(p, ParsedDate) or p is None for p in values):
        options["precision"] = "month"
    if from_text and wareki == from_text:
        options["wareki"] = True
    column_notes = []
    month_first = next((i for i, p in enumerate(values)
                        if isinstance(p, ParsedDate) and p.month_first), None)
    if month_first is not None:
        date = values[month_first].date
        column_notes.append(_("dates written like 「%(value)s」 were read as month/day/year "
                              "(%(year)d-%(month)02d-%(day)02d).")
                            % {"value": items[month_first], "year": date.year,
                               "month": date.month, "day": date.day})
    return _Finished("date", options, out, notes, column_notes)


def _finish_plain(kind: str) -> Callable[[list[Any], list[Any]], _Finished]:
    def finish(items: list[Any], values: list[Any]) -> _Finished:
        return _Finished(kind, {}, values)
    return finish


# Each gets the items and their parses, and gives the items' values and warnings (or None
# when the column is not of that type after all).
_FINISH: dict[str, Callable[[list[Any], list[Any]], _Finished | None]] = {
    "yesno": _finish_yesno, "number": _finish_number, "temporal": _finish_temporal,
    "email": _finish_plain("email"), "url": _finish_plain("url"),
}
_CANDIDATE_NAME = {"temporal": "date"}


def _as_text(name: str, source_index: int, vals: list[Any], rows: Sequence[int],
             failing: tuple[str, list[int]] | None, limits: Limits,
             distinct: list[str] | None = None) -> ColumnResult:
    if distinct is None:
        texts = [v if type(v) is str or v is None else text_of(v) for v in vals]
        distinct = list(dict.fromkeys(t for t in texts if t))
    else:
        texts = vals  # text only, already stripped
    longest = max(map(len, distinct), default=0)
    if longest > limits.max_cell_chars:
        at = next(i for i, t in enumerate(texts) if t and len(t) > limits.max_cell_chars)
        raise ImportFileError(
            Code.TOO_LARGE,
            _("Row %(row)d 「%(name)s」 has a value that is too long (at most %(max)s characters).")
            % {"row": rows[at], "name": name, "max": f"{limits.max_cell_chars:,}"},
            details={"row": rows[at]})
    reason = None
    if failing is not None and len(failing[1]) * 2 <= sum(map(is_not, vals, repeat(None))):
        candidate, bad = failing
        reason = TextReason(name, source_index, _CANDIDATE_NAME.get(candidate, candidate),
                            [rows[i] for i in bad[:REASON_ROWS]], len(bad),
                            [{"row": rows[i], "value": texts[i]} for i in bad[:5]])
    every = "".join(distinct)  # one search in C instead of one per text
    multiline = "\n" in every or "\r" in every
    if multiline or longest > TEXTAREA_MIN_CHARS:
        return ColumnResult("textarea", {}, texts, reason)
    if distinct and len(distinct) <= CHOICE_MAX and longest <= CHOICE_MAX_CHARS:
        counts = Counter(texts)
        counts.pop(None, None)
        if min(counts.values()) >= 2 and not _open_ended(name, distinct, counts.total()):
            return ColumnResult("choice", {"choices": distinct}, texts, reason)
    return ColumnResult("text", {}, texts, reason)


# Headers of number columns that hold years or codes, shown without thousands separators.
_PLAIN_NUMBER_HEADER = re.compile(r"年度|年$|西暦|コード|番号|郵便|電話|^(?:no\.?|id)$|code|year",
                                  re.IGNORECASE)
# Headers of columns whose values are open-ended however often they repeat in one file:
# names, addresses, remarks. Next year's file brings new ones, which a choice would refuse.
_OPEN_HEADER = re.compile(r"名$|名称|氏名|住所|所在地|地番|備考|摘要|内容|件名|概要|理由|説明|"
                          r"name|address|note|remark", re.IGNORECASE)
# Values that read as an address (1丁目2番3号, 1-2-3, 〇〇町12) or a person's name (山田　太郎).
_ADDRESS = re.compile(r"\d+\s*(?:丁目|番地?|号)|\d+-\d+-\d+")
_PERSON = re.compile(r"[^\s]{1,5}\u3000[^\s]{1,5}")


def _open_ended(name: str, distinct: list[str], present: int) -> bool:
    """A column better kept as text than made a choice: many distinct values for its rows (on
    average fewer than three rows per value), long values, or values or a header that read
    as names or addresses."""
    if len(distinct) > 5 and len(distinct) * 3 > present:
        return True
    if _OPEN_HEADER.search(name):
        return True
    if sum(len(d) for d in distinct) > 16 * len(distinct):  # long values on average
        return True
    looks = sum(1 for d in distinct if _ADDRESS.search(d) or _PERSON.fullmatch(d))
    return looks * 2 > len(distinct)
