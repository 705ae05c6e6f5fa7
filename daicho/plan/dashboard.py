"""What the KPI dashboard shows: the KPIs of one fiscal year with their progress towards the
target, and one KPI's actual and target over the plan's fiscal years (daicho.plan.kpi computes)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from daicho import access
from daicho.plan import kpi
from daicho.plan.ledgers import KPIS, open_ledger

TARGET_CODE = re.compile(r"^target_(\d{4})$")


@dataclass
class Item:
    name: str
    measure: str | None
    target: int | float | None
    actual: int | float | None
    unit: str
    achieved: bool | None
    demo_data: bool = False  # counted from fictional demo records

    @property
    def progress(self) -> int | None:
        """Actual as a percentage of the target (may pass 100); None without both."""
        if self.target is None or self.actual is None:
            return None
        if self.target <= 0:
            return 100 if self.actual >= self.target else 0
        return round(self.actual / self.target * 100)

    @property
    def bar(self) -> int:
        """The progress bar's fill, 0–100."""
        return max(0, min(100, self.progress or 0))


def plan_years(user: access.AnyUser) -> list[int]:
    """The fiscal years the KPI ledger sets targets for (its fields `target_<year>`)."""
    schema = open_ledger(user, KPIS)
    found = (TARGET_CODE.match(f.code) for f in schema.fields)
    return sorted(int(m.group(1)) for m in found if m)


def selectable_years(years: list[int], current: int) -> list[int]:
    """The plan's years and on to the current fiscal year: actuals go on after a plan ends."""
    if not years:
        return [current]
    return list(range(min(years[0], current), max(years[-1], current) + 1))


def default_year(years: list[int], current: int) -> int:
    """The current fiscal year within the plan's years, else the plan year nearest to it."""
    if not years or current in years:
        return current
    return years[-1] if current > years[-1] else years[0]


def items(user: access.AnyUser, year: int) -> list[Item]:
    return [_item(k) for k in kpi.kpis(user, year)]


def _item(found: dict[str, Any]) -> Item:
    return Item(name=str(found.get("name") or ""), measure=found.get("measure"),
                target=found.get("target"), actual=found.get("actual"),
                unit=str(found.get("unit") or ""), achieved=found.get("achieved"),
                demo_data=bool(found.get("demo_data")))


def series(user: access.AnyUser, name: str, years: list[int]) -> list[tuple[int, Item | None]]:
    """One KPI, by name, in each of these fiscal years (None where it is missing)."""
    out: list[tuple[int, Item | None]] = []
    for year in years:
        found = next((i for i in items(user, year) if i.name == name), None)
        out.append((year, found))
    return out
