"""The demo's processes, notification rules and reminders (issue 16), set on the demo ledgers in
the run that creates them, through the same services as the API:

- 貸出物品台帳: 申請中 → 貸出 → 貸出中 → 返却確認 → 返却済 (or 却下, with a reason), decided by
  総務課; anyone may apply; 総務課 hears of each application, and the 担当 is reminded the day
  before 返却予定日 while the item is out.
- 監査指摘事項: 未回答 → 回答 → 回答済 → 確認 → 完了 (or 再回答依頼 back to 未回答); 情報企画課 (the
  CISO's office) enters the audited department's answer and confirms it.
- 監査改善計画: its 担当者 is reminded a week before 期限.

The existing records are moved along their process by the people the process names, so each
has a trail."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model

from daicho.access import AnyUser
from daicho.fields.context import ValueContext
from daicho.models import Ledger
from daicho.selectors import records as sel
from daicho.selectors.ledgers import LedgerSchema, load_schema
from daicho.services import notification_rules, permissions, process, process_design

LENDING = "貸出物品台帳"
FINDINGS = "監査指摘事項"
IMPROVEMENTS = "監査改善計画"
LENDING_DESK = "110"  # 総務課
CISO_OFFICE = "120"  # 情報企画課
LENDING_CLERK = "suzuki.ichiro"  # 総務課
AUDIT_CLERK = "yamada.taro"  # 情報企画課

LENDING_PROCESS = {
    "enabled": True, "statuses": ["申請中", "貸出中", "返却済", "却下"], "initial": "申請中",
    "actions": [
        {"name": "貸出", "from": "申請中", "to": "貸出中",
         "by": {"org": LENDING_DESK, "include_children": False}},
        {"name": "却下", "from": "申請中", "to": "却下",
         "by": {"org": LENDING_DESK, "include_children": False}, "comment_required": True},
        {"name": "返却確認", "from": "貸出中", "to": "返却済",
         "by": {"org": LENDING_DESK, "include_children": False}},
    ]}
FINDINGS_PROCESS = {
    "enabled": True, "statuses": ["未回答", "回答済", "完了"], "initial": "未回答",
    "actions": [
        {"name": "回答", "from": "未回答", "to": "回答済",
         "by": {"org": CISO_OFFICE, "include_children": False}},
        {"name": "確認", "from": "回答済", "to": "完了",
         "by": {"org": CISO_OFFICE, "include_children": False}},
        {"name": "再回答依頼", "from": "回答済", "to": "未回答",
         "by": {"org": CISO_OFFICE, "include_children": False}, "comment_required": True},
    ]}


def add_workflows(actor: AnyUser, created: list[str]) -> None:
    """Processes, rules and reminders for the demo ledgers among `created`."""
    for name, setup in ((LENDING, _lending), (FINDINGS, _findings),
                        (IMPROVEMENTS, _improvements)):
        lid = Ledger.objects.filter(name=name).values_list("id", flat=True).first()
        schema = load_schema(lid) if name in created and lid is not None else None
        if schema is not None:
            setup(actor, schema)


def _user(login: str) -> Any:
    return get_user_model().objects.filter(username=login, is_active=True).first()


def _add_rules(actor: AnyUser, schema: LedgerSchema, rules: list[dict[str, Any]]) -> None:
    permissions.set_rules(user=actor, schema=schema, rules=[*schema.ledger.rules, *rules])


def _move(user: Any, schema: LedgerSchema, record: dict[str, Any], *actions: str) -> None:
    current = record
    for action in actions:
        current = process.take_action(user=user, schema=schema, record_id=current["id"],
                                      action=action, revision=current["revision"])


def _lending(actor: AnyUser, schema: LedgerSchema) -> None:
    _add_rules(actor, schema, [
        {"subject": {"everyone": True}, "rights": ["view", "add"]},
        {"subject": {"org": LENDING_DESK, "include_children": False},
         "rights": ["view", "add", "edit", "export"]}])
    process_design.set_process(user=actor, schema=schema, body=LENDING_PROCESS)
    schema = load_schema(schema.id) or schema  # now with its status
    notification_rules.set_rules(user=actor, schema=schema, rules=[
        {"on": "create", "to": {"org": LENDING_DESK, "include_children": False}, "mail": False},
        {"on": "date", "to": {"field": "staff"}, "field": "due_on", "days_before": 1,
         "filter": "status:eq:貸出中", "mail": True}])
    clerk = _user(LENDING_CLERK)
    if clerk is None:
        return
    rows = sel.all_records(actor, schema, ctx=ValueContext())
    for n, row in enumerate(rows):
        if row["values"].get("returned"):
            _move(clerk, schema, row, "貸出", "返却確認")
        elif n < len(rows) - 1:  # the newest application is still waiting for 総務課
            _move(clerk, schema, row, "貸出")


def _findings(actor: AnyUser, schema: LedgerSchema) -> None:
    _add_rules(actor, schema, [
        {"subject": {"everyone": True}, "rights": ["view"]},
        {"subject": {"org": CISO_OFFICE, "include_children": False},
         "rights": ["view", "add", "edit"]}])
    process_design.set_process(user=actor, schema=schema, body=FINDINGS_PROCESS)
    schema = load_schema(schema.id) or schema  # now with its status
    notification_rules.set_rules(user=actor, schema=schema, rules=[
        {"on": "status", "to": {"org": CISO_OFFICE, "include_children": False},
         "filter": "status:eq:回答済", "mail": False}])
    clerk = _user(AUDIT_CLERK)
    if clerk is None:
        return
    rows = sel.all_records(actor, schema, ctx=ValueContext())
    for n, row in enumerate(rows):
        if n % 3 == 0:
            _move(clerk, schema, row, "回答", "確認")
        elif n % 3 == 1:
            _move(clerk, schema, row, "回答")


def _improvements(actor: AnyUser, schema: LedgerSchema) -> None:
    notification_rules.set_rules(user=actor, schema=schema, rules=[
        {"on": "date", "to": {"field": "owner"}, "field": "due_on", "days_before": 7,
         "mail": True}])
