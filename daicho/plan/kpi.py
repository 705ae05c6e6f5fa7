"""A small, general KPI engine over ledgers, and the plan's roadmap read from its ledger.

A KPI definition (kept in the settings of the KPI ledger, key "kpis") is a dict:

- ``ledger``: the name of the ledger counted, ``filters``: record filters (CODE:OP:VALUE);
- ``metric``: ``count``, ``sum`` (``field``), ``distinct`` (the number of different non-empty
  values of ``field``), ``ratio`` (sum of ``numerator`` / sum of ``denominator``) or
  ``reduction`` (1 − that ratio), the two last as percentages;
- the fiscal year of a record: ``date_field`` (a date; Japanese fiscal years run April–March)
  or ``year_field`` (a number holding the fiscal year);
- ``cumulative: true``: a running total, every record up to the end of the fiscal year (for
  targets such as "150 ledgers by FY2022");
- ``base_year``: the value is the decrease from that fiscal year's value (base − this year;
  null before the base year or when either year has no records); ``"record"``: the base year
  is the KPI record's 基準年度 (``base_year``), and the KPI has no value until it is set;
- ``target_every_section_by: YEAR``: that year's target, when the KPI record stores none, is
  the number of 課等 (departments without sub-departments) at the end of that fiscal year;
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
from daicho.dates.localtime import TOKYO
from daicho.dates.wareki import fiscal_year
from daicho.error_codes import Code
from daicho.errors import InvalidInput, NotFound
from daicho.models import Ledger
from daicho.plan import data
from daicho.plan.ledgers import KPIS, MEASURES, open_ledger
from daicho.selectors import records as sel
from daicho.selectors.ledgers import LedgerSchema


def plan_label(year: int) -> str:
    """The seed's label of a fiscal year in its tables, with the western year beside it:
    H30（2018） … H34（2022）. The plan was written in 平成 and counts on (H31 = 令和元年度,
    H34 = 令和4年度), so its schedule keeps H-labels throughout instead of mixing eras."""
    return f"H{year - 1988}（{year}）"


def fiscal_range(year: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, 4, 1), dt.date(year + 1, 3, 31)


def current_date() -> dt.date:
    return timezone.now().astimezone(TOKYO).date()


def current_fiscal_year() -> int:
    return fiscal_year(current_date())


def _source(user: access.AnyUser, name: str) -> LedgerSchema:
    """A KPI's source ledger, named in its definition (the KPI ledger's settings)."""
    lid = Ledger.objects.filter(name=name).values_list("id", flat=True).first()
    if lid is None:
        raise NotFound(_("There is no ledger 「%(ref)s」.") % {"ref": name[:100]},
                       code=Code.UNKNOWN_LEDGER)
    return access.ledger_for(user, lid, "view")


def _sum(user: access.AnyUser, schema: LedgerSchema, code: str,
         filters: list[str]) -> Decimal | None:
    """The sum of a number field; None when no record matches."""
    groups = sel.aggregate(user, schema, group_by=None, metric=f"sum:{code}", filters=filters)
    value = groups[0]["value"] if groups else None
    return Decimal(str(value)) if value is not None else None


def whole(value: Decimal | int | float) -> int | float:
    """A number as JSON gives it: 150, not 150.0."""
    return _number(value)


def _number(value: Decimal | int | float) -> int | float:
    number = Decimal(str(value))
    return int(number) if number == number.to_integral_value() else float(round(number, 2))


def _migrated_ledgers(user: access.AnyUser, year: int, cumulative: bool) -> int:
    start, end = fiscal_range(year)
    count = 0
    for ledger in Ledger.objects.only("id", "settings", "created_at"):
        if not isinstance(ledger.settings, dict) or "migrated_from" not in ledger.settings:
            continue
        created = ledger.created_at.astimezone(TOKYO).date()
        if (cumulative or start <= created) and created <= end:
            try:
                access.ledger_for(user, ledger.id, "view")
            except NotFound:
                continue
            count += 1
    return count


def _year_filters(definition: dict[str, Any], year: int) -> list[str]:
    """The definition's filters and those that select its fiscal year (or the years up to it)."""
    filters = [str(f) for f in definition.get("filters", [])]
    cumulative = bool(definition.get("cumulative"))
    if definition.get("date_field"):
        start, end = fiscal_range(year)
        code = definition["date_field"]
        if not cumulative:
            filters.append(f"{code}:ge:{start.isoformat()}")
        filters.append(f"{code}:le:{end.isoformat()}")
    elif definition.get("year_field"):
        filters.append(f"{definition['year_field']}:{'le' if cumulative else 'eq'}:{year}")
    return filters


def _value(user: access.AnyUser, schema: LedgerSchema, definition: dict[str, Any],
           year: int) -> Decimal | None:
    """One fiscal year's value of a ledger KPI; None when it cannot be computed (no records to
    sum, a ratio without a denominator)."""
    filters = _year_filters(definition, year)
    metric = definition.get("metric", "count")
    if metric == "count":
        groups = sel.aggregate(user, schema, group_by=None, metric="count", filters=filters)
        return Decimal(groups[0]["value"] if groups else 0)
    if metric == "distinct":
        groups = sel.aggregate(user, schema, group_by=str(definition.get("field", "")),
                               metric="count", filters=filters)
        return Decimal(sum(1 for g in groups if g["key"] not in (None, "", [])))
    if metric == "sum":
        return _sum(user, schema, str(definition.get("field", "")), filters)
    if metric in ("ratio", "reduction"):
        numerator = _sum(user, schema, definition["numerator"], filters) or Decimal(0)
        denominator = _sum(user, schema, definition["denominator"], filters)
        if not denominator:
            return None
        ratio = numerator / denominator
        return (1 - ratio if metric == "reduction" else ratio) * 100
    raise InvalidInput(_("Unknown KPI metric 「%(metric)s」.") % {"metric": str(metric)[:50]},
                       code=Code.INVALID_METRIC)


def compute(user: access.AnyUser, definition: dict[str, Any], year: int) -> int | float | None:
    """The actual value of one KPI in fiscal year `year`."""
    if definition.get("source") == "migrated_ledgers":
        return _migrated_ledgers(user, year, bool(definition.get("cumulative")))
    schema = _source(user, str(definition.get("ledger", "")))
    base_year = definition.get("base_year")
    if base_year is not None:
        if year < int(base_year):
            return None
        base = _value(user, schema, definition, int(base_year))
        value = _value(user, schema, definition, year)
        return None if base is None or value is None else _number(base - value)
    value = _value(user, schema, definition, year)
    if value is None:
        return 0 if definition.get("metric") == "sum" else None
    return _number(value)


def _visible_actual(user: access.AnyUser, definition: dict[str, Any],
                    year: int) -> int | float | None:
    """compute(), or None when the reader may not see the source ledger or one of its fields:
    the other KPIs of the list stay readable, and nothing is computed from what they may not
    see."""
    try:
        return compute(user, definition, year)
    except NotFound:
        return None
    except InvalidInput as exc:
        if exc.code == Code.UNKNOWN_FIELD:
            return None
        raise


def sections_on(day: dt.date) -> int:
    """The number of 課等 (departments without sub-departments) in the organisation on `day`
    (scheduled changes included: a later reorganisation loaded ahead counts from its date)."""
    from daicho.selectors import orgs

    chains = orgs.timeline()
    # The organisation is known from the day daicho first recorded it; a fiscal year that ended
    # before then is counted with the earliest known organisation.
    known = min((s.valid_from for states in chains.values() for s in states), default=day)
    tree = orgs.tree_on(max(day, known), chains)
    parents = {state.parent_code for state in tree}
    return sum(1 for state in tree if state.code not in parents)


def _target(values: dict[str, Any], definition: dict[str, Any] | None,
            year: int) -> int | float | None:
    """The stored target of that year, or the computed one of 「全課等に整備」 (the 課等 as of
    the end of the fiscal year); None where the plan sets none."""
    target = values.get(f"target_{year}")
    if target is not None:
        return _number(target)
    if definition and definition.get("target_every_section_by") == year:
        return sections_on(fiscal_range(year)[1])
    return None


def _actual(user: access.AnyUser, values: dict[str, Any], definition: dict[str, Any] | None,
            year: int) -> int | float | None:
    """The actual value; None without a definition, or when the definition counts from the
    base year the KPI record sets (``base_year: "record"``) and none is set yet."""
    if not definition:
        return None
    if definition.get("base_year") == "record":
        base = values.get("base_year")
        if base is None:
            return None
        definition = {**definition, "base_year": int(base)}
    return _visible_actual(user, definition, year)


def targets(user: access.AnyUser, years: list[int]) -> dict[str, dict[str, Any]]:
    """Per KPI name its goal (the plan's wording) and target per fiscal year, without computing
    actual values (the plan's versions keep these)."""
    schema = open_ledger(user, KPIS)
    definitions = {d.get("name"): d for d in schema.ledger.settings.get("kpis", [])
                   if isinstance(d, dict)}
    out: dict[str, dict[str, Any]] = {}
    for record in sel.all_records(user, schema):
        values = record["values"]
        definition = definitions.get(values.get("name"))
        out[str(values.get("name"))] = {
            "goal": values.get("goal"),
            "targets": {str(y): _target(values, definition, y) for y in years}}
    return out


def kpis(user: access.AnyUser, year: int) -> list[dict[str, Any]]:
    """Every KPI of the plan for fiscal year `year`: name, measure, target, actual, unit,
    achieved, and the plan's wording of the target (goal), whether the KPI is a running
    total (cumulative) and whether its source holds fictional demo records (demo_data)."""
    schema = open_ledger(user, KPIS)
    definitions = {d.get("name"): d for d in schema.ledger.settings.get("kpis", [])
                   if isinstance(d, dict)}
    sources = {str(d.get("ledger")) for d in definitions.values() if d.get("ledger")}
    demo = {ledger.name for ledger in Ledger.objects.filter(name__in=sources).only("name",
                                                                                   "settings")
            if isinstance(ledger.settings, dict) and ledger.settings.get("demo_data")}
    items = []
    for record in sel.all_records(user, schema):
        values = record["values"]
        definition = definitions.get(values.get("name"))
        target = _target(values, definition, year)
        actual = _actual(user, values, definition, year)
        achieved = None if target is None or actual is None else actual >= target
        items.append({"name": values.get("name"), "measure": values.get("measure"),
                      "target": target, "actual": actual, "unit": values.get("unit"),
                      "achieved": achieved, "goal": values.get("goal"),
                      "cumulative": bool(definition and definition.get("cumulative")),
                      "demo_data": bool(definition and definition.get("ledger") in demo)})
    return items


def roadmap(user: access.AnyUser) -> dict[str, Any]:
    """The roadmap as contract §6 gives it: per measure the planned symbols (schedule) and the
    recorded progress per fiscal year (progress; only the years that have one, and none when
    the user may not view the progress ledger)."""
    from daicho.plan import progress

    schema = open_ledger(user, MEASURES)
    years = data.schedule_years(schema.by_code)
    recorded = progress.read(user)
    measures = []
    for record in sel.all_records(user, schema):
        values = record["values"]
        entries = recorded.get(int(record["id"]), {})
        measures.append({
            "code": values.get("code"), "title": values.get("title"),
            "division": values.get("division"),
            "schedule": {str(y): values.get(f"fy{y}") for y in years},
            "note": values.get("note"), "agenda": values.get("agenda"),
            "qualitative": values.get("qualitative"), "quantitative": values.get("quantitative"),
            "status": values.get("status"), "target": values.get("target"),
            "effects": values.get("effects") or [], "situation": values.get("situation"),
            "content": values.get("content"), "reference": values.get("reference"),
            "progress": {str(y): entries[y].as_json() for y in sorted(entries)},
        })
    return {"fiscal_years": years, "labels": {str(y): plan_label(y) for y in years},
            "current": current_fiscal_year(), "legend": data.LEGEND, "measures": measures}
