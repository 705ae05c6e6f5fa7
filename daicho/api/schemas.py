"""Response bodies of fixed shape, so that openapi.json describes real types (contract §4).

Each schema names exactly the keys the endpoint answers with: `extra="forbid"` makes a key the
code adds but the schema does not name fail loudly (in the tests) instead of vanishing, and
`strict=True` keeps every value as it is, never converted. Endpoints declare them with
`exclude_unset=True`, so a key the code leaves out (`notes`, `computing`) stays out: the JSON is
the same as the dict the services build. A record's values (per-ledger fields) stay a free object.
tests/api/test_openapi_types.py keeps the list of endpoints that must be typed.
"""

from __future__ import annotations

from typing import Any

from ninja import Schema
from pydantic import ConfigDict


class Out(Schema):
    model_config = ConfigDict(extra="forbid", strict=True)


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


class RecordPage(Out):
    items: list[dict[str, Any]]  # records: per-ledger fields, a free object each
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
