"""The committee's own work (電子情報処理推進委員会): its meetings (開催, 議題, 議事録) and the
agenda items and decisions per measure, as two ordinary ledgers linked to the measures; and what
the committee report needs of them — the plan's name for the title, the meetings and decisions
of a fiscal year, and what changed in the measures and their progress since the previous
meeting (the previous report).

All reads go through the gate: a ledger the user may not view contributes nothing."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from daicho import access
from daicho.dates.localtime import TOKYO
from daicho.dates.wareki import format_fiscal_year
from daicho.errors import NotFound
from daicho.plan import data, kpi
from daicho.plan.ledgers import COMMITTEE_ITEMS as ITEMS
from daicho.plan.ledgers import COMMITTEE_MEETINGS as MEETINGS
from daicho.plan.ledgers import MEASURES, PLAN_INFO, PROGRESS, open_ledger
from daicho.selectors import records as sel
from daicho.selectors.ledgers import LedgerSchema
from daicho.services import records as record_svc


def _open(user: access.AnyUser, key: str) -> LedgerSchema | None:
    try:
        return open_ledger(user, key)
    except NotFound:
        return None


def title(user: access.AnyUser, year: int) -> str:
    """「山形市 電子情報処理推進委員会 … 進捗報告 令和4年度(2022年度)」: the city and the committee
    from 計画概要 when the user may see it."""
    facts: dict[str, Any] = {}
    schema = _open(user, PLAN_INFO)
    if schema is not None:
        found = sel.all_records(user, schema)
        facts = found[0]["values"] if found else {}
    who = " ".join(str(facts[k]) for k in ("city", "committee") if facts.get(k))
    plan = facts.get("title") or "情報システム全体最適化計画"
    return f"{who + ' ' if who else ''}{plan} 進捗報告 {format_fiscal_year(year)}({year}年度)"


@dataclass(frozen=True)
class Meeting:
    id: int
    session: str
    held_on: str
    agenda: str
    minutes: str


def meetings(user: access.AnyUser) -> list[Meeting]:
    schema = _open(user, MEETINGS)
    if schema is None:
        return []
    out = [Meeting(id=int(r["id"]), session=str(r["values"].get("session") or ""),
                   held_on=str(r["values"].get("held_on") or ""),
                   agenda=str(r["values"].get("agenda") or ""),
                   minutes=str(r["values"].get("minutes") or ""))
           for r in sel.all_records(user, schema)]
    return sorted(out, key=lambda m: (m.held_on, m.id))


def previous_meeting(user: access.AnyUser, today: dt.date) -> Meeting | None:
    """The latest meeting held before `today`: the previous report was made for it."""
    before = [m for m in meetings(user) if m.held_on and m.held_on < today.isoformat()]
    return before[-1] if before else None


def decisions(user: access.AnyUser, year: int) -> list[list[str]]:
    """The agenda items and decisions of the meetings held in fiscal year `year`:
    [開催日, 回, 番号, 議題, 決定事項]."""
    schema = _open(user, ITEMS)
    start, end = (d.isoformat() for d in kpi.fiscal_range(year))
    held = {m.id: m for m in meetings(user) if start <= m.held_on <= end}
    if schema is None or not held:
        return []
    codes = _measure_codes(user)
    rows = []
    for record in sel.all_records(user, schema):
        values = record["values"]
        meeting = held.get(int(values.get("meeting") or 0))
        if meeting is None:
            continue
        rows.append([meeting.held_on, meeting.session, codes.get(values.get("measure"), ""),
                     str(values.get("item") or ""), str(values.get("decision") or "")])
    return sorted(rows, key=lambda r: (r[0], r[2]))


def _measure_codes(user: access.AnyUser) -> dict[Any, str]:
    schema = _open(user, MEASURES)
    if schema is None:
        return {}
    return {r["id"]: str(r["values"].get("code") or "") for r in sel.all_records(user, schema)}


def _change_text(schema: LedgerSchema, changes: dict[str, Any]) -> str:
    parts = []
    for code, change in changes.items():
        field = schema.by_code.get(code)
        if field is None or not isinstance(change, dict):
            continue
        old, new = change.get("old"), change.get("new")
        parts.append(f"{field.name}: {'' if old is None else old} → {'' if new is None else new}")
    return "\n".join(parts)


def changes_since(user: access.AnyUser, since: dt.datetime | None) -> list[list[str]]:
    """What changed in the measures and their progress since `since` (everything when None),
    newest first: [日時, 変更者, 台帳, 番号, 年度, 内容]."""
    codes = _measure_codes(user)
    out: list[list[str]] = []
    for key in (MEASURES, PROGRESS):
        schema = _open(user, key)
        if schema is None:
            continue
        for record in sel.all_records(user, schema):
            updated = record.get("updated_at")
            if since is not None and (not updated or
                                      dt.datetime.fromisoformat(updated) < since):
                continue
            values = record["values"]
            code = values.get("code") if key == MEASURES else codes.get(values.get("measure"))
            year = values.get("fiscal_year")
            for entry in record_svc.history(user=user, schema=schema, record_id=record["id"]):
                at = dt.datetime.fromisoformat(entry["at"])
                if since is not None and at < since:
                    continue
                if key == MEASURES and entry["revision"] == 1:
                    continue  # the plan as loaded is not a change
                out.append([at.astimezone(TOKYO).strftime("%Y-%m-%d %H:%M"),
                            entry["by"] or "", str(schema.ledger.name), str(code or ""),
                            kpi.plan_label(int(year)) if year is not None else "",
                            _change_text(schema, entry["changes"])])
    return sorted(out, key=lambda r: r[0], reverse=True)


def since_label(meeting: Meeting | None) -> str:
    if meeting is None:
        return "前回の報告: なし(これまでのすべての変更)"
    return f"前回の報告: {meeting.session}({meeting.held_on})以降の変更"


def legend() -> str:
    return " ".join(f"{s}{m}" for s, m in data.LEGEND.items() if m)
