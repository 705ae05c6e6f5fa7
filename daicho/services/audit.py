"""The access log (contract §5): append-only events chained by SHA-256, and their verification.

Each event's hash covers its own fields and the previous event's hash, so editing or deleting a
row breaks the chain from there on; AuditHead remembers the last link, so cutting rows off the end
shows too. Someone who can rewrite the whole table and the head can forge a chain: the log guards
against edits through the application and casual database edits, not a database superuser."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from contextvars import ContextVar
from typing import Any

from django.db import connection, transaction
from django.http import HttpRequest
from django.utils import timezone

from daicho.db import dialect
from daicho.models import AuditEvent, AuditHead

GENESIS = "0" * 64
# The address of the request being served, set for every request (request_started), so that
# writers deep in the services log it without every signature carrying the request.
_current_ip: ContextVar[str] = ContextVar("daicho_audit_ip", default="")
# One lock number for appends on PostgreSQL (SQLite serialises writers by itself).
_LOCK_KEY = 4_107_305


def client_ip(request: HttpRequest | None) -> str:
    if request is None:
        return ""
    return str(request.META.get("REMOTE_ADDR") or "")[:45]


def _digest(seq: int, at: dt.datetime, user: str, action: str, target: str, ip: str,
            details: dict[str, Any], prev_hash: str) -> str:
    at_utc = at.astimezone(dt.UTC).replace(tzinfo=None).isoformat(timespec="microseconds")
    payload = json.dumps([seq, at_utc, user, action, target, ip, details, prev_hash],
                         ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()


def record(*, user: Any, action: str, target: str = "", request: HttpRequest | None = None,
           ip: str = "", details: dict[str, Any] | None = None) -> AuditEvent:
    """Append one event. `user` is a user object, a login, or None."""
    if user is None or isinstance(user, str):
        login = user or ""
    else:
        login = user.get_username() if user.is_authenticated else ""
    ip = ip or client_ip(request) or _current_ip.get()
    details = json.loads(json.dumps(details or {}, ensure_ascii=False, default=str))
    with transaction.atomic():
        if not dialect.is_sqlite():
            with connection.cursor() as cur:
                cur.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
        head, _created = AuditHead.objects.get_or_create(id=1)
        seq = head.seq + 1
        prev = head.hash or GENESIS
        at = timezone.now()
        digest = _digest(seq, at, login, action, target[:200], ip, details, prev)
        event = AuditEvent.objects.create(seq=seq, at=at, user=login[:150], action=action,
                                          target=target[:200], ip=ip, details=details,
                                          prev_hash=prev, hash=digest)
        AuditHead.objects.filter(id=1).update(seq=seq, hash=digest)
    return event


def verify() -> dict[str, Any]:
    """Walk the chain; every problem found is listed (at most 100)."""
    problems: list[dict[str, Any]] = []
    prev, expected_seq, checked = GENESIS, 1, 0
    for event in AuditEvent.objects.order_by("seq").iterator(chunk_size=2000):
        checked += 1
        if event.seq != expected_seq:
            problems.append({"seq": expected_seq, "problem": "missing"})
        elif event.prev_hash != prev:
            problems.append({"seq": event.seq, "problem": "broken_link"})
        if _digest(event.seq, event.at, event.user, event.action, event.target, event.ip,
                   event.details, event.prev_hash) != event.hash:
            problems.append({"seq": event.seq, "problem": "altered"})
        prev, expected_seq = event.hash, event.seq + 1
        if len(problems) >= 100:
            break
    head = AuditHead.objects.filter(id=1).first()
    if head is not None and len(problems) < 100 and (head.seq != expected_seq - 1
                                                     or (head.hash or GENESIS) != prev):
        problems.append({"seq": head.seq, "problem": "missing_tail"})
    return {"ok": not problems, "checked": checked, "problems": problems}


def events(*, since: dt.datetime | None = None, until: dt.datetime | None = None,
           user: str | None = None, ledger: int | None = None,
           limit: int = 1000) -> list[dict[str, Any]]:
    found = AuditEvent.objects.order_by("seq")
    if since is not None:
        found = found.filter(at__gte=since)
    if until is not None:
        found = found.filter(at__lt=until)
    if user:
        found = found.filter(user=user)
    if ledger is not None:
        found = found.filter(target=f"ledger:{ledger}")
    return [{"seq": e.seq, "at": e.at.isoformat(), "user": e.user, "action": e.action,
             "target": e.target, "ip": e.ip, "hash": e.hash} for e in found[:limit]]


# -- Django signals: the only way to hear about sign-ins, and the start of each request ---------

def _request_started(sender: Any, environ: dict[str, Any] | None = None, **kwargs: Any) -> None:
    _current_ip.set(str((environ or {}).get("REMOTE_ADDR") or "")[:45])


def _logged_in(sender: Any, request: HttpRequest | None = None, user: Any = None,
               **kwargs: Any) -> None:
    record(user=user, action="sign_in", request=request)


def _logged_out(sender: Any, request: HttpRequest | None = None, user: Any = None,
                **kwargs: Any) -> None:
    record(user=user, action="sign_out", request=request)


def _login_failed(sender: Any, credentials: dict[str, Any] | None = None,
                  request: HttpRequest | None = None, **kwargs: Any) -> None:
    login = str((credentials or {}).get("username") or "")[:150]
    record(user=None, action="sign_in_failed", target=f"login:{login}", request=request)


def connect_signals() -> None:
    from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
    from django.core.signals import request_started

    request_started.connect(_request_started, dispatch_uid="daicho_audit_ip")
    user_logged_in.connect(_logged_in, dispatch_uid="daicho_audit_in")
    user_logged_out.connect(_logged_out, dispatch_uid="daicho_audit_out")
    user_login_failed.connect(_login_failed, dispatch_uid="daicho_audit_failed")
