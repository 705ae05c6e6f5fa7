"""Versions of the plan (計画改定): a snapshot of the measures, their schedule and the targets,
with a label, a date and a reason, kept as a record of the 計画改定 ledger (its history and
permissions are those of any ledger); and the differences between two versions, or between a
version and the plan as it stands now.

The seed was revised once (「平成31年4月一部改定」) and is the revised text: the demo keeps that
version. The H30.3 text is not in the seed, so no version of it is invented."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from daicho import access
from daicho.error_codes import Code
from daicho.errors import InvalidInput, NotFound
from daicho.fields.context import ValueContext
from daicho.plan import data, kpi
from daicho.plan.ledgers import REVISIONS, open_ledger
from daicho.selectors import records as sel
from daicho.services import records as record_svc

MEASURE_KEYS = ("title", "division", "target", "note", "agenda", "qualitative", "quantitative")


def snapshot(user: access.AnyUser) -> dict[str, Any]:
    """The plan as it stands: measures (with schedule) by code, targets by KPI name."""
    plan = kpi.roadmap(user)
    measures = {m["code"]: {**{k: m.get(k) for k in MEASURE_KEYS}, "schedule": m["schedule"]}
                for m in plan["measures"] if m.get("code")}
    years = plan["fiscal_years"]
    targets = kpi.targets(user, years)
    return {"fiscal_years": years, "measures": measures, "targets": targets}


def seed_snapshot() -> dict[str, Any]:
    """The seed's plan in the shape of snapshot(), from daicho.plan.data (the demo keeps it as
    the version the seed is, before any user may be able to read the ledgers)."""
    years = list(data.FISCAL_YEARS)
    measures = {m.code: {"title": m.title, "division": m.division, "target": m.target or None,
                         "note": m.note, "agenda": m.agenda or None,
                         "qualitative": "\n".join(m.qualitative) or None,
                         "quantitative": "\n".join(m.quantitative) or None,
                         "schedule": {str(y): s for y, s in m.schedule.items()}}
                for m in data.MEASURES}
    targets: dict[str, dict[str, Any]] = {}
    for name, _measure, _unit, goal, by_year in data.KPIS:
        every = data.EVERY_SECTION_BY.get(name)
        planned: dict[str, int | float | None] = {}
        for y in years:
            value = by_year.get(y)
            planned[str(y)] = kpi.sections_on(kpi.fiscal_range(y)[1]) if y == every else \
                None if value is None else kpi.whole(value)
        targets[name] = {"goal": goal, "targets": planned}
    return {"fiscal_years": years, "measures": measures, "targets": targets}


def _version(record: dict[str, Any]) -> dict[str, Any]:
    values = record["values"]
    return {"id": record["id"], "label": values.get("label"), "date": values.get("date"),
            "reason": values.get("reason")}


def versions(user: access.AnyUser) -> list[dict[str, Any]]:
    """The versions, oldest first: by date, and a version kept without one on the day it was
    kept (not before every dated one)."""
    schema = open_ledger(user, REVISIONS)
    found = [(r["values"].get("date") or str(r["created_at"])[:10], r["id"], _version(r))
             for r in sel.all_records(user, schema)]
    return [v for _date, _id, v in sorted(found, key=lambda f: (f[0], f[1]))]


def may_save(user: access.AnyUser) -> bool:
    """Whether `user` may keep a new version (the rule save() applies: add on 計画改定)."""
    try:
        open_ledger(user, REVISIONS, "add")
    except NotFound:
        return False
    return True


def save(user: access.AnyUser, *, label: Any, date: Any, reason: Any) -> dict[str, Any]:
    """Keep the plan as it stands now as a version (the add right on 計画改定)."""
    schema = open_ledger(user, REVISIONS, "add")
    if not isinstance(label, str) or not label.strip():
        raise InvalidInput(_("Give the version a name (for example 令和2年4月改定)."),
                           code=Code.INVALID_LABEL, details={"at": "label"})
    record = record_svc.create_record(user=user, schema=schema, values={
        "label": label.strip(), "date": date, "reason": reason,
        "snapshot": json.dumps(snapshot(user), ensure_ascii=False, sort_keys=True)})
    return _version(record)


def _load(user: access.AnyUser, version_id: int) -> dict[str, Any]:
    schema = open_ledger(user, REVISIONS)
    record = sel.records_json(schema, [sel.get_row(user, schema, version_id)],
                              ValueContext())[0]
    try:
        found = json.loads(record["values"].get("snapshot") or "")
    except ValueError:
        found = None
    if not isinstance(found, dict):
        raise InvalidInput(_("This version holds no readable snapshot of the plan."),
                           code=Code.INVALID_SNAPSHOT)
    return found


def _changes(kind: str, key: str, old: dict[str, Any] | None,
             new: dict[str, Any] | None) -> list[dict[str, Any]]:
    if old is None or new is None:
        return [{"kind": kind, "key": key, "field": None,
                 "old": old, "new": new}]
    out = []
    for field in sorted(set(old) | set(new)):
        if isinstance(old.get(field), dict) or isinstance(new.get(field), dict):
            a, b = old.get(field) or {}, new.get(field) or {}
            out += [{"kind": kind, "key": key, "field": f"{field}.{sub}", "old": a.get(sub),
                     "new": b.get(sub)} for sub in sorted(set(a) | set(b))
                    if a.get(sub) != b.get(sub)]
        elif old.get(field) != new.get(field):
            out.append({"kind": kind, "key": key, "field": field, "old": old.get(field),
                        "new": new.get(field)})
    return out


@dataclass(frozen=True)
class Comparison:
    old: dict[str, Any]  # the snapshots compared, as snapshot() gives them
    new: dict[str, Any]
    changes: list[dict[str, Any]]


def compare(user: access.AnyUser, from_id: int, to_id: int | None = None) -> Comparison:
    """Version `from_id` against version `to_id` (None: the plan as it is now): the two
    snapshots and what differs, per measure (by code) and per target (by KPI name), each
    changed field with old and new; a measure or target only in one of them has field null and
    old or new null."""
    old = _load(user, from_id)
    new = _load(user, to_id) if to_id is not None else snapshot(user)
    changes: list[dict[str, Any]] = []
    for kind in ("measures", "targets"):
        a, b = old.get(kind) or {}, new.get(kind) or {}
        for key in list(a) + [k for k in b if k not in a]:
            changes += _changes(kind, key, a.get(key), b.get(key))
    return Comparison(old, new, changes)


def diff(user: access.AnyUser, from_id: int, to_id: int | None = None) -> dict[str, Any]:
    """The API's answer: compare() without the snapshots."""
    return {"from": from_id, "to": to_id, "changes": compare(user, from_id, to_id).changes}
