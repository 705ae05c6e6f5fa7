"""A small, general KPI engine over ledgers, and the plan's roadmap read from its ledger.

A KPI definition (kept in the settings of the KPI ledger, key "kpis") is a dict:

- ``ledger``: the name of the ledger counted, ``filters``: record filters (CODE:OP:VALUE);
- ``metric``: ``count``, ``sum`` (``field``), ``ratio`` (sum of ``numerator`` / sum of
  ``denominator``) or ``reduction`` (1 − that ratio), the two last as percentages;
- the fiscal year of a record: ``date_field`` (a date; Japanese fiscal years run April–March)
  or ``year_field`` (a number holding the fiscal year);
- or ``source: migrated_ledgers``: the ledgers whose settings hold ``migrated_from`` (set by an
  import that created the ledger), counted in the fiscal year they were created.

The targets per fiscal year are records of the KPI ledger (指標名, 単位, <year>年度目標).
Everything is read through daicho.access and the selectors, so permissions apply.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from daicho import access
from daicho.errors import InvalidInput, NotFound
from daicho.fields.context import ValueContext
from daicho.models import Ledger
from daicho.plan import data
from daicho.plan.demo import KPIS, MEASURES
from daicho.selectors import records as sel
from daicho.selectors.ledgers import LedgerSchema

TOKYO = dt.timezone(dt.timedelta(hours=9))


def fiscal_year(day: dt.date) -> int:
    """The Japanese fiscal year (年度) of a date: April to March."""
    return day.year if day.month >= 4 else day.year - 1


def wareki_year(year: int) -> str:
    """平成30年度 … 令和4年度. 平成31年度 and 令和元年度 are one year, FY2019: shown as 令和元年度."""
    if year >= 2019:
        n = year - 2018
        return f"令和{'元' if n == 1 else n}年度"
    return f"平成{year - 1988}年度"


def fiscal_range(year: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, 4, 1), dt.date(year + 1, 3, 31)


def current_fiscal_year() -> int:
    return fiscal_year(timezone.now().astimezone(TOKYO).date())


def _schema(user: access.AnyUser, name: str) -> LedgerSchema:
    lid = Ledger.objects.filter(name=name).values_list("id", flat=True).first()
    if lid is None:
        raise NotFound(_("There is no ledger 「%(ref)s」.") % {"ref": name[:100]},
                       code="unknown_ledger")
    return access.ledger_for(user, lid, "view")


def all_records(user: access.AnyUser, schema: LedgerSchema,
                filters: list[str] | None = None) -> list[dict[str, Any]]:
    ctx = ValueContext()
    out: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = sel.list_records(user, schema, filters=filters or [], limit=500, cursor=cursor,
                                ctx=ctx)
        out += sel.records_json(schema, page.rows, ctx)
        cursor = page.next_cursor
        if cursor is None:
            return out


def _sum(user: access.AnyUser, schema: LedgerSchema, code: str, filters: list[str]) -> Decimal:
    groups = sel.aggregate(user, schema, group_by=None, metric=f"sum:{code}", filters=filters)
    value = groups[0]["value"] if groups else None
    return Decimal(str(value)) if value is not None else Decimal(0)


def _number(value: Decimal | int | float) -> int | float:
    number = Decimal(str(value))
    return int(number) if number == number.to_integral_value() else float(round(number, 2))


def compute(user: access.AnyUser, definition: dict[str, Any], year: int) -> int | float | None:
    """The actual value of one KPI in fiscal year `year`."""
    if definition.get("source") == "migrated_ledgers":
        start, end = fiscal_range(year)
        count = 0
        for ledger in Ledger.objects.only("id", "settings", "created_at"):
            if not isinstance(ledger.settings, dict) or "migrated_from" not in ledger.settings:
                continue
            if start <= ledger.created_at.astimezone(TOKYO).date() <= end:
                try:
                    access.ledger_for(user, ledger.id, "view")
                except NotFound:
                    continue
                count += 1
        return count
    schema = _schema(user, str(definition.get("ledger", "")))
    filters = [str(f) for f in definition.get("filters", [])]
    if definition.get("date_field"):
        start, end = fiscal_range(year)
        code = definition["date_field"]
        filters += [f"{code}:ge:{start.isoformat()}", f"{code}:le:{end.isoformat()}"]
    elif definition.get("year_field"):
        filters.append(f"{definition['year_field']}:eq:{year}")
    metric = definition.get("metric", "count")
    if metric == "count":
        groups = sel.aggregate(user, schema, group_by=None, metric="count", filters=filters)
        return int(groups[0]["value"]) if groups else 0
    if metric == "sum":
        return _number(_sum(user, schema, definition["field"], filters))
    if metric in ("ratio", "reduction"):
        numerator = _sum(user, schema, definition["numerator"], filters)
        denominator = _sum(user, schema, definition["denominator"], filters)
        if not denominator:
            return None
        ratio = numerator / denominator
        return _number((1 - ratio if metric == "reduction" else ratio) * 100)
    raise InvalidInput(_("Unknown KPI metric 「%(metric)s」.") % {"metric": str(metric)[:50]},
                       code="invalid_metric")


def kpis(user: access.AnyUser, year: int) -> list[dict[str, Any]]:
    """Every KPI of the plan for fiscal year `year`: name, target, actual, unit, achieved."""
    schema = _schema(user, KPIS)
    definitions = {d.get("name"): d for d in schema.ledger.settings.get("kpis", [])
                   if isinstance(d, dict)}
    items = []
    for record in all_records(user, schema):
        values = record["values"]
        target = values.get(f"target_{year}")
        target = None if target is None else _number(target)
        definition = definitions.get(values.get("name"))
        actual = compute(user, definition, year) if definition else None
        achieved = None if target is None or actual is None else actual >= target
        items.append({"name": values.get("name"), "measure": values.get("measure"),
                      "target": target, "actual": actual, "unit": values.get("unit"),
                      "achieved": achieved})
    return items


def roadmap(user: access.AnyUser) -> dict[str, Any]:
    schema = _schema(user, MEASURES)
    years = [y for y in data.FISCAL_YEARS if f"fy{y}" in schema.by_code]
    measures = []
    for record in all_records(user, schema):
        values = record["values"]
        measures.append({
            "code": values.get("code"), "title": values.get("title"),
            "division": values.get("division"),
            "schedule": {str(y): values.get(f"fy{y}") for y in years},
            "note": values.get("note"), "agenda": values.get("agenda"),
            "qualitative": values.get("qualitative"), "quantitative": values.get("quantitative"),
            "status": values.get("status"),
        })
    return {"fiscal_years": years, "labels": {str(y): wareki_year(y) for y in years},
            "current": current_fiscal_year(), "legend": data.LEGEND, "measures": measures}
