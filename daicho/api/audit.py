"""The access log for administrators (contract §5)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _

from daicho import access
from daicho.api import api, schemas
from daicho.error_codes import Code
from daicho.errors import Forbidden, InvalidInput
from daicho.services import audit


def _when(value: str | None, name: str) -> dt.datetime | None:
    if not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(_("%(name)s is a date or an ISO 8601 date and time.") % {"name": name},
                           code=Code.INVALID_DATE) from None
    if parsed.tzinfo is None:
        from django.utils import timezone

        parsed = timezone.make_aware(parsed)
    return parsed


@api.get("/audit-log", tags=["audit"], response=schemas.AuditLog, exclude_unset=True)
def audit_log(request: HttpRequest, since: str | None = None, until: str | None = None,
              user: str | None = None, ledger: int | None = None,
              action: str | None = None) -> dict[str, Any]:
    access.require_user(request.user)
    if not access.is_system_admin(request.user):
        raise Forbidden()
    return {"items": audit.events(since=_when(since, "since"), until=_when(until, "until"),
                                  user=user, ledger=ledger, action=action)}
