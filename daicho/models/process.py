"""Process management (contract §8): versioned definitions, partial approvals (合議) and
delegations (代理). A record's status and the version it follows live in its ledger's table
(columns `process_status`, `process_version`, daicho.db.schema.add_process_columns)."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ProcessVersion(models.Model):
    """One version of a ledger's process, never changed once written: a record keeps following
    the version it started with. The current one is also kept in `Ledger.settings["process"]`,
    which is loaded with the ledger anyway."""

    ledger = models.ForeignKey("daicho.Ledger", on_delete=models.CASCADE, related_name="+")
    version = models.IntegerField()
    definition = models.JSONField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ledger", "version"],
                                               name="process_version_unique")]


class ProcessApproval(models.Model):
    """A partial approval of an action that needs several approvers (mode all or N of M). The
    rows of a record go when its status moves; the status entry lists who approved."""

    ledger = models.ForeignKey("daicho.Ledger", on_delete=models.CASCADE, related_name="+")
    record_id = models.BigIntegerField()
    action = models.CharField(max_length=100)
    # The approver counted: whoever acted, or the person a delegate acted for.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    acted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                 related_name="+")
    comment = models.TextField(blank=True)
    at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ledger", "record_id", "action", "user"],
                                               name="process_approval_unique")]


class ProcessDelegation(models.Model):
    """While `user` is away, `delegate` may take the actions `user` may take (代理), from
    `starts` to `ends` inclusive (local dates). One per user."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="process_delegation")
    delegate = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                 related_name="+")
    starts = models.DateField()
    ends = models.DateField()
