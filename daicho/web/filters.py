"""Per-column filters of the grid, by kind: the form a column's filter popover shows, and how its
inputs become filter specs in the API's own syntax (CODE:OP:VALUE), and back for pre-filling.

A widget (daicho.web.widgets) picks the kind that fits its field type; nothing here knows types.
Inputs are named fx:CODE:OP so one GET form can carry the filters of several columns.
"""

from __future__ import annotations

from typing import Any

from django.http import QueryDict
from django.utils.translation import gettext as _

from daicho.models import Field


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


class FilterKind:
    """One kind of column filter. `template` renders the inputs; `ops` are the ones it writes."""

    def __init__(self, template: str, ops: tuple[str, ...], input_type: str = "text") -> None:
        self.template = template
        self.ops = ops
        self.input_type = input_type

    def specs(self, field: Field, data: QueryDict) -> list[str]:
        out = []
        for op in self.ops:
            value = data.get(input_name(field, op), "").strip()
            if value:
                out.append(f"{field.code}:{op}:{value}")
        return out

    def values(self, field: Field, specs: list[str]) -> dict[str, Any]:
        """The inputs' current values from the specs this kind can show; None if it cannot."""
        values: dict[str, Any] = {}
        for spec in specs:
            _code, op, value = split_spec(spec)
            if op not in self.ops or op in values:
                return {}
            values[op] = value
        return values

    def understands(self, field: Field, specs: list[str]) -> bool:
        return bool(self.values(field, specs)) or not specs


class ContainsFilter(FilterKind):
    def __init__(self) -> None:
        super().__init__("web/filters/contains.html", ("contains",))


class RangeFilter(FilterKind):
    def __init__(self, input_type: str) -> None:
        super().__init__("web/filters/range.html", ("ge", "le"), input_type)


class ExactFilter(FilterKind):
    def __init__(self) -> None:
        super().__init__("web/filters/exact.html", ("eq",))


class OptionsFilter(FilterKind):
    """Checkboxes of a field's choices; several ticked = any of them (op `in`)."""

    def __init__(self) -> None:
        super().__init__("web/filters/options.html", ("in",))

    def specs(self, field: Field, data: QueryDict) -> list[str]:
        picked = [v for v in data.getlist(input_name(field, "in")) if v]
        # The API splits `in` values on commas, so a choice that holds one cannot be listed.
        picked = [v for v in picked if "," not in v]
        return [f"{field.code}:in:{','.join(picked)}"] if picked else []

    def values(self, field: Field, specs: list[str]) -> dict[str, Any]:
        if len(specs) != 1:
            return {}
        _code, op, value = split_spec(specs[0])
        if op == "in":
            return {"in": value.split(",")}
        if op in ("eq", "contains"):
            return {"in": [value]}
        return {}


class ChoiceFilter(FilterKind):
    """A choice among fixed spec values, e.g. yes / no or has a file / has none."""

    def __init__(self, template: str, options: tuple[tuple[str, str], ...]) -> None:
        super().__init__(template, ("choice",))
        self.options = options

    def specs(self, field: Field, data: QueryDict) -> list[str]:
        wanted = data.get(input_name(field, "choice"), "")
        for key, spec in self.options:
            if key == wanted:
                return [f"{field.code}:{spec}"]
        return []

    def values(self, field: Field, specs: list[str]) -> dict[str, Any]:
        if len(specs) != 1:
            return {}
        _code, _sep, rest = specs[0].partition(":")
        for key, spec in self.options:
            if rest == spec:
                return {"choice": key}
        return {}


def yes_no_filter() -> ChoiceFilter:
    return ChoiceFilter("web/filters/yesno.html", (("yes", "eq:true"), ("no", "eq:false"),
                                                   ("blank", "empty:")))


def presence_filter() -> ChoiceFilter:
    return ChoiceFilter("web/filters/presence.html", (("has", "notempty:"), ("blank", "empty:")))
