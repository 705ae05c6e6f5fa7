"""Comments on records (contract §9; daicho.services.comments). A comment is not a field of the
record: writing one does not change the record's revision, so nobody editing the record meets a
conflict because someone commented."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Comment(models.Model):
    """One comment on one record, as it reads now. Edits and the deletion keep every earlier
    text in CommentRevision; a deleted comment stays as a row (`deleted_at`), so the record's
    history shows that there was one."""

    # No index of its own: (ledger, record_id, id) below serves ledger_id too.
    ledger = models.ForeignKey("daicho.Ledger", on_delete=models.CASCADE, related_name="+",
                               db_index=False)
    record_id = models.BigIntegerField()
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                             related_name="+")
    at = models.DateTimeField()
    text = models.TextField()
    # textnorm.search_key of the text: what the comment search matches (width, case, kana).
    search_key = models.TextField()
    # [[user id, start, end], …]: who is mentioned and where in `text` (for highlighting).
    mentions = models.JSONField(default=list)
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["ledger", "record_id", "id"],
                                name="comment_record_idx")]


class CommentRevision(models.Model):
    """One state of a comment: `create`, each `edit`, and the `delete` (which keeps the text it
    removed). Written in the same transaction as the change."""

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="revisions")
    revision = models.IntegerField()
    action = models.CharField(max_length=16)
    text = models.TextField()
    mentions = models.JSONField(default=list)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                             related_name="+")
    at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["comment", "revision"],
                                               name="comment_revision_unique")]
