"""The plan module's pages: the roadmap (editable in place), the KPI dashboard, the integration
candidates, the committee report and the plan's versions (計画改定). Each page needs the right
to view the ledger it shows; without it the page answers 404, like every ledger page."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from daicho import access
from daicho.dates.wareki import format_fiscal_year
from daicho.error_codes import Code
from daicho.errors import Conflict, DaichoError, InvalidInput, NotFound
from daicho.plan import candidates as candidates_svc
from daicho.plan import dashboard as dash
from daicho.plan import data, kpi, progress, report, revisions, roadmap_xlsx
from daicho.plan import roadmap as rm
from daicho.plan.ledgers import INVENTORY, KPIS, MEASURES, REVISIONS, open_ledger, viewable
from daicho.web import charts, revision_text
from daicho.web.names import Names
from daicho.web.views.common import page
from daicho.web.widgets import widget_for

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise

REPORT_FORMATS = {"xlsx": gettext_lazy("Excel (xlsx)"), "pdf": gettext_lazy("PDF")}
REPORT_TYPES = {"xlsx": roadmap_xlsx.CONTENT_TYPE, "pdf": "application/pdf"}


@dataclass(frozen=True)
class Section:
    key: str
    url_name: str
    label: _StrPromise
    needs: tuple[str, ...]  # the ledgers it shows


SECTIONS = [
    Section("roadmap", "web:plan_roadmap", gettext_lazy("Roadmap"), (MEASURES,)),
    Section("dashboard", "web:plan_dashboard", gettext_lazy("KPI dashboard"), (KPIS,)),
    Section("candidates", "web:plan_candidates", gettext_lazy("Integration candidates"),
            (INVENTORY,)),
    Section("report", "web:plan_report", gettext_lazy("Committee report"), (MEASURES, KPIS)),
    Section("revisions", "web:plan_revisions", gettext_lazy("Plan versions"), (REVISIONS,)),
]


def sections(user: access.AnyUser) -> list[Section]:
    """The plan pages `user` may open (menus show only these)."""
    seen = viewable(user, [MEASURES, KPIS, INVENTORY, REVISIONS])
    return [s for s in SECTIONS if all(name in seen for name in s.needs)]


def _render(request: HttpRequest, template: str, tab: str, context: dict[str, Any],
            status: int = 200) -> HttpResponse:
    tabs = sections(request.user)
    if tab not in {s.key for s in tabs}:
        raise NotFound()
    return render(request, template, {"tabs": tabs, "tab": tab,
                                      "tab_keys": {s.key for s in tabs}, **context},
                  status=status)


@page
def home(request: HttpRequest) -> HttpResponse:
    tabs = sections(request.user)
    if not tabs:
        raise NotFound()
    return redirect(tabs[0].url_name)


# -- roadmap -------------------------------------------------------------------------------------

@page
def roadmap(request: HttpRequest) -> HttpResponse:
    table = rm.read(request.user)
    editable = rm.editable_years(request.user)
    recorded = progress.read(request.user)
    labels = table.labels
    links = rm.links(request.user)
    rows = [{
        "m": m, "span": span,
        "texts": [(code, m.text(code)) for code in rm.TEXT_COLUMNS if code in table.columns],
        "system": links.system(m.text("target")),
        "reference": links.reference(m.text("reference")),
        "effects": [(e, e in (m.values.get("effects") or [])) for e in data.EFFECTS],
        "cells": [{"year": y, "label": labels[y], "symbol": m.schedule[y],
                   "editable": y in editable, "current": y == table.current,
                   "progress": recorded.get(m.id, {}).get(y)}
                  for y in table.years],
    } for m, span in table.grouped()]
    return _render(request, "web/plan/roadmap.html", "roadmap", {
        "roadmap": table, "rows": rows, "editable": editable,
        "headers": [(code, name) for code, name in table.columns.items()
                    if code in rm.TEXT_COLUMNS],
        "years": [(y, labels[y]) for y in table.years], "legend": data.LEGEND,
        "current_label": format_fiscal_year(table.current),
        "first_label": labels.get(table.years[0], "") if table.years else "",
        "last_label": labels.get(table.years[-1], "") if table.years else "",
        "can_export": _may_export(request.user), "can_progress": progress.editable(request.user),
        "inventory_id": links.inventory, "show_effects": "effects" in table.columns,
        "progress_statuses": "・".join(data.PROGRESS_STATUSES),
    })


def _may_export(user: access.AnyUser) -> bool:
    try:
        open_ledger(user, MEASURES, "export")
    except NotFound:
        return False
    return True


@page
@require_GET
def roadmap_xlsx_download(request: HttpRequest) -> HttpResponse:
    return _download(roadmap_xlsx.export(request.user), f"{roadmap_xlsx.title()}.xlsx",
                     roadmap_xlsx.CONTENT_TYPE)


def _download(body: bytes, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _cell(request: HttpRequest, measure: rm.Measure, year: int, *, editing: bool = False,
          error: str = "", status: int = 200, saved: bool = False) -> HttpResponse:
    symbols = rm.symbols(request.user) if editing else []
    return render(request, "web/plan/cell_edit.html" if editing else "web/plan/cell.html", {
        "m": measure, "year": year, "label": kpi.plan_label(year),
        "symbol": measure.schedule.get(year), "legend": data.LEGEND,
        "choices": [(s, data.LEGEND.get(s, "")) for s in symbols],
        "can_edit": year in rm.editable_years(request.user), "error": error, "saved": saved,
        "progress": progress.entry(request.user, measure.id, year),
        "can_progress": progress.editable(request.user),
    }, status=status)


@page
def roadmap_cell(request: HttpRequest, record_id: int, year: int) -> HttpResponse:
    """GET: the cell as shown (to cancel an edit); POST: save a symbol."""
    if request.method != "POST":
        return _cell(request, rm.measure(request.user, record_id), year)
    revision: int | None
    try:
        revision = int(request.POST.get("revision", ""))
    except ValueError:
        revision = None  # the writer refuses it: revision_required
    symbol = request.POST.get("symbol", "")
    try:
        saved = rm.set_symbol(request.user, record_id=record_id, year=year, symbol=symbol,
                              revision=revision)
    except Conflict as exc:
        current = exc.details.get("current") or {}
        measure = rm.measure(request.user, record_id)
        theirs = (current.get("values") or {}).get(rm.year_code(year)) or "—"
        return _cell(request, measure, year, editing=True, status=409, error=_(
            "Someone else changed this cell meanwhile; it is now 「%(symbol)s」. Choose again and "
            "save.") % {"symbol": theirs})
    except InvalidInput as exc:
        fields = exc.details.get("fields") or {}
        message = fields.get(rm.year_code(year)) or exc.message
        return _cell(request, rm.measure(request.user, record_id), year, editing=True,
                     status=400, error=message)
    return _cell(request, saved, year, saved=True)


@page
@require_GET
def roadmap_cell_edit(request: HttpRequest, record_id: int, year: int) -> HttpResponse:
    if year not in rm.editable_years(request.user):
        raise NotFound()
    return _cell(request, rm.measure(request.user, record_id), year, editing=True)


def _progress(request: HttpRequest, measure: rm.Measure, year: int, *, editing: bool = False,
              error: str = "", status: int = 200, saved: bool = False,
              form: dict[str, str] | None = None) -> HttpResponse:
    entry = progress.entry(request.user, measure.id, year)
    form = form or {"status": entry.status or "" if entry else "",
                    "note": entry.note or "" if entry else ""}
    return render(request, "web/plan/progress_edit.html" if editing else "web/plan/progress.html",
                  {"m": measure, "year": year, "label": kpi.plan_label(year), "progress": entry,
                   "statuses": progress.statuses(), "chosen": form["status"],
                   "note": form["note"], "can_progress": progress.editable(request.user),
                   "error": error, "saved": saved}, status=status)


@page
def roadmap_progress(request: HttpRequest, record_id: int, year: int) -> HttpResponse:
    """GET: the progress as shown (to cancel an edit); POST: record it (status and note)."""
    measure = rm.measure(request.user, record_id)
    if request.method != "POST":
        return _progress(request, measure, year)
    revision: int | None
    try:
        revision = int(request.POST.get("revision", ""))
    except ValueError:
        revision = None  # a first entry has none; an update without one is refused
    form = {"status": request.POST.get("status", ""), "note": request.POST.get("note", "")}
    try:
        progress.save(request.user, measure_id=record_id, year=year, status=form["status"],
                      note=form["note"], revision=revision)
    except Conflict:
        theirs = progress.entry(request.user, record_id, year)
        return _progress(request, measure, year, editing=True, status=409, form=form, error=_(
            "Someone else recorded the progress of this year meanwhile: 「%(status)s」. Your "
            "entry is still in the form; save again to replace it.")
            % {"status": theirs.status if theirs and theirs.status else "—"})
    except InvalidInput as exc:
        fields = exc.details.get("fields") or {}
        message = fields.get("status") or fields.get("note") or exc.message
        return _progress(request, measure, year, editing=True, status=400, form=form,
                         error=message)
    return _progress(request, measure, year, saved=True)


@page
@require_GET
def roadmap_progress_edit(request: HttpRequest, record_id: int, year: int) -> HttpResponse:
    measure = rm.measure(request.user, record_id)
    if not progress.editable(request.user) or year not in measure.schedule:
        raise NotFound()
    return _progress(request, measure, year, editing=True)


# -- KPI dashboard -------------------------------------------------------------------------------

@dataclass
class _Years:
    current: int  # this fiscal year
    plan: list[int]  # the plan's fiscal years
    choices: list[int]  # the years a page offers
    chosen: int  # ?fy= when it is one of the choices, else the plan's default

    @property
    def options(self) -> list[tuple[int, str]]:
        return [(y, format_fiscal_year(y)) for y in self.choices]


def _years(request: HttpRequest) -> _Years:
    """The fiscal year a plan page shows (?fy=) and the years it offers."""
    current = kpi.current_fiscal_year()
    plan = dash.plan_years(request.user)
    choices = dash.selectable_years(plan, current)
    chosen = dash.default_year(plan, current)
    try:
        asked = int(request.GET.get("fy", ""))
    except ValueError:
        asked = chosen
    return _Years(current, plan, choices, asked if asked in choices else chosen)


@page
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    years = _years(request)
    year, current = years.chosen, years.current
    items = dash.items(request.user, year)
    names = [i.name for i in items]
    chosen = request.GET.get("kpi")
    if chosen not in names:
        chosen = next((i.name for i in items if i.target is not None), names[0] if names else "")
    series = dash.series(request.user, chosen, years.plan or years.choices) if chosen else []
    svg = None
    if series:
        labels = [format_fiscal_year(y) for y, _item in series]
        svg = charts.compare(labels, [
            (_("Target value"), [i.target if i else None for _y, i in series]),
            (_("Actual"), [i.actual if i else None for _y, i in series]),
        ], _("%(kpi)s: actual and target per fiscal year") % {"kpi": chosen})
    return _render(request, "web/plan/dashboard.html", "dashboard", {
        "years": years.options, "year": year,
        "year_label": format_fiscal_year(year), "current": current,
        "current_label": format_fiscal_year(current), "items": items, "chosen": chosen,
        "any_demo": any(i.demo_data for i in items),
        "series": [(format_fiscal_year(y), i) for y, i in series], "svg": svg,
        "report_formats": REPORT_FORMATS,
    })


# -- integration candidates ----------------------------------------------------------------------

@page
@require_GET
def candidates(request: HttpRequest) -> HttpResponse:
    items = candidates_svc.find(request.user)
    return _render(request, "web/plan/candidates.html", "candidates", {
        "inventory": open_ledger(request.user, INVENTORY).ledger,
        "look_alike": [i for i in items if i["kind"] == "look_alike"],
        "my_number": [i for i in items if i["kind"] == "my_number"],
    })


# -- committee report ----------------------------------------------------------------------------

@page
@require_GET
def committee_report(request: HttpRequest) -> HttpResponse:
    """The form; with `fy` and `format` the report file itself (report.py writes it)."""
    years = _years(request)
    year = years.chosen
    fmt = request.GET.get("format", "")
    context = {"years": years.options, "year": year, "format": fmt,
               "report_formats": REPORT_FORMATS}
    if not fmt:
        return _render(request, "web/plan/report.html", "report", context)
    try:
        if fmt not in REPORT_FORMATS:
            raise InvalidInput(_("Choose Excel or PDF."), code=Code.INVALID_FORMAT)
        if request.GET.get("fy") != str(year):
            raise InvalidInput(_("Choose a fiscal year from the list."), code=Code.INVALID_YEAR)
        body = _write_report(request.user, year, fmt)
    except DaichoError as exc:
        return _render(request, "web/plan/report.html", "report",
                       {**context, "error": exc.message}, status=exc.status)
    return _download(body, f"{report.title(year)}.{fmt}".replace(" ", "_"), REPORT_TYPES[fmt])


def _write_report(user: access.AnyUser, year: int, fmt: str) -> bytes:
    write = report.write_pdf if fmt == "pdf" else report.write_xlsx
    with tempfile.TemporaryDirectory(prefix="daicho-report-") as folder:
        path = Path(folder) / f"report.{fmt}"
        write(user, year, path)
        return path.read_bytes()


# -- versions of the plan (計画改定) ---------------------------------------------------------------

CURRENT = "current"  # ?to= for the plan as it stands now


def _version_id(text: str | None) -> int:
    """An id from the query string; anything else is refused like the API refuses it."""
    try:
        number = int(text or "")
    except ValueError:
        raise InvalidInput(_("Choose the versions to compare from the lists."),
                           code=Code.INVALID_VERSION) from None
    if not 0 < number < 2**62:
        raise NotFound()
    return number


@dataclass
class _Chosen:
    """The two sides compared: version ids, `to` None for the plan as it stands now."""
    from_id: int | None = None
    to_id: int | None = None
    comparison: revisions.Comparison | None = None


def _compare(request: HttpRequest, found: list[dict[str, Any]], can_current: bool) -> _Chosen:
    """?from=ID&to=ID|current. Without a choice: the newest version against the plan now (what
    a new version would keep), or, for those who may not read the plan itself, the two newest
    versions."""
    newest = str(found[0]["id"]) if found else ""
    default = newest if can_current else str(found[1]["id"]) if len(found) > 1 else ""
    asked = request.GET.get("from", default)
    if not asked:
        return _Chosen()
    from_id = _version_id(asked)
    to = request.GET.get("to") or (CURRENT if can_current else newest)
    to_id = None if to == CURRENT else _version_id(to)
    return _Chosen(from_id, to_id, revisions.compare(request.user, from_id, to_id))


def _keep(request: HttpRequest, form: dict[str, str]) -> dict[str, str]:
    """Keep the plan now as a version; the errors per form field (empty: kept)."""
    try:
        saved = revisions.save(request.user, label=form["label"], date=form["date"] or None,
                               reason=form["reason"] or None)
    except InvalidInput as exc:
        errors = {str(k): str(v) for k, v in (exc.details.get("fields") or {}).items()}
        return {**errors, "label": exc.message} if exc.details.get("at") == "label" else \
            errors or {"": exc.message}
    messages.success(request, _("The plan as it stands now was kept as the version "
                                "「%(label)s」.") % {"label": saved["label"]})
    return {}


@page
def plan_revisions(request: HttpRequest) -> HttpResponse:
    """The versions, newest first; two of them (or one and the plan now) compared; and, for
    those who may keep one (the service decides), the form that keeps the plan as it stands."""
    user = request.user
    form = {k: request.POST.get(k, "") for k in ("label", "date", "reason")}
    errors: dict[str, str] = {}
    if request.method == "POST":
        errors = _keep(request, form)
        if not errors:
            return redirect("web:plan_revisions")
    found = list(reversed(revisions.versions(user)))
    can_current = viewable(user, [MEASURES, KPIS]) == {MEASURES, KPIS}
    error, status, chosen = "", 400 if errors else 200, _Chosen()
    if not errors:
        try:
            chosen = _compare(request, found, can_current)
        except InvalidInput as exc:
            error, status = exc.message, exc.status
    schema = open_ledger(user, REVISIONS)
    date_field = schema.by_code.get("date")
    for version in found:  # the date as the ledger shows it (平成31年4月)
        version["shown_date"] = widget_for(date_field).show(date_field, version["date"],
                                                            Names()) if date_field else None
    labels = {v["id"]: v["label"] for v in found}
    return _render(request, "web/plan/revisions.html", "revisions", {
        "versions": found, "can_save": revisions.may_save(user), "can_current": can_current,
        "form": form, "errors": errors,
        "error": error or next(iter(errors.values()), ""),
        "comparison": chosen.comparison, "from_id": chosen.from_id, "to_id": chosen.to_id,
        "entries": revision_text.entries(chosen.comparison) if chosen.comparison else [],
        "from_label": labels.get(chosen.from_id or 0, ""), "current": CURRENT,
        "to_label": _("the plan as it stands now") if chosen.to_id is None
        else labels.get(chosen.to_id, ""),
        "ledger": schema.ledger, "names": {f.code: f.name for f in schema.fields},
    }, status=status)
