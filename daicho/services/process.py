"""The writer of process actions (contract §8): a status change is one transaction that moves
the record, writes its history entry (action `status`) and tells the event listeners, with
who is now waited for. An action that needs several approvers (合議: mode all or N of M)
records each approval until enough have been given; the last one moves the status.

Taking an action needs the view right on the record and being named by the action's `by`
(or standing in for someone who is, 代理); it needs no edit right. Delegations are written
here too."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils.translation import gettext as _

from daicho import access
from daicho.access import AnyUser
from daicho.db import dialect
from daicho.db.dialect import q
from daicho.error_codes import Code
from daicho.errors import Conflict, FieldValueError, Forbidden, InvalidInput
from daicho.fields.base import check_text
from daicho.fields.context import ValueContext
from daicho.models import ProcessApproval, ProcessDelegation
from daicho.selectors import process as flow
from daicho.selectors import records as sel
from daicho.selectors.ledgers import STATUS_COLUMN, LedgerSchema
from daicho.services import record_history
from daicho.services import records as writer

MAX_COMMENT = 2000


def _comment(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidInput(_("comment must be text."), code=Code.INVALID_COMMENT)
    try:
        return check_text(value.strip(), multiline=True, max_length=MAX_COMMENT)
    except FieldValueError as exc:
        raise InvalidInput(exc.message, code=Code.INVALID_COMMENT) from None


def _stale(schema: LedgerSchema, row: sel.Row, message: str) -> Conflict:
    return Conflict(message, details={"current": sel.records_json(schema, [row],
                                                                  ValueContext())[0]})


def take_action(*, user: AnyUser, schema: LedgerSchema, record_id: Any, action: Any,
                revision: Any, comment: Any = None) -> dict[str, Any]:
    """Take `action` on the record at `revision`: 200 RECORD; 403 `action_not_allowed`; 409
    `conflict` when the revision is stale or the action does not start from the status."""
    grant = access.require(user, schema, "view")
    seen = grant.schema("view")
    if not isinstance(action, str) or not action.strip():
        raise InvalidInput(_("Name the action to take."), code=Code.INVALID_ACTION)
    if not isinstance(revision, int) or isinstance(revision, bool):
        raise InvalidInput(_("revision is required: the revision you loaded."),
                           code=Code.REVISION_REQUIRED)
    text = _comment(comment)
    full = grant.full
    with transaction.atomic():
        row = flow.full_row(user, schema, record_id, for_update=True)
        if full.process is None or row.status is None:
            raise InvalidInput(_("This ledger has no process."), code=Code.NO_PROCESS)
        process = flow.definition(full, row.process_version)
        named = [a for a in process.get("actions", []) if a["name"] == action.strip()]
        if not named:
            raise InvalidInput(_("There is no action 「%(name)s」 in this process.")
                               % {"name": action.strip()[:100]}, code=Code.UNKNOWN_ACTION)
        found = next((a for a in named if a["from"] == row.status), None)
        if found is None:
            raise _stale(seen, row, _("The action 「%(name)s」 cannot be taken from the status "
                                      "「%(status)s」. Someone may have moved the record first.")
                         % {"name": named[0]["name"], "status": row.status})
        # After the status check: when the status moved, saying so is what helps.
        if revision != row.revision:
            raise _stale(seen, row, _("Someone else changed this record after you opened it. "
                                      "Please check it and try again."))
        allowed, acting_for = flow.actor(found, user, full, row)
        if not allowed or not flow.condition_holds(found, full, row):
            raise Forbidden(_("You may not take the action 「%(name)s」 on this record.")
                            % {"name": found["name"]}, code=Code.ACTION_NOT_ALLOWED)
        if found.get("comment_required") and not text:
            raise InvalidInput(_("The action 「%(name)s」 needs a comment.")
                               % {"name": found["name"]}, code=Code.COMMENT_REQUIRED)
        approver = acting_for or user
        needed = flow.needed_count(found, full, row)
        approvers: list[str] = []
        if needed > 1:
            given = ProcessApproval.objects.filter(ledger_id=full.id, record_id=row.id,
                                                   action=found["name"])
            logins = list(given.order_by("at", "id").values_list("user__username", flat=True))
            if approver.get_username() in logins:
                raise Conflict(_("This approval has already been given."),
                               code=Code.ALREADY_APPROVED)
            if len(logins) + 1 < needed:
                ProcessApproval.objects.create(
                    ledger_id=full.id, record_id=row.id, action=found["name"],
                    user_id=int(approver.pk or 0), acted_by_id=user.pk if acting_for else None,
                    comment=text, at=dialect.now())
                [fresh] = writer._rows_by_id(user, seen, [row.id])
                return sel.records_json(seen, [fresh], ValueContext())[0]
            approvers = [*logins, approver.get_username()]
        _move(user, full, row, found, text, acting_for, approvers)
        [fresh] = writer._rows_by_id(user, seen, [row.id])
    return sel.records_json(seen, [fresh], ValueContext())[0]


def _move(user: AnyUser, schema: LedgerSchema, row: sel.Row, action: dict[str, Any],
          comment: str, acting_for: Any, approvers: list[str]) -> None:
    """Move the record to the action's status with its history entry and event."""
    with connection.cursor() as cur:
        cur.execute(f"UPDATE {q(schema.table)} SET {STATUS_COLUMN} = %s, revision = revision + 1,"
                    " updated_at = %s, updated_by = %s WHERE id = %s",
                    [action["to"], dialect.param(dialect.now()),
                     user.pk if user.is_authenticated else None, row.id])
    process = flow.definition(schema, row.process_version)
    if flow.gathers_approvals(process, row.status):
        ProcessApproval.objects.filter(ledger_id=schema.id, record_id=row.id).delete()
    change: dict[str, Any] = {"old": row.status, "new": action["to"], "action": action["name"]}
    if comment:
        change["comment"] = comment
    if acting_for is not None:
        change["acting_for"] = acting_for.get_username()
    if approvers:
        change["approvals"] = approvers
    moved = replace(row, status=action["to"], revision=row.revision + 1)
    waiting = flow.waiting_users(schema, moved, process)
    record_history.write_history(
        schema, user, [(row.id, moved.revision, "status", {"status": change})],
        extra={"from": row.status, "to": action["to"], "action": action["name"],
               "comment": comment, "waiting": waiting})


def offers_json(*, user: AnyUser, schema: LedgerSchema, record_id: Any) -> dict[str, Any]:
    """`GET …/actions`: the status, the actions the caller may take now and the approvals
    gathered so far."""
    access.require(user, schema, "view")
    row = flow.full_row(user, schema, record_id)
    return {"status": row.status, "revision": row.revision,
            "items": [o.as_json() for o in flow.offers(user, schema, row)],
            "approvals": flow.approvals(schema, row.id) if row.status is not None else {}}


# -- delegation (代理) ----------------------------------------------------------------------------

def delegation_json(user: AnyUser) -> dict[str, Any]:
    found = ProcessDelegation.objects.filter(user_id=int(user.pk or 0)).select_related("delegate").first()
    if found is None:
        return {"delegate": None, "from": None, "until": None}
    return {"delegate": found.delegate.get_username(), "from": found.starts.isoformat(),
            "until": found.ends.isoformat()}


def _day(value: Any, at: str) -> dt.date:
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise InvalidInput(_("Write the date as YYYY-MM-DD."), code=Code.INVALID_DELEGATION,
                       details={"at": at})


def set_delegation(*, user: AnyUser, delegate: Any, starts: Any = None,
                   ends: Any = None) -> dict[str, Any]:
    """Name the person who may take `user`'s actions from `starts` to `ends` (inclusive), or
    none (`delegate` null)."""
    access.require_user(user)
    with transaction.atomic():
        if delegate is None:
            ProcessDelegation.objects.filter(user_id=int(user.pk or 0)).delete()
            return delegation_json(user)
        if not isinstance(delegate, str):
            raise InvalidInput(_("Give the login of the delegate."), code=Code.INVALID_DELEGATION,
                               details={"at": "delegate"})
        person = get_user_model().objects.filter(username=delegate, is_active=True).first()
        if person is None or person.pk == user.pk:
            raise InvalidInput(_("There is no other user 「%(login)s」.")
                               % {"login": delegate[:50]}, code=Code.INVALID_DELEGATION,
                               details={"at": "delegate"})
        first, last = _day(starts, "from"), _day(ends, "until")
        if last < first:
            raise InvalidInput(_("Give a period: from and until (YYYY-MM-DD), until not before "
                                 "from."), code=Code.INVALID_DELEGATION, details={"at": "until"})
        ProcessDelegation.objects.update_or_create(
            user_id=int(user.pk or 0), defaults={"delegate": person, "starts": first, "ends": last})
    return delegation_json(user)
