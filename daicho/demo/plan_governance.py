"""The demo's ledgers for running the plan itself: its facts (計画概要), the progress per measure
and year (取組進捗), the committee's meetings and decisions, and the plan's versions (計画改定).
Apart from 計画概要 (the seed's own facts) the demo leaves them empty or, for 計画改定, keeps the
one version the seed is."""

from __future__ import annotations

from typing import Any

from daicho.plan import data
from daicho.plan.seed_text import PLAN_FACTS

Values = dict[str, Any]


def _choice(name: str, code: str, choices: list[str], **extra: Any) -> Values:
    return {"name": name, "type": "choice", "code": code, "options": {"choices": choices}, **extra}


def progress_fields(measures_id: int) -> list[Values]:
    """取組進捗: one record per measure and fiscal year (daicho.plan.progress). The demo records
    none: the seed says what was planned, not what was done."""
    return [
        {"name": "取組", "type": "link", "code": "measure", "required": True,
         "options": {"ledger": measures_id}},
        {"name": "年度", "type": "number", "code": "fiscal_year", "required": True},
        _choice("進捗", "status", data.PROGRESS_STATUSES, required=True),
        {"name": "進捗の説明", "type": "textarea", "code": "note"},
    ]


def committee_meeting_fields() -> list[Values]:
    """The committee's meetings (daicho.plan.committee); the demo records none."""
    return [
        {"name": "回", "type": "text", "code": "session", "required": True},
        {"name": "開催日", "type": "date", "code": "held_on", "required": True},
        {"name": "議題", "type": "textarea", "code": "agenda"},
        {"name": "議事録", "type": "textarea", "code": "minutes"},
        {"name": "資料", "type": "file", "code": "materials"},
    ]


def committee_item_fields(meetings_id: int, measures_id: int) -> list[Values]:
    """Agenda items and decisions of a meeting, each about a measure (or none)."""
    return [
        {"name": "会議", "type": "link", "code": "meeting", "required": True,
         "options": {"ledger": meetings_id}},
        {"name": "取組", "type": "link", "code": "measure", "options": {"ledger": measures_id}},
        {"name": "議題", "type": "text", "code": "item", "required": True},
        {"name": "決定事項", "type": "textarea", "code": "decision"},
    ]


def revision_fields() -> list[Values]:
    """Versions of the plan (daicho.plan.revisions): 版, 日付, 理由 and the snapshot (JSON)."""
    return [
        {"name": "版", "type": "text", "code": "label", "required": True},
        {"name": "日付", "type": "date", "code": "date",
         "options": {"precision": "month", "wareki": True}},
        {"name": "理由", "type": "textarea", "code": "reason"},
        {"name": "スナップショット", "type": "textarea", "code": "snapshot"},
    ]


def plan_info_fields() -> list[Values]:
    month = {"precision": "month", "wareki": True}
    return [
        {"name": "計画名", "type": "text", "code": "title", "required": True},
        {"name": "団体名", "type": "text", "code": "city"},
        {"name": "策定", "type": "date", "code": "adopted", "options": month},
        {"name": "改定", "type": "date", "code": "revised", "options": month},
        {"name": "改定の種類", "type": "text", "code": "revision_kind"},
        {"name": "計画期間", "type": "text", "code": "period"},
        {"name": "開始年度", "type": "number", "code": "first_year"},
        {"name": "終了年度", "type": "number", "code": "last_year"},
        {"name": "委員会", "type": "text", "code": "committee"},
        {"name": "委員長", "type": "text", "code": "chair"},
        {"name": "委員", "type": "text", "code": "members"},
        {"name": "推進体制", "type": "textarea", "code": "organisation"},
        {"name": "基幹システム利用課数", "type": "number", "code": "core_departments",
         "options": {"unit": "課"}},
        {"name": "基幹システム業務数", "type": "number", "code": "core_tasks",
         "options": {"unit": "業務"}},
        {"name": "情報システム数(約)", "type": "number", "code": "systems"},
        {"name": "パソコン台数(約)", "type": "number", "code": "pcs", "options": {"unit": "台"}},
        {"name": "現状", "type": "textarea", "code": "facts"},
    ]


def plan_info_records() -> list[Values]:
    return [dict(PLAN_FACTS)]
