"""Comments as the record page and the history page show them: the text with its mentions
highlighted (from the stored positions, so a later rename changes nothing), who wrote it and
when, and whether the viewer wrote it (edit and delete are the author's)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from daicho.fields.context import ValueContext
from daicho.models import Comment, CommentRevision
from daicho.selectors import comments as sel
from daicho.selectors.ledgers import LedgerSchema
from daicho.web.names import Names


@dataclass
class Shown:
    id: int
    at: dt.datetime
    by: str  # the author's name
    html: SafeString
    edited: bool
    deleted: bool
    mine: bool
    text: str


def text_html(text: str, spans: list[Any], ctx: ValueContext, names: Names) -> SafeString:
    """`text` escaped, each mention a <mark> naming the user, newlines as <br>."""
    parts: list[str] = []
    pos = 0
    for uid, start, end in sorted((s for s in spans if len(s) == 3), key=lambda s: s[1]):
        if start < pos or end > len(text):
            continue
        login = ctx.login(uid) or ""
        parts.append(escape(text[pos:start]))
        parts.append(format_html('<mark class="mention" title="{} ({})">{}</mark>',
                                 names.user(login), login, text[start:end]))
        pos = end
    parts.append(escape(text[pos:]))
    return mark_safe("".join(parts).replace("\n", "<br>"))  # every part is escaped above


def shown(viewer: Any, comments: list[Comment]) -> list[Shown]:
    ctx = ValueContext()
    ctx.preload_users([c.user_id for c in comments]
                      + [s[0] for c in comments for s in c.mentions])
    names = Names(viewer).load(ctx.login(c.user_id) for c in comments)
    return [Shown(c.id, c.at, names.user(ctx.login(c.user_id)) or "—",
                  text_html(c.text, c.mentions, ctx, names), c.edited_at is not None,
                  c.deleted_at is not None, c.user_id is not None and c.user_id == viewer.pk,
                  c.text) for c in comments]


@dataclass
class TrailEntry:
    """One comment revision on the history page."""

    at: dt.datetime
    by: str
    action: str  # create, edit, delete
    comment_id: int
    html: SafeString
    is_comment: bool = True


def trail(viewer: Any, revisions: list[CommentRevision]) -> list[TrailEntry]:
    ctx = ValueContext()
    ctx.preload_users([r.user_id for r in revisions]
                      + [s[0] for r in revisions for s in r.mentions])
    names = Names(viewer).load(ctx.login(r.user_id) for r in revisions)
    return [TrailEntry(r.at, names.user(ctx.login(r.user_id)) or "—", r.action, r.comment_id,
                       text_html(r.text, r.mentions, ctx, names)) for r in revisions]


def timeline(viewer: Any, schema: LedgerSchema, record_id: int, entries: list[Any]) -> list[Any]:
    """The history page's entries (newest first, each with `at`) with the record's comment
    revisions put in among them by time."""
    revisions = sel.record_trail(viewer, schema, record_id)
    if not revisions:
        return entries
    merged = [*entries, *trail(viewer, revisions)]
    merged.sort(key=lambda e: e.at, reverse=True)
    return merged
