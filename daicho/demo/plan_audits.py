"""The demo's information security audit cycle (A-iii) as linked ledgers: the audit item
master ← checklist answers → engagements → the annual plan; findings → engagement and answer;
improvement plans → finding, with owner, due date and follow-up. daicho.demo.plan loads them.

Everything here is fictional and generated from a fixed seed."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from daicho.plan import data

Values = dict[str, Any]


def _choice(name: str, code: str, choices: list[str]) -> Values:
    return {"name": name, "type": "choice", "code": code, "options": {"choices": choices}}


AUDIT_YEARS = ((2019, 15), (2020, 16), (2021, 15), (2022, 17), (2023, 15))
# Sections that run My Number work: elsewhere item 3-1 (マイナンバー利用事務系の分離) does not apply.
MY_NUMBER_SECTIONS = {"市民課", "保険年金課", "資産税課", "生活福祉課", "介護保険課", "障がい福祉課",
                      "保健センター"}
SEVERITY = {"不適合": "高", "一部不適合": "中"}
POSTPONED = {2020: "感染症対策の業務増により翌年度へ延期"}


def audit_item_fields() -> list[Values]:
    return [
        {"name": "項目番号", "type": "text", "code": "item_no", "required": True, "unique": True},
        _choice("分類", "category", data.AUDIT_CATEGORIES) | {"required": True},
        {"name": "監査項目", "type": "textarea", "code": "title", "required": True},
        {"name": "監査資料の例", "type": "text", "code": "evidence"},
        {"name": "重点", "type": "yesno", "code": "focus"},
    ]


def audit_item_records() -> list[Values]:
    return [{"item_no": i.no, "category": i.category, "title": i.title, "evidence": i.evidence,
             "focus": i.focus} for i in data.AUDIT_ITEMS]


def audit_plan_fields() -> list[Values]:
    return [
        {"name": "計画番号", "type": "text", "code": "plan_no", "required": True, "unique": True},
        {"name": "年度", "type": "number", "code": "fiscal_year", "required": True},
        {"name": "監査対象課", "type": "org", "code": "department", "required": True},
        {"name": "予定時期", "type": "date", "code": "planned_month",
         "options": {"precision": "month"}},
        _choice("監査区分", "kind", ["内部監査", "外部監査"]),
        _choice("状況", "status", ["予定", "実施済", "延期"]),
        {"name": "備考", "type": "textarea", "code": "note"},
    ]


def audit_fields(plans_id: int) -> list[Values]:
    return [
        {"name": "監査番号", "type": "text", "code": "audit_no", "unique": True},
        {"name": "監査計画", "type": "link", "code": "plan", "options": {"ledger": plans_id}},
        {"name": "年度", "type": "number", "code": "fiscal_year"},
        {"name": "監査対象課", "type": "org", "code": "department"},
        {"name": "対象システム", "type": "text", "code": "systems"},
        {"name": "監査人", "type": "text", "code": "auditors"},
        {"name": "実施日", "type": "date", "code": "audit_date"},
        _choice("監査区分", "kind", ["内部監査", "外部監査"]),
        _choice("結果", "result", ["適合", "一部不適合", "不適合"]),
        {"name": "報告日", "type": "date", "code": "reported_on"},
        {"name": "備考", "type": "textarea", "code": "note"},
    ]


def audit_answer_fields(audits_id: int, items_id: int) -> list[Values]:
    return [
        {"name": "監査", "type": "link", "code": "audit", "options": {"ledger": audits_id}},
        {"name": "監査項目", "type": "link", "code": "item", "options": {"ledger": items_id}},
        _choice("判定", "answer", data.AUDIT_ANSWERS) | {"required": True},
        {"name": "証跡", "type": "textarea", "code": "evidence"},
        {"name": "証跡資料", "type": "file", "code": "evidence_files"},
    ]


def audit_finding_fields(audits_id: int, answers_id: int) -> list[Values]:
    return [
        {"name": "指摘番号", "type": "text", "code": "finding_no", "required": True,
         "unique": True},
        {"name": "監査", "type": "link", "code": "audit", "options": {"ledger": audits_id}},
        {"name": "チェック回答", "type": "link", "code": "answer",
         "options": {"ledger": answers_id}},
        _choice("重要度", "severity", ["高", "中", "低"]),
        {"name": "指摘内容", "type": "textarea", "code": "text", "required": True},
    ]


def audit_improvement_fields(findings_id: int) -> list[Values]:
    return [
        {"name": "指摘事項", "type": "link", "code": "finding", "options": {"ledger": findings_id}},
        {"name": "改善内容", "type": "textarea", "code": "action", "required": True},
        {"name": "担当課", "type": "org", "code": "owner_org"},
        {"name": "担当者", "type": "user", "code": "owner"},
        {"name": "期限", "type": "date", "code": "due_on"},
        _choice("進捗", "status", ["未着手", "対応中", "完了"]),
        {"name": "フォローアップ日", "type": "date", "code": "followed_up_on"},
        {"name": "フォローアップ結果", "type": "textarea", "code": "follow_up"},
    ]


class AuditCycle:
    """The generated audit cycle. Links are written as keys (計画番号, 監査番号, 項目番号,
    (監査番号, 項目番号), 指摘番号) and turned into record ids once the linked records exist."""

    def __init__(self, owners: dict[str, str]) -> None:
        self.owners = owners  # department code → login
        self.plans: list[Values] = []
        self.audits: list[Values] = []
        self.answers: list[Values] = []
        self.findings: list[Values] = []
        self.improvements: list[Values] = []


def _systems(department: str) -> str:
    names = [name for dept, name, *_rest in data.CANDIDATES if dept == department]
    return "、".join(names or ["グループウェア", "ファイルサーバ", "内部事務処理システム"])


def _follow_up(rng: random.Random, due: dt.date) -> tuple[str, dt.date | None, str | None]:
    """(status, follow-up date, result): older plans are done, the latest still open."""
    if due < dt.date(2023, 4, 1) or rng.random() < 0.3:
        return "完了", due + dt.timedelta(days=rng.randint(0, 45)), "改善を確認した"
    if rng.random() < 0.6:
        return "対応中", due + dt.timedelta(days=rng.randint(0, 30)), \
            "一部改善を確認。次回監査で再確認する"
    return "未着手", None, None


def _check(cycle: AuditCycle, rng: random.Random, audit_no: str, dept: str, dept_name: str,
           items: list[data.AuditItem], day: dt.date) -> str:
    """One engagement's checklist, with a finding and an improvement plan per non-conforming
    answer; returns the engagement's result (its worst answer)."""
    answers: list[str] = []
    for item in items:
        roll = rng.random()
        if item.no == "3-1" and dept_name not in MY_NUMBER_SECTIONS:
            answer = "対象外"
        else:
            answer = "不適合" if roll < 0.02 else "一部不適合" if roll < 0.08 else "適合"
        answers.append(answer)
        cycle.answers.append({"audit": audit_no, "item": item.no, "answer": answer,
                              "evidence": f"{item.evidence}を確認した。"
                              + (item.finding if answer in SEVERITY else "")})
        if answer not in SEVERITY:
            continue
        finding_no = f"{audit_no}-{sum(a in SEVERITY for a in answers):02d}"
        cycle.findings.append({"finding_no": finding_no, "audit": audit_no,
                               "answer": (audit_no, item.no), "severity": SEVERITY[answer],
                               "text": item.finding})
        due = day + dt.timedelta(days=120)
        status, followed_up, result = _follow_up(rng, due)
        cycle.improvements.append({
            "finding": finding_no, "action": item.improvement, "owner_org": dept,
            "owner": cycle.owners.get(dept), "due_on": due.isoformat(), "status": status,
            "followed_up_on": followed_up and followed_up.isoformat(), "follow_up": result})
    return next((r for r in ("不適合", "一部不適合") if r in answers), "適合")


def audit_cycle(orgs: dict[str, str], owners: dict[str, str], seed: int) -> AuditCycle:
    """Plans, engagements, checklist answers, findings and improvement plans, FY2019–FY2023.
    Every engagement checks the 重点 items and three more. `orgs`: department name → code,
    `owners`: department code → the login that owns its improvement plans."""
    rng = random.Random(seed)
    names = {code: name for name, code in orgs.items()}
    sections = sorted(code for name, code in orgs.items() if name.endswith(("課", "センター")))
    focus = [i for i in data.AUDIT_ITEMS if i.focus]
    others = [i for i in data.AUDIT_ITEMS if not i.focus]
    cycle = AuditCycle(owners)
    for year, count in AUDIT_YEARS:
        chosen = rng.sample(sections, min(count, len(sections)))
        for n, dept in enumerate(chosen, start=1):
            day = dt.date(year, 6, 1) + dt.timedelta(days=rng.randint(0, 240))
            external = n % 4 == 1
            kind = "外部監査" if external else "内部監査"
            plan_no, audit_no = f"{year}-{dept}", f"{year}-{n:02d}"
            cycle.plans.append({"plan_no": plan_no, "fiscal_year": year, "department": dept,
                                "planned_month": f"{day:%Y-%m}-01", "kind": kind,
                                "status": "実施済"})
            items = sorted(focus + rng.sample(others, 3),
                           key=lambda i: tuple(int(part) for part in i.no.split("-")))
            result = _check(cycle, rng, audit_no, dept, names.get(dept, ""), items, day)
            cycle.audits.append({
                "audit_no": audit_no, "plan": plan_no, "fiscal_year": year, "department": dept,
                "systems": _systems(names.get(dept, "")),
                "auditors": "外部監査人(委託)" if external else "情報企画課 監査チーム",
                "audit_date": day.isoformat(), "kind": kind, "result": result,
                "reported_on": (day + dt.timedelta(days=30)).isoformat()})
        if year in POSTPONED:  # one department of the year's plan left unaudited
            for dept in [s for s in sections if s not in chosen][:1]:
                cycle.plans.append({"plan_no": f"{year}-{dept}", "fiscal_year": year,
                                    "department": dept, "planned_month": f"{year + 1}-02-01",
                                    "kind": "内部監査", "status": "延期",
                                    "note": POSTPONED[year]})
    return cycle
