"""Loads the demo city's IT optimisation plan as ledgers, through the services.

Idempotent like daicho.demo.city: a ledger is created and filled only when no ledger of its name
exists, nor, for the plan's own ledgers, one of its key (daicho.plan.ledgers: a city may rename
them; the demo gives each its key). The KPI definitions live in the settings of the 目標指標
ledger (see daicho.plan.kpi).
The audit cycle's ledgers (daicho.demo.plan_audits) come after the ledgers they link to, and
their links are found by the linked records' numbers (監査番号, 項目番号 …), so a ledger created
in a later run links to the records already there.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from collections.abc import Callable
from typing import Any

from django.contrib.auth import get_user_model

from daicho.access import AnyUser
from daicho.demo.plan_audits import (
    audit_answer_fields,
    audit_cycle,
    audit_fields,
    audit_finding_fields,
    audit_improvement_fields,
    audit_item_fields,
    audit_item_records,
    audit_plan_fields,
)
from daicho.demo.plan_governance import (
    committee_item_fields,
    committee_meeting_fields,
    plan_info_fields,
    plan_info_records,
    progress_fields,
    revision_fields,
)
from daicho.demo.plan_sources import (
    online_fields,
    online_records,
    paperless_fields,
    paperless_records,
    print_fields,
    print_records,
)
from daicho.fields.context import ValueContext
from daicho.models import Ledger, Org
from daicho.plan import data
from daicho.plan import ledgers as keys
from daicho.plan.reference_text import REFERENCE_TEXT
from daicho.plan.seed_text import KPI_BASELINES, MEASURE_TEXT
from daicho.selectors import records as sel
from daicho.selectors.ledgers import load_schema
from daicho.services import ledgers, records

Values = dict[str, Any]

PLAN_INFO = keys.NAMES[keys.PLAN_INFO]
INVENTORY = keys.NAMES[keys.INVENTORY]
MEASURES = keys.NAMES[keys.MEASURES]
PROGRESS = keys.NAMES[keys.PROGRESS]
COMMITTEE_MEETINGS = keys.NAMES[keys.COMMITTEE_MEETINGS]
COMMITTEE_ITEMS = keys.NAMES[keys.COMMITTEE_ITEMS]
REVISIONS = keys.NAMES[keys.REVISIONS]
KPIS = keys.NAMES[keys.KPIS]
AUDIT_ITEMS = "情報セキュリティ監査項目"
AUDIT_PLANS = "情報セキュリティ監査計画"
AUDITS = "情報セキュリティ監査"
AUDIT_ANSWERS = "監査チェックリスト"
AUDIT_FINDINGS = "監査指摘事項"
AUDIT_IMPROVEMENTS = "監査改善計画"
QUOTES = "調達見積"
MEETINGS = "会議"
ONLINE = "電子申請手続"
PAPERLESS = "ペーパーレス会議システム整備"
PRINTS = "プリント枚数"
REFERENCES = [keys.NAMES[key] for key in keys.REFERENCES]
# The key daicho.plan finds each of the plan's own ledgers by (the demo-only ones have none).
KEY_OF = {name: key for key, name in keys.NAMES.items()}
# Ledgers whose records are fictional, generated for the demo (not from the seed): marked as such
# in their description and settings (``demo_data``), and on the KPI dashboard.
DEMO_ONLY = [AUDIT_ITEMS, AUDIT_PLANS, AUDITS, AUDIT_ANSWERS, AUDIT_FINDINGS, AUDIT_IMPROVEMENTS,
             QUOTES, MEETINGS, ONLINE, PAPERLESS, PRINTS]
DEMO_MARK = "【デモ用の架空データ】"
NETWORKS = ["マイナンバー利用事務系", "LGWAN接続系", "インターネット接続系"]
SEED = 20180401


def _choice(name: str, code: str, choices: list[str], **extra: Any) -> Values:
    return {"name": name, "type": "choice", "code": code, "options": {"choices": choices}, **extra}


def fy_field_name(year: int) -> str:
    return f"{year}年度"


def inventory_fields() -> list[Values]:
    marks: list[Values] = []
    for label, code in zip(data.EFFECTS, ("cost", "efficiency", "security", "utilization"),
                           strict=True):
        marks.append(_choice(label, code, data.MARKS))
        marks.append({"name": f"{label}備考", "type": "text", "code": f"{code}_note"})
    return [
        {"name": "システムID", "type": "autonumber", "code": "system_id",
         "options": {"prefix": "SYS-", "digits": 4}},
        {"name": "情報システム名", "type": "text", "code": "name", "required": True},
        # The row numbers of the seed's tables, so that 対象システム 「No. 1」 can be followed.
        {"name": "評価表No.", "type": "number", "code": "evaluation_no"},
        {"name": "資料4 No.", "type": "number", "code": "candidate_no"},
        {"name": "所管課", "type": "org", "code": "department"},
        _choice("区分", "category", ["共通基盤", "個別システム"]),
        *marks,
        _choice("対策", "action", ["必要", "不要"]),
        {"name": "対策備考", "type": "text", "code": "action_note"},
        {"name": "更新予定時期", "type": "date", "code": "renewal",
         "options": {"precision": "month", "wareki": True}},
        # 資料4 writes 「H32.3～」: the month and "from then on" (～).
        {"name": "更新予定時期～(以降)", "type": "yesno", "code": "renewal_from"},
        _choice("方向性", "direction",
                ["サーバ仮想化", "サーバ集約", "クラウド化", "システム統合", "現行維持"]),
        # What was done (C-i): クラウド化の件数 counts these, not the planned 更新予定時期.
        {"name": "実施日", "type": "date", "code": "done_on"},
        _choice("実施結果", "outcome", [*data.CLOUD_OUTCOMES, "見送り"]),
        {"name": "重要システム", "type": "yesno", "code": "critical"},
        {"name": "マイナンバー利用", "type": "yesno", "code": "my_number"},
        {"name": "目的", "type": "textarea", "code": "purpose"},
        {"name": "製品名", "type": "text", "code": "product"},
        {"name": "事業者", "type": "text", "code": "vendor"},
        {"name": "保守事業者", "type": "text", "code": "maintainer"},
        {"name": "契約開始日", "type": "date", "code": "contract_from"},
        {"name": "契約終了日", "type": "date", "code": "contract_to"},
        {"name": "費用年度", "type": "number", "code": "cost_year"},
        _choice("予算・決算", "cost_basis", ["予算", "決算"]),
        {"name": "整備費", "type": "number", "code": "build_cost", "options": {"unit": "円"}},
        {"name": "運用費", "type": "number", "code": "run_cost", "options": {"unit": "円"}},
        {"name": "改修費", "type": "number", "code": "change_cost", "options": {"unit": "円"}},
        _choice("設置場所", "hosting", ["庁舎内事務室", "情報企画課マシン室", "外部データセンター",
                                     "クラウドサービス"]),
        _choice("ネットワーク区分", "network", NETWORKS),
        {"name": "個人情報", "type": "yesno", "code": "personal_data"},
        {"name": "標準化対象業務", "type": "yesno", "code": "standard_work"},
        _choice("ガバメントクラウド", "gov_cloud", ["対象外", "検討中", "移行予定", "移行済"]),
        {"name": "最終監査日", "type": "date", "code": "last_audit"},
        {"name": "備考", "type": "textarea", "code": "note"},
    ]


def inventory_records(orgs: dict[str, str]) -> list[Values]:
    out: list[Values] = []
    codes = ("cost", "efficiency", "security", "utilization")
    for no, name, marks, action, action_note in data.EVALUATION:
        common = name != "個別システム"  # No. 1～10 are 共通基盤
        values: Values = {"name": name, "evaluation_no": no,
                          "category": "共通基盤" if common else "個別システム", "action": action,
                          "action_note": action_note or None,
                          "department": orgs.get("情報企画課") if common else None}
        for code, (mark, note) in zip(codes, marks, strict=True):
            values[code] = mark
            values[f"{code}_note"] = note or None
        out.append(values)
    for no, (dept, name, (year, month), direction, critical, my_number) in \
            enumerate(data.CANDIDATES, start=1):
        # Only what 資料4 says: 個人情報, ネットワーク区分, 設置場所 … stay empty (unknown).
        out.append({"name": name, "candidate_no": no, "department": orgs.get(dept),
                    "category": "個別システム",
                    "renewal": f"{year:04d}-{month:02d}-01", "renewal_from": True,
                    "direction": direction,
                    "critical": critical, "my_number": my_number})
    return out


def measure_fields() -> list[Values]:
    return [
        {"name": "番号", "type": "text", "code": "code", "required": True, "unique": True},
        _choice("対策区分", "division", data.DIVISIONS),
        {"name": "具体的取組", "type": "text", "code": "title", "required": True},
        {"name": "具体的取組(本文)", "type": "text", "code": "body_title"},
        {"name": "対象システム", "type": "text", "code": "target"},
        *[_choice(fy_field_name(y), f"fy{y}", data.SYMBOLS) for y in data.FISCAL_YEARS],
        {"name": "備考", "type": "textarea", "code": "note"},
        {"name": "協議事項", "type": "textarea", "code": "agenda"},
        {"name": "定性的目標", "type": "textarea", "code": "qualitative"},
        {"name": "定量的目標", "type": "textarea", "code": "quantitative"},
        {"name": "取組による効果", "type": "multichoice", "code": "effects",
         "options": {"choices": data.EFFECTS}},
        {"name": "現状", "type": "textarea", "code": "situation"},
        {"name": "取組内容", "type": "textarea", "code": "content"},
        {"name": "参考資料", "type": "text", "code": "reference"},
    ]


def measure_records() -> list[Values]:
    return [{
        "code": m.code, "division": m.division, "title": m.title, "body_title": m.body_title,
        "target": m.target or None,
        **{f"fy{y}": s for y, s in m.schedule.items()}, "note": m.note,
        "agenda": m.agenda or None, "qualitative": "\n".join(m.qualitative) or None,
        "quantitative": "\n".join(m.quantitative) or None, "effects": m.effects,
        "situation": MEASURE_TEXT[m.code][0] or None, "content": MEASURE_TEXT[m.code][1] or None,
        "reference": MEASURE_TEXT[m.code][2] or None,
    } for m in data.MEASURES]


def kpi_fields() -> list[Values]:
    return [
        {"name": "指標名", "type": "text", "code": "name", "required": True, "unique": True},
        {"name": "取組", "type": "text", "code": "measure"},
        {"name": "単位", "type": "text", "code": "unit"},
        {"name": "目標値", "type": "textarea", "code": "goal"},
        *[{"name": f"{y}年度目標", "type": "number", "code": f"target_{y}",
           "options": {"decimals": 1}} for y in data.FISCAL_YEARS],
        # A KPI counted from a base year the committee sets (プリント枚数の削減: 「利用状況を分析
        # した上で平成31年度に設定」): empty until it is set, and then the KPI has no value.
        {"name": "基準年度", "type": "number", "code": "base_year"},
        # The starting point the seed's 【現状】 gives in words (電子申請 since H19, …).
        {"name": "基準値", "type": "textarea", "code": "baseline"},
    ]


def kpi_records() -> list[Values]:
    """The eight KPIs with the targets the seed sets (none where it sets none)."""
    return [{"name": name, "measure": measure, "unit": unit, "goal": goal,
             **{f"target_{y}": targets.get(y) for y in data.FISCAL_YEARS},
             "baseline": KPI_BASELINES.get(name)}
            for name, measure, unit, goal, targets in data.KPIS]


# How each KPI is computed (daicho.plan.kpi); kept in the 目標指標 ledger's settings.
# クラウド化の件数 counts what was done (実施結果, in the fiscal year of its 実施日), never a
# planned 更新予定時期 that has passed.
KPI_DEFINITIONS: list[Values] = [
    {"name": "参考見積金額（予算要求額）の削減", "ledger": QUOTES, "metric": "reduction",
     "numerator": "revised_quote", "denominator": "first_quote", "year_field": "fiscal_year"},
    {"name": "情報セキュリティ監査の実施数", "ledger": AUDITS, "metric": "count",
     "date_field": "audit_date"},
    {"name": "電子申請システム等の対象手続き数", "ledger": ONLINE, "metric": "count",
     "date_field": "published_on", "cumulative": True},
    # 「市政経営会議を除く現行利用会議の事前打合せをペーパーレス化した場合」: the 175 leaves out
    # 市政経営会議.
    {"name": "ペーパーレス会議の実施数", "ledger": MEETINGS, "metric": "count",
     "filters": ["paperless:eq:true", "name:ne:市政経営会議"], "date_field": "held_on"},
    {"name": "ペーパーレス会議システムの整備数", "ledger": PAPERLESS, "metric": "distinct",
     "field": "department", "date_field": "installed_on", "cumulative": True,
     "target_every_section_by": data.EVERY_SECTION_BY["ペーパーレス会議システムの整備数"]},
    {"name": "プリント枚数の削減", "ledger": PRINTS, "metric": "sum", "field": "sheets",
     "year_field": "fiscal_year", "base_year": "record"},
    {"name": "台帳管理システムへの移行数", "source": "migrated_ledgers", "metric": "count",
     "cumulative": True},
    {"name": "クラウド化の件数", "ledger": INVENTORY, "metric": "count",
     "filters": [f"outcome:in:{','.join(data.CLOUD_OUTCOMES)}"], "date_field": "done_on",
     "cumulative": True},
]


def quote_fields() -> list[Values]:
    return [
        {"name": "対象システム", "type": "text", "code": "system", "required": True},
        {"name": "年度", "type": "number", "code": "fiscal_year"},
        {"name": "事業者", "type": "text", "code": "vendor"},
        {"name": "初回見積額", "type": "number", "code": "first_quote", "options": {"unit": "円"}},
        {"name": "修正見積額", "type": "number", "code": "revised_quote",
         "options": {"unit": "円"}},
        {"name": "契約額", "type": "number", "code": "contract_amount", "options": {"unit": "円"}},
        {"name": "備考", "type": "textarea", "code": "note"},
    ]


def quote_records() -> list[Values]:
    rng = random.Random(SEED + 2)
    systems = [c[1] for c in data.CANDIDATES] + ["基幹システム", "ネットワーク・イントラネット"]
    out: list[Values] = []
    for year in range(2019, 2024):
        for system in rng.sample(systems, 4):
            first = rng.randint(30, 400) * 100_000
            revised = first * rng.randint(80, 97) // 100 // 1000 * 1000
            out.append({"system": system, "fiscal_year": year, "vendor": "株式会社サンプル情報",
                        "first_quote": first, "revised_quote": revised,
                        "contract_amount": revised * rng.randint(90, 100) // 100 // 1000 * 1000})
    return out


def meeting_fields() -> list[Values]:
    return [
        {"name": "会議名", "type": "text", "code": "name", "required": True},
        {"name": "開催日", "type": "date", "code": "held_on"},
        {"name": "所管課", "type": "org", "code": "department"},
        {"name": "ペーパーレス", "type": "yesno", "code": "paperless"},
        {"name": "資料", "type": "file", "code": "materials"},
        {"name": "備考", "type": "textarea", "code": "note"},
    ]


MEETING_NAMES = ["市政経営会議", "関係部長会議", "指名競争入札参加者審査委員会", "課内打合せ",
                 "電子情報処理推進委員会", "係内打合せ"]


def meeting_records(orgs: dict[str, str]) -> list[Values]:
    rng = random.Random(SEED + 3)
    sections = sorted(orgs.values())
    out: list[Values] = []
    for year, held in ((2019, 40), (2020, 60), (2021, 90), (2022, 120), (2023, 150)):
        for _n in range(held):
            day = dt.date(year, 4, 1) + dt.timedelta(days=rng.randint(0, 364))
            out.append({"name": rng.choice(MEETING_NAMES), "held_on": day.isoformat(),
                        "department": rng.choice(sections),
                        "paperless": rng.random() < 0.4 + 0.1 * (year - 2019)})
    return out


_VALUE = re.compile(r"^(—|[\d,]+(\([\d.]+\))?)$")
REFERENCE_COLUMNS = [
    ["団体数", "平成27年度までに措置", "平成28年度に措置", "計"],
    ["団体数", "内部監査のみを実施", "外部監査のみを実施", "内部監査及び外部監査共に実施", "計"],
    ["団体数", "共同利用 導入済み", "共同利用 導入予定", "共同利用 計", "単独利用 導入済み",
     "単独利用 導入予定", "単独利用 計"],
]


def reference_fields(n: int) -> list[Values]:
    """資料n+1: a number per column, and beside it the ratio (%) the seed gives in brackets
    (「26(55.3)」 is 26 団体, 55.3 %), so that both chart and sum. 団体数 has no ratio."""
    numbers: list[Values] = []
    for i, name in enumerate(REFERENCE_COLUMNS[n]):
        numbers.append({"name": name, "type": "number", "code": f"c{i + 1}"})
        if i:
            numbers.append({"name": f"{name}(%)", "type": "number", "code": f"c{i + 1}_ratio",
                            "options": {"decimals": 1}})
    return [
        {"name": "表", "type": "text", "code": "table"},
        {"name": "区分", "type": "text", "code": "group"},
        {"name": "小区分", "type": "text", "code": "subgroup"},
        *numbers,
        {"name": "内容", "type": "textarea", "code": "text"},
    ]


_CELL = re.compile(r"^([\d,]+)(?:\(([\d.]+)\))?$")


def reference_cell(text: str) -> tuple[float | None, float | None]:
    """「26(55.3)」 → (26, 55.3); 「1,741」 → (1741, None); 「—」 or empty → (None, None)."""
    found = _CELL.match(text.strip())
    if found is None:
        return None, None
    number = float(found.group(1).replace(",", ""))
    return number, float(found.group(2)) if found.group(2) else None


def reference_rows(n: int) -> tuple[str, list[Values]]:
    """(description, rows) of 資料n+1: each table line with its cells exactly as in the seed."""
    lines = REFERENCE_TEXT[n].splitlines()
    description = "\n".join(line for line in lines[:3] if line)
    ncols = len(REFERENCE_COLUMNS[n])
    table = group = ""
    rows: list[Values] = []
    for line in lines[3:]:
        if not line.strip():
            continue
        if re.match(r"^[（(]\d[）)]", line):
            table = line.strip()
            continue
        cells = line.split("\t")
        if "団体数" in cells or cells[:3] == ["", "", "導入済み"]:
            continue  # a header line
        first = next((i for i, c in enumerate(cells) if _VALUE.match(c.strip())), None)
        if first is None or first == 0:
            rows.append({"table": table, "group": cells[0], "text": "\t".join(cells[1:]) or None})
            continue
        labels = [c.strip() for c in cells[:first]]
        values = [c.strip() for c in cells[first:]]
        if labels[0]:
            group = labels[0]
        sub = labels[1] if len(labels) > 1 else ""
        if len(values) < ncols and "," not in values[0]:
            values = [""] * (ncols - len(values)) + values  # 団体数 missing from the seed's row
        row: Values = {"table": table, "group": group, "subgroup": sub or None}
        for i, value in enumerate(values[:ncols]):
            number, ratio = reference_cell(value)
            row[f"c{i + 1}"] = number
            if i:
                row[f"c{i + 1}_ratio"] = ratio
        rows.append(row)
    return description, rows


def _orgs() -> dict[str, str]:
    """Department name → code."""
    return {name: code for code, name in Org.objects.values_list("code", "name")}


def _sections() -> list[str]:
    """The codes of the 課等: departments without sub-departments."""
    return sorted(Org.objects.filter(children__isnull=True).values_list("code", flat=True))


def _owners() -> dict[str, str]:
    """Department code → the login of one of its staff (not an administrator)."""
    users = get_user_model().objects.filter(is_active=True, is_superuser=False,
                                            profile__org__isnull=False).order_by("username")
    out: dict[str, str] = {}
    for login, code in users.values_list("username", "profile__org__code"):
        out.setdefault(code, login)
    return out


def _ledger_id(name: str) -> int:
    key = KEY_OF.get(name)
    found = Ledger.objects.filter(key=key) if key else Ledger.objects.filter(name=name)
    lid = found.values_list("id", flat=True).first()
    assert lid is not None, name  # the specs create linked ledgers first
    return lid


def _records_of(actor: AnyUser, name: str, ctx: ValueContext) -> list[dict[str, Any]]:
    schema = load_schema(_ledger_id(name))
    assert schema is not None
    return sel.all_records(actor, schema, ctx=ctx)


def _ids(actor: AnyUser, name: str, code: str, ctx: ValueContext) -> dict[Any, int]:
    """Record ids of a ledger by the value of one field (a ledger of that name that is not the
    demo's, without the field, gives none: its links stay empty)."""
    out: dict[Any, int] = {}
    for record in _records_of(actor, name, ctx):
        out.setdefault(record["values"].get(code), record["id"])
    return out


class Linker:
    """Turns the keys of the generated audit cycle into the ids of the records they name."""

    def __init__(self, actor: AnyUser, ctx: ValueContext) -> None:
        self.actor, self.ctx = actor, ctx

    def plans(self, rows: list[Values]) -> list[Values]:
        ids = _ids(self.actor, AUDIT_PLANS, "plan_no", self.ctx)
        return [{**v, "plan": ids.get(v["plan"])} for v in rows]

    def answers(self, rows: list[Values]) -> list[Values]:
        audits = _ids(self.actor, AUDITS, "audit_no", self.ctx)
        items = _ids(self.actor, AUDIT_ITEMS, "item_no", self.ctx)
        return [{**v, "audit": audits.get(v["audit"]), "item": items.get(v["item"])}
                for v in rows]

    def findings(self, rows: list[Values]) -> list[Values]:
        audits = _ids(self.actor, AUDITS, "audit_no", self.ctx)
        items = _ids(self.actor, AUDIT_ITEMS, "item_no", self.ctx)
        answers = {(r["values"].get("audit"), r["values"].get("item")): r["id"]
                   for r in _records_of(self.actor, AUDIT_ANSWERS, self.ctx)}
        out = []
        for v in rows:
            audit_no, item_no = v["answer"]
            key = (audits.get(audit_no), items.get(item_no))
            out.append({**v, "audit": audits.get(v["audit"]),
                        "answer": answers.get(key) if None not in key else None})
        return out

    def improvements(self, rows: list[Values]) -> list[Values]:
        ids = _ids(self.actor, AUDIT_FINDINGS, "finding_no", self.ctx)
        return [{**v, "finding": ids.get(v["finding"])} for v in rows]


Spec = tuple[str, str, Callable[[], list[Values]], Callable[[], list[Values]]]


def _specs(actor: AnyUser, ctx: ValueContext) -> list[Spec]:
    """(name, description, fields, records) in creation order: a linked ledger after the ledgers
    it links to. The callables run only for a ledger that is created."""
    orgs = _orgs()
    sections = _sections()
    cycle = audit_cycle(orgs, _owners(), SEED + 1)
    link = Linker(actor, ctx)
    specs: list[Spec] = [
        (PLAN_INFO, "計画の名称・策定と改定・計画期間・推進体制(委員会)と、計画が述べる現状の数値。",
         plan_info_fields, plan_info_records),
        (INVENTORY, "情報システムの一覧と評価(全体最適化計画 2(1)・資料4)。"
         "○:課題無し △:向上の可能性有り ×:課題有り。"
         f"資料4 No. のある行は「{data.CANDIDATES_TITLE}」です。{data.CANDIDATES_NOTE}",
         inventory_fields,
         lambda: inventory_records(orgs)),
        (MEASURES, "全体最適化に向けた具体的取組とロードマップ(計画 3・4)。"
         "⇒実施 □検討 ●導入・方針等策定 ☆一部実施 ★完了", measure_fields, measure_records),
        (PROGRESS, "取組ごと・年度ごとの進捗(未着手・予定どおり・遅れ・完了・中止)と説明。"
         "ロードマップの画面で入力し、委員会の進捗報告に載ります。",
         lambda: progress_fields(_ledger_id(MEASURES)), list),
        (COMMITTEE_MEETINGS, "電子情報処理推進委員会の開催記録(回・開催日・議題・議事録)。"
         "委員会の進捗報告は、前回の開催日以降の変更を載せます。", committee_meeting_fields, list),
        (COMMITTEE_ITEMS, "委員会の議題と決定事項(取組ごと)。",
         lambda: committee_item_fields(_ledger_id(COMMITTEE_MEETINGS), _ledger_id(MEASURES)),
         list),
        (KPIS, "委員会で進行管理する定量的目標。算定方法は台帳の設定(kpis)にあります。",
         kpi_fields, kpi_records),
        (AUDIT_ITEMS, "情報セキュリティ監査の監査項目(総務省「地方公共団体における情報セキュリティ"
         "監査に関するガイドライン」の分類による)。重点は毎回確認する項目です。",
         audit_item_fields, audit_item_records),
        (AUDIT_PLANS, "年度ごとの情報セキュリティ監査計画(監査対象課と予定時期)。",
         audit_plan_fields, lambda: cycle.plans),
        (AUDITS, "情報セキュリティ監査の実施記録(監査対象課・実施日・内部/外部・結果)。",
         lambda: audit_fields(_ledger_id(AUDIT_PLANS)), lambda: link.plans(cycle.audits)),
        (AUDIT_ANSWERS, "監査ごとのチェックリスト(監査項目ごとの判定と証跡)。",
         lambda: audit_answer_fields(_ledger_id(AUDITS), _ledger_id(AUDIT_ITEMS)),
         lambda: link.answers(cycle.answers)),
        (AUDIT_FINDINGS, "監査の指摘事項(チェックリストの一部不適合・不適合から)。",
         lambda: audit_finding_fields(_ledger_id(AUDITS), _ledger_id(AUDIT_ANSWERS)),
         lambda: link.findings(cycle.findings)),
        (AUDIT_IMPROVEMENTS, "指摘事項への改善計画(担当・期限)とフォローアップの状況。",
         lambda: audit_improvement_fields(_ledger_id(AUDIT_FINDINGS)),
         lambda: link.improvements(cycle.improvements)),
        (QUOTES, "システム調達の参考見積(初回提示額・精査後の修正額・契約額)。", quote_fields,
         quote_records),
        (MEETINGS, "会議の開催記録(ペーパーレス会議の実施状況)。", meeting_fields,
         lambda: meeting_records(orgs)),
        (ONLINE, "電子申請システム等でオンライン化した手続(公開日から対象手続きに数えます)。",
         online_fields, lambda: online_records(orgs)),
        (PAPERLESS, "ペーパーレス会議システムの課等ごとの整備記録。", paperless_fields,
         lambda: paperless_records(sections)),
        (PRINTS, "課等ごと・年度ごとのプリント枚数。削減数は目標指標の基準年度との比較です"
         "(計画では利用状況を分析した上で平成31年度に設定)。",
         print_fields, lambda: print_records(sections)),
    ]
    for n, name in enumerate(REFERENCES):
        description, rows = reference_rows(n)
        specs.append((name, description, lambda n=n: reference_fields(n),  # type: ignore[misc]
                      lambda rows=rows: rows))  # type: ignore[misc]
    specs.append((REVISIONS, "計画の版(改定ごとの取組・スケジュール・目標のスナップショット)と"
                  "改定の理由。版どうしの差分を確認できます。", revision_fields,
                  lambda: [revised_version()]))
    return specs


def revised_version() -> Values:
    """The one version the seed is: 「平成31年4月一部改定」 (the H30.3 text is not in the seed)."""
    import json

    from daicho.plan.revisions import seed_snapshot

    return {"label": "平成31年4月一部改定", "date": "2019-04-01",
            "reason": "計画書の表紙による(「平成30年3月策定」「平成31年4月一部改定」)。改定の内容は"
                      "計画書に記載がないため、改定後の計画をこの版として保存しています。",
            "snapshot": json.dumps(seed_snapshot(), ensure_ascii=False, sort_keys=True)}


def load_plan(actor: AnyUser) -> list[str]:
    """Create and fill the plan's ledgers that do not exist yet; returns their names."""
    created: list[str] = []
    ctx = ValueContext()
    for name, description, fields, items in _specs(actor, ctx):
        key = KEY_OF.get(name)
        if Ledger.objects.filter(name=name).exists() or \
                (key is not None and Ledger.objects.filter(key=key).exists()):  # renamed since
            continue
        if name in DEMO_ONLY:
            description = DEMO_MARK + description
        schema = ledgers.create_ledger(user=actor, name=name, description=description,
                                       fields=fields())
        rows = items()
        for start in range(0, len(rows), 1000):
            records.bulk(user=actor, schema=schema, ctx=ctx,
                         create=[{"values": v} for v in rows[start:start + 1000]])
        extra: Values = {"kpis": KPI_DEFINITIONS} if name == KPIS else \
            {"demo_data": True} if name in DEMO_ONLY else {}
        if extra or name in KEY_OF:
            ledger = Ledger.objects.get(id=schema.id)
            ledger.settings = {**ledger.settings, **extra}
            ledger.key = key
            ledger.save(update_fields=["settings", "key"])
        created.append(name)
    return created
