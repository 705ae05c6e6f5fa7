"""The progress of each measure per fiscal year (取組進捗): what was done, as the committee
records it, beside the schedule symbol that says what was planned (contract §6).

Progress is an ordinary ledger (demo: 取組進捗) with a link to the measure, the fiscal year, a
status (未着手 予定どおり 遅れ 完了 中止) and a note, one record per measure and year; history and
permissions are those of any ledger. The roadmap page and the API read it here, and the roadmap
page writes it here, through the record writers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from daicho import access
from daicho.error_codes import Code
from daicho.errors import Conflict, InvalidInput, NotFound
from daicho.plan import data
from daicho.plan.ledgers import MEASURES, PROGRESS, open_ledger
from daicho.selectors import records as sel
from daicho.selectors.ledgers import LedgerSchema
from daicho.services import records as record_svc

CODES = ("measure", "fiscal_year", "status", "note")


@dataclass(frozen=True)
class Entry:
    """One recorded progress: the record holding it (id, revision) and its values."""

    id: int
    revision: int
    status: str | None
    note: str | None

    def as_json(self) -> dict[str, Any]:
        return {"status": self.status, "note": self.note}


Progress = dict[int, dict[int, Entry]]  # measure record id → fiscal year → entry


def _schema(user: access.AnyUser, right: str = "view") -> LedgerSchema | None:
    """The progress ledger if `user` holds `right` on it and may see its four fields."""
    try:
        schema = open_ledger(user, PROGRESS, right)
    except NotFound:
        return None
    return schema if all(code in schema.by_code for code in CODES) else None


def _entries(user: access.AnyUser, schema: LedgerSchema,
             filters: list[str] | None = None) -> Progress:
    out: Progress = {}
    for record in sel.all_records(user, schema, filters=filters or []):
        values = record["values"]
        measure, year = values.get("measure"), values.get("fiscal_year")
        if measure is None or year is None:
            continue
        # One record per measure and year; should two exist, the latest one (highest id) holds.
        out.setdefault(int(measure), {})[int(year)] = Entry(
            id=int(record["id"]), revision=int(record["revision"]), status=values.get("status"),
            note=values.get("note"))
    return out


def read(user: access.AnyUser) -> Progress:
    """Every recorded progress `user` may see (none without the right to view the ledger)."""
    schema = _schema(user)
    return _entries(user, schema) if schema is not None else {}


def entry(user: access.AnyUser, measure_id: int, year: int) -> Entry | None:
    schema = _schema(user)
    if schema is None:
        return None
    found = _entries(user, schema, [f"measure:eq:{measure_id}", f"fiscal_year:eq:{year}"])
    return found.get(measure_id, {}).get(year)


def editable(user: access.AnyUser) -> bool:
    """Whether `user` may record progress: add and edit on the progress ledger."""
    return _schema(user, "add") is not None and _schema(user, "edit") is not None


def statuses() -> list[str]:
    return list(data.PROGRESS_STATUSES)


def save(user: access.AnyUser, *, measure_id: int, year: int, status: str, note: str,
         revision: int | None) -> Entry:
    """Record the progress of one measure in one fiscal year through the record writers: a new
    record the first time, then an update guarded by `revision` (Conflict when someone changed
    the status or note since the form was opened)."""
    schema = _schema(user, "edit")
    if schema is None or _schema(user, "add") is None:
        raise NotFound()
    measures = open_ledger(user, MEASURES)
    sel.get_row(user, measures, measure_id)  # NotFound for a measure the user may not see
    if year not in data.schedule_years(measures.by_code):
        raise NotFound()
    status = status.strip()
    if status not in data.PROGRESS_STATUSES:
        message = _("Choose the progress from: %(choices)s.") % {
            "choices": "、".join(data.PROGRESS_STATUSES)}
        raise InvalidInput(message, code=Code.INVALID_VALUE, details={"fields": {"status": message}})
    values = {"status": status, "note": note.strip() or None}
    current = entry(user, measure_id, year)
    if current is None:
        record = record_svc.create_record(user=user, schema=schema, values={
            "measure": measure_id, "fiscal_year": year, **values})
    elif revision is None:
        raise Conflict()  # recorded by someone else since the form was opened (it had none)
    else:
        record = record_svc.update_record(user=user, schema=schema, record_id=current.id,
                                          revision=revision, values=values)
    saved = record["values"]
    return Entry(id=int(record["id"]), revision=int(record["revision"]),
                 status=saved.get("status"), note=saved.get("note"))
