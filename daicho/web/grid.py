"""The ledger list page's state (columns, sort, filters, search, paging) and its rows.

The state lives in the URL in the API's own syntax (filter=CODE:OP:VALUE, sort=-CODE, q=…) so
every link, saved view and export button carries the same query. Paging is by keyset cursor in
both directions: "previous" reads the page before the first row with the sort reversed, so no
page ever needs OFFSET or a COUNT(*), whatever the size of the ledger.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from html import escape
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import QueryDict
from django.urls import reverse
from django.utils.safestring import SafeString

from daicho.access import AnyUser
from daicho.fields.context import ValueContext
from daicho.models import Field
from daicho.selectors import records as sel
from daicho.selectors.ledgers import STATUS_CODE, LedgerSchema, status_field
from daicho.web import groups, saved_views
from daicho.web.filters import split_spec
from daicho.web.models import SavedView
from daicho.web.names import Names
from daicho.web.widgets import Widget, widget_for

PAGE_SIZES = (25, 50, 100, 200, 500, 1000)
DEFAULT_LIMIT = 50
DEFAULT_FROZEN = 1  # the first shown column (the title, as a rule) stays when scrolling sideways


@dataclass
class GridState:
    columns: list[str]
    sort: str = ""
    filters: list[str] = field(default_factory=list)
    q: str = ""
    limit: int = DEFAULT_LIMIT
    after: str = ""
    before: str = ""
    view_id: int | None = None
    widths: dict[str, int] = field(default_factory=dict)
    all_columns: bool = True
    frozen: int = DEFAULT_FROZEN
    row_height: str = "normal"
    group: str = ""  # the grouping's spec (daicho.web.groups); "" = none
    row_sort: str = ""  # the sort the rows are read in: `sort`, the grouped field first

    def params(self, *, paging: bool = False, **changes: Any) -> list[tuple[str, str]]:
        """The query parameters that reproduce this state (s=1: the state is complete)."""
        state = replace(self, **changes) if changes else self
        out: list[tuple[str, str]] = [("s", "1")]
        if state.view_id:
            out.append(("view", str(state.view_id)))
        if not state.all_columns:
            out.append(("cols", ",".join(state.columns)))
        if state.sort:
            out.append(("sort", state.sort))
        out += [("filter", spec) for spec in state.filters]
        if state.q:
            out.append(("q", state.q))
        if state.limit != DEFAULT_LIMIT:
            out.append(("limit", str(state.limit)))
        if state.frozen != DEFAULT_FROZEN:
            out.append(("frozen", str(state.frozen)))
        if state.row_height != "normal":
            out.append(("rh", state.row_height))
        if state.group:
            out.append(("group", state.group))
        if paging and state.after:
            out.append(("after", state.after))
        if paging and state.before:
            out.append(("before", state.before))
        return out

    def query(self, *, paging: bool = False, **changes: Any) -> str:
        return "?" + urlencode(self.params(paging=paging, **changes))

    def filters_for(self, code: str) -> list[str]:
        return [s for s in self.filters if split_spec(s)[0] == code]

    def filters_except(self, code: str) -> list[str]:
        return [s for s in self.filters if split_spec(s)[0] != code]

    @property
    def filtered(self) -> bool:
        return bool(self.filters or self.q)


def status_column(schema: LedgerSchema) -> Field | None:
    """The read-only 「ステータス」 column of a ledger with a process (contract §8): the pseudo
    field `status`, its statuses as its list of values (the filter popup's order)."""
    if schema.process is None:
        return None
    found = status_field(schema.ledger)
    found.options = {"choices": list(schema.process.get("statuses", []))}
    return found


def grid_columns(schema: LedgerSchema) -> list[Field]:
    """Every column the grid can show: the fields the person may see, then the status."""
    status = status_column(schema)
    return [*schema.fields, status] if status is not None else list(schema.fields)


def column_field(schema: LedgerSchema, code: str) -> Field | None:
    """The field a column code names: a visible field, or `status` with a process."""
    found = schema.by_code.get(code)
    if found is None and code == STATUS_CODE:
        return status_column(schema)
    return found


def is_pseudo(schema: LedgerSchema, f: Field) -> bool:
    """A column no writer sets (the status): read-only in the grid."""
    return f.code in schema.pseudo and f.code not in schema.by_code


def known_columns(schema: LedgerSchema, text: str | list[str]) -> list[str]:
    codes = text.split(",") if isinstance(text, str) else text
    known = {f.code for f in grid_columns(schema)}
    return [c for c in dict.fromkeys(codes) if c in known]


def parse_state(data: QueryDict, schema: LedgerSchema, view: SavedView | None) -> GridState:
    """The state a request asks for: a saved view's settings unless the URL states them all."""
    everything = [f.code for f in grid_columns(schema)]
    state = GridState(columns=everything)
    if view is not None:
        state.view_id = view.id
        state.widths = {k: int(v) for k, v in (view.widths or {}).items()
                        if k in everything and isinstance(v, int | float)}
        if data.get("s") != "1":
            cols = known_columns(schema, view.columns or [])
            if cols:
                state.columns, state.all_columns = cols, False
            state.sort = view.sort
            state.filters = list(view.filters or [])
            state.q = view.search
            state.frozen, state.row_height = view.frozen, view.row_height
            state.group = view.group_by
    if data.get("s") == "1":
        cols = known_columns(schema, data.getlist("col") or data.get("cols", ""))
        if cols:
            state.columns, state.all_columns = cols, False
        state.sort = data.get("sort", "")[:400]
        state.filters = data.getlist("filter")[:50]
        state.q = data.get("q", "")[:1000]
        layout = saved_views.layout({"frozen": _int(data.get("frozen"), DEFAULT_FROZEN),
                                     "row_height": data.get("rh", "normal")})
        state.frozen, state.row_height = layout["frozen"], layout["row_height"]
        state.group = data.get("group", "")[:80]
    # fx=CODE marks the columns whose filter form was submitted: their inputs replace their specs.
    for code in data.getlist("fx"):
        f = column_field(schema, code)
        if f is not None:
            state.filters = state.filters_except(code) + widget_for(f).filter.specs(f, data)
    limit = _int(data.get("limit"), DEFAULT_LIMIT)
    state.limit = limit if limit in PAGE_SIZES else DEFAULT_LIMIT
    state.after = data.get("after", "")[:4000]
    state.before = "" if state.after else data.get("before", "")[:4000]
    grouping = groups.parse(schema, state.group)
    state.group = grouping.spec if grouping else ""
    state.row_sort = groups.row_sort(grouping, state.sort)
    return state


def _int(text: str | None, default: int) -> int:
    try:
        return int(text) if text is not None else default
    except ValueError:
        return default


def reverse_sort(sort: str) -> str:
    specs = [s.strip() for s in sort.split(",") if s.strip()] or ["id"]
    return ",".join(s[1:] if s.startswith("-") else f"-{s}" for s in specs)


def cursor_for(schema: LedgerSchema, sort: str, row: sel.Row) -> str:
    """The cursor that starts right after `row` in the order of `sort`."""
    keys = sel.parse_sort(schema, sort or None)
    values = [row.raw[k.field.code] if k.field is not None else getattr(row, k.column)
              for k in keys]
    return sel.encode_cursor(keys, schema, values)


@dataclass
class PageResult:
    rows: list[sel.Row]
    next_cursor: str | None
    prev_cursor: str | None
    total: int | None


def _read(user: AnyUser, schema: LedgerSchema, state: GridState, ctx: ValueContext, *,
          sort: str | None, cursor: str | None) -> sel.Page:
    """One page of `state.limit` rows. The API's selector reads at most MAX_PAGE_SIZE (500) rows
    at a time; a page of 1,000 is two keyset reads, the second from the first one's cursor."""
    step = settings.DAICHO["MAX_PAGE_SIZE"]
    common: dict[str, Any] = {"filters": state.filters, "search": state.q, "ctx": ctx,
                              "sort": sort}
    first = page = sel.list_records(user, schema, cursor=cursor, limit=min(state.limit, step),
                                    **common)
    rows = list(page.rows)
    while page.next_cursor and len(rows) < state.limit:
        page = sel.list_records(user, schema, cursor=page.next_cursor,
                                limit=min(state.limit - len(rows), step), **common)
        rows += page.rows
    return sel.Page(rows, page.next_cursor, first.total) if page is not first else first


def fetch_page(user: AnyUser, schema: LedgerSchema, state: GridState,
               ctx: ValueContext) -> PageResult:
    sort = state.row_sort or state.sort
    if state.before:
        back = _read(user, schema, state, ctx, sort=reverse_sort(sort), cursor=state.before)
        rows = list(reversed(back.rows))
        if back.next_cursor is None and len(rows) < state.limit:
            # Walked back to the start: show a full first page rather than a short one.
            first = _read(user, schema, state, ctx, sort=sort or None, cursor=None)
            return PageResult(first.rows, first.next_cursor, None, first.total)
        next_cursor = cursor_for(schema, sort, rows[-1]) if rows else None
        prev_cursor = cursor_for(schema, reverse_sort(sort), rows[0]) \
            if back.next_cursor and rows else None
        return PageResult(rows, next_cursor, prev_cursor, back.total)
    page = _read(user, schema, state, ctx, sort=sort or None, cursor=state.after or None)
    prev_cursor = cursor_for(schema, reverse_sort(sort), page.rows[0]) \
        if state.after and page.rows else None
    return PageResult(page.rows, page.next_cursor, prev_cursor, page.total)


# -- rows ---------------------------------------------------------------------------------------

@dataclass
class Cell:
    code: str
    html: SafeString
    text: str
    numeric: bool
    label: str = ""  # the name or title a picker column's editor starts from
    td: str = ""  # the cell's <td>: every value in it escaped, or a widget's escaped HTML

    @classmethod
    def of(cls, f: Field, w: Widget, value: Any, names: Names) -> Cell:
        html, text = w.show(f, value, names), w.text_of(f, value)
        label = (w.label(f, text, names) or "") if w.names and text else ""
        # The standard library's escape: Django's format_html/conditional_escape cost more
        # than the database on a 50-row page.
        return cls(f.code, html, text, w.numeric, label,
                   f'<td data-code="{escape(f.code)}" data-text="{escape(text)}"'
                   f'{label_attribute(label)}{NUMERIC if w.numeric else ""}>{html}</td>')


@dataclass
class GridRow:
    id: int
    revision: int
    cells: list[Cell]
    title: str
    href: str = ""

    @property
    def html(self) -> SafeString:
        """The <tr> of the grid. Built here rather than by a template include per row: on a page
        of 200 rows × 30 columns the include machinery cost more than the database."""
        cells = "".join(c.td for c in self.cells)
        return SafeString(  # every value above is escaped, or is a widget's escaped HTML
            f'<tr data-id="{int(self.id)}" data-revision="{int(self.revision)}">'
            f'<th scope="row" class="rowhead"><a href="{escape(self.href)}" '
            f'title="{escape(self.title)}">{int(self.id)}</a></th>{cells}</tr>')


NUMERIC = SafeString(' class="num"')


def label_attribute(label: str) -> str:
    return f' data-label="{escape(label)}"' if label else ""


def title_field(schema: LedgerSchema) -> Field | None:
    """The first field whose value can name a record (the 「タイトル」 of kintone)."""
    return next((f for f in schema.fields if widget_for(f).titled), None)


def record_title(schema: LedgerSchema, record: dict[str, Any]) -> str:
    return _title(record, title_field(schema))


def _title(record: dict[str, Any], f: Field | None) -> str:
    value = record["values"].get(f.code) if f is not None else None
    return str(value) if value not in (None, "") else f"#{record['id']}"


def grid_rows(schema: LedgerSchema, columns: Sequence[Field], records: list[dict[str, Any]],
              names: Names) -> list[GridRow]:
    """The rows of the grid. A column's cell is drawn once per distinct value on the page and
    reused (choices, departments, dates, yes/no repeat): a page of 1,000 rows × 12 columns drew
    12,000 cells, most of them again."""
    drawn: list[tuple[Field, Widget, dict[Any, Cell]]] = [(f, widget_for(f), {}) for f in columns]
    pseudo = {f.code for f in columns if is_pseudo(schema, f)}  # the status: beside the values
    title = title_field(schema)
    base = reverse("web:ledger", args=[schema.id]) + "records/"
    out = []
    for record in records:
        values = record["values"]
        cells = []
        for f, w, memo in drawn:
            value = record.get(f.code) if f.code in pseudo else values.get(f.code)
            try:
                key: Any = (type(value), value)
                cell = memo.get(key)
            except TypeError:  # a list or a dict (several choices, files): drawn each time
                key, cell = None, None
            if cell is None:
                cell = Cell.of(f, w, value, names)
                if key is not None:
                    memo[key] = cell
            cells.append(cell)
        out.append(GridRow(record["id"], record["revision"], cells,
                           _title(record, title), f"{base}{record['id']}/"))
    return out


def visible_fields(schema: LedgerSchema, state: GridState) -> list[Field]:
    found = (column_field(schema, c) for c in state.columns)
    return [f for f in found if f is not None]
