"""Per-column filters of the grid (the Excel-style autofilter popup): what a column's popup shows,
how its inputs become filter specs in the API's own syntax (CODE:OP:VALUE), and back for
pre-filling.

A widget (daicho.web.widgets) picks the kind that fits its field type; the kind says which parts
the popup has (the list of distinct values with checkboxes, date periods, a range or a
"contains" condition); the operators a type accepts come from the type itself.
Inputs are named fx:CODE:… so one GET form can carry the filters of several columns:

- fx:CODE:pick  "in" with fx:CODE:v  the ticked values, or "out" with fx:CODE:u  the unticked
  ones (the script sends the shorter side; nothing when every value is ticked);
  fx:CODE:blank  "on" when the "(blank)" box is ticked, fx:CODE:hasblank  "1" when it is shown;
- fx:CODE:ge / fx:CODE:le  a range, fx:CODE:contains  a text condition;
- fx:CODE:presence  "empty" or "notempty" (the popup's two quick choices).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.http import QueryDict
from django.utils.translation import gettext as _

from daicho.fields import REGISTRY, type_for
from daicho.models import Field

MAX_IN = 200  # the API's limit of values in one `in`
VALUE_OPS = frozenset({"in", "eq", "ne", "empty", "notempty"})


def split_spec(spec: str) -> tuple[str, str, str]:
    code, _sep, rest = spec.partition(":")
    op, _sep, value = rest.partition(":")
    return code, op, value


def input_name(field: Field, op: str) -> str:
    return f"fx:{field.code}:{op}"


OP_SIGNS = {"eq": "=", "ne": "≠", "lt": "<", "le": "≤", "gt": ">", "ge": "≥"}


def describe(field: Field, op: str, value: str) -> str:
    """A filter as a person reads it on a chip: 「金額 ≥ 1000」, 「名称 contains 市」."""
    if op in OP_SIGNS:
        return f"{field.name} {OP_SIGNS[op]} {value}"
    words = {
        "contains": _("contains"), "startswith": _("starts with"), "in": _("is one of"),
        "empty": _("is blank"), "notempty": _("is not blank"),
    }
    text = f"{field.name} {words.get(op, op)}"
    return f"{text} {value.replace(',', '、')}" if value else text


def describe_period(field: Field, start: str, end: str) -> str | None:
    """A date range that is exactly one fiscal year, calendar year or month, as people say it
    (「日付: 2024年度」); None for any other range."""
    try:
        first, last = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
    except ValueError:
        return None
    if first.day != 1:
        return None
    if (first.month, last.month, last.day) == (4, 3, 31) and last.year == first.year + 1:
        return _("%(name)s: fiscal year %(year)d") % {"name": field.name, "year": first.year}
    if (first.month, last.month, last.day) == (1, 12, 31) and last.year == first.year:
        return _("%(name)s: year %(year)d") % {"name": field.name, "year": first.year}
    following = dt.date(first.year + first.month // 12, first.month % 12 + 1, 1)
    if last == following - dt.timedelta(days=1):
        return _("%(name)s: %(year)d/%(month)d") % {"name": field.name, "year": first.year,
                                                     "month": first.month}
    return None


def _operators(field: Field) -> frozenset[str]:
    return type_for(field).operators if field.type in REGISTRY else frozenset()


def lists_values(field: Field) -> bool:
    """Whether the column's distinct values can be counted (the type is groupable)."""
    return field.type in REGISTRY and type_for(field).groupable


def _same(a: str, b: str) -> bool:
    if a == b:
        return True
    try:
        return Decimal(a) == Decimal(b)
    except (InvalidOperation, ValueError):
        return False


def passes(text: str | None, specs: list[str]) -> bool:
    """Whether a value (its filter text; None for blank) passes a column's value specs (in, eq,
    ne, empty, notempty): which boxes the popup shows ticked. Other specs do not tick boxes."""
    for spec in specs:
        _code, op, value = split_spec(spec)
        if op == "empty" and text is not None:
            return False
        if op == "notempty" and text is None:
            return False
        if op == "eq" and (text is None or not _same(text, value)):
            return False
        if op == "ne" and text is not None and _same(text, value):
            return False
        if op == "in" and (text is None or not any(_same(text, v.strip())
                                                    for v in value.split(","))):
            return False
    return True


class FilterKind:
    """One kind of column filter. `template` renders its condition inputs (a range, "contains"),
    `ops` are the ones that condition writes; `values` says whether the popup lists the column's
    distinct values, `periods` whether it groups dates by fiscal year, year and month."""

    def __init__(self, template: str, ops: tuple[str, ...], input_type: str = "text", *,
                 values: bool = True, periods: bool = False) -> None:
        self.template = template
        self.ops = ops
        self.input_type = input_type
        self.values = values
        self.periods = periods

    def lists(self, field: Field) -> bool:
        return self.values and lists_values(field)

    def specs(self, field: Field, data: QueryDict) -> list[str]:
        """The column's whole filter from its popup's inputs."""
        presence = data.get(input_name(field, "presence"), "")
        if presence == "empty":
            return [f"{field.code}:empty:"]
        out: list[str] = [f"{field.code}:notempty:"] if presence == "notempty" else []
        for op in self.ops:
            value = data.get(input_name(field, op), "").strip()
            if value:
                out.append(f"{field.code}:{op}:{value}")
        return _dedupe(out + self.value_specs(field, data, blank_ok=presence != "notempty"))

    def value_specs(self, field: Field, data: QueryDict, *, blank_ok: bool = True) -> list[str]:
        """The ticked values as specs. The popup's script sends the shorter side of the list:
        `pick=in` with the ticked values (`v`), or `pick=out` with the unticked ones (`u`),
        which keeps blanks and the values past a capped list, as "select all" had them."""
        code, ops = field.code, _operators(field)
        pick = data.get(input_name(field, "pick"), "")
        shown_blank = data.get(input_name(field, "hasblank")) == "1"
        blank = shown_blank and data.get(input_name(field, "blank")) == "on" and blank_ok
        if pick == "in":
            ticked = [v for v in data.getlist(input_name(field, "v")) if v != ""]
            if not ticked:
                return [f"{code}:empty:"] if blank else []
            return _positive(code, ops, ticked)
        if pick == "out":
            unticked = [v for v in data.getlist(input_name(field, "u")) if v != ""]
            out = [f"{code}:notempty:"] if shown_blank and not blank else []
            return out + [f"{code}:ne:{v}" for v in unticked]
        return []

    def initial(self, field: Field, specs: list[str]) -> dict[str, Any]:
        """The condition inputs' current values from the column's specs."""
        values: dict[str, Any] = {}
        for spec in specs:
            _code, op, value = split_spec(spec)
            if op in self.ops and op not in values:
                values[op] = value
            if op in ("empty", "notempty"):
                values["presence"] = op
        return values

    def understands(self, field: Field, specs: list[str]) -> bool:
        return all(split_spec(s)[1] in VALUE_OPS or split_spec(s)[1] in self.ops for s in specs)


def _positive(code: str, ops: frozenset[str], ticked: list[str]) -> list[str]:
    if len(ticked) == 1 and "eq" in ops:
        return [f"{code}:eq:{ticked[0]}"]
    # The API splits `in` values on commas: a value holding one cannot be listed.
    if ticked and "in" in ops and len(ticked) <= MAX_IN and not any("," in v for v in ticked):
        return [f"{code}:in:{','.join(ticked)}"]
    return []


def _dedupe(specs: list[str]) -> list[str]:
    return list(dict.fromkeys(specs))


class ContainsFilter(FilterKind):
    def __init__(self) -> None:
        super().__init__("web/filters/contains.html", ("contains",))


class RangeFilter(FilterKind):
    """Numbers and dates: the values (dates grouped into periods) and a from–to range."""

    def __init__(self, input_type: str) -> None:
        dates = input_type == "date"
        super().__init__("web/filters/range.html", ("ge", "le"), input_type,
                         values=input_type == "text" or dates, periods=dates)

    def lists(self, field: Field) -> bool:
        return not self.periods and super().lists(field)


class ExactFilter(FilterKind):
    """People, departments and links: the list of values only."""

    def __init__(self) -> None:
        super().__init__("web/filters/no_condition.html", ())


class OptionsFilter(FilterKind):
    """Choices: the values with counts; for multi-choices (not countable) the field's choices."""

    def __init__(self) -> None:
        super().__init__("web/filters/no_condition.html", ())


class ChoiceFilter(FilterKind):
    """Yes / no (the list of values), or files (only blank / not blank)."""

    def __init__(self, template: str, values: bool) -> None:
        super().__init__(template, (), values=values)


def yes_no_filter() -> ChoiceFilter:
    return ChoiceFilter("web/filters/no_condition.html", values=True)


def presence_filter() -> ChoiceFilter:
    return ChoiceFilter("web/filters/no_condition.html", values=False)


@dataclass
class ValueBox:
    """One checkbox of the popup's list: the value's filter text, how it is shown, its count."""

    text: str
    label: Any
    count: int | None
    ticked: bool
