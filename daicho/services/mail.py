"""Mail (contract §9): the outbox, written in the same transaction as the notification that
causes it, and the `mail_send` job that sends it after commit through `DAICHO_SMTP_URL`.

- Unset `DAICHO_SMTP_URL`: no mail at all; notifications stay in the app.
- Each outbox row has an idempotency key (`notification:<id>`, `digest:<user>:<day>`): the same
  mail is never queued twice, and its Message-ID is made from the key.
- A row is claimed (`sending`) in a committed statement before it is sent and marked `sent`
  right after the server accepted it; a row left `sending` by a killed process goes back to
  `pending` after CLAIM_MINUTES, so a crash delays a mail and never loses it. (The only window
  for a second copy is between the server's final "250 OK" and that one UPDATE; the second copy
  carries the same Message-ID.)
- A refused mail (5xx) fails at once; a temporary failure (4xx, no connection, a server that
  hangs past DAICHO_SMTP_TIMEOUT seconds) is tried again with exponential backoff, up to
  MAX_ATTEMPTS; either way the row keeps the reason and an admin may send it again.
- Users who chose the daily digest get one mail a day listing their notifications
  (`mail_digest` job, from DIGEST_HOUR local time)."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import smtplib
import socket
from collections.abc import Callable, Iterable
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any
from urllib.parse import unquote, urlparse

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from daicho import jobs
from daicho.error_codes import Code
from daicho.errors import InvalidInput, NotFound
from daicho.models import Job, MailPreference, Notification, OutboxMail

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 10
FIRST_DELAY = 60  # seconds; doubled after each failure, at most MAX_DELAY
MAX_DELAY = 6 * 3600
CLAIM_MINUTES = 10
DIGEST_HOUR = 8
BATCH = 200
STATUSES = ("pending", "sending", "sent", "failed")


def smtp_url() -> str:
    return os.environ.get("DAICHO_SMTP_URL", "").strip()


def enabled() -> bool:
    return bool(smtp_url())


def sender() -> str:
    return os.environ.get("DAICHO_MAIL_FROM", "").strip() or "daicho@localhost"


def base_url() -> str:
    """Where mail links point (DAICHO_BASE_URL, the address people open daicho at)."""
    return (os.environ.get("DAICHO_BASE_URL", "").strip() or "http://127.0.0.1:8000").rstrip("/")


def record_link(ledger_id: int | None, record_id: int | None) -> str:
    if ledger_id is None:
        return f"{base_url()}/notifications/"
    if record_id is None:
        return f"{base_url()}/ledgers/{ledger_id}/"
    return f"{base_url()}/ledgers/{ledger_id}/records/{record_id}/"


def _timeout() -> float:
    try:
        return max(0.1, float(os.environ.get("DAICHO_SMTP_TIMEOUT", "10")))
    except ValueError:
        return 10.0


# -- queueing (in the caller's transaction) ------------------------------------------------------

def _digest_users(uids: Iterable[int]) -> set[int]:
    return set(MailPreference.objects.filter(user_id__in=list(uids), daily_digest=True)
               .values_list("user_id", flat=True))


def mark_for_digest(notifications: list[Notification]) -> None:
    """Notifications of users who chose the daily digest wait for it instead of a mail each."""
    if not enabled():
        return
    daily = _digest_users(n.user_id for n in notifications)
    for n in notifications:
        n.digest_pending = n.user_id in daily


def _addresses(uids: Iterable[int]) -> dict[int, str]:
    return {uid: email for uid, email in get_user_model().objects.filter(
        id__in=list(uids), is_active=True).exclude(email="").values_list("id", "email")}


def queue_notifications(notifications: list[Notification], *, ledger_name: str) -> int:
    """One mail per notification whose recipient has an address, into the outbox."""
    if not enabled() or not notifications:
        return 0
    emails = _addresses(n.user_id for n in notifications)
    now = timezone.now()
    rows = []
    for n in notifications:
        if n.user_id not in emails:
            continue
        body = "\n".join([
            n.text, "", _("Open the record:") if n.record_id else _("Open the ledger:"),
            record_link(n.ledger_id, n.record_id), "", _footer()])
        rows.append(OutboxMail(key=f"notification:{n.id}", user_id=n.user_id,
                               to=emails[n.user_id], subject=_subject(ledger_name, n.text),
                               body=body, next_attempt_at=now, created_at=now))
    OutboxMail.objects.bulk_create(rows)
    if rows:
        wake()
    return len(rows)


def _subject(ledger_name: str, text: str) -> str:
    subject = _("[daicho] %(ledger)s: %(text)s") % {"ledger": ledger_name, "text": text}
    subject = " ".join(subject.split())
    return subject if len(subject) <= 120 else subject[:119] + "…"


def _footer() -> str:
    return _("This mail was sent by daicho. You can change how you receive notifications on "
             "the notifications page:") + f"\n{base_url()}/notifications/"


def wake() -> None:
    """Make sure a `mail_send` job is queued (in the caller's transaction, so it commits with
    the mail it is for). The worker polls every second; the periodic check catches the rest."""
    if not Job.objects.filter(kind="mail_send", status="queued").exists():
        jobs.enqueue(kind_name="mail_send", params={}, user=None)


# -- sending (the job, after commit) ------------------------------------------------------------

class Connection:
    """One SMTP session for a run of mails, opened when the first one is sent."""

    def __init__(self) -> None:
        self.smtp: smtplib.SMTP | None = None

    def open(self) -> smtplib.SMTP:
        if self.smtp is not None:
            return self.smtp
        url = urlparse(smtp_url())
        if url.scheme not in ("smtp", "smtps") or not url.hostname:
            raise smtplib.SMTPException(_("DAICHO_SMTP_URL must be smtp://[user:pass@]host:port "
                                          "or smtps://…"))
        cls = smtplib.SMTP_SSL if url.scheme == "smtps" else smtplib.SMTP
        port = url.port or (465 if url.scheme == "smtps" else 25)
        smtp = cls(url.hostname, port, timeout=_timeout())
        if url.username:
            smtp.login(unquote(url.username), unquote(url.password or ""))
        self.smtp = smtp
        return smtp

    def close(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (smtplib.SMTPException, OSError):
                pass
            self.smtp = None


def _message(mail: OutboxMail) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender()
    msg["To"] = mail.to
    msg["Subject"] = mail.subject
    msg["Date"] = formatdate(localtime=True)
    domain = sender().rpartition("@")[2] or "daicho"
    msg["Message-ID"] = f"<{hashlib.sha256(mail.key.encode()).hexdigest()[:32]}@{domain}>"
    msg["X-Daicho-Key"] = mail.key
    msg.set_content(mail.body)
    return msg


def _failed(mail: OutboxMail, reason: str, *, permanent: bool) -> None:
    attempts = mail.attempts + 1
    delay = min(FIRST_DELAY * 2 ** (attempts - 1), MAX_DELAY)
    status = "failed" if permanent or attempts >= MAX_ATTEMPTS else "pending"
    OutboxMail.objects.filter(id=mail.id).update(
        status=status, attempts=attempts, last_error=reason[:500], claimed_at=None,
        next_attempt_at=timezone.now() + dt.timedelta(seconds=delay))


def _reason(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) \
            else str(exc.smtp_error)
        return f"{exc.smtp_code} {text}"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "; ".join(f"{code} {msg.decode('utf-8', 'replace')}"
                         for code, msg in exc.recipients.values())
    if isinstance(exc, socket.timeout | TimeoutError) or (
            isinstance(exc, smtplib.SMTPServerDisconnected) and "timed out" in str(exc)):
        return _("The mail server did not answer within %(n)s seconds.") % {"n": f"{_timeout():g}"}
    return f"{type(exc).__name__}: {exc}"[:500]


def _permanent(exc: BaseException) -> bool:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _m in exc.recipients.values())
    return isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code >= 500 \
        and not isinstance(exc, smtplib.SMTPServerDisconnected)


def recover_claims() -> int:
    """Rows left `sending` by a process that died go back to the queue."""
    stale = timezone.now() - dt.timedelta(minutes=CLAIM_MINUTES)
    return OutboxMail.objects.filter(status="sending", claimed_at__lt=stale).update(
        status="pending", claimed_at=None)


def send_due(*, limit: int = BATCH) -> dict[str, int]:
    """Send what is due now; each row claimed, sent and marked on its own (no long
    transaction), so a crash midway leaves the rest pending."""
    counts = {"sent": 0, "retry": 0, "failed": 0}
    if not enabled():
        return counts
    recover_claims()
    conn = Connection()
    try:
        due = list(OutboxMail.objects.filter(status="pending", next_attempt_at__lte=timezone.now())
                   .order_by("next_attempt_at", "id")[:limit])
        unreachable = ""
        for mail in due:
            if unreachable:  # no connection this run: the rest wait, with the same reason
                if OutboxMail.objects.filter(id=mail.id, status="pending").exists():
                    _failed(mail, unreachable, permanent=False)
                    counts["retry"] += 1
                continue
            if not OutboxMail.objects.filter(id=mail.id, status="pending").update(
                    status="sending", claimed_at=timezone.now()):
                continue  # another worker has it
            try:
                smtp = conn.open()
            except (smtplib.SMTPException, OSError) as exc:
                unreachable = _reason(exc)
                _failed(mail, unreachable, permanent=False)
                counts["retry"] += 1
                continue
            try:
                smtp.send_message(_message(mail))
            except (smtplib.SMTPException, OSError) as exc:
                permanent = _permanent(exc)
                _failed(mail, _reason(exc), permanent=permanent)
                counts["failed" if permanent or mail.attempts + 1 >= MAX_ATTEMPTS
                       else "retry"] += 1
                if not isinstance(exc, smtplib.SMTPRecipientsRefused):
                    conn.close()
                    conn.smtp = None
                continue
            OutboxMail.objects.filter(id=mail.id).update(
                status="sent", sent_at=timezone.now(), attempts=mail.attempts + 1,
                last_error="", claimed_at=None)
            counts["sent"] += 1
    finally:
        conn.close()
    return counts


@jobs.kind("mail_send", retry=True)
def _mail_send(job: Job, progress: Callable[[int, int], None]) -> dict[str, Any]:
    """Batches of BATCH until nothing more is due (a digest morning queues hundreds)."""
    total = {"sent": 0, "retry": 0, "failed": 0}
    while True:
        counts = send_due()
        for key, n in counts.items():
            total[key] += n
        if sum(counts.values()) < BATCH:
            return total


def send_again(*, mail_id: int, user: Any) -> OutboxMail:
    """An admin's "send again": a failed or waiting mail is tried at once."""
    if not 0 < mail_id < 2**62:
        raise NotFound()
    with transaction.atomic():
        mail = OutboxMail.objects.select_for_update().filter(id=mail_id).first()
        if mail is None:
            raise NotFound()
        if mail.status in ("sent", "sending"):
            raise InvalidInput(_("This mail has already been sent or is being sent."),
                               code=Code.MAIL_NOT_WAITING)
        mail.status, mail.next_attempt_at, mail.attempts = "pending", timezone.now(), 0
        mail.save(update_fields=["status", "next_attempt_at", "attempts"])
        wake()
    return mail


@jobs.every(60)
def enqueue_due() -> None:
    """The periodic check: mail due for a retry (or missed by a wake-up) gets a job."""
    if not enabled():
        return
    stale = timezone.now() - dt.timedelta(minutes=CLAIM_MINUTES)
    if OutboxMail.objects.filter(Q(status="pending", next_attempt_at__lte=timezone.now())
                                 | Q(status="sending", claimed_at__lt=stale)).exists():
        with transaction.atomic():
            wake()


# -- the daily digest ---------------------------------------------------------------------------

def set_preference(*, user: Any, daily_digest: Any = None, email: Any = None) -> dict[str, Any]:
    """A user's own mail settings: the address and the daily digest choice."""
    from daicho.services.accounts import clean_email

    with transaction.atomic():
        if email is not None:
            email = clean_email(email)
            get_user_model().objects.filter(id=user.pk).update(email=email)
            user.email = email
        if daily_digest is not None:
            if not isinstance(daily_digest, bool):
                raise InvalidInput(_("daily_digest must be true or false."),
                                   code=Code.INVALID_DAILY_DIGEST, details={"at": "daily_digest"})
            MailPreference.objects.update_or_create(user_id=user.pk,
                                                    defaults={"daily_digest": daily_digest})
    return preference_of(user)


def preference_of(user: Any) -> dict[str, Any]:
    pref = MailPreference.objects.filter(user_id=user.pk).first()
    return {"email": user.email or "", "daily_digest": bool(pref and pref.daily_digest),
            "mail_enabled": enabled()}


def send_digests(day: dt.date | None = None) -> int:
    """One mail per user with notifications waiting for their daily digest: at most one per
    user and day (the key), the notifications marked as mailed in the same transaction."""
    day = day or timezone.localdate()
    made = 0
    uids = set(Notification.objects.filter(digest_pending=True)
               .values_list("user_id", flat=True))
    emails = _addresses(uids)
    for uid in sorted(uids):
        with transaction.atomic():
            items = list(Notification.objects.filter(user_id=uid, digest_pending=True)
                         .order_by("id")[:500])
            if not items:
                continue
            Notification.objects.filter(id__in=[n.id for n in items]).update(
                digest_pending=False)
            if uid not in emails:
                continue
            key = f"digest:{uid}:{day.isoformat()}"
            if OutboxMail.objects.filter(key=key).exists():
                transaction.set_rollback(True)  # today's is out: these wait for tomorrow
                continue
            with translation.override(settings.LANGUAGE_CODE):
                lines = [_("Your notifications from daicho (%(n)d):") % {"n": len(items)}, ""]
                for n in items:
                    lines += [f"・{n.text}", f"  {record_link(n.ledger_id, n.record_id)}"]
                lines += ["", _footer()]
                subject = _("[daicho] Daily digest: %(n)d notifications") % {"n": len(items)}
            now = timezone.now()
            try:
                with transaction.atomic():
                    OutboxMail.objects.create(key=key, user_id=uid, to=emails[uid],
                                              subject=subject, body="\n".join(lines),
                                              next_attempt_at=now, created_at=now)
            except IntegrityError:
                transaction.set_rollback(True)
                continue
            wake()
            made += 1
    return made


@jobs.kind("mail_digest", retry=True)
def _mail_digest(job: Job, progress: Callable[[int, int], None]) -> dict[str, Any]:
    return {"digests": send_digests()}


@jobs.every(3600)
def enqueue_digest() -> None:
    """The periodic check: from DIGEST_HOUR on, waiting digest notifications get a job."""
    if not enabled() or timezone.localtime().hour < DIGEST_HOUR:
        return
    if Notification.objects.filter(digest_pending=True).exists() and not Job.objects.filter(
            kind="mail_digest", status__in=("queued", "running")).exists():
        jobs.enqueue(kind_name="mail_digest", params={}, user=None)
