"""Comments on records and the search over them (contract §9; docs/api.md, "Comments")."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Status

from daicho import access
from daicho.api import Body, api, schemas
from daicho.selectors import comments as sel
from daicho.services import audit
from daicho.services import comments as svc

_RECORD = "/ledgers/{ledger_id}/records/{record_id}/comments"


class CommentIn(Body):
    text: Any = None


def _written(comment: Any, skipped: list[dict[str, str]]) -> dict[str, Any]:
    return {**sel.comments_json([comment])[0], "skipped": skipped}


@api.get(_RECORD, tags=["comments"], response=schemas.CommentList, exclude_unset=True)
def list_comments(request: HttpRequest, ledger_id: int, record_id: int) -> dict[str, Any]:
    schema = access.ledger_for(request.user, ledger_id, "view")
    items = sel.comments_json(sel.record_comments(request.user, schema, record_id))
    audit.viewed(request, schema, record_id=record_id)
    return {"items": items}


@api.post(_RECORD, tags=["comments"], response={201: schemas.CommentWritten}, exclude_unset=True)
def add_comment(request: HttpRequest, ledger_id: int, record_id: int,
                body: CommentIn) -> Status[dict[str, Any]]:
    schema = access.ledger_for(request.user, ledger_id, "view")
    comment, skipped = svc.add_comment(user=request.user, schema=schema, record_id=record_id,
                                       text=body.text)
    return Status(201, _written(comment, skipped))


@api.patch(_RECORD + "/{comment_id}", tags=["comments"], response=schemas.CommentWritten,
           exclude_unset=True)
def edit_comment(request: HttpRequest, ledger_id: int, record_id: int, comment_id: int,
                 body: CommentIn) -> dict[str, Any]:
    schema = access.ledger_for(request.user, ledger_id, "view")
    comment, skipped = svc.edit_comment(user=request.user, schema=schema, record_id=record_id,
                                        comment_id=comment_id, text=body.text)
    return _written(comment, skipped)


@api.delete(_RECORD + "/{comment_id}", tags=["comments"], response={204: None})
def delete_comment(request: HttpRequest, ledger_id: int, record_id: int,
                   comment_id: int) -> Status[None]:
    schema = access.ledger_for(request.user, ledger_id, "view")
    svc.delete_comment(user=request.user, schema=schema, record_id=record_id,
                       comment_id=comment_id)
    return Status(204, None)


@api.get(_RECORD + "/{comment_id}/history", tags=["comments"], response=schemas.CommentHistoryList,
         exclude_unset=True)
def comment_history(request: HttpRequest, ledger_id: int, record_id: int,
                    comment_id: int) -> dict[str, Any]:
    schema = access.ledger_for(request.user, ledger_id, "view")
    items = sel.comment_history(request.user, schema, record_id, comment_id)
    audit.viewed(request, schema, record_id=record_id)
    return {"items": items}


@api.get("/comments", tags=["comments"], response=schemas.CommentSearchPage, exclude_unset=True)
def search_comments(request: HttpRequest, q: str = "", ledger: str = "", limit: str = "50",
                    cursor: str = "") -> dict[str, Any]:
    access.require_user(request.user)
    page = sel.search(request.user, q, ledger_id=ledger, limit=limit, cursor=cursor)
    for schema in page.schemas:  # a sensitive ledger whose comments were shown: a list read
        audit.opened(request.user, schema, "view")
    found = sel.comments_json([hit.comment for hit in page.hits])
    return {"items": [{**item, "ledger": {"id": hit.ledger.id, "name": hit.ledger.name},
                       "record": hit.comment.record_id}
                      for item, hit in zip(found, page.hits, strict=True)],
            "next_cursor": page.next_cursor}
