"""What records are grouped by in aggregation, charts and cross-tabs: a field's value, or for a
date field its calendar year, month or fiscal year (年度, April–March).

A grouping is written `CODE` or `CODE:PERIOD` (`year`, `month`, `fy`). The period is computed by
the database in the GROUP BY (`dialect.date_period`), so grouping a million records by 年度 is
one query whose result has one row per year, not one per day.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from daicho.db import dialect
from daicho.db.dialect import q
from daicho.error_codes import Code
from daicho.errors import InvalidInput
from daicho.fields.base import FieldType
from daicho.fields.context import ValueContext
from daicho.models import Field
from daicho.selectors.ledgers import LedgerSchema

PERIODS = ("year", "month", "fy")


@dataclass(frozen=True)
class Grouping:
    field: Field
    type: FieldType
    period: str  # "" groups by the value itself
    sql: str  # the expression to GROUP BY, over the table alias `t`

    @property
    def spec(self) -> str:
        return f"{self.field.code}:{self.period}" if self.period else self.field.code

    def key(self, raw: Any, ctx: ValueContext) -> Any:
        """The group's key in JSON: the field's JSON value; a year or 年度 as an integer
        (2024), a month as "YYYY-MM"; None for blanks."""
        if raw is None:
            return None
        if self.period == "month":
            return str(raw)[:7]
        if self.period:
            return int(raw)
        return self.type.to_json(self.field, raw, ctx)


def has_periods(ftype: FieldType) -> bool:
    return ftype.storage == "date"


def grouping(schema: LedgerSchema, spec: str) -> Grouping:
    """Parse `CODE` or `CODE:PERIOD`; a hidden or missing field answers as unknown."""
    code, sep, period = spec.partition(":")
    f = schema.field(code)
    ftype = schema.type_of(f)
    if not ftype.groupable:
        raise InvalidInput(_("The field 「%(name)s」 cannot be grouped.") % {"name": f.name},
                           code=Code.INVALID_GROUP_BY)
    column = f"t.{q(f.column)}"
    if not sep:
        return Grouping(f, ftype, "", column)
    if period not in PERIODS:
        raise InvalidInput(_("Group dates by year, month or fy (fiscal year)."),
                           code=Code.INVALID_GROUP_BY)
    if not has_periods(ftype):
        raise InvalidInput(_("Only a date field can be grouped by year, month or fiscal year; "
                             "「%(name)s」 is not a date field.") % {"name": f.name},
                           code=Code.INVALID_GROUP_BY)
    return Grouping(f, ftype, period, dialect.date_period(column, period))
