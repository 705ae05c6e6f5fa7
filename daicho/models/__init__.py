"""Metadata models. Record data itself lives in one real table per ledger (see daicho.db.schema).
The core models are here; comments, notifications, processes and webhooks have a module each,
imported at the end so Django finds them and `daicho.models` names them all."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Org(models.Model):
    """A department (部・課・係) as it is today. Its id never changes, so records keep pointing at
    it through renames, moves and abolition; its past (and scheduled) states are OrgVersions."""

    code = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="children")
    created_at = models.DateTimeField(auto_now_add=True)
    # Set once the department is abolished: it leaves the current tree, the row stays.
    abolished_on = models.DateField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class OrgVersion(models.Model):
    """One state of a department over [valid_from, valid_to) (valid_to None: still so). The tree
    as of any date is the versions valid that day (daicho.selectors.orgs)."""

    org = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="versions")
    code = models.CharField(max_length=64)
    name = models.CharField(max_length=200)
    parent = models.ForeignKey(Org, null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+")
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["org", "valid_from"])]


class OrgChange(models.Model):
    """A department change loaded ahead of its date (the April 1 reorganisation): applied to Org
    once `valid_from` has come (daicho.services.orgs.apply_due_changes)."""

    code = models.CharField(max_length=64)
    name = models.CharField(max_length=200)
    parent_code = models.CharField(max_length=64, blank=True)
    valid_from = models.DateField()
    abolish = models.BooleanField(default=False)
    applied_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)


class Profile(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="profile")
    name = models.CharField(max_length=200, blank=True)
    # The primary department today, kept in step with the OrgMemberships by
    # daicho.services.assignments (a move dated later takes effect through `daicho org apply`).
    org = models.ForeignKey(Org, null=True, blank=True, on_delete=models.SET_NULL)
    # Role names (システム管理者, 台帳管理者, or any a city defines); rules match them by name.
    roles = models.JSONField(default=list, blank=True)


class OrgMembership(models.Model):
    """A user's department over [valid_from, valid_to): the primary one (one at a time; the rows
    are its history) or an extra one (兼務). The gate reads the ones valid today."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="org_memberships")
    org = models.ForeignKey(Org, on_delete=models.PROTECT, related_name="memberships")
    primary = models.BooleanField(default=True)
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "valid_from"])]


class ApiToken(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="api_tokens")
    label = models.CharField(max_length=200, blank=True)
    prefix = models.CharField(max_length=16)
    key_hash = models.CharField(max_length=64, unique=True)
    read_only = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)


class Ledger(models.Model):
    name = models.CharField(max_length=200)
    # A stable key code finds a ledger by (the plan's ledgers, daicho.plan.ledgers), never its name.
    key = models.CharField(max_length=64, unique=True, null=True, blank=True)
    description = models.TextField(blank=True)
    # Physical table name; assigned once from the id and never changed.
    table_name = models.CharField(max_length=64, unique=True, null=True)
    record_count = models.BigIntegerField(default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    settings = models.JSONField(default=dict, blank=True)
    # Permission rules (contract §5), loaded with the ledger so the gate costs no extra query.
    rules = models.JSONField(default=list, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["name"], name="ledger_name_unique")]

    def __str__(self) -> str:
        return self.name


class Field(models.Model):
    ledger = models.ForeignKey(Ledger, on_delete=models.CASCADE, related_name="fields")
    code = models.CharField(max_length=64)
    name = models.CharField(max_length=200)
    type = models.CharField(max_length=32)
    # Physical column; immutable for a given type. A type change moves values to a new column
    # and keeps the old one (listed in retired_columns) so nothing is lost.
    column = models.CharField(max_length=64)
    required = models.BooleanField(default=False)
    unique = models.BooleanField(default=False)
    options = models.JSONField(default=dict, blank=True)
    position = models.IntegerField(default=0)
    seq = models.BigIntegerField(default=0)  # autonumber counter
    retired_columns = models.JSONField(default=list, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["ledger", "code"], condition=models.Q(deleted_at=None),
                                    name="field_code_unique_live"),
        ]

    def __str__(self) -> str:
        return f"{self.ledger_id}:{self.code}"


class History(models.Model):
    """One row per record revision; written in the same transaction as the change."""

    # No index of its own: the unique (ledger, record, revision) index serves ledger_id too,
    # and every import would otherwise keep one more index up to date per record.
    ledger = models.ForeignKey(Ledger, on_delete=models.CASCADE, related_name="+",
                               db_index=False)
    record_id = models.BigIntegerField()
    revision = models.IntegerField()
    action = models.CharField(max_length=16)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                             related_name="+")
    at = models.DateTimeField()
    changes = models.JSONField(default=dict)
    batch_id = models.CharField(max_length=40, blank=True, default="", db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ledger", "record_id", "revision"],
                                    name="history_record_revision_unique"),
        ]


class LedgerEvent(models.Model):
    """Changes to a ledger's structure (fields added, renamed, retyped, deleted)."""

    ledger = models.ForeignKey(Ledger, on_delete=models.CASCADE, related_name="events")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                             related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    action = models.CharField(max_length=32)
    details = models.JSONField(default=dict)


class Attachment(models.Model):
    ledger = models.ForeignKey(Ledger, on_delete=models.CASCADE, related_name="+")
    field_code = models.CharField(max_length=64)
    name = models.CharField(max_length=255)
    size = models.BigIntegerField()
    content_type = models.CharField(max_length=200, default="application/octet-stream")
    sha256 = models.CharField(max_length=64)
    storage_name = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)


class ImportBatch(models.Model):
    """One import: a history batch that can be rolled back as a whole."""

    ledger = models.ForeignKey(Ledger, on_delete=models.CASCADE, related_name="imports")
    batch_id = models.CharField(max_length=40, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                             related_name="+")
    file_name = models.CharField(max_length=255)
    mode = models.CharField(max_length=16)
    created_ledger = models.BooleanField(default=False)
    created = models.IntegerField(default=0)
    updated = models.IntegerField(default=0)
    unchanged = models.IntegerField(default=0)
    report = models.JSONField(default=dict)
    at = models.DateTimeField(auto_now_add=True)
    rolled_back_at = models.DateTimeField(null=True, blank=True)


class Job(models.Model):
    """A background job in a database-backed queue; any server process may run it."""

    kind = models.CharField(max_length=32)
    params = models.JSONField(default=dict)
    status = models.CharField(max_length=16, default="queued", db_index=True)
    progress = models.IntegerField(default=0)
    message = models.CharField(max_length=200, blank=True)
    result = models.JSONField(null=True, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                             related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The JobWorker id of the process running it, so that a job whose process died (a server
    # stopped or a worker killed mid-job) is found and not left "running" forever (daicho.jobs).
    owner = models.CharField(max_length=300, blank=True, default="")


class JobWorker(models.Model):
    """A process that runs jobs: a unique id of its own (host names and process ids repeat
    across containers), and when it last renewed its lease while running one (daicho.jobs)."""

    id = models.CharField(primary_key=True, max_length=100)
    host = models.CharField(max_length=255)
    pid = models.IntegerField()
    seen_at = models.DateTimeField(db_index=True)


class AuditEvent(models.Model):
    """The access log: append-only, each row chained to the previous one by a SHA-256 hash
    (daicho.services.audit). Users are kept by login, so deleting a user changes no row."""

    seq = models.BigIntegerField(unique=True)
    at = models.DateTimeField()
    user = models.CharField(max_length=150, blank=True, db_index=True)
    action = models.CharField(max_length=32)
    target = models.CharField(max_length=200, blank=True, db_index=True)
    ip = models.CharField(max_length=45, blank=True)
    details = models.JSONField(default=dict)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)


class AuditHead(models.Model):
    """The last link of the chain, kept apart so that cutting rows off the end shows."""

    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="")


class SignInAttempt(models.Model):
    """Recent sign-in attempts, for account lockout and per-address throttling."""

    login = models.CharField(max_length=150, db_index=True)
    ip = models.CharField(max_length=45, blank=True, db_index=True)
    at = models.DateTimeField(db_index=True)
    ok = models.BooleanField(default=False)


class SignInLock(models.Model):
    """Failed sign-ins of one login from one address (daicho.services.signin): from LOCK_AFTER
    failures on, that address is locked out of that login for a delay that doubles with each
    further failure. Other addresses, the owner's among them, are not affected."""

    login = models.CharField(max_length=150, db_index=True)
    ip = models.CharField(max_length=45, blank=True)
    failures = models.IntegerField(default=0)
    last_failure_at = models.DateTimeField()
    locked_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["login", "ip"],
                                               name="signin_lock_login_ip_unique")]


class TwoFactor(models.Model):
    """A user's TOTP authenticator (daicho.services.twofactor). Unconfirmed until the user has
    typed a first code from it; `last_step` refuses a code used once already."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="two_factor")
    secret = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    last_step = models.BigIntegerField(default=0)


class RecoveryCode(models.Model):
    """A one-time code that stands in for the authenticator; only its SHA-256 is kept."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="recovery_codes")
    code_hash = models.CharField(max_length=64)
    used_at = models.DateTimeField(null=True, blank=True)


class LedgerCreator(models.Model):
    """Who may create ledgers besides administrators (docs/permissions.md, "Creating ledgers"):
    one subject per row, in the shape of a ledger rule's subject (contract §5)."""

    subject = models.JSONField()
    position = models.IntegerField(default=0)


class PrintForm(models.Model):
    """A print form (帳票) of a ledger: an xlsx template with placeholders (daicho.printforms),
    kept in the database so that every server of an installation has it."""

    ledger = models.ForeignKey(Ledger, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=200)
    content = models.BinaryField()
    placeholders = models.JSONField(default=list)
    fonts = models.JSONField(default=list)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]


from daicho.models.comments import Comment, CommentRevision  # noqa: E402, F401  (comments)
from daicho.models.lookups import LookupCopy  # noqa: E402, F401  (copy lookups, contract §7)
from daicho.models.notify import MailPreference, Notification, OutboxMail, ReminderSent  # noqa: E402, F401
from daicho.models.process import ProcessApproval, ProcessDelegation, ProcessVersion  # noqa: E402, F401
from daicho.models.webhooks import Webhook, WebhookDelivery  # noqa: E402, F401  (contract §9)
