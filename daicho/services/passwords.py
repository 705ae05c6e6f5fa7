"""Passwords (contract §10): the policy, setting one (administrators, `daicho user password`,
`daicho init`) and changing one's own (the account screen, POST /api/v1/me/password).

The policy is Django's validators as configured in settings.AUTH_PASSWORD_VALIDATORS: at least
12 characters, not a common password, not only digits, and not like the login or the name
(LoginOrNameValidator below, since the name lives in Profile, not on Django's user)."""

from __future__ import annotations

import re
import secrets
import string
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import (
    exceeds_maximum_length_ratio,
    validate_password,
)
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from daicho.error_codes import Code
from daicho.errors import InvalidInput, NotFound, TooManyRequests
from daicho.models import Profile, SignInLock
from daicho.services import audit, signin


@dataclass(frozen=True)
class Holder:
    """Whose password is checked: what the policy compares it with."""

    login: str
    name: str = ""


class LoginOrNameValidator:
    """Refuses a password too much like the login or the name (or a word of either), compared
    as Django's UserAttributeSimilarityValidator compares, and one that is mostly the login or
    the name."""

    def __init__(self, max_similarity: float = 0.7) -> None:
        self.max_similarity = max_similarity

    def validate(self, password: str, user: Any = None) -> None:
        if not isinstance(user, Holder):
            return
        lowered = password.lower()
        for value in (user.login, user.name):
            value = (value or "").lower()
            if not value:
                continue
            for part in [*re.split(r"\W+", value), value]:
                if not part or exceeds_maximum_length_ratio(lowered, self.max_similarity, part):
                    continue
                # Also a password made mostly of the login or the name ("tanaka123456",
                # "tanaka-tanaka"): at most half of it is anything else.
                contained = len(part) >= 4 and part in lowered \
                    and 2 * len(lowered.replace(part, "")) <= len(lowered)
                if contained or SequenceMatcher(a=lowered, b=part).quick_ratio() \
                        >= self.max_similarity:
                    raise ValidationError(_("The password is too similar to the login or the "
                                            "name."), code="password_too_similar")

    def get_help_text(self) -> str:
        return _("Your password must not be like your login or your name.")


def check_policy(password: Any, *, login: str, name: str = "") -> str:
    """The password if the policy accepts it; InvalidInput `weak_password` with every reason
    otherwise."""
    if not isinstance(password, str) or not password:
        raise InvalidInput(_("Enter a password."), code=Code.WEAK_PASSWORD,
                           details={"reasons": [_("Enter a password.")]})
    if len(password) > 1000 or any(ord(c) < 32 or 0xD800 <= ord(c) <= 0xDFFF for c in password):
        reason = _("The password may not contain control characters and is at most 1,000 "
                   "characters long.")
        raise InvalidInput(reason, code=Code.WEAK_PASSWORD, details={"reasons": [reason]})
    try:
        validate_password(password, Holder(login, name))  # type: ignore[arg-type]
    except ValidationError as exc:
        reasons = [str(m) for m in exc.messages]
        raise InvalidInput(" ".join(reasons), code=Code.WEAK_PASSWORD,
                           details={"reasons": reasons}) from None
    return password


def generate(*, login: str, name: str = "") -> str:
    """A random password the policy accepts (`daicho init` prints it once)."""
    alphabet = string.ascii_letters + string.digits + "-_"
    while True:
        candidate = "".join(secrets.choice(alphabet) for _n in range(16))
        try:
            return check_policy(candidate, login=login, name=name)
        except InvalidInput:
            continue


def _name_of(user: Any) -> str:
    return Profile.objects.filter(user=user).values_list("name", flat=True).first() or ""


def set_password(*, login: Any, password: Any, by: Any = None) -> Any:
    """An administrator (or the command line: `by` None) sets `login`'s password. The locks of
    that login are cleared with it: whoever holds the new password may sign in."""
    user = get_user_model().objects.filter(username=str(login)[:150]).first()
    if user is None:
        raise NotFound(_("There is no user 「%(login)s」.") % {"login": str(login)[:50]},
                       code=Code.UNKNOWN_USER)
    check_policy(password, login=user.get_username(), name=_name_of(user))
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        SignInLock.objects.filter(login=signin.login_key(user.get_username())).delete()
        audit.record(user=by, action="password_change", target=f"user:{user.get_username()}",
                     details={"login": user.get_username(), "by_admin": True})
    return user


def change_own(*, user: Any, old: Any, new: Any, request: HttpRequest | None) -> None:
    """`user` changes their own password, proving it with the old one. A wrong old password
    counts as a failed sign-in from this address (daicho.services.signin)."""
    login = user.get_username()
    if signin.is_throttled(signin.client_ip(request)):
        raise TooManyRequests(_("Too many failed sign-ins from this address. Please wait a few "
                                "minutes and try again."), code=Code.TOO_MANY_REQUESTS)
    until = signin.locked_until(login, request)
    if until is not None:
        signin.refused(login, request)
        raise TooManyRequests(locked_message(until), code=Code.SIGNIN_LOCKED)
    if not isinstance(old, str) or not isinstance(new, str):
        raise InvalidInput(_("Send the current password as old and the new one as new."),
                           code=Code.INVALID_REQUEST)
    if not user.has_usable_password():
        raise InvalidInput(_("Your password is kept by the city's directory (LDAP); change it "
                             "there."), code=Code.NO_LOCAL_PASSWORD)
    if not _checkable(old) or not user.check_password(old):
        signin.failed(login, request, step="password_change")
        audit.record(user=user, action="password_change_failed", target=f"user:{login}",
                     request=request, details={"login": login})
        raise InvalidInput(_("The current password is wrong."), code=Code.WRONG_PASSWORD)
    if new == old:
        raise InvalidInput(_("The new password is the same as the current one."),
                           code=Code.WEAK_PASSWORD, details={"reasons": [
                               _("The new password is the same as the current one.")]})
    check_policy(new, login=login, name=_name_of(user))
    with transaction.atomic():
        user.set_password(new)
        user.save(update_fields=["password"])
        audit.record(user=user, action="password_change", target=f"user:{login}",
                     request=request, details={"login": login, "by_admin": False})


def _checkable(password: str) -> bool:
    """Whether a password could be right at all: hashing a lone surrogate fails, and hashing a
    megabyte costs; neither can be a password the policy accepted."""
    return len(password) <= 1000 and not any(0xD800 <= ord(c) <= 0xDFFF for c in password)


def locked_message(until: Any) -> str:
    from django.utils import timezone

    return _("This login is locked for your address after repeated failed sign-ins. Please try "
             "again after %(time)s, or ask an administrator to unlock it.") % {
        "time": timezone.localtime(until).strftime("%H:%M")}
