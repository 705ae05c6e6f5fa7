"""The access log (contract §5): append-only events chained by SHA-256, and their verification.

Each event's hash covers its own fields and the previous event's hash, so editing or deleting a
row breaks the chain from there on; AuditHead remembers the last link, so cutting rows off the end
shows too. Someone who can rewrite the whole table and the head can forge a chain that verifies;
anchors — the head written outside the database (services/audit_anchor.py) — show that."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, BinaryIO

from django.db import connection, transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from daicho.db import dialect
from daicho.models import AuditEvent, AuditHead
from daicho.selectors.ledgers import LedgerSchema, is_sensitive
from daicho.sensitive_reads import READS, Read
from daicho.sensitive_reads import not_shown as not_shown  # the pages' half, by this name
from daicho.sensitive_reads import opened as opened

GENESIS = "0" * 64
# Every action the log records, with how the access-log screen and its CSV name it.
ACTIONS = {
    "sign_in": gettext_lazy("Sign-in"),
    "sign_out": gettext_lazy("Sign-out"),
    "sign_in_failed": gettext_lazy("Failed sign-in"),
    # Accounts (daicho.services.signin, passwords, twofactor).
    "signin_locked": gettext_lazy("Sign-in locked for an address"),
    "signin_unlocked": gettext_lazy("Sign-in unlocked"),
    "password_change": gettext_lazy("Password changed"),
    "password_change_failed": gettext_lazy("Password change refused (wrong password)"),
    "2fa_enrol": gettext_lazy("Two-step sign-in set up"),
    "2fa_failed": gettext_lazy("Wrong two-step sign-in code"),
    "2fa_recovery_used": gettext_lazy("Recovery code used"),
    "2fa_recovery_codes": gettext_lazy("Recovery codes renewed"),
    "2fa_reset": gettext_lazy("Two-step sign-in reset"),
    "view_list": gettext_lazy("Viewed a list (sensitive ledger)"),
    "view_record": gettext_lazy("Viewed a record (sensitive ledger)"),
    "view_file": gettext_lazy("Downloaded a file (sensitive ledger)"),
    "export": gettext_lazy("Export"),
    "import": gettext_lazy("Import"),
    "import_dry_run": gettext_lazy("Import checked (dry run)"),
    "import_refused": gettext_lazy("Import refused"),
    "import_rollback": gettext_lazy("Import rolled back"),
    "ledger_create": gettext_lazy("Ledger created"),
    "ledger_delete": gettext_lazy("Ledger deleted"),
    "process": gettext_lazy("Process changed"),
    "permissions": gettext_lazy("Permissions changed"),
    "sensitive": gettext_lazy("Sensitive flag changed"),
    "ledger_template": gettext_lazy("Template flag changed"),
    "design_export": gettext_lazy("Ledger design exported"),
    "print_form": gettext_lazy("Print form added"),
    "print_form_delete": gettext_lazy("Print form deleted"),
    "webhooks": gettext_lazy("Webhooks changed"),
    "webhook_retry": gettext_lazy("Webhook delivery sent again"),
    "webhook_suspended": gettext_lazy("Webhook suspended after failures"),
    "ledger_creators": gettext_lazy("Who may create ledgers changed"),
    "user_create": gettext_lazy("User created"),
    "org_create": gettext_lazy("Department created"),
    "org_import": gettext_lazy("Departments imported"),
    "org_change": gettext_lazy("Department renamed or moved"),
    "org_abolish": gettext_lazy("Department abolished"),
    "org_change_cancel": gettext_lazy("Scheduled department change cancelled"),
    "user_update": gettext_lazy("User changed"),
    "token_create": gettext_lazy("API token created"),
    "token_revoke": gettext_lazy("API token revoked"),
    "token_use": gettext_lazy("API token used"),
    "audit_export": gettext_lazy("Access log exported"),
    "audit_prune": gettext_lazy("Old entries deleted (retention)"),
}
# AuditHead rows: the last link of the chain, and the last link pruned away (retention).
HEAD_ID, CHECKPOINT_ID = 1, 2
# The address of the request being served, set for every request (request_started), so that
# writers deep in the services log it without every signature carrying the request.
_current_ip: ContextVar[str] = ContextVar("daicho_audit_ip", default="")
# Who acts when no user does: the `daicho` command sets "command line (OS account)" for the
# length of a command, so its writes are not logged as nobody's.
system_actor: ContextVar[str] = ContextVar("daicho_audit_actor", default="")
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
    login = login or system_actor.get()
    ip = ip or client_ip(request) or _current_ip.get()
    details = json.loads(json.dumps(details or {}, ensure_ascii=False, default=str))
    with transaction.atomic():
        _lock()
        head, _created = AuditHead.objects.get_or_create(id=HEAD_ID)
        seq = head.seq + 1
        prev = head.hash or GENESIS
        at = timezone.now()
        digest = _digest(seq, at, login, action, target[:200], ip, details, prev)
        event = AuditEvent.objects.create(seq=seq, at=at, user=login[:150], action=action,
                                          target=target[:200], ip=ip, details=details,
                                          prev_hash=prev, hash=digest)
        AuditHead.objects.filter(id=HEAD_ID).update(seq=seq, hash=digest)
    return event


def _lock() -> None:
    """Appends and pruning take turns (SQLite: the write lock taken at BEGIN IMMEDIATE)."""
    if not dialect.is_sqlite():
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])


# -- reads of sensitive ledgers -------------------------------------------------------------------
#
# The gate notes them (daicho.sensitive_reads, which says how); the middleware below writes them.

READ_METHODS = ("GET", "HEAD")


def viewed(request: HttpRequest, schema: LedgerSchema, *, record_id: int | None = None,
           file_id: int | None = None) -> None:
    """Say which record or attached file of a sensitive ledger a page showed (the entry of a list
    holds its query). Other ledgers: nothing, and no query. Outside a request served through
    the middleware the entry is written at once."""
    if not is_sensitive(schema.ledger):
        return
    action, details = _describe(request, schema.id, record_id=record_id, file_id=file_id)
    reads = READS.get()
    if reads is None:
        record(user=request.user, action=action, target=f"ledger:{schema.id}", request=request,
               details=details)
    else:
        reads[schema.id] = Read(request.user, action, details)


def _describe(request: HttpRequest, ledger_id: int, *, record_id: int | None = None,
              file_id: int | None = None) -> tuple[str, dict[str, Any]]:
    details: dict[str, Any] = {"path": request.path[:200]}
    action = "view_list"
    if record_id is not None:
        action, details["record"] = "view_record", record_id
    elif file_id is not None:
        action, details["file"] = "view_file", file_id
    if request.GET:
        details["query"] = request.GET.urlencode()[:1000]
    return action, details


def _from_url(request: HttpRequest, ledger_id: int) -> tuple[str, dict[str, Any]]:
    """What a page read of a ledger it did not describe: the record or file its URL names when
    the URL is that ledger's, else the list."""
    match = request.resolver_match
    kwargs = match.kwargs if match is not None else {}
    own = str(kwargs.get("ledger_id")) == str(ledger_id)
    record_id = kwargs.get("record_id") if own else None
    file_id = kwargs.get("file_id") if own else None
    return _describe(request, ledger_id, record_id=_int(record_id), file_id=_int(file_id))


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


class SensitiveReadsMiddleware:
    """Writes the access-log entries of the sensitive ledgers a request read (see opened())."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> Any:
        token = READS.set({})
        try:
            response = self.get_response(request)
            reads = READS.get() or {}
            if reads and request.method in READ_METHODS and response.status_code < 400:
                for ledger_id, read in sorted(reads.items()):
                    action, details = (read.action, read.details) if read.details is not None \
                        else _from_url(request, ledger_id)
                    record(user=read.user, action=action, target=f"ledger:{ledger_id}",
                           request=request, details=details)
            return response
        finally:
            READS.reset(token)


def verify() -> dict[str, Any]:
    """Walk the chain; every problem found is listed (at most 100).

    After pruning (retention) the chain starts at the checkpoint: the seq and hash of the last
    pruned event, kept in AuditHead and repeated in the `audit_prune` event written then, so
    moving the checkpoint to hide more deletions breaks the chain or shows as `bad_checkpoint`."""
    problems: list[dict[str, Any]] = []
    checkpoint = AuditHead.objects.filter(id=CHECKPOINT_ID).first()
    prev, expected_seq, checked = GENESIS, 1, 0
    if checkpoint is not None:
        prev, expected_seq = checkpoint.hash, checkpoint.seq + 1
    last_prune: dict[str, Any] | None = None
    for event in AuditEvent.objects.order_by("seq").iterator(chunk_size=2000):
        checked += 1
        if event.seq != expected_seq:
            problems.append({"seq": expected_seq, "problem": "missing"})
        elif event.prev_hash != prev:
            problems.append({"seq": event.seq, "problem": "broken_link"})
        if _digest(event.seq, event.at, event.user, event.action, event.target, event.ip,
                   event.details, event.prev_hash) != event.hash:
            problems.append({"seq": event.seq, "problem": "altered"})
        if event.action == "audit_prune":
            last_prune = event.details
        prev, expected_seq = event.hash, event.seq + 1
        if len(problems) >= 100:
            break
    if checkpoint is not None and len(problems) < 100 and (
            last_prune is None or last_prune.get("through_seq") != checkpoint.seq
            or last_prune.get("hash") != checkpoint.hash):
        problems.append({"seq": checkpoint.seq, "problem": "bad_checkpoint"})
    head = AuditHead.objects.filter(id=HEAD_ID).first()
    if head is not None and len(problems) < 100 and (head.seq != expected_seq - 1
                                                     or (head.hash or GENESIS) != prev):
        problems.append({"seq": head.seq, "problem": "missing_tail"})
    return {"ok": not problems, "checked": checked, "problems": problems,
            "pruned_through": checkpoint.seq if checkpoint is not None else None}


def prune(*, days: int, user: Any = None) -> dict[str, Any]:
    """Retention: delete the events older than `days` days, oldest first, as one prefix of the
    chain. The last deleted link becomes the checkpoint verify() starts from, and an
    `audit_prune` event (seq and hash of that link, how many were deleted) is appended."""
    if days < 0:
        raise ValueError("days must not be negative")
    cutoff = timezone.now() - dt.timedelta(days=days)
    with transaction.atomic():
        _lock()
        last = (AuditEvent.objects.filter(at__lt=cutoff).order_by("-seq")
                .values("seq", "hash").first())
        if last is None:
            return {"deleted": 0, "through_seq": None}
        deleted, _counts = AuditEvent.objects.filter(seq__lte=last["seq"]).delete()
        AuditHead.objects.update_or_create(id=CHECKPOINT_ID,
                                           defaults={"seq": last["seq"], "hash": last["hash"]})
        record(user=user, action="audit_prune", details={
            "through_seq": last["seq"], "hash": last["hash"], "deleted": deleted, "days": days})
    return {"deleted": deleted, "through_seq": last["seq"]}


@dataclass(frozen=True)
class Filters:
    """What the access-log screen, its CSV and GET /api/v1/audit-log filter by."""

    since: dt.datetime | None = None  # at or after
    until: dt.datetime | None = None  # before
    user: str = ""
    action: str = ""
    ledger: int | None = None


def _matching(filters: Filters) -> QuerySet[AuditEvent]:
    found = AuditEvent.objects.all()
    if filters.since is not None:
        found = found.filter(at__gte=filters.since)
    if filters.until is not None:
        found = found.filter(at__lt=filters.until)
    if filters.user:
        found = found.filter(user=filters.user)
    if filters.action:
        found = found.filter(action=filters.action)
    if filters.ledger is not None:
        found = found.filter(target=f"ledger:{filters.ledger}")
    return found


@dataclass
class Page:
    items: list[AuditEvent]
    older: int | None  # the seq to ask for `before`, when there are older events
    newer: int | None  # the seq to ask for `after`, when there are newer events


def page(filters: Filters, *, before: int | None = None, after: int | None = None,
         size: int = 100) -> Page:
    """One page of matching events, newest first; paged by seq, which the index serves at any
    size of the log (no OFFSET, no COUNT)."""
    found = _matching(filters)
    if after is not None:
        items = list(found.filter(seq__gt=after).order_by("seq")[:size])[::-1]
    else:
        items = list((found.filter(seq__lt=before) if before is not None else found)
                     .order_by("-seq")[:size])
    if not items:
        return Page([], None, None)
    top, bottom = items[0].seq, items[-1].seq
    return Page(items, bottom if found.filter(seq__lt=bottom).exists() else None,
                top if found.filter(seq__gt=top).exists() else None)


def every(filters: Filters) -> Iterator[AuditEvent]:
    """Every matching event, oldest first, streamed (the CSV export)."""
    return _matching(filters).order_by("seq").iterator(chunk_size=2000)


def write_csv(*, user: Any, filters: Filters, out: BinaryIO) -> int:
    """The matching events, oldest first, as CSV the way ledger exports are written (UTF-8 with
    BOM, CRLF, text that Excel would take for a formula neutralised); the export is logged."""
    from daicho.exporting import ExportColumn
    from daicho.exporting import write_csv as write

    columns = [ExportColumn(str(name), kind) for name, kind in [
        (_("Seq"), "number"), (_("Date and time"), "datetime"), (_("User"), "text"),
        (_("Action"), "text"), (_("Action code"), "text"),
        (pgettext("access log", "Target"), "text"), (pgettext("access log", "Address"), "text"),
        (_("Details"), "text"), (_("Previous hash"), "text"),
        (_("Hash"), "text")]]
    rows = ([e.seq, e.at, e.user, str(ACTIONS.get(e.action, e.action)), e.action, e.target, e.ip,
             json.dumps(e.details, ensure_ascii=False, sort_keys=True), e.prev_hash, e.hash]
            for e in every(filters))
    count = write(out, columns, rows, encoding="utf-8-sig")
    record(user=user, action="audit_export", details={
        "rows": count, "since": filters.since, "until": filters.until, "user": filters.user,
        "action": filters.action, "ledger": filters.ledger})
    return count


def events(*, since: dt.datetime | None = None, until: dt.datetime | None = None,
           user: str | None = None, ledger: int | None = None, action: str | None = None,
           limit: int = 1000) -> list[dict[str, Any]]:
    found = _matching(Filters(since=since, until=until, user=user or "", action=action or "",
                              ledger=ledger)).order_by("seq")
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
