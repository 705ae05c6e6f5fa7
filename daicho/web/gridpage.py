"""What the list page template needs beyond the rows: headers with their sort links and filter
forms, the active filters as chips, paging and export links, saved views and the column chooser."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse

from daicho.fields import REGISTRY
from daicho.models import Field
from daicho.selectors.ledgers import LedgerSchema
from daicho.web import filters as fk
from daicho.web.grid import DEFAULT_LIMIT, GridState, PageResult
from daicho.web.widgets import Widget, editor_spec, widget_for


@dataclass
class Header:
    field: Field
    widget: Widget
    sortable: bool
    sort_query: str
    aria_sort: str
    filter_values: dict[str, Any]
    filter_hidden: list[tuple[str, str]]
    filtered: bool
    clear_query: str
    editor: str
    width: int | None


def _next_sort(state: GridState, code: str) -> tuple[str, str]:
    """(the sort a click on the header asks for, aria-sort now): ascending → descending → none."""
    first = state.sort.split(",")[0] if state.sort else ""
    if first == code:
        return f"-{code}", "ascending"
    if first == f"-{code}":
        return "", "descending"
    return code, "none"


def headers(state: GridState, columns: list[Field],
            read_only: frozenset[str] = frozenset()) -> list[Header]:
    """The column headers; `read_only`: codes a field rule keeps this user from writing."""
    out = []
    for f in columns:
        w = widget_for(f)
        next_sort, aria = _next_sort(state, f.code)
        specs = state.filters_for(f.code)
        values = w.filter.values(f, specs) if specs else {}
        # fx=CODE: this form edits the column's whole filter (what it cannot show, e.g. an
        # operator typed into an API URL, is replaced when it is applied).
        hidden = [*state.params(filters=state.filters_except(f.code)), ("fx", f.code)]
        out.append(Header(
            field=f, widget=w, sortable=REGISTRY[f.type].sortable if f.type in REGISTRY else False,
            sort_query=state.query(sort=next_sort), aria_sort=aria, filter_values=values,
            filter_hidden=hidden, filtered=bool(specs),
            clear_query=state.query(filters=state.filters_except(f.code)),
            editor=editor_spec(f, f.code in read_only),
            width=state.widths.get(f.code),
        ))
    return out


@dataclass
class Chip:
    text: str
    remove_query: str


def chips(schema: LedgerSchema, state: GridState) -> list[Chip]:
    out = []
    for spec in state.filters:
        code, op, value = fk.split_spec(spec)
        f = schema.by_code.get(code)
        text = fk.describe(f, op, value) if f is not None else spec
        out.append(Chip(text, state.query(filters=[s for s in state.filters if s != spec])))
    return out


def export_links(schema: LedgerSchema, state: GridState) -> list[tuple[str, str]]:
    """(label key, URL) of the export endpoint (contract §4.3) for what the page shows."""
    base = f"/api/v1/ledgers/{schema.id}/export?"
    query = [("filter", s) for s in state.filters] + ([("q", state.q)] if state.q else [])
    return [
        ("xlsx", base + urlencode([("format", "xlsx"), *query])),
        ("csv", base + urlencode([("format", "csv"), *query])),
        ("csv_cp932", base + urlencode([("format", "csv"), ("encoding", "cp932"), *query])),
    ]


def column_choices(schema: LedgerSchema, state: GridState) -> list[tuple[Field, bool]]:
    shown = [schema.by_code[c] for c in state.columns if c in schema.by_code]
    hidden = [f for f in schema.fields if f.code not in state.columns]
    return [(f, True) for f in shown] + [(f, False) for f in hidden]


def paging(ledger_url: str, state: GridState, result: PageResult) -> dict[str, str]:
    links = {}
    if result.next_cursor:
        links["next"] = ledger_url + state.query(paging=True, after=result.next_cursor, before="")
    if result.prev_cursor:
        links["prev"] = ledger_url + state.query(paging=True, before=result.prev_cursor, after="")
    if state.after or state.before:
        links["first"] = ledger_url + state.query()
    return links


def hidden_inputs(state: GridState) -> dict[str, list[tuple[str, str]]]:
    """The state as hidden inputs for each of the page's small GET forms, minus what it sets."""
    return {
        "search": state.params(q=""),
        "limit": state.params(limit=DEFAULT_LIMIT),
        "columns": state.params(all_columns=True),
        "state": state.params(),
    }




def urls(schema: LedgerSchema) -> dict[str, str]:
    lid = schema.id
    return {
        "ledger": reverse("web:ledger", args=[lid]),
        "save": reverse("web:grid_save", args=[lid]),
        "set_field": reverse("web:grid_set_field", args=[lid]),
        "totals": reverse("web:totals", args=[lid]),
        "chart": reverse("web:chart", args=[lid]),
        "new": reverse("web:record_new", args=[lid]),
        "trash": reverse("web:trash", args=[lid]),
        "fields": reverse("web:fields", args=[lid]),
        "save_view": reverse("web:view_save", args=[lid]),
        "api_records": f"/api/v1/ledgers/{lid}/records",
    }
