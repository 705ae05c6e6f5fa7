"""Account lockout and per-address throttling of sign-in.

A login is locked after LOCK_AFTER failed attempts within LOCK_WINDOW, until the window has
passed since the last failure; an address that fails IP_LIMIT times within IP_WINDOW is answered
429 until it calms down. Successful sign-ins clear nothing: the window simply moves on."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils import timezone

from daicho.models import SignInAttempt

LOCK_AFTER = 5
LOCK_WINDOW = dt.timedelta(minutes=15)
IP_LIMIT = 20
IP_WINDOW = dt.timedelta(minutes=5)


def client_ip(request: HttpRequest | None) -> str:
    if request is None:
        return ""
    return str(request.META.get("REMOTE_ADDR") or "")[:45]


def _key(login: str) -> str:
    # Case-folded: a directory (LDAP) matches logins without regard to case, so "Tanaka" and
    # "TANAKA" must count against the same lock.
    return login[:150].lower()


def is_locked(login: str) -> bool:
    since = timezone.now() - LOCK_WINDOW
    return SignInAttempt.objects.filter(login=_key(login), ok=False, at__gte=since).count() \
        >= LOCK_AFTER


def is_throttled(ip: str) -> bool:
    if not ip:
        return False
    since = timezone.now() - IP_WINDOW
    return SignInAttempt.objects.filter(ip=ip, ok=False, at__gte=since).count() >= IP_LIMIT


def note(login: str, request: HttpRequest | None, ok: bool) -> None:
    SignInAttempt.objects.create(login=_key(login), ip=client_ip(request), at=timezone.now(),
                                 ok=ok)
    # Keep the table small: nothing older than the longest window matters.
    SignInAttempt.objects.filter(at__lt=timezone.now() - 2 * LOCK_WINDOW).delete()


class GuardedBackend(ModelBackend):
    """Django's password check, refused outright for a locked login."""

    def authenticate(self, request: HttpRequest | None, username: str | None = None,
                     password: str | None = None, **kwargs: Any) -> Any:
        if username and is_locked(str(username)):
            note(str(username), request, ok=False)
            raise PermissionDenied  # authenticate() stops here and reports a failed sign-in
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if username:
            note(str(username), request, ok=user is not None)
        return user
