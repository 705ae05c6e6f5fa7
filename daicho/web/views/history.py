"""A record's history (who, when, old → new per field; revert) and the ledger's trash."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from daicho import access
from daicho.errors import DaichoError
from daicho.fields.context import ValueContext
from daicho.selectors import records as sel
from daicho.selectors.ledgers import STATUS_CODE, field_names, status_field
from daicho.services import audit
from daicho.services import records as svc
from daicho.web import comments as comment_views
from daicho.web import grid
from daicho.web.names import Names
from daicho.web.views.common import page
from daicho.web.widgets import safe_show, widget_for

ACTIONS = {
    "create": gettext_lazy("Created"), "update": gettext_lazy("Changed"),
    "delete": gettext_lazy("Moved to the trash"), "restore": gettext_lazy("Restored"),
    "import": gettext_lazy("Imported"), "revert": gettext_lazy("Reverted"),
    "status": gettext_lazy("Status changed"),
}


@dataclass
class Change:
    name: str
    old: SafeString
    new: SafeString
    old_empty: bool
    new_empty: bool
    lines: list[SafeString] = field(default_factory=list)  # a subtable's rows, line by line


@dataclass
class Entry:
    revision: int
    at: dt.datetime
    by: str
    action: str
    changes: list[Change]


def _entries(viewer: Any, items: list[dict[str, Any]], fields: dict[str, Any]) -> list[Entry]:
    kinds = {code: widget_for(f).names for code, f in fields.items()}
    looked_up: dict[str, list[Any]] = {"user": [i["by"] for i in items], "org": []}
    links: dict[str, list[Any]] = {}
    for item in items:
        for code, change in item["changes"].items():
            kind = kinds.get(code)
            if kind == "link":
                links.setdefault(code, []).extend([change.get("old"), change.get("new")])
            elif kind:
                looked_up[kind] += [change.get("old"), change.get("new")]
    names = Names(viewer).load(looked_up["user"], looked_up["org"])
    for code, ids in links.items():
        names.load_links(fields[code], ids)
    out = []
    for item in items:
        changes = []
        for code, change in item["changes"].items():
            f = fields.get(code)
            if f is None:
                continue
            old, new = change.get("old"), change.get("new")
            changes.append(Change(f.name, safe_show(f, old, names), safe_show(f, new, names),
                                  old in (None, "", []), new in (None, "", []),
                                  widget_for(f).change_lines(f, change, names)))
        out.append(Entry(item["revision"], dt.datetime.fromisoformat(item["at"]),
                         names.user(item["by"]) or _("(system)"),
                         str(ACTIONS.get(item["action"], item["action"])), changes))
    return out


def _with_status(fields: dict[str, Any], schema: Any) -> dict[str, Any]:
    """A process action's entry names the status (contract §8), which is no field."""
    fields.setdefault(STATUS_CODE, status_field(schema.ledger))
    return fields


@page
def record_history(request: HttpRequest, ledger_id: int, record_id: int) -> HttpResponse:
    schema = access.ledger_for(request.user, ledger_id, "view")
    items = svc.history(user=request.user, schema=schema, record_id=record_id)
    row = sel.get_row(request.user, schema, record_id, include_deleted=True)
    record = sel.records_json(schema, [row], ValueContext())[0]
    audit.viewed(request, schema, record_id=row.id)
    entries = _entries(request.user, items, _with_status(field_names(schema), schema))
    return render(request, "web/history.html", {
        "schema": schema, "ledger": schema.ledger, "record": record, "deleted": row.deleted,
        "title": grid.record_title(schema, record),
        "entries": comment_views.timeline(request.user, schema, row.id, entries),
        "latest": entries[0].revision if entries else None,
        "can_edit": access.has_right(request.user, schema.ledger, "edit") and not row.deleted,
    })


@page
@require_POST
def record_revert(request: HttpRequest, ledger_id: int, record_id: int) -> HttpResponse:
    schema = access.screen_for(request.user, ledger_id, "edit")
    try:
        to_revision = int(request.POST.get("to_revision", ""))
    except ValueError:
        to_revision = 0
    try:
        saved = svc.revert_record(user=request.user, schema=schema, record_id=record_id,
                                  to_revision=to_revision)
    except DaichoError as exc:
        messages.error(request, exc.message)
        return redirect("web:history", schema.id, record_id)
    messages.success(request, _("The record now has the values of revision %(n)d again "
                                "(saved as revision %(new)d).")
                     % {"n": to_revision, "new": saved["revision"]})
    return redirect("web:history", schema.id, record_id)


@page
def trash(request: HttpRequest, ledger_id: int) -> HttpResponse:
    schema = access.ledger_for(request.user, ledger_id, "view")
    ctx = ValueContext()
    after = request.GET.get("after", "")[:4000] or None
    try:
        result = sel.list_records(request.user, schema, deleted=True, limit=50, cursor=after,
                                  ctx=ctx)
    except DaichoError as exc:
        messages.error(request, exc.message)
        result = sel.Page([], None, None)
    audit.viewed(request, schema)
    records = sel.records_json(schema, result.rows, ctx)
    columns = schema.fields[:4]
    names = Names(request.user).load_values(columns, [r["values"] for r in records],
                                [r["updated_by"] for r in records])
    rows = grid.grid_rows(schema, columns, records, names)
    return render(request, "web/trash.html", {
        "schema": schema, "ledger": schema.ledger, "columns": columns,
        "rows": [(row, record, names.user(record["updated_by"]),
                  dt.datetime.fromisoformat(record["updated_at"]))
                 for row, record in zip(rows, records, strict=True)],
        "next_cursor": result.next_cursor,
        "can_restore": access.has_right(request.user, schema.ledger, "delete"),
    })
