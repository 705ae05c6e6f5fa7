"""A column's filter popup (the grid's autofilter), fetched by filters.js when its header button
is pressed; `part=values` answers only the list of values, for the popup's search box."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from daicho import access
from daicho.errors import InvalidInput, NotFound
from daicho.web import filterpopup, grid, saved_views
from daicho.web.views.common import page
from daicho.web.widgets import widget_for


@page
def filter_popup(request: HttpRequest, ledger_id: int, code: str) -> HttpResponse:
    schema = access.ledger_for(request.user, ledger_id, "view")
    f = grid.column_field(schema, code)  # a field, or the status of a process
    if f is None:  # a hidden field answers as one that does not exist
        raise NotFound()
    view = saved_views.view_for(request.user, schema, request.GET.get("view"))
    state = grid.parse_state(request.GET, schema, view)
    text = request.GET.get("text", "").strip()[:200]
    error = ""
    try:
        popup = filterpopup.build(request.user, schema, state, f, text)
    except InvalidInput as exc:  # another column's filter in the URL that does not fit
        popup = filterpopup.Popup(field=f, kind=widget_for(f).filter, lists=False)
        error = exc.message
    template = "web/filters/values.html" if request.GET.get("part") == "values" \
        else "web/filters/popup.html"
    return render(request, template, {
        "popup": popup, "field": f, "error": error,
        "ledger_url": reverse("web:ledger", args=[schema.id]),
    })
