"""Response bodies of fixed shape, so that openapi.json describes real types (contract §4).

Each schema names exactly the keys the endpoint answers with: `extra="forbid"` makes a key the
code adds but the schema does not name fail loudly (in the tests) instead of vanishing, and
`strict=True` keeps every value as it is, never converted. Endpoints declare them with
`exclude_unset=True`, so a key the code leaves out (`notes`, `computing`) stays out: the JSON is
the same as the dict the services build. A record's values (per-ledger fields) stay a free object.
tests/api/test_openapi_types.py keeps the list of endpoints that must be typed.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import ConfigDict, Field, WithJsonSchema


class Out(Schema):
    model_config = ConfigDict(extra="forbid", strict=True)


# A value of a ledger's field (or a grouping key, a sum): any JSON value, passed through as the
# code builds it (no check, no conversion), described as such.
Value = Annotated[Any, WithJsonSchema({"anyOf": [{"type": kind} for kind in (
    "string", "number", "boolean", "array", "object", "null")]})]


class FieldOut(Out):
    code: str
    name: str
    type: str
    required: bool
    unique: bool
    options: dict[str, Any]
    position: int
    # Computed fields only: the recomputation queued or running ({"job", "progress"}), or null.
    computing: dict[str, Any] | None = None


class LedgerSummary(Out):
    id: int
    name: str
    description: str
    record_count: int | None  # null: the caller does not see every record
    folder: str


class LedgerOut(Out):
    id: int
    name: str
    description: str
    record_count: int | None
    sensitive: bool
    # Where the ledger came from: {"file", "format", …} from an import, {"note"} by hand.
    migrated_from: dict[str, Any] | None
    folder: str
    template: bool
    fields: list[FieldOut]
    # A ledger made from a template or a design: what could not be carried over.
    notes: list[Any] = []


class LedgerList(Out):
    items: list[LedgerSummary]


class TemplateOut(Out):
    id: int
    name: str
    description: str


class TemplateList(Out):
    items: list[TemplateOut]


class RecordOut(Out):
    """RECORD (contract §4.2); `status` only in a ledger with a process (§8)."""

    id: int
    revision: int
    values: dict[str, Any]  # per-ledger fields, keyed by field code: a free object
    created_at: str | None
    created_by: str | None
    updated_at: str | None
    updated_by: str | None
    status: str | None = None


class RecordPage(Out):
    items: list[RecordOut]
    next_cursor: str | None
    total: int | None


class HistoryEntry(Out):
    revision: int
    at: str
    by: str | None
    action: str
    changes: dict[str, Any]


class HistoryList(Out):
    items: list[HistoryEntry]


class OrgOut(Out):
    code: str
    name: str
    parent_code: str | None
    # With as_of, and in a department's history: the days the state holds.
    valid_from: str | None = None
    valid_to: str | None = None
    scheduled: bool = False


class OrgList(Out):
    items: list[OrgOut]


class RoleOut(Out):
    name: str
    users: int


class RoleList(Out):
    items: list[RoleOut]


class UserOut(Out):
    login: str
    name: str
    org: str | None
    roles: list[str]
    admin: bool


class UserList(Out):
    items: list[UserOut]


class UnreadCount(Out):
    unread: int


class ReadCount(Out):
    read: int


class RulesOut(Out):
    rules: list[dict[str, Any]]  # contract §5 rules, as docs/permissions.md describes them


class CommentRevisionOut(Out):
    revision: int
    at: str
    by: str | None
    action: str  # create, edit or delete
    text: str
    mentions: list[str]


class CommentHistoryList(Out):
    items: list[CommentRevisionOut]


# -- records --------------------------------------------------------------------------------


class BulkOut(Out):
    created: list[RecordOut]
    updated: list[RecordOut]


class LedgerRef(Out):
    id: int
    name: str


class RelatedGroup(Out):
    ledger: LedgerRef
    field: str
    total: int
    records: list[RecordOut]
    next_cursor: str | None


class RelatedList(Out):
    items: list[RelatedGroup]


class Group(Out):
    key: Value
    value: Value  # a count, a sum or average, or the smallest or largest value of the field


class GroupList(Out):
    groups: list[Group]


class CrossRow(Out):
    key: Value
    values: list[Value]
    total: Value


class CrossColumn(Out):
    key: Value
    total: Value


class CrossTabOut(Out):
    rows: list[CrossRow]
    columns: list[CrossColumn]
    total: Value


class FileOut(Out):
    id: int
    name: str
    size: int


class CopyState(Out):
    field: str
    record: int | None
    copied_revision: int | None
    revision: int | None
    stale: bool


class CopyStateList(Out):
    items: list[CopyState]


# -- imports and jobs -----------------------------------------------------------------------


class JobOut(Out):
    id: int
    kind: str
    status: str
    progress: int
    result: dict[str, Any]  # the job's result; an import's report (contract §3.1)
    created_at: str


class RollbackOut(Out):
    trashed: int
    reverted: int
    edited_since: int


# -- process --------------------------------------------------------------------------------


class ProcessOut(Out):
    enabled: bool
    statuses: list[str]
    initial: str | None
    actions: list[dict[str, Any]]  # contract §8 actions, as docs/api.md describes them
    version: int


class OfferOut(Out):
    name: str
    from_: str = Field(alias="from")
    to: str
    mode: str
    comment_required: bool
    needed: int
    approved_by: list[str]
    acting_for: str | None


class ApprovalOut(Out):
    user: str
    by: str | None
    at: str
    comment: str


class OffersOut(Out):
    status: str | None
    revision: int
    items: list[OfferOut]
    approvals: dict[str, list[ApprovalOut]]  # per action name


class DelegationOut(Out):
    delegate: str | None
    from_: str | None = Field(alias="from")
    until: str | None


# -- webhooks -------------------------------------------------------------------------------


class HookOut(Out):
    id: int
    url: str
    events: list[str]
    secret: str | None  # only in the answer to the PUT that generated it
    enabled: bool
    suspended: bool
    suspended_at: str | None
    failures: int


class HookList(Out):
    hooks: list[HookOut]


class DeliveryOut(Out):
    id: int
    delivery: str
    hook: int | None
    url: str | None
    event: str
    record: int
    revision: int
    at: str | None
    status: str
    attempts: int
    next_attempt_at: str | None
    last_attempt_at: str | None
    response_code: int | None
    response_body: str
    error: str


class DeliveryPage(Out):
    items: list[DeliveryOut]
    next: int | None


# -- audit, notifications, mail -------------------------------------------------------------


class AuditEventOut(Out):
    seq: int
    at: str
    user: str
    action: str
    target: str
    ip: str
    hash: str


class AuditLog(Out):
    items: list[AuditEventOut]


class NotificationOut(Out):
    id: int
    at: str
    kind: str
    ledger: int | None
    ledger_name: str | None
    record: int | None
    text: str
    read: bool


class NotificationList(Out):
    items: list[NotificationOut]
    unread: int


class NotificationRulesOut(Out):
    rules: list[dict[str, Any]]  # contract §9 rules
    digest_over: int


class MailSettingsOut(Out):
    email: str
    daily_digest: bool
    mail_enabled: bool


class OutboxMailOut(Out):
    id: int
    key: str
    to: str
    subject: str
    status: str
    attempts: int
    last_error: str
    created_at: str | None
    next_attempt_at: str | None
    sent_at: str | None


class OutboxList(Out):
    items: list[OutboxMailOut]
    counts: dict[str, int]  # per status
    enabled: bool


# -- comments -------------------------------------------------------------------------------


class CommentOut(Out):
    id: int
    at: str
    by: str | None
    text: str
    mentions: list[str]
    edited_at: str | None
    deleted: bool


class CommentList(Out):
    items: list[CommentOut]


class SkippedMention(Out):
    text: str  # the mention as written
    reason: str  # ambiguous or cannot_view


class CommentWritten(CommentOut):
    skipped: list[SkippedMention]  # mentions that notified nobody


class CommentHit(CommentOut):
    ledger: LedgerRef
    record: int


class CommentSearchPage(Out):
    items: list[CommentHit]
    next_cursor: str | None


# -- print forms ----------------------------------------------------------------------------


class FormOut(Out):
    id: int
    name: str
    placeholders: list[str]


class FormUploaded(FormOut):
    missing_fonts: list[str]
    pdf: bool


class FormList(Out):
    items: list[FormOut]
    pdf: bool  # whether PDF output is available here


# -- directory and accounts -----------------------------------------------------------------


class OrgChanged(Out):
    code: str
    name: str
    parent_code: str | None
    valid_from: str
    valid_to: str | None
    abolished: Literal[False]
    scheduled: bool


class OrgAbolished(Out):
    code: str
    abolished: Literal[True]
    valid_from: str


class UserCreated(UserOut):
    email: str


class MembershipOut(Out):
    org: str
    name: str
    primary: bool
    valid_from: str
    valid_to: str | None


class UserDetail(UserOut):
    active: bool
    email: str
    extra_orgs: list[str]
    org_history: list[MembershipOut]


class SubjectList(Out):
    subjects: list[dict[str, Any]]  # contract §5 subjects


class PasswordChanged(Out):
    changed: bool


class UserPasswordChanged(Out):
    login: str
    changed: bool


class LockOut(Out):
    ip: str
    failures: int
    locked: bool
    locked_until: str | None


class SignInState(Out):
    login: str
    two_factor: bool
    two_factor_required: bool
    locks: list[LockOut]


class Unlocked(Out):
    login: str
    unlocked: int  # how many addresses were locked


class TwoFactorReset(Out):
    login: str
    reset: bool
