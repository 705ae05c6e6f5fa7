"""What the list page template needs beyond the rows: headers with their sort links and filter
forms, the active filters as chips, paging and export links, saved views and the column chooser."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.urls import reverse

from daicho.fields import REGISTRY
from daicho.models import Field
from daicho.selectors.ledgers import LedgerSchema
from daicho.web import filters as fk
from daicho.web.grid import (
    DEFAULT_FROZEN,
    DEFAULT_LIMIT,
    GridState,
    PageResult,
    column_field,
    grid_columns,
    is_pseudo,
    visible_fields,
)
from daicho.web.models import MAX_FROZEN, ROW_HEIGHTS
from daicho.web.names import Names
from daicho.web.widgets import Widget, editor_spec, widget_for


@dataclass
class Header:
    field: Field
    widget: Widget
    sortable: bool
    sort_query: str
    aria_sort: str
    filter_url: str
    filtered: bool
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


def headers(schema: LedgerSchema, state: GridState, columns: list[Field],
            read_only: frozenset[str] = frozenset()) -> list[Header]:
    """The column headers; `read_only`: codes a field rule keeps this user from writing."""
    out = []
    query = state.query()
    for f in columns:
        w = widget_for(f)
        next_sort, aria = _next_sort(state, f.code)
        out.append(Header(
            field=f, widget=w, sortable=REGISTRY[f.type].sortable if f.type in REGISTRY else False,
            sort_query=state.query(sort=next_sort), aria_sort=aria,
            filter_url=reverse("web:filter_popup", args=[schema.id, f.code]) + query,
            filtered=bool(state.filters_for(f.code)),
            editor=editor_spec(f, f.code in read_only or is_pseudo(schema, f)),
            width=state.widths.get(f.code),
        ))
    return out


@dataclass
class Chip:
    text: str
    remove_query: str


def _named(f: Field, op: str, value: str, names: Names | None) -> str:
    """A filter value on a user, department or link column as the names it stands for."""
    widget = widget_for(f)
    if names is None or not widget.names or op not in ("eq", "ne", "in"):
        return value
    return ",".join(widget.label(f, v, names) or v for v in value.split(","))


def chips(schema: LedgerSchema, state: GridState, names: Names | None = None) -> list[Chip]:
    """One removable chip per filter; a column's from–to pair that is exactly a fiscal year,
    a year or a month is one chip (「日付: 2024年度」) that removes both."""
    out = []
    done: set[str] = set()
    for spec in state.filters:
        if spec in done:
            continue
        code, op, value = fk.split_spec(spec)
        f = column_field(schema, code)
        gone = [spec]
        text = fk.describe(f, op, _named(f, op, value, names)) if f is not None else spec
        if f is not None and op == "ge":
            ends = [s for s in state.filters_for(code) if fk.split_spec(s)[1] == "le"]
            period = fk.describe_period(f, value, fk.split_spec(ends[0])[2]) if ends else None
            if period:
                text, gone = period, [spec, ends[0]]
        done.update(gone)
        out.append(Chip(text, state.query(filters=[s for s in state.filters if s not in gone])))
    return out


def export_links(schema: LedgerSchema, state: GridState) -> list[tuple[str, str]]:
    """(label key, URL) of the export endpoint (contract §4.3) for what the page shows."""
    base = f"/api/v1/ledgers/{schema.id}/export?"
    query = [("filter", s) for s in state.filters] + ([("q", state.q)] if state.q else [])
    links = [
        ("xlsx", base + urlencode([("format", "xlsx"), *query])),
        ("csv", base + urlencode([("format", "csv"), *query])),
        ("csv_cp932", base + urlencode([("format", "csv"), ("encoding", "cp932"), *query])),
    ]
    if any(schema.type_of(f).line_columns(f) for f in schema.fields):
        # Detail rows: the same files with one row per detail line (docs/api.md, `detail`).
        links += [("xlsx_lines", base + urlencode([("format", "xlsx"), ("detail", "lines"),
                                                  *query])),
                  ("csv_lines", base + urlencode([("format", "csv"), ("detail", "lines"),
                                                 *query]))]
    return links


def column_choices(schema: LedgerSchema, state: GridState) -> list[tuple[Field, bool]]:
    shown = visible_fields(schema, state)
    hidden = [f for f in grid_columns(schema) if f.code not in state.columns]
    return [(f, True) for f in shown] + [(f, False) for f in hidden]


def paging(ledger_url: str, state: GridState, result: PageResult,
           rows_url: str = "") -> dict[str, str]:
    """The paging links; "rows": where the continuous scroll reads the rows after this page."""
    links = {}
    if result.next_cursor:
        links["next"] = ledger_url + state.query(paging=True, after=result.next_cursor, before="")
        if rows_url:
            links["rows"] = rows_url + state.query(paging=True, after=result.next_cursor,
                                                   before="")
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
        "layout": state.params(frozen=DEFAULT_FROZEN, row_height="normal"),
        "group": state.params(group=""),
    }


def layout_choices(state: GridState, columns: list[Field]) -> dict[str, object]:
    """The choices of the layout menu: how many columns to freeze (named by the last one frozen)
    and the row heights."""
    return {"frozen": [(n, columns[n - 1].name if n else "") for n in
                       range(0, min(MAX_FROZEN, len(columns)) + 1)],
            "heights": ROW_HEIGHTS}


def urls(schema: LedgerSchema) -> dict[str, str]:
    lid = schema.id
    return {
        "ledger": reverse("web:ledger", args=[lid]),
        "save": reverse("web:grid_save", args=[lid]),
        "set_field": reverse("web:grid_set_field", args=[lid]),
        "totals": reverse("web:totals", args=[lid]),
        "rows": reverse("web:grid_rows", args=[lid]),
        "live": reverse("web:live", args=[lid]),
        "subtotals": reverse("web:subtotals", args=[lid]),
        "chart": reverse("web:chart", args=[lid]),
        "new": reverse("web:record_new", args=[lid]),
        "trash": reverse("web:trash", args=[lid]),
        "fields": reverse("web:fields", args=[lid]),
        "save_view": reverse("web:view_save", args=[lid]),
        "api_records": f"/api/v1/ledgers/{lid}/records",
    }
