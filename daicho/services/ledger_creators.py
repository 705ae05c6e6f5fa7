"""The writer for who may create ledgers (docs/permissions.md, "Creating ledgers").

Administrators and system administrators always may; besides them, the listed subjects (the
shape of a ledger rule's subject, contract §5: everyone, a department with or without the ones
below it, a user, a role). The list is replaced as a whole; the gate reads it
(`access.can_create_ledger`)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from daicho import access
from daicho.access import AnyUser
from daicho.error_codes import Code
from daicho.errors import Forbidden, InvalidInput
from daicho.models import LedgerCreator
from daicho.services import audit
from daicho.services.permissions import clean_subject

MAX_SUBJECTS = 200


def clean_subjects(subjects: Any) -> list[dict[str, Any]]:
    """The subjects in their stored form (duplicates dropped), or 400 `invalid_rules` naming the
    first problem in `details.at` (e.g. `subjects[1].org`)."""
    if not isinstance(subjects, list):
        raise InvalidInput(_("subjects must be a list."), code=Code.INVALID_RULES,
                           details={"at": "subjects"})
    if len(subjects) > MAX_SUBJECTS:
        raise InvalidInput(_("At most %(n)d rules.") % {"n": MAX_SUBJECTS}, code=Code.INVALID_RULES,
                           details={"at": "subjects"})
    cleaned: list[dict[str, Any]] = []
    for i, spec in enumerate(subjects):
        subject = clean_subject(spec, f"subjects[{i}]")
        if subject not in cleaned:
            cleaned.append(subject)
    return cleaned


def set_ledger_creators(*, user: AnyUser, subjects: Any) -> list[dict[str, Any]]:
    """Replace the list of who may create ledgers (admins and system administrators only: 403
    otherwise); logged as `ledger_creators` with the new list."""
    access.require_user(user)
    if not access.administers_directory(user):
        raise Forbidden()
    cleaned = clean_subjects(subjects)
    with transaction.atomic():
        LedgerCreator.objects.all().delete()
        LedgerCreator.objects.bulk_create(
            LedgerCreator(subject=s, position=i) for i, s in enumerate(cleaned))
        audit.record(user=user, action="ledger_creators", target="ledger_creators",
                     details={"subjects": cleaned})
    return cleaned
