"""Reads of comments (docs/api.md, "Comments"): a record's comments, one comment's history, the
search over comments, and who may be mentioned on a record. Every read goes through the gate:
comments are read with the record, so whoever may not view the record sees none of them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Q
from django.utils.translation import gettext as _

from daicho import access
from daicho.access import AnyUser
from daicho.db import dialect
from daicho.db.dialect import q
from daicho.error_codes import Code
from daicho.errors import InvalidInput, NotFound
from daicho.fields.context import ValueContext
from daicho.models import Comment, CommentRevision, Ledger
from daicho.requestdata import whole_id
from daicho.selectors import records as sel
from daicho.selectors.ledgers import LedgerSchema
from daicho.textnorm import query_terms

MAX_LIMIT = 200


def comment_json(comment: Comment, ctx: ValueContext) -> dict[str, Any]:
    """COMMENT: {"id", "at", "by", "text", "mentions": [LOGIN], "edited_at", "deleted"}; a
    deleted comment keeps its place with an empty text (the text is in its history)."""
    deleted = comment.deleted_at is not None
    return {"id": comment.id, "at": comment.at.isoformat(), "by": ctx.login(comment.user_id),
            "text": "" if deleted else comment.text,
            "mentions": [] if deleted else [
                login for uid in dict.fromkeys(span[0] for span in comment.mentions)
                if (login := ctx.login(uid)) is not None],
            "edited_at": comment.edited_at.isoformat() if comment.edited_at else None,
            "deleted": deleted}


def _preload(ctx: ValueContext, comments: list[Comment]) -> None:
    ctx.preload_users([c.user_id for c in comments]
                      + [span[0] for c in comments for span in c.mentions])


def record_comments(user: AnyUser, schema: LedgerSchema, record_id: Any) -> list[Comment]:
    """The comments of a record `user` may view (also in the trash), oldest first."""
    row = sel.get_row(user, schema, record_id, include_deleted=True)
    return list(Comment.objects.filter(ledger_id=schema.id, record_id=row.id).order_by("id"))


def comments_json(comments: list[Comment]) -> list[dict[str, Any]]:
    ctx = ValueContext()
    _preload(ctx, comments)
    return [comment_json(c, ctx) for c in comments]


def comment_history(user: AnyUser, schema: LedgerSchema, record_id: Any,
                    comment_id: Any) -> list[dict[str, Any]]:
    """Every state of one comment, newest first: {"revision", "at", "by", "action", "text",
    "mentions"} with the action `create`, `edit` or `delete` (the text it removed)."""
    row = sel.get_row(user, schema, record_id, include_deleted=True)
    cid = whole_id(comment_id)
    if cid is None or not Comment.objects.filter(id=cid, ledger_id=schema.id,
                                                 record_id=row.id).exists():
        raise NotFound()
    revisions = list(CommentRevision.objects.filter(comment_id=cid).order_by("-revision"))
    ctx = ValueContext()
    ctx.preload_users([r.user_id for r in revisions]
                      + [span[0] for r in revisions for span in r.mentions])
    return [{"revision": r.revision, "at": r.at.isoformat(), "by": ctx.login(r.user_id),
             "action": r.action, "text": r.text,
             "mentions": [login for uid in dict.fromkeys(span[0] for span in r.mentions)
                          if (login := ctx.login(uid)) is not None]} for r in revisions]


def record_trail(user: AnyUser, schema: LedgerSchema, record_id: Any) -> list[CommentRevision]:
    """Every comment revision of a record `user` may view, oldest first (the history screen
    interleaves them with the record's revisions)."""
    row = sel.get_row(user, schema, record_id, include_deleted=True)
    return list(CommentRevision.objects.filter(comment__ledger_id=schema.id,
                                               comment__record_id=row.id)
                .select_related("comment").order_by("at", "id"))


@dataclass
class Hit:
    comment: Comment
    ledger: Ledger


@dataclass
class SearchPage:
    hits: list[Hit]
    next_cursor: str | None
    schemas: list[LedgerSchema]  # the ledgers the hits come from (the access log)


def search(user: AnyUser, text: str, *, ledger_id: Any = None, limit: Any = 50,
           cursor: Any = None) -> SearchPage:
    """Comments (not deleted, on live records) whose text holds every term of `text`
    (Japanese-aware, as record search), newest first, over the records `user` may view — in
    one ledger or every ledger they may view. Paged by comment id."""
    terms = query_terms(str(text or ""))
    if not terms:
        raise InvalidInput(_("Please give the words to search for (q)."), code=Code.EMPTY_QUERY)
    size = whole_id(limit) if limit not in (None, "") else 50
    if size is None or size > MAX_LIMIT:
        raise InvalidInput(_("limit must be a whole number from 1 to %(max)d.")
                           % {"max": MAX_LIMIT}, code=Code.INVALID_LIMIT)
    before = None
    if cursor not in (None, ""):
        before = whole_id(cursor)
        if before is None:
            raise InvalidInput(_("The cursor is not valid."), code=Code.INVALID_CURSOR)
    if ledger_id not in (None, ""):
        grants = [access.load_grant(user, whole_id(ledger_id) or 0)]
        grants[0].require("view")
    else:
        grants = [access.load_grant(user, ledger.id) for ledger in access.visible_ledgers(user)]
    found: list[tuple[int, access.Grant]] = []
    for grant in grants:
        found += [(cid, grant) for cid in _search_ledger(grant, terms, before, size + 1)]
    found.sort(key=lambda pair: -pair[0])
    page = found[:size]
    comments = Comment.objects.in_bulk([cid for cid, _grant in page])
    hits = [Hit(comments[cid], grant.ledger) for cid, grant in page if cid in comments]
    used = {grant.ledger.id: grant.schema("view") for _cid, grant in page}
    return SearchPage(hits, str(page[-1][0]) if len(found) > size else None,
                      list(used.values()))


def _search_ledger(grant: access.Grant, terms: list[str], before: int | None,
                   limit: int) -> list[int]:
    table = q(Comment._meta.db_table)
    where = ["c.ledger_id = %s", dialect.live("t"), "c.deleted_at IS NULL"]
    params: list[Any] = [grant.ledger.id]
    for term in terms:
        where.append(dialect.like("c.search_key"))
        params.append(f"%{dialect.like_escape(term)}%")
    if before is not None:
        where.append("c.id < %s")
        params.append(before)
    perm_sql, perm_params = grant.predicate("view", "t")
    if perm_sql:
        where.append(f"({perm_sql})")
        params += perm_params
    sql = (f"SELECT c.id FROM {table} c JOIN {q(grant.full.table)} t ON t.id = c.record_id"
           f" WHERE {' AND '.join(where)} ORDER BY c.id DESC LIMIT {int(limit)}")
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return [int(r[0]) for r in cur.fetchall()]


def may_view(schema: LedgerSchema, record_id: int, users: Iterable[Any]) -> set[int]:
    """The ids of those among `users` who may view the record (live or in the trash) now: each
    one's own grant, as every read asks it."""
    users = list(users)
    access.prime_subjects(users)
    # A schema of its own: the gate attaches the first grant it makes to a schema, and the
    # caller's schema must keep the caller's.
    other = LedgerSchema(schema.ledger, schema.full.fields)
    allowed: set[int] = set()
    for user in users:
        grant = access.grant_for(user, other)
        if not grant.holds("view"):
            continue
        try:
            grant.check_record(record_id, "view")
        except NotFound:
            continue
        allowed.add(int(user.pk))
    return allowed


def mentionable(user: AnyUser, schema: LedgerSchema, record_id: Any, text: str,
                limit: int = 10) -> list[tuple[str, str]]:
    """(login, name) of active users whose login or name holds `text` and who may view the
    record, by login: the type-ahead of `@` in the comment box. Users are checked 200 at a time
    until `limit` are found (a department's ledger in a city of thousands of users)."""
    row = sel.get_row(user, schema, record_id, include_deleted=True)
    text = text.strip()[:100]
    users = get_user_model().objects.filter(is_active=True).select_related("profile")
    if text:
        users = users.filter(Q(username__icontains=text) | Q(profile__name__icontains=text))
    found: list[tuple[str, str]] = []
    last = ""
    while len(found) < limit:
        chunk = list(users.filter(username__gt=last).order_by("username")[:200])
        if not chunk:
            break
        allowed = may_view(schema, row.id, chunk)
        found += [(u.username, getattr(getattr(u, "profile", None), "name", "") or u.username)
                  for u in chunk if u.pk in allowed]
        last = chunk[-1].username
    return found[:limit]
