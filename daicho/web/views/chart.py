"""Charts of a view: bar, pie or line over a group-by, drawn as SVG by daicho.web.charts, and
the cross-tab (two group-bys) as a table and an Excel file. Dates group by day, month, year or
年度 (daicho.selectors.grouping)."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from daicho import access
from daicho.errors import InvalidInput
from daicho.fields import REGISTRY, type_for
from daicho.models import Field
from daicho.selectors import crosstab as crosstabs
from daicho.selectors import records as sel
from daicho.selectors.grouping import PERIODS, grouping, has_periods
from daicho.selectors.ledgers import LedgerSchema
from daicho.services import audit, exports
from daicho.web import charts, grid, grid_controls, saved_views
from daicho.web import crosstab as labels
from daicho.web.models import SavedView
from daicho.web.views.common import page

KINDS = ("bar", "pie", "line", "crosstab")


def _metrics(schema: LedgerSchema, *, cross: bool = False) -> list[tuple[str, str]]:
    out = [("count", _("Number of records"))]
    names = {"sum": _("Sum of %(name)s"), "avg": _("Average of %(name)s"),
             "min": _("Minimum of %(name)s"), "max": _("Maximum of %(name)s")}
    if cross:  # a cross-tab's totals are sums of its cells: count and sum only
        names = {"sum": names["sum"]}
    for f in schema.fields:
        if f.type in REGISTRY and type_for(f).summable:
            out += [(f"{m}:{f.code}", label % {"name": f.name}) for m, label in names.items()]
    return out


@dataclass
class ChartForm:
    """What the chart page draws, from the query string, else the saved view's chart."""

    kind: str
    group_by: str
    period: str
    columns: str
    column_period: str
    metric: str

    def spec(self, schema: LedgerSchema, code: str, period: str) -> str:
        """`CODE:PERIOD` for a date field grouped by a period; a period chosen for a field
        that is not a date is left out (the form offers it beside every field)."""
        f = schema.by_code.get(code)
        if f is not None and period in PERIODS and has_periods(schema.type_of(f)):
            return f"{code}:{period}"
        return code

    def saved(self) -> dict[str, str]:
        return {"kind": self.kind, "group_by": self.group_by, "period": self.period,
                "columns": self.columns, "column_period": self.column_period,
                "metric": self.metric}


def _groupable(schema: LedgerSchema) -> list[Field]:
    return [f for f in schema.fields if f.type in REGISTRY and type_for(f).groupable]


def _form(data: QueryDict, schema: LedgerSchema, view: SavedView | None) -> ChartForm:
    saved = view.chart if view and view.chart else {}

    def get(name: str, default: str = "") -> str:
        value = data.get(name)
        return str(value if value is not None else saved.get(name) or default)

    groupable = _groupable(schema)
    kind = get("kind", "bar")
    kind = kind if kind in KINDS else "bar"
    # By default group by the first field with choices (区分, 状態 …): a unique code would
    # give one group per record.
    preferred = [f for f in groupable if f.options.get("choices")] + \
        [f for f in groupable if not f.unique]
    group_by = get("group_by", preferred[0].code if preferred else "")
    # A cross-tab's columns default to the first date by 年度, else the next field.
    dates = [f for f in groupable if has_periods(schema.type_of(f)) and f.code != group_by]
    others = [f for f in preferred if f.code != group_by]
    default_columns = dates[0].code if dates else others[0].code if others else ""
    columns = get("columns", default_columns)
    column_period = get("column_period", "fy" if dates and columns == dates[0].code else "")
    return ChartForm(kind=kind, group_by=group_by, period=get("period"), columns=columns,
                     column_period=column_period, metric=get("metric", "count"))


def _cross(request: HttpRequest, schema: LedgerSchema, form: ChartForm,
           state: grid.GridState) -> labels.LabelledCrossTab:
    table = crosstabs.crosstab(
        request.user, schema, rows=form.spec(schema, form.group_by, form.period),
        columns=form.spec(schema, form.columns, form.column_period), metric=form.metric,
        filters=state.filters, search=state.q)
    metric_label = dict(_metrics(schema, cross=True)).get(form.metric, form.metric)
    return labels.labelled(table, metric_label, request.user)


@page
def chart(request: HttpRequest, ledger_id: int) -> HttpResponse:
    schema = access.ledger_for(request.user, ledger_id, "view")
    view = saved_views.view_for(request.user, schema, request.GET.get("view"))
    state = grid.parse_state(request.GET, schema, view)
    form = _form(request.GET, schema, view)
    metrics = dict(_metrics(schema, cross=form.kind == "crosstab"))
    error, svg, points, cross = "", None, [], None
    if form.kind == "crosstab" and form.group_by:
        try:
            cross = _cross(request, schema, form, state)
        except InvalidInput as exc:
            error = exc.message
        audit.viewed(request, schema)
    elif form.group_by:
        title = ""
        try:
            grouped = grouping(schema, form.spec(schema, form.group_by, form.period))
            groups = sel.aggregate(request.user, schema, group_by=grouped.spec,
                                   metric=form.metric, filters=state.filters, search=state.q)
            names = labels.labels(grouped, [g["key"] for g in groups], request.user)
            points = [charts.Point(name, float(g["value"] or 0))
                      for name, g in zip(names, groups, strict=True)]
            title = _("%(metric)s by %(field)s") % {
                "metric": metrics.get(form.metric, form.metric),
                "field": labels.grouping_name(grouped)}
        except InvalidInput as exc:
            error = exc.message
        audit.viewed(request, schema)
        svg = charts.render(form.kind, points, title) if not error else None
    can_manage = access.has_right(request.user, schema.ledger, "manage")
    date_codes = {f.code for f in _groupable(schema) if has_periods(schema.type_of(f))}
    return render(request, "web/chart.html", {
        "schema": schema, "ledger": schema.ledger, "state": state, "view": view,
        "form": form, "kind": form.kind, "group_by": form.group_by, "metric": form.metric,
        "groupable": _groupable(schema), "date_codes": date_codes,
        "periods": labels.period_choices(), "metrics": list(metrics.items()),
        "svg": svg, "points": points, "cross": cross, "error": error,
        "chips": grid_controls.chips(schema, state), "urls": grid_controls.urls(schema),
        "can_manage": can_manage, "can_export": access.has_right(request.user, schema.ledger, "export"),
        "may_update_view": saved_views.may_change_view(request.user, view, can_manage),
    })


@page
def chart_xlsx(request: HttpRequest, ledger_id: int) -> HttpResponse:
    """The cross-tab on the chart page as an Excel file: needs the export right."""
    schema = access.ledger_for(request.user, ledger_id, "export")
    view = saved_views.view_for(request.user, schema, request.GET.get("view"))
    state = grid.parse_state(request.GET, schema, view)
    form = _form(request.GET, schema, view)
    try:
        cross = _cross(request, schema, form, state)
    except InvalidInput as exc:
        messages.error(request, exc.message)
        return redirect(reverse("web:chart", args=[schema.id]) + "?" + request.GET.urlencode())
    body = exports.export_crosstab(user=request.user, schema=schema,
                                   sheet=cross.sheet(schema.ledger.name))
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = HttpResponse(body, content_type=exports.CONTENT_TYPES["xlsx"])
    response["Content-Disposition"] = content_disposition_header(
        True, f"{schema.ledger.name}-{_('cross-tab')}-{stamp}.xlsx")
    response["X-Content-Type-Options"] = "nosniff"
    return response

