"""The writers for comments on records (contract §9; docs/api.md, "Comments"): add, edit,
delete. Each is one transaction that keeps the comment's own history (CommentRevision) and, for a
new comment or one whose edit mentions someone new, tells the event listeners
(`events.RecordEvent(action="comment")`) in the same transaction.

Whoever may view a record may comment on it; only the author edits or deletes a comment, and the
earlier text stays in the comment's history. A comment does not change the record's revision."""

from __future__ import annotations

import re
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from daicho import access, mentions
from daicho.access import AnyUser
from daicho.error_codes import Code
from daicho.errors import Conflict, Forbidden, InvalidInput, NotFound
from daicho.models import Comment, CommentRevision
from daicho.requestdata import whole_id
from daicho.selectors import comments as comment_sel
from daicho.selectors import records as sel
from daicho.selectors.ledgers import LedgerSchema
from daicho.services import events
from daicho.textnorm import search_key

MAX_LENGTH = 4_000
# Control characters other than tab and newline have no place in a comment.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f]")


def clean_text(text: Any) -> str:
    """The comment as stored: newlines made \\n, blanks around it removed; 400 when it is not
    text, empty, longer than MAX_LENGTH characters or holds control characters."""
    if not isinstance(text, str):
        raise InvalidInput(_("Please write the comment as text."), code=Code.INVALID_COMMENT,
                           details={"field": "text"})
    cleaned = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not cleaned:
        raise InvalidInput(_("The comment is empty. Please write something."),
                           code=Code.EMPTY_COMMENT, details={"field": "text"})
    if len(cleaned) > MAX_LENGTH:
        raise InvalidInput(_("A comment can be at most %(max)d characters long (this one has "
                             "%(n)d). Please shorten it.") % {"max": MAX_LENGTH, "n": len(cleaned)},
                           code=Code.COMMENT_TOO_LONG,
                           details={"field": "text", "max": MAX_LENGTH, "length": len(cleaned)})
    if _CONTROL.search(cleaned):
        raise InvalidInput(_("The comment contains control characters that cannot be stored."),
                           code=Code.INVALID_COMMENT, details={"field": "text"})
    return cleaned


def _people() -> list[mentions.Person]:
    rows = get_user_model().objects.filter(is_active=True).values_list(
        "id", "username", "profile__name")
    return [mentions.Person(uid, login, name or "") for uid, login, name in rows]


def resolve_mentions(schema: LedgerSchema, record_id: int,
                     text: str) -> tuple[list[list[int]], list[dict[str, str]]]:
    """The mentions of `text` as stored ([[user id, start, end]]) and those left out, as
    {"text": "@…", "reason": "cannot_view" | "ambiguous"}: a user who may not view the record
    is never mentioned, and a name several such users share names nobody."""
    if not any(mark in text for mark in mentions.MARKS):
        return [], []
    found = mentions.find(text, mentions.Directory(_people()))
    named = {uid for f in found for uid in f.uids}
    users = get_user_model().objects.filter(id__in=named, is_active=True)
    viewers = comment_sel.may_view(schema, record_id, users)
    spans: list[list[int]] = []
    skipped: list[dict[str, str]] = []
    for f in found:
        able = f.uids & viewers
        if len(able) == 1:
            spans.append([next(iter(able)), f.start, f.end])
        else:
            skipped.append({"text": text[f.start:f.end],
                            "reason": "ambiguous" if able else "cannot_view"})
    return spans, skipped


def _mentioned_ids(spans: list[list[int]]) -> list[int]:
    return list(dict.fromkeys(span[0] for span in spans))


def _live_record(user: AnyUser, schema: LedgerSchema, record_id: Any) -> sel.Row:
    """The record, locked, that `user` may view; 409 when it is in the trash."""
    row = sel.get_row(user, schema, record_id, include_deleted=True, for_update=True)
    if row.deleted:
        raise Conflict(_("This record is in the trash. Restore it before writing or changing "
                         "comments."), code=Code.RECORD_IN_TRASH)
    return row


def _emit(schema: LedgerSchema, row: sel.Row, comment: Comment, user_id: int | None,
          mentioned: list[int], **more: Any) -> None:
    events.emit(schema.full, [events.RecordEvent(
        action="comment", ledger_id=schema.id, record_id=row.id, revision=row.revision,
        user_id=user_id, extra={"comment_id": comment.id, "text": comment.text,
                                "mentions": mentioned, **more})])


def _user_id(user: AnyUser) -> int | None:
    return int(user.pk) if user.is_authenticated and user.pk is not None else None


def add_comment(*, user: AnyUser, schema: LedgerSchema, record_id: Any,
                text: Any) -> tuple[Comment, list[dict[str, str]]]:
    """Write a comment on a record `user` may view; returns it and the mentions left out."""
    access.require(user, schema, "view")
    text = clean_text(text)
    with transaction.atomic():
        row = _live_record(user, schema, record_id)
        spans, skipped = resolve_mentions(schema, row.id, text)
        now = timezone.now()
        uid = _user_id(user)
        comment = Comment.objects.create(ledger_id=schema.id, record_id=row.id, user_id=uid,
                                         at=now, text=text, search_key=search_key(text),
                                         mentions=spans)
        CommentRevision.objects.create(comment=comment, revision=1, action="create", text=text,
                                       mentions=spans, user_id=uid, at=now)
        _emit(schema, row, comment, uid, _mentioned_ids(spans))
    return comment, skipped


def _own_comment(user: AnyUser, schema: LedgerSchema, row: sel.Row, comment_id: Any) -> Comment:
    cid = whole_id(comment_id)
    comment = Comment.objects.select_for_update().filter(
        id=cid, ledger_id=schema.id, record_id=row.id).first() if cid and cid < 2**62 else None
    if comment is None:
        raise NotFound()
    if comment.deleted_at is not None:
        raise Conflict(_("This comment has been deleted."), code=Code.COMMENT_DELETED)
    if comment.user_id is None or comment.user_id != _user_id(user):
        raise Forbidden(_("Only the person who wrote a comment can change or delete it."),
                        code=Code.NOT_COMMENT_AUTHOR)
    return comment


def _next_revision(comment: Comment) -> int:
    last = CommentRevision.objects.filter(comment=comment).order_by("-revision") \
        .values_list("revision", flat=True).first()
    return int(last or 0) + 1


def edit_comment(*, user: AnyUser, schema: LedgerSchema, record_id: Any, comment_id: Any,
                 text: Any) -> tuple[Comment, list[dict[str, str]]]:
    """Change the text of one's own comment; the earlier text stays in its history. Users the
    new text mentions for the first time are told (event `comment` with `edited`)."""
    access.require(user, schema, "view")
    text = clean_text(text)
    with transaction.atomic():
        row = _live_record(user, schema, record_id)
        comment = _own_comment(user, schema, row, comment_id)
        spans, skipped = resolve_mentions(schema, row.id, text)
        if text == comment.text:
            return comment, skipped
        before = set(_mentioned_ids(comment.mentions))
        now = timezone.now()
        comment.text, comment.search_key, comment.mentions = text, search_key(text), spans
        comment.edited_at = now
        comment.save(update_fields=["text", "search_key", "mentions", "edited_at"])
        CommentRevision.objects.create(comment=comment, revision=_next_revision(comment),
                                       action="edit", text=text, mentions=spans,
                                       user_id=_user_id(user), at=now)
        _emit(schema, row, comment, _user_id(user),
              [uid for uid in _mentioned_ids(spans) if uid not in before], edited=True)
    return comment, skipped


def delete_comment(*, user: AnyUser, schema: LedgerSchema, record_id: Any,
                   comment_id: Any) -> None:
    """Delete one's own comment: it shows as deleted, its text stays in its history."""
    access.require(user, schema, "view")
    with transaction.atomic():
        row = _live_record(user, schema, record_id)
        comment = _own_comment(user, schema, row, comment_id)
        now = timezone.now()
        CommentRevision.objects.create(comment=comment, revision=_next_revision(comment),
                                       action="delete", text=comment.text,
                                       mentions=comment.mentions, user_id=_user_id(user), at=now)
        comment.deleted_at = now
        comment.save(update_fields=["deleted_at"])
