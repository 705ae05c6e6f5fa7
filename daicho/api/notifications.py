"""Notifications, notification rules and mail (contract §9): the caller's own notifications,
a ledger's rules (managers), the mail outbox (admins) and one's own mail settings."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from daicho import access
from daicho.api import Body, api, schemas
from daicho.error_codes import Code
from daicho.errors import Forbidden, InvalidInput
from daicho.selectors import notifications as sel
from daicho.services import mail, notification_rules, notifications


class NotificationRulesIn(Body):
    rules: Any = None
    digest_over: Any = None


class MailSettingsIn(Body):
    email: Any = None
    daily_digest: Any = None


def _flag(value: str | None) -> bool:
    return value not in (None, "", "0", "false")


def _whole(value: str | None, name: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(str(value))
    except ValueError:
        number = -1
    if not 0 <= number < 2**62:
        raise InvalidInput(code=Code.INVALID_PARAMETER, details={"at": name})
    return number


@api.get("/notifications", tags=["notifications"], response=schemas.NotificationList,
         exclude_unset=True)
def get_notifications(request: HttpRequest, unread: str | None = None,
                      limit: str | None = None, before: str | None = None) -> dict[str, Any]:
    """The caller's notifications, newest first; `unread=1` only the unread ones."""
    access.require_user(request.user)
    items = sel.notifications_of(int(request.user.pk or 0), unread=_flag(unread),
                                 limit=_whole(limit, "limit") or sel.PAGE,
                                 before=_whole(before, "before"))
    return {"items": [sel.notification_json(n) for n in items],
            "unread": sel.unread_count(int(request.user.pk or 0))}


@api.get("/notifications/count", tags=["notifications"], response=schemas.UnreadCount,
         exclude_unset=True)
def get_notification_count(request: HttpRequest) -> dict[str, Any]:
    """The bell: how many unread notifications the caller has."""
    access.require_user(request.user)
    return {"unread": sel.unread_count(int(request.user.pk or 0))}


@api.post("/notifications/read", tags=["notifications"], response=schemas.ReadCount,
          exclude_unset=True)
def post_all_read(request: HttpRequest) -> dict[str, Any]:
    """Mark every notification of the caller read."""
    access.require_user(request.user)
    return {"read": notifications.mark_all_read(user=request.user)}


@api.post("/notifications/{notification_id}/read", tags=["notifications"],
          response=schemas.NotificationOut, exclude_unset=True)
def post_read(request: HttpRequest, notification_id: str) -> dict[str, Any]:
    access.require_user(request.user)
    return sel.notification_json(notifications.mark_read(user=request.user,
                                                         notification_id=notification_id))


@api.get("/ledgers/{ledger_id}/notifications", tags=["notifications"],
         response=schemas.NotificationRulesOut, exclude_unset=True)
def get_rules(request: HttpRequest, ledger_id: int) -> dict[str, Any]:
    schema = access.ledger_for(request.user, ledger_id, "manage")
    return notification_rules.rules_of(schema.ledger).as_json()


@api.put("/ledgers/{ledger_id}/notifications", tags=["notifications"],
         response=schemas.NotificationRulesOut, exclude_unset=True)
def put_rules(request: HttpRequest, ledger_id: int, body: NotificationRulesIn) -> dict[str, Any]:
    schema = access.ledger_for(request.user, ledger_id, "manage")
    return notification_rules.set_rules(user=request.user, schema=schema, rules=body.rules,
                                        digest_over=body.digest_over).as_json()


@api.get("/me/mail", tags=["notifications"], response=schemas.MailSettingsOut, exclude_unset=True)
def get_my_mail(request: HttpRequest) -> dict[str, Any]:
    """The caller's mail address and whether they get a daily digest instead of each mail."""
    access.require_user(request.user)
    return mail.preference_of(request.user)


@api.put("/me/mail", tags=["notifications"], response=schemas.MailSettingsOut, exclude_unset=True)
def put_my_mail(request: HttpRequest, body: MailSettingsIn) -> dict[str, Any]:
    access.require_user(request.user)
    return mail.set_preference(user=request.user, email=body.email,
                               daily_digest=body.daily_digest)


def _require_admin(request: HttpRequest) -> None:
    access.require_user(request.user)
    if not access.is_system_admin(request.user):
        raise Forbidden()


@api.get("/mail/outbox", tags=["notifications"], response=schemas.OutboxList, exclude_unset=True)
def get_outbox(request: HttpRequest, status: str | None = None) -> dict[str, Any]:
    """The mail queue (admins): pending and failed mail with the reason."""
    _require_admin(request)
    if status is not None and status not in mail.STATUSES:
        raise InvalidInput(code=Code.INVALID_PARAMETER, details={"at": "status"})
    return {"items": [sel.outbox_json(m) for m in sel.outbox(status=status)],
            "counts": sel.outbox_counts(), "enabled": mail.enabled()}


@api.post("/mail/outbox/{mail_id}/retry", tags=["notifications"], response=schemas.OutboxMailOut,
          exclude_unset=True)
def post_outbox_retry(request: HttpRequest, mail_id: int) -> dict[str, Any]:
    """Send a failed or waiting mail again at once (admins)."""
    _require_admin(request)
    return sel.outbox_json(mail.send_again(mail_id=mail_id, user=request.user))
