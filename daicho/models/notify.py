"""Notifications, the mail outbox and the date reminders already sent (contract §9;
daicho.services.notifications). Imported by daicho.models so Django finds them."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Notification(models.Model):
    """One in-app notification for one user. The text is made for that user: it names no record
    or field they may not see (daicho.services.notifications)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="+")
    at = models.DateTimeField()
    # create update status comment mention waiting date digest
    kind = models.CharField(max_length=16)
    ledger = models.ForeignKey("daicho.Ledger", null=True, on_delete=models.CASCADE,
                               related_name="+")
    record_id = models.BigIntegerField(null=True)
    text = models.TextField()
    read_at = models.DateTimeField(null=True, blank=True)
    # To go out in the user's daily digest mail, not yet sent (daily digest users only).
    digest_pending = models.BooleanField(default=False)

    class Meta:
        indexes = [
            models.Index(fields=["user", "id"], name="notification_user_id"),
            # The bell's unread count reads this partial index alone.
            models.Index(fields=["user"], condition=models.Q(read_at=None),
                         name="notification_unread"),
            models.Index(fields=["user"], condition=models.Q(digest_pending=True),
                         name="notification_digest"),
        ]


class OutboxMail(models.Model):
    """A mail waiting to go out, written in the same transaction as its cause and sent by the
    `mail_send` job after commit. `key` is its idempotency key: the same mail is never queued
    twice, and its Message-ID is made from it."""

    key = models.CharField(max_length=120, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                             related_name="+")
    to = models.CharField(max_length=254)
    subject = models.CharField(max_length=300)
    body = models.TextField()
    # pending sending sent failed
    status = models.CharField(max_length=16, default="pending")
    attempts = models.IntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True, default="")
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="outbox_due")]


class ReminderSent(models.Model):
    """A date reminder produced once: the unique key is what makes a reminder fire exactly once
    per (rule, record, date value) across restarts, repeated runs and upgrades."""

    ledger = models.ForeignKey("daicho.Ledger", on_delete=models.CASCADE, related_name="+")
    rule_key = models.CharField(max_length=64)
    record_id = models.BigIntegerField()
    day = models.DateField()
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(
            fields=["ledger", "rule_key", "record_id", "day"], name="reminder_once")]


class MailPreference(models.Model):
    """A user's choice: mail each notification at once (default) or once a day as a digest."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="mail_preference")
    daily_digest = models.BooleanField(default=False)
