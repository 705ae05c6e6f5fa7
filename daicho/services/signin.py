"""Lockout per (login, client address) and per-address throttling of everything that checks a
password: the web sign-in (both steps), directory sign-ins, and changing one's own password.

A login is locked *for one address* after LOCK_AFTER failures from it; the lock lasts FIRST_DELAY
and doubles with each further failure after it ends (up to MAX_DELAY). Tries while locked are
refused without checking the password and do not extend the lock, so an attacker who keeps
trying cannot keep the owner out, and the owner, from any other address, is not affected at all.
The count starts afresh after a successful sign-in from that address, after FORGET_AFTER without
failures, or when an administrator unlocks the login. An address that fails IP_LIMIT times within
IP_WINDOW (whatever the logins) is answered 429 until it calms down."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone

from daicho.models import SignInAttempt, SignInLock
from daicho.services import audit

LOCK_AFTER = 5
FIRST_DELAY = dt.timedelta(minutes=1)
MAX_DELAY = dt.timedelta(hours=1)
FORGET_AFTER = dt.timedelta(hours=24)
IP_LIMIT = 20
IP_WINDOW = dt.timedelta(minutes=5)


def client_ip(request: HttpRequest | None) -> str:
    """The client's address as the server saw it (REMOTE_ADDR; gunicorn rewrites nothing from
    X-Forwarded-For, see daicho/server.py)."""
    if request is None:
        return ""
    return str(request.META.get("REMOTE_ADDR") or "")[:45]


def login_key(login: str) -> str:
    # Case-folded: a directory (LDAP) matches logins without regard to case, so "Tanaka" and
    # "TANAKA" must count against the same lock.
    return login.strip()[:150].lower()


def delay_after(failures: int) -> dt.timedelta:
    """How long the lock lasts after this many failures (LOCK_AFTER or more)."""
    doublings = min(max(failures - LOCK_AFTER, 0), 20)
    return min(FIRST_DELAY * (1 << doublings), MAX_DELAY)


def locked_until(login: str, request: HttpRequest | None) -> dt.datetime | None:
    """When the lock of `login` for this client's address ends (None: not locked)."""
    until = SignInLock.objects.filter(login=login_key(login), ip=client_ip(request),
                                      locked_until__gt=timezone.now()) \
        .values_list("locked_until", flat=True).first()
    return until


def is_throttled(ip: str) -> bool:
    if not ip:
        return False
    since = timezone.now() - IP_WINDOW
    return SignInAttempt.objects.filter(ip=ip, ok=False, at__gte=since).count() >= IP_LIMIT


def _attempt(login: str, request: HttpRequest | None, ok: bool) -> None:
    now = timezone.now()
    SignInAttempt.objects.create(login=login_key(login), ip=client_ip(request), at=now, ok=ok)
    # Keep the table small: nothing older than the throttle's window matters.
    SignInAttempt.objects.filter(at__lt=now - 2 * IP_WINDOW).delete()


def refused(login: str, request: HttpRequest | None) -> None:
    """A try while locked: counts for the address's throttle, leaves the lock as it is."""
    _attempt(login, request, ok=False)


def failed(login: str, request: HttpRequest | None, *, step: str = "password") -> None:
    """A wrong password (or second-step code) for `login` from this client's address."""
    key, ip, now = login_key(login), client_ip(request), timezone.now()
    _attempt(login, request, ok=False)
    with transaction.atomic():
        lock, _created = SignInLock.objects.select_for_update().get_or_create(
            login=key, ip=ip, defaults={"last_failure_at": now})
        if lock.last_failure_at < now - FORGET_AFTER:
            lock.failures = 0
        lock.failures += 1
        lock.last_failure_at = now
        if lock.failures >= LOCK_AFTER:
            lock.locked_until = now + delay_after(lock.failures)
            audit.record(user=None, action="signin_locked", target=f"login:{key}", ip=ip,
                         details={"login": key, "ip": ip, "failures": lock.failures,
                                  "until": lock.locked_until.isoformat(), "step": step})
        lock.save()
        SignInLock.objects.filter(last_failure_at__lt=now - FORGET_AFTER,
                                  locked_until__lt=now).delete()


def succeeded(login: str, request: HttpRequest | None) -> None:
    """A complete sign-in (both steps): the count for this address starts afresh."""
    _attempt(login, request, ok=True)
    SignInLock.objects.filter(login=login_key(login), ip=client_ip(request)).delete()


@dataclass(frozen=True)
class LockState:
    ip: str
    failures: int
    last_failure_at: dt.datetime
    locked_until: dt.datetime | None

    @property
    def locked(self) -> bool:
        return self.locked_until is not None and self.locked_until > timezone.now()


def locks_of(login: str) -> list[LockState]:
    """The addresses with recent failures for `login`, locked ones first (the user screen)."""
    since = timezone.now() - FORGET_AFTER
    rows = SignInLock.objects.filter(login=login_key(login), last_failure_at__gte=since) \
        .order_by(F("locked_until").desc(nulls_last=True), "-last_failure_at")
    return [LockState(r.ip, r.failures, r.last_failure_at, r.locked_until) for r in rows]


def unlock(*, login: str, by: Any) -> int:
    """An administrator clears every lock and failure count of `login` (logged); returns how
    many addresses were locked."""
    key, now = login_key(login), timezone.now()
    with transaction.atomic():
        rows = list(SignInLock.objects.select_for_update().filter(login=key))
        locked = [r.ip for r in rows if r.locked_until is not None and r.locked_until > now]
        SignInLock.objects.filter(login=key).delete()
        audit.record(user=by, action="signin_unlocked", target=f"login:{key}",
                     details={"login": key, "addresses": locked,
                              "failures": sum(r.failures for r in rows)})
    return len(locked)


class GuardedBackend(ModelBackend):
    """Django's password check, refused outright while the login is locked for this address.

    A right password does not reset the count here: the sign-in is complete only after the
    second step (daicho.web.views.auth), which calls succeeded()."""

    def authenticate(self, request: HttpRequest | None, username: str | None = None,
                     password: str | None = None, **kwargs: Any) -> Any:
        if username and locked_until(str(username), request) is not None:
            refused(str(username), request)
            raise PermissionDenied  # authenticate() stops here and reports a failed sign-in
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if username and user is None:
            failed(str(username), request)
        return user
