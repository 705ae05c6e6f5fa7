"""What a column's filter popup shows: its values with counts and ticks, date periods, the
condition inputs and the links it needs, read through the gate (selectors.values)."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as default
from html import escape
from typing import Any

from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from daicho.access import AnyUser
from daicho.fields import REGISTRY
from daicho.models import Field
from daicho.selectors import values as sel
from daicho.selectors.ledgers import LedgerSchema
from daicho.web import filters as fk
from daicho.web.grid import GridState
from daicho.web.names import Names
from daicho.web.widgets import widget_for

PERIOD_KINDS = ("fy", "year", "month")


@dataclass
class Period:
    kind: str
    key: str
    start: str
    end: str
    count: int
    ticked: bool


@dataclass
class Popup:
    field: Field
    kind: fk.FilterKind
    lists: bool
    boxes: list[fk.ValueBox] = default(default_factory=list)
    blanks: int = 0
    blank_ticked: bool = True
    more: bool = False
    text: str = ""
    periods: dict[str, list[Period]] = default(default_factory=dict)
    periods_html: dict[str, SafeString] = default(default_factory=dict)
    choices: list[fk.ValueBox] = default(default_factory=list)  # multi-choice: no counts
    initial: dict[str, Any] = default(default_factory=dict)
    hidden: list[tuple[str, str]] = default(default_factory=list)
    sort_asc: str = ""
    sort_desc: str = ""
    clear_query: str = ""
    values_url: str = ""
    filtered: bool = False

    @property
    def values_html(self) -> SafeString:
        return values_html(self)


def build(user: AnyUser, schema: LedgerSchema, state: GridState, f: Field,
          text: str = "") -> Popup:
    """The popup of column `f`: its values among the records the page's other filters and
    search keep (this column's own filter left out, so a value filtered out can be ticked
    again, as in Excel)."""
    widget = widget_for(f)
    kind = widget.filter
    specs = state.filters_for(f.code)
    value_specs = [s for s in specs if fk.split_spec(s)[1] in fk.VALUE_OPS]
    ftype = REGISTRY.get(f.type)
    popup = Popup(
        field=f, kind=kind, lists=kind.lists(f), text=text, initial=kind.initial(f, specs),
        hidden=[*state.params(filters=state.filters_except(f.code)), ("fx", f.code)],
        clear_query=state.query(filters=state.filters_except(f.code)),
        values_url=reverse("web:filter_popup", args=[schema.id, f.code]) + state.query(),
        filtered=bool(specs),
    )
    if ftype is not None and ftype.sortable:
        popup.sort_asc, popup.sort_desc = state.query(sort=f.code), state.query(sort=f"-{f.code}")
    if popup.lists or kind.periods:
        found = sel.column_values(user, schema, f.code, filters=state.filters_except(f.code),
                                  search=state.q, text=text)
        popup.blanks, popup.more = found.blanks, found.more
        popup.blank_ticked = fk.passes(None, value_specs)
        names = Names(user).load_values([f], [{f.code: v} for v, _n in found.items])
        popup.boxes = [_box(f, widget, value, count, names, value_specs)
                       for value, count in _in_choice_order(f, found.items)]
        if kind.periods:
            popup.periods = _periods(found.months, popup.initial)
            popup.periods_html = {k: periods_html(rows) for k, rows in popup.periods.items()}
    elif kind.values and f.type in REGISTRY and "in" in REGISTRY[f.type].operators:
        # Multi-choices cannot be counted per value: their choices, without counts.
        names = Names()
        popup.choices = [_box(f, widget, c, None, names, value_specs)
                         for c in f.options.get("choices", [])]
    return popup


def _in_choice_order(f: Field, items: list[tuple[Any, int]]) -> list[tuple[Any, int]]:
    """A field with a list of choices lists its values in that order (others after them)."""
    choices = f.options.get("choices") if isinstance(f.options, dict) else None
    if not isinstance(choices, list):
        return items
    rank = {c: i for i, c in enumerate(choices)}
    return sorted(items, key=lambda item: rank.get(item[0], len(rank)))


def _box(f: Field, widget: Any, value: Any, count: int | None, names: Names,
         value_specs: list[str]) -> fk.ValueBox:
    text = str(value) if isinstance(value, str) else widget.text_of(f, value)
    return fk.ValueBox(text=text, label=widget.show(f, value, names) or text, count=count,
                       ticked=fk.passes(text, value_specs) if value_specs else True)


def _periods(months: list[tuple[str, int]], initial: dict[str, Any]) -> dict[str, list[Period]]:
    low, high = initial.get("ge", ""), initial.get("le", "")
    out: dict[str, list[Period]] = {}
    for kind in PERIOD_KINDS:
        rows = []
        for key, count in sel.periods(months, kind):
            start, end = sel.period_bounds(kind, key)
            ticked = bool(low or high) and (not low or start.isoformat() >= low) and \
                (not high or end.isoformat() <= high)
            rows.append(Period(kind, key, start.isoformat(), end.isoformat(), count, ticked))
        out[kind] = rows
    return out


# -- the lists as HTML --------------------------------------------------------------------------
# Built here rather than with a template loop, as the grid's rows are (daicho.web.grid): a list
# of 1,000 values cost 100–400 ms through the template engine, 2 ms this way.

def values_html(popup: Popup) -> SafeString:
    """The checkboxes of the popup's list (filters.js reads `data-filter-value`)."""
    code = escape(popup.field.code)
    parts = [f'<div class="filter-value-list" data-more="{"1" if popup.more else ""}">']
    if popup.blanks:
        parts.append(
            f'<div class="check"><input type="hidden" name="fx:{code}:hasblank" value="1">'
            f'<input type="checkbox" id="fv-blank" name="fx:{code}:blank" data-filter-value=""'
            f'{" checked" if popup.blank_ticked else ""}><label for="fv-blank">'
            f'{escape(_("(blank)"))} <span class="count">{popup.blanks:,}</span></label></div>')
    for prefix, boxes in (("fv-", popup.boxes), ("fv-c", popup.choices)):
        for n, box in enumerate(boxes, 1):
            count = f' <span class="count">{box.count:,}</span>' if box.count is not None else ""
            parts.append(
                f'<div class="check"><input type="checkbox" id="{prefix}{n}" '
                f'data-filter-value="{escape(box.text)}"{" checked" if box.ticked else ""}>'
                f'<label for="{prefix}{n}">{box.label}{count}</label></div>')
    if not popup.boxes and not popup.blanks and not popup.choices:
        empty = _("No value matches.") if popup.text else _("No values yet.")
        parts.append(f'<p class="muted small">{escape(empty)}</p>')
    if popup.more:
        parts.append('<p class="muted small filter-more">'
                     f'{escape(_("Only the first 1,000 values are listed. Search to find more."))}</p>')
    parts.append("</div>")
    # Every value is escaped above; labels are the widgets' own escaped HTML.
    return mark_safe("".join(parts))


def periods_html(rows: list[Period]) -> SafeString:
    """One period list (fiscal years, years or months) as checkboxes."""
    parts = []
    for p in rows:
        if p.kind == "fy":
            label = _("FY %(year)s") % {"year": p.key}
        elif p.kind == "year":
            label = _("Year %(year)s") % {"year": p.key}
        else:
            label = p.key
        ident = escape(f"fp-{p.kind}-{p.key}")
        parts.append(
            f'<div class="check"><input type="checkbox" id="{ident}" data-start="{p.start}" '
            f'data-end="{p.end}"{" checked" if p.ticked else ""}><label for="{ident}">'
            f'{escape(label)} <span class="count">{p.count:,}</span></label></div>')
    if not parts:
        parts.append(f'<p class="muted small">{escape(_("No dates yet."))}</p>')
    return mark_safe("".join(parts))  # every value is escaped above
