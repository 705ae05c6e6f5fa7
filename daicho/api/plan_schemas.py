"""Response bodies of the plan module's endpoints (contract §6; daicho/plan/api.py), typed as
daicho/api/schemas.py says: exactly the keys the code answers with, values as they are. A
measure's or a KPI's values are those of the plan's ledgers' fields: free values."""

from __future__ import annotations

from pydantic import Field

from daicho.api.schemas import Out, Value


class ProgressOut(Out):
    status: str | None  # 未着手 予定どおり 遅れ 完了 中止
    note: str | None


class MeasureOut(Out):
    code: Value
    title: Value
    division: Value
    schedule: dict[str, Value]  # per fiscal year: the planned symbol
    note: Value
    agenda: Value
    qualitative: Value
    quantitative: Value
    status: Value
    target: Value
    effects: Value
    situation: Value
    content: Value
    reference: Value
    progress: dict[str, ProgressOut]  # per fiscal year that has one recorded


class RoadmapOut(Out):
    fiscal_years: list[int]
    labels: dict[str, str]  # per fiscal year: its label in the plan (H30（2018）, …)
    current: int
    legend: dict[str, str]  # symbol → meaning
    measures: list[MeasureOut]


class KpiOut(Out):
    name: Value
    measure: Value
    target: Value
    actual: Value
    unit: Value
    achieved: bool | None
    goal: Value
    cumulative: bool
    demo_data: bool


class KpiList(Out):
    fiscal_year: int
    items: list[KpiOut]


class SystemRef(Out):
    id: int
    name: str


class DepartmentRef(Out):
    code: str
    name: str


class CandidateOut(Out):
    kind: str  # look_alike or my_number
    kinds: list[str]
    systems: list[SystemRef]
    departments: list[DepartmentRef | None]  # per system
    reason: str


class CandidateList(Out):
    items: list[CandidateOut]


class PlanVersionOut(Out):
    id: int
    label: Value
    date: Value
    reason: Value


class PlanVersionList(Out):
    items: list[PlanVersionOut]


class PlanChange(Out):
    kind: str  # measures or targets
    key: str  # a measure's code, a target's KPI name
    field: str | None  # null: the measure or target is in one of the two versions only
    old: Value
    new: Value


class PlanDiffOut(Out):
    from_: int = Field(alias="from")
    to: int | None
    changes: list[PlanChange]
