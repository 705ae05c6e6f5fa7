"""Webhooks of a ledger and their deliveries (contract §9; daicho.services.webhooks)."""

from __future__ import annotations

from django.db import models


class Webhook(models.Model):
    """One receiver of a ledger's events. `enabled` is the managers' switch (off: no
    deliveries at all); `suspended_at` is set when deliveries kept failing — events are still
    recorded, held until a manager resumes the hook."""

    ledger = models.ForeignKey("daicho.Ledger", on_delete=models.CASCADE, related_name="+")
    position = models.IntegerField(default=0)
    url = models.CharField(max_length=2000)
    events = models.JSONField(default=list)
    secret = models.CharField(max_length=200)
    enabled = models.BooleanField(default=True)
    suspended_at = models.DateTimeField(null=True, blank=True)
    # Deliveries in a row that failed every attempt; any success sets it back to 0.
    failures = models.IntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["ledger", "enabled"], name="webhook_ledger")]


class WebhookDelivery(models.Model):
    """One event for one hook: written in the transaction of the change, sent after commit by
    the `webhooks` job. `key` is sent as X-Daicho-Delivery, the same on every attempt."""

    key = models.CharField(max_length=32, unique=True)
    ledger = models.ForeignKey("daicho.Ledger", on_delete=models.CASCADE, related_name="+")
    hook = models.ForeignKey(Webhook, null=True, on_delete=models.SET_NULL, related_name="+")
    event = models.CharField(max_length=16)
    record_id = models.BigIntegerField()
    revision = models.IntegerField()
    at = models.DateTimeField()
    # pending (waiting for its next attempt), delivered, failed (every attempt failed),
    # cancelled (its hook was removed before it could be sent)
    status = models.CharField(max_length=16, default="pending")
    attempts = models.IntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    response_code = models.IntegerField(null=True, blank=True)
    response_body = models.CharField(max_length=500, blank=True, default="")
    error = models.CharField(max_length=300, blank=True, default="")
    created_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due"),
            models.Index(fields=["ledger", "id"], name="webhook_delivery_ledger"),
            models.Index(fields=["created_at"], name="webhook_delivery_created"),
        ]
