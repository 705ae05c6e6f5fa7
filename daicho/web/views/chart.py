"""Charts of a view: bar, pie or line over a group-by, drawn as SVG by daicho.web.charts."""

from __future__ import annotations

import html
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.html import strip_tags
from django.utils.translation import gettext as _

from daicho import access
from daicho.errors import InvalidInput
from daicho.fields import REGISTRY
from daicho.selectors import records as sel
from daicho.selectors.ledgers import LedgerSchema
from daicho.services import audit
from daicho.web import charts, grid, gridpage, queries
from daicho.web.names import Names
from daicho.web.views.common import page
from daicho.web.widgets import widget_for


def _metrics(schema: LedgerSchema) -> list[tuple[str, str]]:
    out = [("count", _("Number of records"))]
    labels = {"sum": _("Sum of %(name)s"), "avg": _("Average of %(name)s"),
              "min": _("Minimum of %(name)s"), "max": _("Maximum of %(name)s")}
    for f in schema.fields:
        if f.type in REGISTRY and REGISTRY[f.type].summable:
            out += [(f"{m}:{f.code}", label % {"name": f.name}) for m, label in labels.items()]
    return out


def _label(schema: LedgerSchema, group_by: str, key: Any, names: Names) -> str:
    if key is None or key == "":
        return _("(blank)")
    f = schema.by_code[group_by]
    return html.unescape(strip_tags(str(widget_for(f).show(f, key, names))))


@page
def chart(request: HttpRequest, ledger_id: int) -> HttpResponse:
    schema = access.ledger_for(request.user, ledger_id, "view")
    view = queries.view_for(request.user, schema, request.GET.get("view"))
    state = grid.parse_state(request.GET, schema, view)
    saved = view.chart if view and view.chart else {}
    groupable = [f for f in schema.fields if f.type in REGISTRY and REGISTRY[f.type].groupable]
    kind = request.GET.get("kind") or saved.get("kind") or "bar"
    # By default group by the first field with choices (区分, 状態 …): a unique code would
    # give one group per record.
    preferred = [f for f in groupable if f.options.get("choices")] + \
        [f for f in groupable if not f.unique]
    group_by = request.GET.get("group_by") or saved.get("group_by") or \
        (preferred[0].code if preferred else "")
    metric = request.GET.get("metric") or saved.get("metric") or "count"
    metrics = dict(_metrics(schema))
    error, svg, points = "", None, []
    if group_by:
        try:
            groups = sel.aggregate(request.user, schema, group_by=group_by, metric=metric,
                                   filters=state.filters, search=state.q)
        except InvalidInput as exc:
            error, groups = exc.message, []
        audit.viewed(request, schema)
        f = schema.by_code.get(group_by)
        names = Names(request.user).load_values([f] if f else [], [{group_by: g["key"]} for g in groups])
        points = [charts.Point(_label(schema, group_by, g["key"], names), float(g["value"] or 0))
                  for g in groups]
        title = _("%(metric)s by %(field)s") % {
            "metric": metrics.get(metric, metric), "field": f.name if f else group_by}
        svg = charts.render(kind, points, title) if not error else None
    can_manage = queries.has_right(request.user, schema, "manage")
    return render(request, "web/chart.html", {
        "schema": schema, "ledger": schema.ledger, "state": state, "view": view,
        "kind": kind, "group_by": group_by, "metric": metric, "kinds": charts.RENDERERS,
        "groupable": groupable, "metrics": list(metrics.items()), "svg": svg, "points": points,
        "error": error, "chips": gridpage.chips(schema, state), "urls": gridpage.urls(schema),
        "can_manage": can_manage,
        "may_update_view": queries.may_change_view(request.user, view, can_manage),
    })
